import { validateIpAddressOrNone } from '../../../lib/address-validators.js';
import { idAttribute, nameAttribute, projectAttribute, validateUuid } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

/** /v2.0/ndp_proxies: an internal IPv6 address a router answers neighbour solicitations for on its gateway. */
export const l3NdpProxy: ExtensionDef = {
  alias: 'l3-ndp-proxy',
  name: 'L3 NDP Proxy',
  description: 'Router support for L3 NDP proxy.',
  updated: '2021-06-29T10:00:00-00:00',
  requires: ['router'],
  resources: [{
    name: 'ndp_proxy',
    collection: 'ndp_proxies',
    table: 'ndp_proxies',
    standardAttributes: true,
    attributes: {
      id: idAttribute,
      name: nameAttribute,
      tenant_id: { ...projectAttribute(), isFilter: false },
      router_id: { allowPost: true, allowPut: false, isVisible: true, isSort: true, validate: validateUuid, column: 'router_id', kind: 'string' },
      port_id: { allowPost: true, allowPut: false, isVisible: true, isSort: true, validate: validateUuid, column: 'port_id', kind: 'string' },
      ip_address: {
        allowPost: true, allowPut: false, isVisible: true, isSort: true, default: null, validate: validateIpAddressOrNone, column: 'ip_address', kind: 'string',
      },
    },
  }],
};
