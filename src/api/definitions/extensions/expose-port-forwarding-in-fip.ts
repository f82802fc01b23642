import type { ExtensionDef } from '../../../lib/definitions.js';

export const exposePortForwardingInFip: ExtensionDef = {
  alias: 'expose-port-forwarding-in-fip',
  name: 'Expose Floating IP port forwardings',
  description: 'Expose port forwarding fields in floating IP response',
  updated: '2018-06-28T16:00:00-00:00',
  requires: ['router', 'floating-ip-port-forwarding'],
  attributes: {
    floatingips: { port_forwardings: { allowPost: false, allowPut: false, isVisible: true, default: null } },
  },
};
