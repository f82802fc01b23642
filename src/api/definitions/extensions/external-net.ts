import { toBoolean, validateBoolean } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const externalNet: ExtensionDef = {
  alias: 'external-net',
  name: 'Neutron external network',
  description: 'Adds external network attribute to network resource.',
  updated: '2013-01-14T10:00:00-00:00',
  attributes: {
    networks: {
      'router:external': {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: false,
        convert: toBoolean, validate: validateBoolean, enforcePolicy: true, requiredByPolicy: true,
        column: 'router_external', kind: 'bool',
      },
    },
  },
};
