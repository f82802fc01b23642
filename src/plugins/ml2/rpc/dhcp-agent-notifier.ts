/**
 * Server → DHCP agents (Neutron's DhcpAgentNotifyAPI, topic dhcp_agent, version 1.0): casts
 * network/subnet/port *_end events to `dhcp_agent.<host>` of every agent hosting the network,
 * scheduling the network first on a subnet or port creation. Called after the commit, never in it.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import type { Database } from '../../../db/database.js';
import { RpcClient } from '../../../rpc/client.js';
import type { Transport } from '../../../rpc/transport.js';
import type { AgentRow } from '../agents.js';
import { DEVICE_ID_RESERVED_DHCP_PORT, dhcpAgentsHostingNetworks, scheduleNetwork, type DhcpSchedulerOptions } from '../dhcp-agent-scheduler.js';

export const DHCP_AGENT_TOPIC = 'dhcp_agent';

/** Lower numbers are handled first by the agent's queue. */
const PRIORITY: Record<string, number> = {
  network_create_end: 0, network_update_end: 1, network_delete_end: 2,
  subnet_create_end: 3, subnet_update_end: 3, subnet_delete_end: 4,
  port_create_end: 6, port_update_end: 6, port_delete_end: 6,
};
const PRIORITY_PORT_CREATE_HIGH = 5;

/** Port changes that matter to dnsmasq; others send no port_update_end. */
const PORT_DHCP_FIELDS = ['fixed_ips', 'mac_address', 'extra_dhcp_opts', 'dns_name', 'dns_assignment', 'dns_domain'];

export interface DhcpNotifierOptions extends DhcpSchedulerOptions {
  /** [DEFAULT] dhcp_agent_notification: false sends nothing */
  enabled: boolean;
  /** [DEFAULT] network_auto_schedule: false schedules no network on subnet/port creation */
  networkAutoSchedule: boolean;
  /** [DEFAULT] enable_services_on_agents_with_admin_state_down */
  notifyAdminDownAgents: boolean;
}

export type Resource = 'network' | 'subnet' | 'port';
export type DbEvent = 'create' | 'update' | 'delete';

/** Agents get an admin context, whatever the API caller was (their context checks need no policy). */
export function agentContext(ctx: RequestContext): RequestContext {
  return { ...ctx, isAdmin: true, isAdvsvc: true };
}

export class DhcpAgentNotifier {
  private readonly client: RpcClient;

  constructor(
    transport: Transport,
    private readonly db: Database,
    private readonly opts: DhcpNotifierOptions,
    private readonly log: Pick<Logger, 'debug' | 'warn' | 'error'>,
  ) {
    this.client = new RpcClient(transport, { topic: DHCP_AGENT_TOPIC, version: '1.0' });
  }

  /** A committed API change (or an RPC-made one) of a network, subnet or port. */
  async notify(ctx: RequestContext, resource: Resource, event: DbEvent, item: Item, previous?: Item): Promise<void> {
    if (!this.opts.enabled) return;
    if (resource === 'port' && event === 'update' && previous
      && PORT_DHCP_FIELDS.every((k) => JSON.stringify(previous[k]) === JSON.stringify(item[k]))) return;
    const networkId = (resource === 'network' ? item.id : item.network_id) as string | undefined;
    if (!networkId) return;
    const method = `${resource}_${event}_end`;
    let payload: Item;
    if (event === 'delete') {
      payload = { [`${resource}_id`]: item.id };
      if (resource !== 'network') payload.network_id = networkId;
      if (resource === 'port') payload.fixed_ips = item.fixed_ips;
    } else {
      payload = { [resource]: item };
    }
    await this.notifyAgents(agentContext(ctx), method, payload, networkId);
  }

  private async notifyAgents(ctx: RequestContext, method: string, payload: Item, networkId: string): Promise<void> {
    payload.priority = PRIORITY[method];
    if (method === 'network_delete_end') return this.fanout(ctx, method, payload);
    if (method === 'network_create_end') return; // a network alone needs no DHCP server yet
    let agents: AgentRow[] = await this.db.read((q) => dhcpAgentsHostingNetworks(q, [networkId]));
    const scheduleRequired = method === 'subnet_create_end'
      || (method === 'port_create_end' && (payload.port as Item).device_id !== DEVICE_ID_RESERVED_DHCP_PORT);
    if (scheduleRequired && this.opts.networkAutoSchedule) {
      const added = await scheduleNetwork(this.db, networkId, this.opts);
      for (const a of added) await this.cast(ctx, 'network_create_end', { network: { id: networkId }, priority: PRIORITY.network_create_end }, a);
      if (!added.length && !agents.length) {
        this.log.debug(`Unable to schedule network ${networkId}: no agents available; will retry on subsequent port and subnet creation events.`);
      }
      agents = [...added, ...agents];
    }
    if (!agents.length) {
      this.log.debug(`Network ${networkId} is not hosted by any dhcp agent`);
      return;
    }
    const enabled = this.opts.notifyAdminDownAgents ? agents : agents.filter((a) => a.admin_state_up);
    if (method === 'port_create_end' && enabled.length) {
      // one agent answers the new port first; the others follow at normal priority
      const [high] = enabled.splice(Math.floor(Math.random() * enabled.length), 1);
      await this.cast(ctx, method, { ...payload, priority: PRIORITY_PORT_CREATE_HIGH }, high!);
    }
    for (const a of enabled) await this.cast(ctx, method, payload, a);
  }

  /** network_added_to_agent / network_removed_from_agent / agent_updated, to one host. */
  networkAddedToAgent(ctx: RequestContext, networkId: string, host: string): Promise<void> {
    return this.castTo(agentContext(ctx), 'network_create_end', { network: { id: networkId }, priority: PRIORITY.network_create_end }, DHCP_AGENT_TOPIC, host);
  }

  networkRemovedFromAgent(ctx: RequestContext, networkId: string, host: string): Promise<void> {
    return this.castTo(agentContext(ctx), 'network_delete_end', { network_id: networkId, priority: PRIORITY.network_delete_end }, DHCP_AGENT_TOPIC, host);
  }

  agentUpdated(ctx: RequestContext, adminStateUp: boolean, host: string): Promise<void> {
    return this.castTo(agentContext(ctx), 'agent_updated', { admin_state_up: adminStateUp }, DHCP_AGENT_TOPIC, host);
  }

  private cast(ctx: RequestContext, method: string, payload: Item, agent: AgentRow): Promise<void> {
    return this.castTo(ctx, method, payload, agent.topic, agent.host);
  }

  private castTo(ctx: RequestContext, method: string, payload: Item, topic: string, host: string): Promise<void> {
    return this.client.prepare({ topic, server: host }).cast(ctx, method, { payload });
  }

  private fanout(ctx: RequestContext, method: string, payload: Item): Promise<void> {
    return this.client.prepare({ fanout: true }).cast(ctx, method, { payload });
  }
}
