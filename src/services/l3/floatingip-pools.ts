import { DEVICE_OWNER_FLOATINGIP } from '../../lib/constants.js';
import type { Database } from '../../db/database.js';
import { readOnlyHandler, type ResourceHandler } from '../../registry/handler.js';
import { networkSharing } from '../../plugins/ml2/sharing.js';

/**
 * get_floatingip_pools: the IPv4 subnets of the external networks the caller sees, except those
 * whose service types leave out network:floatingip.
 */
export function createFloatingIpPoolResource(db: Database): ResourceHandler {
  return readOnlyHandler({
    list: (ctx) => db.read(async (q) => {
      let qb = q.selectFrom('subnets').innerJoin('networks', 'networks.id', 'subnets.network_id')
        .select(['subnets.id', 'subnets.name', 'subnets.network_id', 'subnets.cidr', 'subnets.project_id'])
        .where('networks.router_external', '=', 1).where('subnets.ip_version', '=', 4);
      if (!ctx.isAdmin && !ctx.isAdvsvc) qb = networkSharing.scope(qb, ctx.projectId);
      const rows = await qb.orderBy('subnets.created_at').execute();
      const typed = rows.length
        ? await q.selectFrom('subnet_service_types').select(['subnet_id', 'service_type']).where('subnet_id', 'in', rows.map((r) => r.id)).execute()
        : [];
      return rows.filter((r) => {
        const types = typed.filter((t) => t.subnet_id === r.id).map((t) => t.service_type);
        return !types.length || types.includes(DEVICE_OWNER_FLOATINGIP);
      }).map((r) => ({ subnet_id: r.id, subnet_name: r.name, network_id: r.network_id, cidr: r.cidr, project_id: r.project_id }));
    }),
  });
}
