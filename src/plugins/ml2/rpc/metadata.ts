/** The metadata agent's call on q-plugin (Neutron's MetadataRpcCallback, version 1.0). */
import type { RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import { filterQuery } from '../../../registry/handler.js';
import type { Endpoint } from '../../../rpc/server.js';
import { elevated, rpcFilters, type CoreResources } from './dhcp.js';

export class MetadataRpcCallback implements Endpoint {
  readonly target = { version: '1.0' };

  constructor(private readonly core: Pick<CoreResources, 'ports'>) {}

  /** get_ports(filters): e.g. {device_id: [router]}, {mac_address: [mac]}, {fixed_ips: {ip_address: [ip]}} */
  get_ports(ctx: RequestContext, kw: Record<string, any>): Promise<Item[]> {
    const filters = rpcFilters(kw.filters);
    const fixed = kw.filters?.fixed_ips;
    if (fixed && typeof fixed === 'object' && !Array.isArray(fixed)) {
      // as the API's converted fixed_ips filter: [key, value] pairs
      filters.fixed_ips = Object.entries(fixed as Record<string, unknown>)
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)]));
    }
    return this.core.ports.list(elevated(ctx), filterQuery(filters));
  }
}
