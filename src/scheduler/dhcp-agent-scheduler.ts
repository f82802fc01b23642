/**
 * Which DHCP agents serve a network (Neutron's WeightScheduler with its DhcpFilter, and the
 * agentschedulers_db queries around it). Bindings live in network_dhcp_agent_bindings; the unique
 * (network_id, binding_index) key, with indexes 1..dhcp_agents_per_network, is what keeps
 * concurrent schedulers in several processes from binding too many agents: the loser's
 * transaction fails on it and runs again, and then finds the network hosted.
 */
import type { Database, Queryable, Tx } from '../db/database.js';
import { inChunks } from '../db/chunks.js';
import { AGENT_TYPE_DHCP, agentFromRow, isAlive, type AgentRow } from '../plugins/agents.js';

export interface DhcpSchedulerOptions {
  /** [DEFAULT] dhcp_agents_per_network */
  agentsPerNetwork: number;
  /** [DEFAULT] agent_down_time (s) */
  agentDownTime: number;
  /** [DEFAULT] default_availability_zones: used when a network has no hints */
  defaultAvailabilityZones: readonly string[];
}

/** A DHCP agent bound to a network. */
export type HostingAgent = AgentRow & { network_id: string };

/** get_dhcp_agents_hosting_networks: the agents bound to these networks (optionally on these hosts). */
export async function dhcpAgentsHostingNetworks(q: Queryable, networkIds: string[], hosts?: string[] | null): Promise<HostingAgent[]> {
  const out: HostingAgent[] = [];
  await inChunks(networkIds, async (chunk) => {
    let qb = q.selectFrom('network_dhcp_agent_bindings as b').innerJoin('agents as a', 'a.id', 'b.dhcp_agent_id')
      .selectAll('a').select('b.network_id').where('b.network_id', 'in', chunk);
    if (hosts) qb = qb.where('a.host', 'in', hosts.length ? hosts : ['']);
    for (const r of await qb.orderBy('b.binding_index').execute()) out.push({ ...agentFromRow(r), network_id: r.network_id });
  });
  return out;
}

function azHints(network: { availability_zone_hints?: unknown }, opts: DhcpSchedulerOptions): string[] {
  const hints = Array.isArray(network.availability_zone_hints) ? network.availability_zone_hints as string[] : [];
  return hints.length ? hints : [...opts.defaultAvailabilityZones];
}

/** Binds the network to each agent at the lowest free binding index; false when none is left. */
async function bind(tx: Tx, networkId: string, agent: AgentRow, opts: DhcpSchedulerOptions): Promise<boolean> {
  const dhcpAgents = await tx.selectFrom('agents').select((eb) => eb.fn.countAll().as('n')).where('agent_type', '=', AGENT_TYPE_DHCP).executeTakeFirst();
  const slots = Math.min(Number(dhcpAgents?.n ?? 0), opts.agentsPerNetwork);
  const used = new Set((await tx.selectFrom('network_dhcp_agent_bindings').select('binding_index')
    .where('network_id', '=', networkId).execute()).map((r) => Number(r.binding_index)));
  let index = 1;
  while (used.has(index)) index++;
  if (index > slots) return false;
  await tx.insertInto('network_dhcp_agent_bindings').values({ network_id: networkId, dhcp_agent_id: agent.id, binding_index: index }).execute();
  return true;
}

/**
 * schedule_network: binds the network to as many more alive, admin-up DHCP agents (least loaded
 * first, in its availability zones) as dhcp_agents_per_network asks. Returns the agents it added.
 */
export async function scheduleNetwork(db: Database, networkId: string, opts: DhcpSchedulerOptions): Promise<AgentRow[]> {
  // most calls find the network hosted or no agent to add: decide that without a write transaction
  if (!(await db.read((q) => candidates(q, networkId, opts))).length) return [];
  return db.write(async (tx) => {
    const chosen: AgentRow[] = [];
    for (const agent of await candidates(tx, networkId, opts)) {
      if (await bind(tx, networkId, agent, opts)) chosen.push(agent);
    }
    return chosen;
  });
}

/** The agents that should take the network now: alive, admin-up, in its zones, least loaded first. */
async function candidates(q: Queryable, networkId: string, opts: DhcpSchedulerOptions): Promise<AgentRow[]> {
  const hosted = await dhcpAgentsHostingNetworks(q, [networkId]);
  const needed = opts.agentsPerNetwork - hosted.length;
  if (needed <= 0) return [];
  const network = await q.selectFrom('networks').select('availability_zone_hints').where('id', '=', networkId).executeTakeFirst();
  if (!network) return [];
  const hints = azHints({ availability_zone_hints: JSON.parse(network.availability_zone_hints || '[]') }, opts);
  let qb = q.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE_DHCP).where('admin_state_up', '=', 1);
  if (hints.length) qb = qb.where('availability_zone', 'in', hints);
  const hostedIds = new Set(hosted.map((a) => a.id));
  return (await qb.execute()).map(agentFromRow)
    .filter((a) => !hostedIds.has(a.id) && isAlive(a.heartbeat_timestamp, opts.agentDownTime))
    .sort((a, b) => a.load - b.load)
    .slice(0, needed);
}

/**
 * auto_schedule_networks: gives the DHCP agent on `host` (if alive and admin-up) the networks with
 * DHCP-enabled subnets that still lack agents. Returns the ids of the networks it was given.
 */
export async function autoScheduleNetworks(db: Database, host: string, opts: DhcpSchedulerOptions): Promise<string[]> {
  return db.write(async (tx) => {
    const row = await tx.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE_DHCP).where('host', '=', host).executeTakeFirst();
    if (!row) return [];
    const agent = agentFromRow(row);
    if (!agent.admin_state_up || !isAlive(agent.heartbeat_timestamp, opts.agentDownTime)) return [];
    // routed networks (subnets on segments) are scheduled by segment-host mappings: not here
    const subnets = await tx.selectFrom('subnets').select(['network_id', 'segment_id']).where('enable_dhcp', '=', 1).execute();
    const plain = [...new Set(subnets.filter((s) => !s.segment_id).map((s) => s.network_id as string))];
    if (!plain.length) return [];
    const hosting = await dhcpAgentsHostingNetworks(tx, plain);
    const networks = new Map<string, string[]>();
    await inChunks(plain, async (chunk) => {
      for (const n of await tx.selectFrom('networks').select(['id', 'availability_zone_hints']).where('id', 'in', chunk).execute()) {
        networks.set(n.id, JSON.parse(n.availability_zone_hints || '[]'));
      }
    });
    const added: string[] = [];
    for (const [networkId, hintsOfNet] of networks) {
      const agents = hosting.filter((a) => a.network_id === networkId);
      if (agents.length >= opts.agentsPerNetwork || agents.some((a) => a.id === agent.id)) continue;
      const hints = azHints({ availability_zone_hints: hintsOfNet }, opts);
      if (hints.length && !hints.includes(agent.availability_zone ?? '')) continue;
      if (await bind(tx, networkId, agent, opts)) added.push(networkId);
    }
    return added;
  });
}

/**
 * list_active_networks_on_active_dhcp_agent: ids of the admin-up networks bound to the DHCP agent
 * on `host`; none if that agent is unknown or admin-down.
 */
export async function activeNetworksOnDhcpAgent(q: Queryable, host: string): Promise<string[]> {
  const agent = await q.selectFrom('agents').select(['id', 'admin_state_up']).where('agent_type', '=', AGENT_TYPE_DHCP).where('host', '=', host).executeTakeFirst();
  if (!agent || !(agent.admin_state_up === true || Number(agent.admin_state_up) === 1)) return [];
  const rows = await q.selectFrom('network_dhcp_agent_bindings as b').innerJoin('networks as n', 'n.id', 'b.network_id')
    .select('n.id').where('b.dhcp_agent_id', '=', agent.id).where('n.admin_state_up', '=', 1).orderBy('n.id').execute();
  return rows.map((r) => r.id as string);
}
