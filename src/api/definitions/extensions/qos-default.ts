import { toBoolean, validateBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const qosDefault: ExtensionDef = {
  alias: 'qos-default',
  name: 'QoS default policy',
  description: 'Expose the QoS default policy per project',
  updated: '2017-041-06T10:00:00-00:00',
  requires: ['qos'],
  attributes: {
    // stored in qos_policies_default, one row per project
    policies: { is_default: { allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false, convert: toBoolean, validate: validateBoolean } },
  },
};
