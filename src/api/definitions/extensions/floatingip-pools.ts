import type { AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const shown: AttributeDef = { allowPost: false, allowPut: false, isVisible: true };

/** GET /v2.0/floatingip_pools: the IPv4 subnets floating IPs can come from (read only). */
export const floatingipPools: ExtensionDef = {
  alias: 'floatingip-pools',
  name: 'Floating IP Pools Extension',
  description: 'Provides a floating IP pools API.',
  updated: '2018-03-21T10:00:00-00:00',
  requires: ['router'],
  resources: [{
    name: 'floatingip_pool',
    collection: 'floatingip_pools',
    table: 'subnets',
    pagination: false,
    attributes: { subnet_id: shown, subnet_name: shown, network_id: shown, cidr: shown, project_id: shown },
  }],
};
