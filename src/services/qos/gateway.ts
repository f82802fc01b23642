import { DEVICE_OWNER_ROUTER_GW } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { QosPolicyNotFound } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Tx } from '../../db/schema.js';
import type { EventRegistry } from '../../registry/events.js';
import { visiblePolicy } from './policies.js';

/**
 * qos-gateway-ip (L3_gw_ip_qos_db_mixin): external_gateway_info.qos_policy_id, in
 * qos_router_gw_policy_bindings. A gateway info without the key keeps the policy, null clears
 * it, and a router without a gateway has none.
 */
async function updateGatewayPolicy(tx: Tx, ctx: RequestContext, routerId: string, info: Item | null | undefined): Promise<void> {
  const gateway = await tx.selectFrom('ports').select('id').where('device_id', '=', routerId).where('device_owner', '=', DEVICE_OWNER_ROUTER_GW)
    .limit(1).executeTakeFirst();
  if (!gateway) info = { qos_policy_id: null };
  if (!info || !('qos_policy_id' in info)) return;
  const wanted = info.qos_policy_id as string | null;
  const current = await tx.selectFrom('qos_router_gw_policy_bindings').select('policy_id').where('router_id', '=', routerId).executeTakeFirst();
  if (current?.policy_id === wanted) return;
  if (current) await tx.deleteFrom('qos_router_gw_policy_bindings').where('router_id', '=', routerId).execute();
  if (!wanted) return;
  if (!await visiblePolicy(tx, ctx, wanted)) throw new QosPolicyNotFound({ policy_id: wanted });
  await tx.insertInto('qos_router_gw_policy_bindings').values({ router_id: routerId, policy_id: wanted }).execute();
}

export function subscribeGatewayPolicy(events: EventRegistry): void {
  events.subscribe('router', 'precommit_create', (tx, { context, current }) =>
    updateGatewayPolicy(tx, context, current.id as string, current.external_gateway_info as Item | null));
  events.subscribe('router', 'precommit_update', async (tx, { context, original, changes }) => {
    if ('external_gateway_info' in changes) await updateGatewayPolicy(tx, context, original.id as string, changes.external_gateway_info as Item | null);
  });
  // _extend_router_dict_gw_qos: shown when the router or its gateway network has a policy
  events.extend('router', async (q, routers) => {
    const withGateway = routers.filter((r) => r.external_gateway_info);
    if (!withGateway.length) return;
    const own = new Map<string, string>();
    const viaNetwork = new Set<string>();
    await inChunks(withGateway.map((r) => r.id as string), async (chunk) => {
      for (const b of await q.selectFrom('qos_router_gw_policy_bindings').select(['router_id', 'policy_id']).where('router_id', 'in', chunk).execute()) {
        own.set(b.router_id, b.policy_id);
      }
    });
    await inChunks([...new Set(withGateway.map((r) => (r.external_gateway_info as Item).network_id as string))], async (chunk) => {
      for (const b of await q.selectFrom('qos_network_policy_bindings').select('network_id').where('network_id', 'in', chunk).execute()) viaNetwork.add(b.network_id);
    });
    for (const r of withGateway) {
      const info = r.external_gateway_info as Item;
      if (own.has(r.id as string) || viaNetwork.has(info.network_id as string)) info.qos_policy_id = own.get(r.id as string) ?? null;
    }
  });
}
