import { UNSET } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

export const fipPortDetails: ExtensionDef = {
  alias: 'fip-port-details',
  name: 'Floating IP Port Details Extension',
  description: 'Add port_details attribute to Floating IP resource',
  updated: '2018-04-09T10:00:00-00:00',
  requires: ['router'],
  attributes: {
    floatingips: { port_details: { allowPost: false, allowPut: false, isVisible: true, default: UNSET } },
  },
};
