/**
 * ML2's side of the agents' RPC: the endpoints its RPC workers serve (start_rpc_listeners), and
 * what follows a committed network, subnet, port, security group or agent change (after_
 * subscribers of the event registry): DHCP and L2 agent notifications and versioned-object
 * pushes. They go out after the commit and before the API answers, while the write holds its
 * object's turn (src/db/resource-turns.ts): the agents hear of one object's writes in commit order.
 */
import type { Logger } from 'pino';
import { adminContext, type RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import type { Database } from '../../../db/database.js';
import type { Tx } from '../../../db/schema.js';
import { prepared } from '../../../db/prepared.js';
import type { EventRegistry, WriteEvent, WriteOperation } from '../../../registry/events.js';
import { addProvisioningComponent, DHCP_ENTITY, removeProvisioningComponent } from '../../../registry/provisioning-blocks.js';
import type { SqlResource } from '../../../registry/resource.js';
import type { Authorizer } from '../../../api/controller.js';
import type { SubRoutes } from '../../../api/tags.js';
import { AGENT_TYPE_DHCP } from '../agents.js';
import { dhcpAgentSchedulerRoutes } from '../dhcp-agent-scheduler-api.js';
import { dhcpAgentsHostingNetworks, rescheduleFromDownAgents } from '../dhcp-agent-scheduler.js';
import { L2Population, wiredPort } from '../mechanism_drivers/l2population.js';
import { bindPort, boundPorts, mechanismDrivers, NO_PBLOCKS_OWNERS } from '../port-binding.js';
import type { PluginContext, RpcListener, WorkerSpec } from '../../plugin.js';
import { AgentExtRpcCallback, REPORTS_TOPIC } from './agents.js';
import { DhcpAgentNotifier } from './dhcp-agent-notifier.js';
import { DhcpRpcCallback, type CoreResources } from './dhcp.js';
import { L2AgentNotifier } from './l2-agent-notifier.js';
import { Ml2RpcCallbacks } from './l2.js';
import { MetadataRpcCallback } from './metadata.js';
import { ResourcesPullRpcCallback, ResourcesPushRpcApi } from './resources.js';
import { SecurityGroupServerRpcCallback } from './securitygroups.js';

export const PLUGIN_TOPIC = 'q-plugin';
const CONSUMERS_TTL_MS = 10_000;
const anyAgentOfType = prepared<{ type: string }>((q, p) => q.selectFrom('agents').select('id').where('agent_type', '=', p.type).limit(1));

/** Port changes the L2 agents hear about as port_update (ML2's need_port_update_notify). */
const L2_PORT_FIELDS = ['mac_address', 'port_security_enabled', 'qos_policy_id', 'allowed_address_pairs', 'security_groups', 'extra_dhcp_opts', 'admin_state_up', 'status'];
/** Network changes that make network_update (the agents reconfigure MTU, QoS, VLAN id). */
const L2_NETWORK_FIELDS = ['mtu', 'qos_policy_id', 'provider:segmentation_id'];

const changed = (a: Item | undefined, b: Item, keys: string[]) => !!a && keys.some((k) => k in b && JSON.stringify(a[k]) !== JSON.stringify(b[k]));

export interface Ml2RpcResources extends CoreResources {
  agents: SqlResource;
}

export class Ml2Rpc {
  readonly dhcpNotifier: DhcpAgentNotifier;
  readonly l2Notifier: L2AgentNotifier;
  /** versioned-object pushes to the agents that consume them (the OVS agent's cache) */
  readonly resourcesPush: ResourcesPushRpcApi;
  private readonly reports: AgentExtRpcCallback;
  private readonly endpoints: object[];
  private readonly log: Logger;
  private readonly db: Database;
  private readonly scheduling: Parameters<typeof rescheduleFromDownAgents>[1];
  private readonly notifyAdminDownAgents: boolean;
  private ovoConsumers?: { types: Set<string>; until: number };
  /** until when a DHCP agent is known to be registered (consumers()) */
  private dhcpAgentSeenUntil = 0;
  /** the l2population driver, when [ml2] mechanism_drivers names it */
  private readonly l2pop?: L2Population;

  constructor(ctx: PluginContext, private readonly core: Ml2RpcResources, loadedTypes: ReadonlySet<string>) {
    const { config, db, transport } = ctx;
    const d = config.DEFAULT;
    this.db = db;
    this.log = ctx.log.child({ component: 'ml2-rpc' });
    const scheduling = this.scheduling = {
      agentsPerNetwork: d.dhcp_agents_per_network, agentDownTime: d.agent_down_time,
      defaultAvailabilityZones: d.default_availability_zones, networkAutoSchedule: d.network_auto_schedule,
    };
    this.notifyAdminDownAgents = d.enable_services_on_agents_with_admin_state_down;
    this.dhcpNotifier = new DhcpAgentNotifier(transport, db, {
      ...scheduling, enabled: d.dhcp_agent_notification, notifyAdminDownAgents: d.enable_services_on_agents_with_admin_state_down,
    }, this.log);
    this.l2Notifier = new L2AgentNotifier(transport);
    this.resourcesPush = new ResourcesPushRpcApi(transport, db);
    const portsChanged = (c: RequestContext, ids: string[]) => void this.pushIfConsumed(c, 'Port', ids)
      .catch((err: unknown) => this.log.error({ err }, 'Port push failed'));
    this.reports = new AgentExtRpcCallback(db, {
      agentDownTime: d.agent_down_time, enableNewAgents: d.enable_new_agents, dhcpLoadType: d.dhcp_load_type,
    }, transport, this.log);
    const { l2population, drivers } = mechanismDrivers(config.ml2.mechanism_drivers);
    const rebind = drivers.length ? (portId: string) => db.write((tx) => bindPort(tx, portId, drivers, d.agent_down_time, d.base_mac)) : undefined;
    this.l2pop = l2population ? new L2Population(transport, db) : undefined;
    const portsActivated = (c: RequestContext, ids: string[]) => {
      portsChanged(c, ids);
      if (this.l2pop) void this.l2popUp(c, ids).catch((err: unknown) => this.log.error({ err }, 'l2population failed'));
    };
    this.endpoints = [
      new Ml2RpcCallbacks(db, core, this.l2Notifier, { tunnelTypes: loadedTypes, overlayIpVersion: config.ml2.overlay_ip_version, rebind }, this.log, portsChanged, this.l2pop),
      new SecurityGroupServerRpcCallback(db, core),
      new DhcpRpcCallback(db, core, scheduling, this.log, portsActivated),
      this.reports,
      new MetadataRpcCallback(core),
      new ResourcesPullRpcCallback(db),
    ];
    this.subscribe(ctx.events);
  }

  /** start_rpc_listeners: q-plugin, and q-reports-plugin so that reports work without a reports worker. */
  listeners(): RpcListener[] {
    return [
      { topic: PLUGIN_TOPIC, endpoints: this.endpoints },
      ...this.reportListeners(),
    ];
  }

  /** start_rpc_state_reports_listener */
  reportListeners(): RpcListener[] {
    return [{ topic: REPORTS_TOPIC, endpoints: [this.reports] }];
  }

  /**
   * Moves the networks of dead DHCP agents to alive ones (allow_automatic_dhcp_failover) and tells
   * the new hosts; what Neutron's agent status check does every agent_down_time / 2 seconds.
   */
  async rescheduleDhcp(): Promise<void> {
    const ctx = adminContext();
    for (const m of await rescheduleFromDownAgents(this.db, this.scheduling)) {
      this.log.warn(`Removing network ${m.networkId} from agent ${m.deadAgentId} because the agent did not report to the server in the last ${this.scheduling.agentDownTime * 2} seconds.`);
      for (const a of m.added) await this.dhcpNotifier.networkAddedToAgent(ctx, m.networkId, a.host);
    }
  }

  /** The dhcp_agent_scheduler extension's routes. */
  routes(policy: Authorizer): SubRoutes {
    return dhcpAgentSchedulerRoutes(this.db, policy, this.core.networks, this.core.agents, this.dhcpNotifier, {
      ...this.scheduling, notifyAdminDownAgents: this.notifyAdminDownAgents,
    });
  }

  private subscribe(events: EventRegistry): void {
    // a notification that fails is logged: the write has committed
    const notify = (what: string, work: () => Promise<unknown>) => work().then(() => {}, (err: unknown) => this.log.error({ err }, `${what} after commit failed`));
    events.subscribe('port', 'precommit_create', (tx, e) => this.setupDhcpBlock(tx, e.current, true));
    events.subscribe('port', 'precommit_update', (tx, e) => {
      if (changed(e.original, e.current, ['fixed_ips', 'mac_address'])) return this.setupDhcpBlock(tx, e.current, false);
    });
    for (const op of ['create', 'update', 'delete'] as const) {
      events.subscribe('network', `after_${op}`, (e) => notify('network notification', () => this.networkCommitted(op, e)));
      events.subscribe('subnet', `after_${op}`, (e) => notify('subnet notification', () => this.subnetCommitted(op, e)));
      // as ML2's AFTER_ callbacks, before the API answers: a port answered is a port the agents were told of
      events.subscribe('port', `after_${op}`, (e) => this.portCommitted(op, e));
      // security groups and rules are pushed to the agents that consume them, as ML2's ovo_rpc does
      events.subscribe('security_group', `after_${op}`, (e) => notify('security group push', async () => {
        await this.pushChange(e.context, 'SecurityGroup', op, e.current.id as string);
        if (op === 'delete') await this.l2Notifier.securityGroupsRuleUpdated(e.context, [e.current.id as string]);
      }));
      events.subscribe('address_group', `after_${op}`, (e) => notify('address group push', () => this.pushChange(e.context, 'AddressGroup', op, e.current.id as string)));
      events.subscribe('security_group_rule', `after_${op}`, (e) => notify('security group rule push', async () => {
        const groupId = e.current.security_group_id as string;
        await this.pushChange(e.context, 'SecurityGroupRule', op, e.current.id as string);
        await this.pushChange(e.context, 'SecurityGroup', 'update', groupId);
        await this.l2Notifier.securityGroupsRuleUpdated(e.context, [groupId]);
      }));
    }
    events.subscribe('agent', 'after_update', ({ context, current: agent, original }) => {
      if (agent.agent_type !== AGENT_TYPE_DHCP || original.admin_state_up === agent.admin_state_up) return;
      return notify('agent_updated', () => this.dhcpNotifier.agentUpdated(context, agent.admin_state_up as boolean, agent.host as string));
    });
    // a network's availability_zones: the zones of the DHCP agents hosting it
    events.extend('network', async (q, networks) => {
      const hosting = await dhcpAgentsHostingNetworks(q, networks.map((n) => n.id as string));
      for (const n of networks) {
        n.availability_zones = [...new Set(hosting.filter((a) => a.network_id === n.id && a.availability_zone).map((a) => a.availability_zone!))].sort();
      }
    });
  }

  /**
   * Who listens: whether a DHCP agent is registered (without one, as in the embedded mode, there is
   * nothing to schedule, block or cast) and which object types agents consume (the
   * resource_versions they reported: only those are pushed). The consumed types are cached for
   * CONSUMERS_TTL_MS, as Neutron's version manager caches them (for 60 s), so that a write does
   * not read every agent's row.
   */
  private async consumers(): Promise<{ dhcp: boolean; ovo: Set<string> }> {
    const now = Date.now();
    if (!this.ovoConsumers || this.ovoConsumers.until < now) {
      const rows = await this.db.read((q) => q.selectFrom('agents').select('resource_versions').where('resource_versions', 'is not', null).execute());
      const types = new Set<string>();
      for (const { resource_versions: versions } of rows) if (versions) for (const t of Object.keys(JSON.parse(versions))) types.add(t);
      this.ovoConsumers = { types, until: now + CONSUMERS_TTL_MS };
    }
    // a DHCP agent seen is remembered as long as the types; none seen is asked again at the next write
    if (!(this.dhcpAgentSeenUntil > now)) {
      const dhcp = await this.db.read((q) => anyAgentOfType.first(q, { type: AGENT_TYPE_DHCP }));
      this.dhcpAgentSeenUntil = dhcp ? now + CONSUMERS_TTL_MS : 0;
    }
    return { dhcp: this.dhcpAgentSeenUntil > now, ovo: this.ovoConsumers.types };
  }

  /** Ports that turned ACTIVE outside the L2 agent's own call (DHCP was the last to be ready). */
  private async l2popUp(ctx: RequestContext, ids: string[]): Promise<void> {
    const bound = await this.db.read((q) => boundPorts(q, ids));
    for (const id of ids) {
      const b = bound.get(id);
      const port = b && await this.db.read((q) => wiredPort(q, id));
      if (b && port) await this.l2pop!.portUp(ctx, port, b.host, b.segment);
    }
  }

  private async pushIfConsumed(ctx: RequestContext, type: string, ids: string[]): Promise<void> {
    if ((await this.consumers()).ovo.has(type)) await this.resourcesPush.pushCurrent(ctx, type, ids);
  }

  /** For service plugins (QoS): pushes an object's change to the agents that consume its type. */
  pushObjectChange(ctx: RequestContext, type: string, event: WriteOperation, id: string): Promise<void> {
    return this.pushChange(ctx, type, event, id);
  }

  private async pushChange(ctx: RequestContext, type: string, event: WriteOperation, id: string, ovo?: Set<string>): Promise<void> {
    if (!(ovo ?? (await this.consumers()).ovo).has(type)) return;
    if (event === 'delete') await this.resourcesPush.pushDeleted(ctx, type, id);
    else await this.resourcesPush.pushCurrent(ctx, type, [id]);
  }

  private async subnetCommitted(event: WriteOperation, { context: ctx, current: subnet }: WriteEvent): Promise<void> {
    const { dhcp, ovo } = await this.consumers();
    if (dhcp) await this.dhcpNotifier.notify(ctx, 'subnet', event, subnet);
    await this.pushChange(ctx, 'Subnet', event, subnet.id as string, ovo);
  }

  private async networkCommitted(event: WriteOperation, { context: ctx, current: net, original: previous }: WriteEvent): Promise<void> {
    const { dhcp, ovo } = await this.consumers();
    if (event === 'delete' || (event === 'update' && dhcp)) await this.dhcpNotifier.notify(ctx, 'network', event, net, previous);
    await this.pushChange(ctx, 'Network', event, net.id as string, ovo);
    if (event === 'delete') await this.l2Notifier.networkDelete(ctx, net.id as string);
    else if (event === 'update' && changed(previous, net, L2_NETWORK_FIELDS)) await this.l2Notifier.networkUpdate(ctx, net);
  }

  /** `rebound`: the port was bound (again) after this write (port-binding.ts); `current` is then the bound port. */
  private async portCommitted(event: WriteOperation, { context: ctx, current: port, original: previous, rebound }: WriteEvent): Promise<void> {
    const { dhcp, ovo } = await this.consumers();
    if (event === 'delete') {
      if (dhcp) await this.dhcpNotifier.notify(ctx, 'port', event, port);
      await this.l2Notifier.portDelete(ctx, port.id as string);
      await this.l2Notifier.securityGroupsMemberUpdated(ctx, (port.security_groups ?? []) as string[]);
      if (this.l2pop && port.status === 'ACTIVE' && port['binding:host_id']) {
        // the binding levels went with the port: its network's tunnel segment is the one it was on
        const segment = await this.db.read((q) => q.selectFrom('network_segments').selectAll().where('network_id', '=', port.network_id as string)
          .where('network_type', 'in', ['vxlan', 'gre', 'geneve']).orderBy('segment_index').executeTakeFirst());
        const wired = { id: port.id as string, network_id: port.network_id as string, mac_address: port.mac_address as string, device_owner: port.device_owner as string, fixed_ips: ((port.fixed_ips ?? []) as Item[]).map((f) => f.ip_address as string) };
        if (segment) await this.l2pop.portDown(ctx, wired, port['binding:host_id'] as string, { id: segment.id, network_type: segment.network_type, physical_network: segment.physical_network, segmentation_id: segment.segmentation_id === null ? null : Number(segment.segmentation_id) });
      }
      await this.pushChange(ctx, 'Port', event, port.id as string, ovo);
      return;
    }
    const id = port.id as string;
    if (dhcp) await this.dhcpNotifier.notify(ctx, 'port', event, port, previous);
    // ML2 pushes creations as updates, after the binding
    await this.pushChange(ctx, 'Port', 'update', id, ovo);
    // the members of a group changed: the agents filtering on remote groups refresh their sets
    if (event === 'create' || changed(previous, port, ['security_groups', 'fixed_ips'])) {
      const groups = new Set([...(port.security_groups ?? []) as string[], ...(previous?.security_groups ?? []) as string[]]);
      await this.l2Notifier.securityGroupsMemberUpdated(ctx, [...groups].sort());
    }
    const fixedIpsOfGroupMember = (port.security_groups as unknown[] | undefined)?.length && changed(previous, port, ['fixed_ips']);
    if (rebound || fixedIpsOfGroupMember || changed(previous, port, L2_PORT_FIELDS)) {
      const segment = (await this.db.read((q) => boundPorts(q, [id]))).get(id)?.segment;
      if (segment) await this.l2Notifier.portUpdate(ctx, port, segment);
    }
  }

  /**
   * _setup_dhcp_agent_provisioning_component, in the port's transaction as in ML2: a port with an
   * address on a DHCP-enabled subnet of a network that a DHCP agent hosts waits for
   * dhcp_ready_on_ports before turning ACTIVE.
   */
  private async setupDhcpBlock(tx: Tx, port: Item, created: boolean): Promise<void> {
    if (NO_PBLOCKS_OWNERS.includes(port.device_owner as string)) return;
    if (!(await anyAgentOfType.first(tx, { type: AGENT_TYPE_DHCP }))) return;
    const id = port.id as string;
    const onDhcpSubnet = await tx.selectFrom('ipallocations as a').innerJoin('subnets as s', 's.id', 'a.subnet_id').select('s.id')
      .where('a.port_id', '=', id).where('s.enable_dhcp', '=', 1).limit(1).executeTakeFirst();
    const wanted = !!onDhcpSubnet && (await dhcpAgentsHostingNetworks(tx, [port.network_id as string])).length > 0;
    if (wanted) await addProvisioningComponent(tx, id, DHCP_ENTITY);
    else if (!created) await removeProvisioningComponent(tx, id, DHCP_ENTITY);
  }

}

/**
 * The DHCP agent status check (allow_automatic_dhcp_failover) as a plugin worker sharing the
 * services process: every agent_down_time / 2 seconds, after a first wait of twice
 * agent_down_time so that agents can report to a server that has just started.
 */
export function dhcpAgentStatusCheckWorker(agentDownTime: number, rpc: () => Ml2Rpc | undefined): WorkerSpec {
  return {
    name: 'dhcp-agent-status-check',
    processes: 0,
    async run(ctx) {
      const interval = Math.max(Math.floor(agentDownTime / 2), 1) * 1000;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const tick = () => {
        running = (rpc()?.rescheduleDhcp() ?? Promise.resolve())
          .catch((err: unknown) => ctx.log.error({ err }, 'Exception encountered during network rescheduling'))
          .finally(() => { if (!stopped) timer = setTimeout(tick, interval); });
      };
      timer = setTimeout(tick, agentDownTime * 2 * 1000);
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}
