/**
 * Which L3 agent hosts a router (Neutron's LeastRoutersScheduler and the l3_agentschedulers_db
 * queries around it). Bindings live in router_l3_agent_bindings; its unique (router_id,
 * binding_index) key keeps concurrent schedulers in several processes from binding a router
 * twice: the loser's transaction fails on it, runs again and finds the router hosted.
 */
import { DEVICE_OWNER_ROUTER_GW } from '../../lib/constants.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/schema.js';
import { AGENT_TYPE_L3, agentFromRow, isAlive, type AgentRow } from '../../plugins/ml2/agents.js';

export interface L3SchedulerOptions {
  /** [DEFAULT] agent_down_time (s) */
  agentDownTime: number;
}

export type RouterAgent = AgentRow & { router_id: string };

/** The L3 agents bound to these routers. */
export async function l3AgentsHostingRouters(q: Queryable, routerIds: string[]): Promise<RouterAgent[]> {
  const out: RouterAgent[] = [];
  await inChunks(routerIds, async (chunk) => {
    const rows = await q.selectFrom('router_l3_agent_bindings as b').innerJoin('agents as a', 'a.id', 'b.l3_agent_id')
      .selectAll('a').select('b.router_id').where('b.router_id', 'in', chunk).orderBy('b.binding_index').execute();
    for (const r of rows) out.push({ ...agentFromRow(r), router_id: r.router_id });
  });
  return out;
}

/** The routers bound to the L3 agent of `host`, and that agent. */
export async function routersOnHost(q: Queryable, host: string): Promise<{ agent: AgentRow | null; routerIds: string[] }> {
  const row = await q.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE_L3).where('host', '=', host).executeTakeFirst();
  if (!row) return { agent: null, routerIds: [] };
  const bindings = await q.selectFrom('router_l3_agent_bindings').select('router_id').where('l3_agent_id', '=', row.id).execute();
  return { agent: agentFromRow(row), routerIds: bindings.map((b) => b.router_id) };
}

/**
 * An agent that may host the router (get_l3_agent_candidates): alive, admin up, in legacy or
 * dvr_snat mode, willing to take internal-only routers when the router has no gateway, and with
 * no other external network configured than the router's.
 */
function eligible(agent: AgentRow, router: { gatewayNetwork: string | null }, opts: L3SchedulerOptions): boolean {
  if (!agent.admin_state_up || !isAlive(agent.heartbeat_timestamp, opts.agentDownTime)) return false;
  const conf = agent.configurations;
  const mode = (conf.agent_mode as string | undefined) ?? 'legacy';
  if (mode !== 'legacy' && mode !== 'dvr_snat') return false;
  if (!router.gatewayNetwork) return conf.handle_internal_only_routers !== false;
  const external = conf.gateway_external_network_id as string | undefined;
  return !external || external === router.gatewayNetwork;
}

async function gatewayNetworks(q: Queryable, routerIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await inChunks(routerIds, async (chunk) => {
    const rows = await q.selectFrom('ports').select(['device_id', 'network_id'])
      .where('device_id', 'in', chunk).where('device_owner', '=', DEVICE_OWNER_ROUTER_GW).execute();
    for (const r of rows) out.set(r.device_id, r.network_id);
  });
  return out;
}

/**
 * schedule_routers: binds each unhosted, admin-up router to the eligible L3 agent that hosts the
 * fewest routers. Returns the new bindings, for router_added_to_agent.
 */
export async function scheduleRouters(db: Database, routerIds: string[], opts: L3SchedulerOptions): Promise<Array<{ routerId: string; agent: AgentRow }>> {
  // most calls find the routers hosted (or no agent at all): decide that with reads first
  const todo = await db.read(async (q) => {
    const hosted = new Set((await l3AgentsHostingRouters(q, routerIds)).map((a) => a.router_id));
    const unhosted: string[] = [];
    await inChunks(routerIds.filter((id) => !hosted.has(id)), async (chunk) => {
      const rows = await q.selectFrom('routers').select('id').where('id', 'in', chunk).where('admin_state_up', '=', 1).execute();
      unhosted.push(...rows.map((r) => r.id));
    });
    if (!unhosted.length) return [];
    const agents = await q.selectFrom('agents').select('id').where('agent_type', '=', AGENT_TYPE_L3).limit(1).execute();
    return agents.length ? unhosted : [];
  });
  const added: Array<{ routerId: string; agent: AgentRow }> = [];
  for (const routerId of todo) {
    const agent = await db.write(async (tx) => {
      if (await tx.selectFrom('router_l3_agent_bindings').select('router_id').where('router_id', '=', routerId).executeTakeFirst()) return null;
      if (!(await tx.selectFrom('routers').select('id').where('id', '=', routerId).executeTakeFirst())) return null;
      const gw = (await gatewayNetworks(tx, [routerId])).get(routerId) ?? null;
      const agents = (await tx.selectFrom('agents').selectAll().where('agent_type', '=', AGENT_TYPE_L3).execute())
        .map(agentFromRow).filter((a) => eligible(a, { gatewayNetwork: gw }, opts));
      if (!agents.length) return null;
      const load = new Map<string, number>();
      for (const r of await tx.selectFrom('router_l3_agent_bindings').select('l3_agent_id').where('l3_agent_id', 'in', agents.map((a) => a.id)).execute()) {
        load.set(r.l3_agent_id, (load.get(r.l3_agent_id) ?? 0) + 1);
      }
      const chosen = agents.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.host.localeCompare(b.host))[0]!;
      await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: chosen.id, binding_index: 1 }).execute();
      return chosen;
    });
    if (agent) added.push({ routerId, agent });
  }
  return added;
}

/** auto_schedule_routers: the unhosted routers an agent (of `host`) may take, bound to it. */
export async function autoScheduleRouters(db: Database, host: string, opts: L3SchedulerOptions): Promise<string[]> {
  const candidates = await db.read(async (q) => {
    const { agent } = await routersOnHost(q, host);
    if (!agent) return { agent: null, routers: [] as string[] };
    const rows = await q.selectFrom('routers').select('id').where('admin_state_up', '=', 1)
      .where('id', 'not in', q.selectFrom('router_l3_agent_bindings').select('router_id')).execute();
    const gws = await gatewayNetworks(q, rows.map((r) => r.id));
    return { agent, routers: rows.map((r) => r.id).filter((id) => eligible(agent, { gatewayNetwork: gws.get(id) ?? null }, opts)) };
  });
  if (!candidates.agent) return [];
  const added: string[] = [];
  for (const routerId of candidates.routers) {
    const bound = await db.write(async (tx) => {
      if (await tx.selectFrom('router_l3_agent_bindings').select('router_id').where('router_id', '=', routerId).executeTakeFirst()) return false;
      await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: candidates.agent!.id, binding_index: 1 }).execute();
      return true;
    });
    if (bound) added.push(routerId);
  }
  return added;
}
