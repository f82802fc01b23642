import { validateString } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const fipPfDescription: ExtensionDef = {
  alias: 'floating-ip-port-forwarding-description',
  name: 'Floating IP Port Forwarding new attribute description',
  description: 'Add a description field to Port Forwarding rules',
  updated: '2019-11-01T10:00:00-00:00',
  requires: ['floating-ip-port-forwarding'],
  attributes: {
    port_forwardings: {
      description: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: '', validate: validateString(255), column: 'description', kind: 'string',
      },
    },
  },
};
