import type { Logger } from 'pino';
import { UNBOUND_VIF_TYPES } from '../../lib/constants.js';
import { adminContext, type RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { NeutronError } from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import type { PluginContext, RpcListener } from '../../plugins/plugin.js';
import { L3AgentNotifier } from './l3-agent-notifier.js';
import { l3AgentsHostingRouters, scheduleRouters, type L3SchedulerOptions } from './l3-agent-scheduler.js';
import type { CorePorts } from './l3-core.js';
import { L3_PLUGIN_TOPIC, L3RpcCallback, type L3SyncResources } from './l3-rpc-callback.js';
import type { RouterNotifier } from './routers.js';

/**
 * The L3 plugin's side of the agents: after a router changes it is scheduled (if no agent hosts
 * it yet) and its agents are told (routers_updated, router_deleted); the agents' own calls are
 * served on q-l3-plugin. Notifications go out after the commit and never fail the API request.
 */
export class L3Rpc implements RouterNotifier {
  private readonly notifier: L3AgentNotifier;
  private readonly log: Logger;
  private readonly db: Database;
  private readonly scheduling: L3SchedulerOptions;
  private callback?: L3RpcCallback;

  constructor(private readonly ctx: PluginContext, private readonly ports: CorePorts) {
    this.db = ctx.db;
    this.log = ctx.log.child({ component: 'l3-rpc' });
    this.notifier = new L3AgentNotifier(ctx.transport);
    this.scheduling = { agentDownTime: ctx.config.DEFAULT.agent_down_time };
  }

  /**
   * The resources sync_routers reads, once they exist; from then on the agents hear about every
   * committed change of a router or floating IP, and of ports whose floating IPs went with them.
   */
  attach(res: L3SyncResources): void {
    const { events } = this.ctx;
    for (const op of ['create', 'update'] as const) events.subscribe('router', `after_${op}`, (e) => this.routersUpdated(e.context, [e.current.id as string]));
    events.subscribe('router', 'after_delete', (e) => this.routerDeleted(e.context, e.current.id as string));
    for (const op of ['create', 'update', 'delete'] as const) {
      events.subscribe('floatingip', `after_${op}`, (e) => {
        const routers = [...new Set([e.current.router_id, e.original?.router_id].filter(Boolean) as string[])];
        if (routers.length) this.routersUpdated(e.context, routers);
      });
    }
    events.subscribe('port', 'after_delete', (e) => {
      if (e.floatingIpRouters?.length) this.routersUpdated(adminContext(), e.floatingIpRouters);
    });
    this.callback = new L3RpcCallback(this.db, res, {
      ...this.scheduling, autoSchedule: this.ctx.config.DEFAULT.router_auto_schedule,
      servicePlugins: ['CORE', 'L3_ROUTER_NAT'],
    }, (routers, host) => this.bindHost(routers, host), this.log);
  }

  routersUpdated(ctx: RequestContext, routerIds: string[]): void {
    this.notify(ctx, routerIds).catch((err: unknown) => this.log.error({ err, routers: routerIds }, 'routers_updated failed'));
  }

  routerDeleted(ctx: RequestContext, routerId: string): void {
    this.notifier.routerDeleted(agentContext(ctx), routerId).catch((err: unknown) => this.log.error({ err, router: routerId }, 'router_deleted failed'));
  }

  /** router_added_to_agent, a call (retried once, as Neutron's notifier does); a silent agent is logged, not an API error. */
  async routerAddedToAgent(ctx: RequestContext, host: string, routerIds: string[]): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return await this.notifier.routerAddedToAgent(agentContext(ctx), host, routerIds);
      } catch (err) {
        this.log.warn({ err, host, routers: routerIds }, 'router_added_to_agent failed');
      }
    }
  }

  async routerRemovedFromAgent(ctx: RequestContext, host: string, routerId: string): Promise<void> {
    await this.notifier.routerRemovedFromAgent(agentContext(ctx), host, routerId)
      .catch((err: unknown) => this.log.error({ err, host, router: routerId }, 'router_removed_from_agent failed'));
  }

  private async notify(ctx: RequestContext, routerIds: string[]): Promise<void> {
    await scheduleRouters(this.db, routerIds, this.scheduling);
    const hosting = await this.db.read((q) => l3AgentsHostingRouters(q, routerIds));
    for (const agent of hosting) {
      if (!agent.admin_state_up) continue;
      await this.notifier.routersUpdated(agentContext(ctx), agent.host, [agent.router_id]);
    }
  }

  /** _ensure_host_set_on_ports: a hosted router's gateway and interfaces are bound to its agent's host. */
  private async bindHost(routers: Item[], host: string): Promise<boolean> {
    let changed = false;
    for (const r of routers) {
      for (const port of [r.gw_port as Item | undefined, ...(r._interfaces as Item[])]) {
        if (!port) continue;
        const unbound = UNBOUND_VIF_TYPES.includes(port['binding:vif_type'] as string);
        if (port['binding:host_id'] === host && !unbound) continue;
        try {
          await this.db.write((tx) => this.ports.update(tx, port.id as string, { 'binding:host_id': host }));
          changed = true;
        } catch (e) {
          // removed from the router since the router was read: its sync goes on without it, as in Neutron
          if (!(e instanceof NeutronError && e.type === 'PortNotFound')) throw e;
          this.log.debug(`Port ${port.id as string} not found while updating agent binding for router ${r.id as string}`);
        }
      }
    }
    return changed;
  }

  listeners(): RpcListener[] {
    return this.callback ? [{ topic: L3_PLUGIN_TOPIC, endpoints: [this.callback] }] : [];
  }
}

function agentContext(ctx: RequestContext): RequestContext {
  return { ...ctx, isAdmin: true, isAdvsvc: true };
}
