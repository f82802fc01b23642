import { validateUuidOrNone } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const qosFip: ExtensionDef = {
  alias: 'qos-fip',
  name: 'Floating IP QoS',
  description: 'The floating IP Quality of Service extension',
  updated: '2017-07-20T00:00:00-00:00',
  requires: ['router', 'qos'],
  attributes: {
    floatingips: {
      qos_policy_id: {
        allowPost: true, allowPut: true, isVisible: true, default: null, enforcePolicy: true, validate: validateUuidOrNone,
        child: { table: 'qos_fip_policy_bindings', parent: 'fip_id', value: 'policy_id', single: true },
      },
    },
  },
};
