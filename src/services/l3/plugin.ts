import { DEVICE_OWNER_FLOATINGIP } from '../../lib/constants.js';
import { adminContext } from '../../lib/context.js';
import { ServicePortInUse } from '../../lib/errors.js';
import { PRIORITY_DEFAULT } from '../../registry/events.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext, RpcListener } from '../../plugins/plugin.js';
import { l3AgentSchedulerRoutes } from './agent-scheduler-api.js';
import { createFloatingIpPoolResource } from './floatingip-pools.js';
import { createFloatingIpResource, disassociatePortFloatingIps } from './floatingips.js';
import { CorePorts, ROUTER_DEVICE_OWNERS, type L3Core } from './l3-core.js';
import { createRouterResource } from './routers.js';
import { L3Rpc } from './rpc.js';
import { preventRouterPortIpChange } from './port-ip-change.js';

/**
 * Neutron's `router` service plugin (L3RouterPlugin): routers with their gateway, interfaces and
 * extra routes, floating IPs, and the L3 agents' side (scheduling, RPC, notifications).
 */
export class L3RouterPlugin implements Plugin {
  readonly name = 'router';
  readonly supportedExtensionAliases = [
    'router', 'ext-gw-mode', 'extraroute', 'extraroute-atomic', 'dvr', 'l3-ha', 'router_availability_zone',
    'fip-port-details', 'router-admin-state-down-before-update', 'l3_agent_scheduler', 'floatingip-pools',
    'l3-port-ip-change-not-allowed',
    'l3-flavors',
  ];
  /** the router resource, for service plugins that make routers (auto-allocated topologies) */
  resources?: { routers: SqlResource };
  private rpc?: L3Rpc;
  private schedulerRoutes?: (policy: Authorizer) => SubRoutes;

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { db, api, config, events } = ctx;
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!ml2?.resources) throw new Error('the router service plugin needs the ml2 core plugin');
    const { ports, subnets, networks, agents } = ml2.resources;
    const core: L3Core = { db, events, api, ports: new CorePorts(ports), portsResource: ports, subnets };

    // ML2's delete_port: prevent_l3_port_deletion (not for L3's own deletes), then disassociate_floatingips
    events.subscribe('port', 'before_delete', async (tx, event) => {
      if (event.nested) return;
      const port = event.current;
      const owner = port.device_owner as string;
      if (ROUTER_DEVICE_OWNERS.includes(owner) && (port.fixed_ips as unknown[]).length) {
        const table = owner === DEVICE_OWNER_FLOATINGIP ? 'floatingips' : 'routers';
        const device = await tx.selectFrom(table).select('id').where('id', '=', port.device_id as string).executeTakeFirst();
        if (device) throw new ServicePortInUse({ port_id: port.id as string, reason: `has device owner ${owner}` });
      }
      event.floatingIpRouters = await disassociatePortFloatingIps(tx, port.id as string);
    });

    preventRouterPortIpChange(events);

    const d = config.DEFAULT;
    const rpc = this.rpc = new L3Rpc(ctx, core.ports);
    const routers = createRouterResource(core, {
      enableSnatByDefault: d.enable_snat_by_default, routerDistributed: d.router_distributed, l3Ha: d.l3_ha, maxRoutes: d.max_routes,
    }, rpc);
    const floatingips = createFloatingIpResource(core);
    // external_net_db's _before_network_delete_handler: the network's disassociated floating IPs go
    // with it, before ML2 looks for ports still in use (an associated one's port still is one)
    events.subscribe('network', 'before_delete', async (tx, { current: network }) => {
      const ids = await tx.selectFrom('floatingips').select('id').where('floating_network_id', '=', network.id as string)
        .where('fixed_port_id', 'is', null).orderBy('id').execute();
      const admin = adminContext();
      for (const { id } of ids) await floatingips.remove(tx, admin, await floatingips.load(tx, id, admin));
    }, PRIORITY_DEFAULT - 10);
    rpc.attach({ routers, floatingips, ports, networks });
    this.resources = { routers };
    this.schedulerRoutes = (policy) => l3AgentSchedulerRoutes(db, policy, routers, agents, rpc, d.agent_down_time);
    return { routers, floatingips, floatingip_pools: createFloatingIpPoolResource(db) };
  }

  routes(policy: Authorizer): SubRoutes {
    return this.schedulerRoutes?.(policy) ?? {};
  }

  rpcListeners(): RpcListener[] {
    return this.rpc?.listeners() ?? [];
  }
}
