/**
 * Which DHCP agents serve a network (Neutron's WeightScheduler with its DhcpFilter, and the
 * agentschedulers_db queries around it). Bindings live in network_dhcp_agent_bindings; the unique
 * (network_id, binding_index) key, with indexes 1..dhcp_agents_per_network, is what keeps
 * concurrent schedulers in several processes from binding too many agents: the loser's
 * transaction fails on it and runs again, and then finds the network hosted.
 */
import { createHash } from 'node:crypto';
import { NetworkHostedByDHCPAgent, NetworkNotFound, NetworkNotHostedByDhcpAgent } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { bumpRevision } from '../../registry/revisions.js';
import { AGENT_TYPE_DHCP, agentFromRow, agentTime, isAlive, type AgentRow } from './agents.js';

export interface DhcpSchedulerOptions {
  /** [DEFAULT] dhcp_agents_per_network */
  agentsPerNetwork: number;
  /** [DEFAULT] agent_down_time (s) */
  agentDownTime: number;
  /** [DEFAULT] default_availability_zones: used when a network has no hints */
  defaultAvailabilityZones: readonly string[];
}

const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
export const DEVICE_ID_RESERVED_DHCP_PORT = 'reserved_dhcp_port';

/** Python's uuid.uuid5(namespace, name). */
export function uuid5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** neutron.common.utils.get_dhcp_agent_device_id: the same on every server for a host's agent. */
export function dhcpAgentDeviceId(networkId: string, host: string): string {
  return `dhcp${uuid5(NAMESPACE_DNS, host.split('.')[0]!)}-${networkId}`;
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

/**
 * Binds the network to the agent at the lowest free binding index; false when none is left
 * (forced, as an admin's manual add, it takes the next index beyond dhcp_agents_per_network).
 */
async function bind(tx: Tx, networkId: string, agent: AgentRow, opts: DhcpSchedulerOptions, force = false): Promise<boolean> {
  const dhcpAgents = await tx.selectFrom('agents').select((eb) => eb.fn.countAll().as('n')).where('agent_type', '=', AGENT_TYPE_DHCP).executeTakeFirst();
  const slots = Math.min(Number(dhcpAgents?.n ?? 0), opts.agentsPerNetwork);
  const used = new Set((await tx.selectFrom('network_dhcp_agent_bindings').select('binding_index')
    .where('network_id', '=', networkId).execute()).map((r) => Number(r.binding_index)));
  let index = 1;
  while (used.has(index)) index++;
  if (index > slots && !force) return false;
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

/**
 * remove_networks_from_down_agents (allow_automatic_dhcp_failover): the networks of admin-up DHCP
 * agents silent for twice agent_down_time go to alive agents. Nothing moves while no agent is
 * alive. Returns each moved network with the agents it was given.
 */
export async function rescheduleFromDownAgents(db: Database, opts: DhcpSchedulerOptions & { networkAutoSchedule: boolean }): Promise<Array<{ networkId: string; deadAgentId: string; added: AgentRow[] }>> {
  const deadLimit = opts.agentDownTime * 2;
  const cutoff = agentTime(new Date(Date.now() - deadLimit * 1000));
  const { down, anyAlive } = await db.read(async (q) => {
    const down = await q.selectFrom('network_dhcp_agent_bindings as b').innerJoin('agents as a', 'a.id', 'b.dhcp_agent_id')
      .select(['b.network_id', 'b.dhcp_agent_id']).where('a.agent_type', '=', AGENT_TYPE_DHCP).where('a.admin_state_up', '=', 1)
      .where('a.heartbeat_timestamp', '<', cutoff).execute();
    const agents = (await q.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE_DHCP).where('admin_state_up', '=', 1).execute()).map(agentFromRow);
    return { down, anyAlive: agents.some((a) => isAlive(a.heartbeat_timestamp, opts.agentDownTime)) };
  });
  if (!down.length || !anyAlive) return [];
  const moved = [];
  for (const b of down) {
    await db.write((tx) => unbind(tx, b.network_id, b.dhcp_agent_id));
    const added = opts.networkAutoSchedule ? await scheduleNetwork(db, b.network_id, opts) : [];
    moved.push({ networkId: b.network_id as string, deadAgentId: b.dhcp_agent_id as string, added });
  }
  return moved;
}

/**
 * Removes a network from a DHCP agent and reserves the agent's DHCP port on it (device_id
 * reserved_dhcp_port), so that the next agent adopts the port and its addresses. False when the
 * agent did not host the network.
 */
async function unbind(tx: Tx, networkId: string, agentId: string): Promise<boolean> {
  const agent = await tx.selectFrom('agents').select('host').where('id', '=', agentId).executeTakeFirst();
  const r = await tx.deleteFrom('network_dhcp_agent_bindings').where('network_id', '=', networkId).where('dhcp_agent_id', '=', agentId).executeTakeFirst();
  if (!Number(r.numDeletedRows)) return false;
  if (agent) {
    const ports = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId)
      .where('device_id', '=', dhcpAgentDeviceId(networkId, agent.host)).execute();
    for (const p of ports) await bumpRevision(tx, 'ports', p.id, { device_id: DEVICE_ID_RESERVED_DHCP_PORT });
  }
  return true;
}

/** add_network_to_dhcp_agent (an admin's manual scheduling): the agent must be a usable DHCP agent. */
export async function addNetworkToDhcpAgent(db: Database, agent: AgentRow, networkId: string, opts: DhcpSchedulerOptions): Promise<void> {
  await db.write(async (tx) => {
    if (!(await tx.selectFrom('networks').select('id').where('id', '=', networkId).executeTakeFirst())) throw new NetworkNotFound({ net_id: networkId });
    const hosting = await dhcpAgentsHostingNetworks(tx, [networkId]);
    if (hosting.some((a) => a.id === agent.id)) throw new NetworkHostedByDHCPAgent({ network_id: networkId, agent_id: agent.id });
    await bind(tx, networkId, agent, opts, true);
  });
}

/** remove_network_from_dhcp_agent */
export async function removeNetworkFromDhcpAgent(db: Database, agent: AgentRow, networkId: string): Promise<void> {
  const removed = await db.write((tx) => unbind(tx, networkId, agent.id));
  if (!removed) throw new NetworkNotHostedByDhcpAgent({ network_id: networkId, agent_id: agent.id });
}
