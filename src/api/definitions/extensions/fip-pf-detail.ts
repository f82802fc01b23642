import type { ExtensionDef } from '../../../lib/definitions.js';

/** A floating IP's port_forwardings carry their id and internal_port_id (expose-port-forwarding-in-fip). */
export const fipPfDetail: ExtensionDef = {
  alias: 'floating-ip-port-forwarding-detail',
  name: 'Floating IP port forwarding detail',
  description: "Allow list floating ip return more port forwarding data, include'id' and 'internal_port_id'",
  updated: '2022-05-06T10:00:00-00:00',
};
