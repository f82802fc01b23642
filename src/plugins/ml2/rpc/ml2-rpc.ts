/**
 * ML2's side of the agents' RPC: the endpoints its RPC workers serve (start_rpc_listeners), and
 * what follows a committed network, subnet, port or agent change: port binding, DHCP and L2 agent
 * notifications. Notifications go out after the commit, never inside the transaction.
 */
import type { Logger } from 'pino';
import type { Authorizer } from '../../../api/controller.js';
import type { SubRoutes } from '../../../api/tags.js';
import { adminContext, type RequestContext } from '../../../lib/context.js';
import type { Database } from '../../../db/database.js';
import { addProvisioningComponent, DHCP_ENTITY, removeProvisioningComponent } from '../../../registry/provisioning-blocks.js';
import { inChunks } from '../../../db/chunks.js';
import type { CommitListener } from '../../../registry/resource.js';
import { outsideRequestCount } from '../../../db/statement-count.js';
import { prepared } from '../../../db/prepared.js';
import { DhcpAgentNotifier } from './dhcp-agent-notifier.js';
import { L2AgentNotifier } from './l2-agent-notifier.js';
import { AgentExtRpcCallback, REPORTS_TOPIC } from './agents.js';
import { DhcpRpcCallback, type CoreResources } from './dhcp.js';
import { Ml2RpcCallbacks } from './l2.js';
import { MetadataRpcCallback } from './metadata.js';
import { ResourcesPullRpcCallback, ResourcesPushRpcApi } from './resources.js';
import { SecurityGroupServerRpcCallback } from './securitygroups.js';
import { dhcpAgentsHostingNetworks, rescheduleFromDownAgents } from '../dhcp-agent-scheduler.js';
import { AGENT_TYPE_DHCP, type AgentResource } from '../agents.js';
import type { PluginContext, RpcListener, WorkerSpec } from '../../plugin.js';
import { dhcpAgentSchedulerRoutes } from '../dhcp-agent-scheduler-api.js';
import type { NetworkExtender } from '../networks.js';
import { bindingNeeded, bindPort, boundPorts, mechanismDrivers, NO_PBLOCKS_OWNERS } from '../port-binding.js';
import { L2Population, wiredPort } from '../mechanism_drivers/l2population.js';
import type { Item } from '../../../lib/definitions.js';
import { type ResourceHandler, type CreateOpts, type WriteOpts, filterQuery } from '../../../registry/handler.js';
import type { Queryable } from '../../../db/schema.js';

export const PLUGIN_TOPIC = 'q-plugin';
const CONSUMERS_TTL_MS = 10_000;
const anyAgentOfType = prepared<{ type: string }>((q, p) => q.selectFrom('agents').select('id').where('agent_type', '=', p.type).limit(1));

/** Work that follows a commit runs on its own, outside the request's SQL statement count. */
function afterCommit(work: () => Promise<unknown>): Promise<unknown> {
  return outsideRequestCount(work);
}

/** A resource whose committed writes can be followed (SqlResource, or a handler passing it on). */
type Watchable = { onCommit(listener: CommitListener): void };

/** Port changes the L2 agents hear about as port_update (ML2's need_port_update_notify). */
const L2_PORT_FIELDS = ['mac_address', 'port_security_enabled', 'qos_policy_id', 'allowed_address_pairs', 'security_groups', 'extra_dhcp_opts', 'admin_state_up', 'status'];
/** Network changes that make network_update (the agents reconfigure MTU, QoS, VLAN id). */
const L2_NETWORK_FIELDS = ['mtu', 'qos_policy_id', 'provider:segmentation_id'];

const changed = (a: Item | undefined, b: Item, keys: string[]) => !!a && keys.some((k) => k in b && JSON.stringify(a[k]) !== JSON.stringify(b[k]));

export interface Ml2RpcResources extends CoreResources {
  agents: AgentResource;
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
  /** bindings under way after a port's commit, by port id, for the API answer to wait for */
  private readonly bindings = new Map<string, Promise<boolean>>();
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
    const { drivers, l2population, unknown } = mechanismDrivers(config.ml2.mechanism_drivers);
    this.l2pop = l2population ? new L2Population(transport, db) : undefined;
    const portsActivated = (c: RequestContext, ids: string[]) => {
      portsChanged(c, ids);
      if (this.l2pop) void this.l2popUp(c, ids).catch((err: unknown) => this.log.error({ err }, 'l2population failed'));
    };
    this.endpoints = [
      new Ml2RpcCallbacks(db, core, this.l2Notifier, { tunnelTypes: loadedTypes, overlayIpVersion: config.ml2.overlay_ip_version }, this.log, portsChanged, this.l2pop),
      new SecurityGroupServerRpcCallback(db, core),
      new DhcpRpcCallback(db, core, scheduling, this.log, portsActivated),
      this.reports,
      new MetadataRpcCallback(core),
      new ResourcesPullRpcCallback(db),
    ];
    if (unknown.length && ctx.role === 'api') this.log.warn(`[ml2] mechanism_drivers ${unknown.join(', ')} are not implemented by neutron-ts: ports are not bound by them`);
    this.subscribe(drivers, d.agent_down_time);
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

  /** A network's availability_zones: the zones of the DHCP agents hosting it. */
  readonly networkExtender: NetworkExtender = {
    extend: async (q: Queryable, networks: Item[]) => {
      const hosting = await dhcpAgentsHostingNetworks(q, networks.map((n) => n.id as string));
      for (const n of networks) {
        n.availability_zones = [...new Set(hosting.filter((a) => a.network_id === n.id && a.availability_zone).map((a) => a.availability_zone!))].sort();
      }
    },
  };

  /**
   * The ports API as the controller uses it: a create or update answers once the port is bound,
   * with the binding in the answer (Nova reads binding:vif_type from it).
   */
  portsApi(ports: CoreResources['ports'] & ResourceHandler): ResourceHandler {
    const bound = async (ctx: RequestContext, item: Item): Promise<Item> => {
      const binding = this.bindings.get(item.id as string);
      if (!binding) return item;
      this.bindings.delete(item.id as string);
      return (await binding.catch(() => false)) ? ports.get(ctx, item.id as string) : item;
    };
    return Object.assign(Object.create(ports) as ResourceHandler, {
      create: async (ctx: RequestContext, items: Item[], opts?: CreateOpts) => {
        const created = await ports.create(ctx, items, opts);
        return Promise.all(created.map((p) => bound(ctx, p)));
      },
      update: async (ctx: RequestContext, id: string, changes: Item, opts: WriteOpts) => bound(ctx, await ports.update(ctx, id, changes, opts)),
    });
  }

  private subscribe(drivers: ReturnType<typeof mechanismDrivers>['drivers'], agentDownTime: number): void {
    const run = (what: string, work: () => Promise<unknown>) => afterCommit(work).catch((err: unknown) => this.log.error({ err }, `${what} after commit failed`));
    this.core.networks.onCommit((event, ctx, net, previous) => run('network notification', () => this.networkCommitted(event, ctx, net, previous)));
    this.core.subnets.onCommit((event, ctx, subnet) => run('subnet notification', () => this.subnetCommitted(event, ctx, subnet)));
    this.core.ports.onCommit((event, ctx, port, previous) => {
      // bind first, as Neutron's _bind_port_if_needed after the port's own commit; the API answer waits for it (portsApi)
      const id = port.id as string;
      const binding = event !== 'delete' && drivers.length && bindingNeeded(port, previous)
        ? afterCommit(() => bindPort(this.db, id, drivers, agentDownTime)).then((r) => !!r)
        : null;
      if (binding) {
        this.bindings.set(id, binding);
        // an answer that does not come for it (an RPC-made port) must not keep it
        void binding.catch(() => false).finally(() => setTimeout(() => this.bindings.get(id) === binding && this.bindings.delete(id), 30_000).unref());
      }
      run('port notification', () => this.portCommitted(event, ctx, port, previous, binding));
    });
    this.core.agents.onCommit((event, ctx, agent, previous) => {
      if (event !== 'update' || agent.agent_type !== AGENT_TYPE_DHCP || !previous || previous.admin_state_up === agent.admin_state_up) return;
      run('agent_updated', () => this.dhcpNotifier.agentUpdated(ctx, agent.admin_state_up as boolean, agent.host as string));
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
      for (const r of rows) for (const t of Object.keys(JSON.parse(r.resource_versions))) types.add(t);
      this.ovoConsumers = { types, until: now + CONSUMERS_TTL_MS };
    }
    const dhcp = await this.db.read((q) => anyAgentOfType.first(q, { type: AGENT_TYPE_DHCP }));
    return { dhcp: !!dhcp, ovo: this.ovoConsumers.types };
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

  private async pushChange(ctx: RequestContext, type: string, event: 'create' | 'update' | 'delete', id: string, ovo: Set<string>): Promise<void> {
    if (!ovo.has(type)) return;
    if (event === 'delete') await this.resourcesPush.pushDeleted(ctx, type, id);
    else await this.resourcesPush.pushCurrent(ctx, type, [id]);
  }

  /** Security groups and rules are pushed to the agents that consume them, as ML2's ovo_rpc does. */
  watchSecurityGroups(groups?: Watchable, rules?: Watchable): void {
    const run = (work: () => Promise<unknown>) => afterCommit(work).catch((err: unknown) => this.log.error({ err }, 'security group push failed'));
    groups?.onCommit((event, ctx, g) => run(async () => {
      const { ovo } = await this.consumers();
      await this.pushChange(ctx, 'SecurityGroup', event, g.id as string, ovo);
    }));
    rules?.onCommit((event, ctx, r) => run(async () => {
      const { ovo } = await this.consumers();
      await this.pushChange(ctx, 'SecurityGroupRule', event, r.id as string, ovo);
      await this.pushChange(ctx, 'SecurityGroup', 'update', r.security_group_id as string, ovo);
    }));
  }

  private async subnetCommitted(event: 'create' | 'update' | 'delete', ctx: RequestContext, subnet: Item): Promise<void> {
    const { dhcp, ovo } = await this.consumers();
    if (dhcp) await this.dhcpNotifier.notify(ctx, 'subnet', event, subnet);
    await this.pushChange(ctx, 'Subnet', event, subnet.id as string, ovo);
  }

  private async networkCommitted(event: 'create' | 'update' | 'delete', ctx: RequestContext, net: Item, previous?: Item): Promise<void> {
    const { dhcp, ovo } = await this.consumers();
    if (event === 'delete' || (event === 'update' && dhcp)) await this.dhcpNotifier.notify(ctx, 'network', event, net, previous);
    await this.pushChange(ctx, 'Network', event, net.id as string, ovo);
    if (event === 'delete') await this.l2Notifier.networkDelete(ctx, net.id as string);
    else if (event === 'update' && changed(previous, net, L2_NETWORK_FIELDS)) await this.l2Notifier.networkUpdate(ctx, net);
  }

  private async portCommitted(event: 'create' | 'update' | 'delete', ctx: RequestContext, port: Item, previous: Item | undefined, binding: Promise<boolean> | null): Promise<void> {
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
    const rebound = binding ? await binding : false;
    if (dhcp && (event === 'create' || changed(previous, port, ['fixed_ips', 'mac_address']))) await this.setupDhcpBlock(port);
    const current = rebound ? await this.adminGet(this.core.ports, id) : port;
    if (!current) return;
    if (dhcp) await this.dhcpNotifier.notify(ctx, 'port', event, current, previous);
    // ML2 pushes creations as updates, after the binding
    await this.pushChange(ctx, 'Port', 'update', id, ovo);
    // the members of a group changed: the agents filtering on remote groups refresh their sets
    if (event === 'create' || changed(previous, current, ['security_groups', 'fixed_ips'])) {
      const groups = new Set([...(current.security_groups ?? []) as string[], ...(previous?.security_groups ?? []) as string[]]);
      await this.l2Notifier.securityGroupsMemberUpdated(ctx, [...groups].sort());
    }
    const fixedIpsOfGroupMember = (current.security_groups as unknown[] | undefined)?.length && changed(previous, current, ['fixed_ips']);
    if (rebound || fixedIpsOfGroupMember || changed(previous, current, L2_PORT_FIELDS)) {
      const segment = (await this.db.read((q) => boundPorts(q, [id]))).get(id)?.segment;
      if (segment) await this.l2Notifier.portUpdate(ctx, current, segment);
    }
  }

  /**
   * _setup_dhcp_agent_provisioning_component: a port with an address on a DHCP-enabled subnet of
   * a network that a DHCP agent hosts waits for dhcp_ready_on_ports before turning ACTIVE.
   */
  private async setupDhcpBlock(port: Item): Promise<void> {
    if (NO_PBLOCKS_OWNERS.includes(port.device_owner as string)) return;
    const id = port.id as string;
    const subnetIds = ((port.fixed_ips ?? []) as Item[]).map((f) => f.subnet_id as string);
    // decided in a read; a write transaction only when the block must come or go
    const { wanted, present } = await this.db.read(async (q) => {
      let dhcp = false;
      await inChunks(subnetIds, async (chunk) => {
        dhcp ||= !!(await q.selectFrom('subnets').select('id').where('id', 'in', chunk).where('enable_dhcp', '=', 1).limit(1).executeTakeFirst());
      });
      const hosted = dhcp && (await dhcpAgentsHostingNetworks(q, [port.network_id as string])).length > 0;
      const block = await q.selectFrom('provisioningblocks').select('port_id').where('port_id', '=', id).where('entity', '=', DHCP_ENTITY).executeTakeFirst();
      return { wanted: hosted, present: !!block };
    });
    if (wanted === present) return;
    await this.db.write(async (tx) => {
      if (!wanted) return removeProvisioningComponent(tx, id, DHCP_ENTITY);
      // the port may have gone meanwhile
      if (await tx.selectFrom('ports').select('id').where('id', '=', id).executeTakeFirst()) await addProvisioningComponent(tx, id, DHCP_ENTITY);
    });
  }

  private async adminGet(resource: CoreResources['networks'], id: string): Promise<Item | null> {
    const [item] = await resource.list(adminContext(), filterQuery({ id: [id] }));
    return item ?? null;
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
