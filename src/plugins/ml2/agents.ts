import { randomUUID } from 'node:crypto';
import type { Selectable, Updateable } from 'kysely';
import type { Item } from '../../lib/definitions.js';
import { AgentNotFound, AvailabilityZoneNotFound } from '../../lib/errors.js';
import { noteChange } from '../../db/changes.js';
import type { Database } from '../../db/database.js';
import type { AgentsTable, Queryable } from '../../db/schema.js';
import { readOnlyHandler, type ResourceHandler } from '../../registry/handler.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import type { ApiModel } from '../../api/model.js';

export const AGENT_TYPE_DHCP = 'DHCP agent';
export const AGENT_TYPE_L3 = 'L3 agent';

/**
 * Agent times as Neutron shows them: str() of a database DATETIME in UTC, "2024-05-01 10:00:00".
 * The format sorts as text, which the `alive` filter relies on.
 */
export function agentTime(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function parseAgentTime(s: string): number {
  return Date.parse(`${s.replace(' ', 'T').replace(/Z$/, '')}Z`);
}

/** Whether an agent reported within agent_down_time seconds. */
export function isAlive(heartbeat: string | null | undefined, agentDownTime: number, now = Date.now()): boolean {
  return !!heartbeat && now - parseAgentTime(heartbeat) <= agentDownTime * 1000;
}

/** An agents row as the RPC side uses it: its flag a boolean, its JSON parsed. */
export interface AgentRow extends Pick<Selectable<AgentsTable>, 'id' | 'agent_type' | 'binary' | 'topic' | 'host' | 'availability_zone' | 'heartbeat_timestamp' | 'load'> {
  admin_state_up: boolean;
  configurations: Record<string, unknown>;
  resource_versions: Record<string, string> | null;
}

export function agentFromRow(r: Record<string, any>): AgentRow {
  return {
    id: r.id, agent_type: r.agent_type, binary: r.binary, topic: r.topic, host: r.host,
    availability_zone: r.availability_zone ?? null,
    admin_state_up: r.admin_state_up === true || Number(r.admin_state_up) === 1,
    heartbeat_timestamp: r.heartbeat_timestamp,
    configurations: r.configurations ? JSON.parse(r.configurations) : {},
    resource_versions: r.resource_versions ? JSON.parse(r.resource_versions) : null,
    load: Number(r.load ?? 0),
  };
}

export interface AgentOptions {
  /** [DEFAULT] agent_down_time (s) */
  agentDownTime: number;
  /** [DEFAULT] enable_new_agents */
  enableNewAgents: boolean;
  /** [DEFAULT] dhcp_load_type: the DHCP agent's configurations key that is its load */
  dhcpLoadType: string;
}

export type AgentStatus = 'new' | 'alive' | 'revived';

/**
 * agents_db.create_or_update_agent: the agent is found by (agent_type, host); a new one is
 * "new", one whose last heartbeat is older than agent_down_time "revived", else "alive".
 */
export async function createOrUpdateAgent(db: Database, state: Record<string, any>, opts: AgentOptions): Promise<{ status: AgentStatus; agent: AgentRow }> {
  for (const k of ['agent_type', 'binary', 'host', 'topic']) {
    if (typeof state[k] !== 'string') throw new TypeError(`agent_state lacks ${k}`);
  }
  const configurations = state.configurations && typeof state.configurations === 'object' ? state.configurations : {};
  const load = state.agent_type === AGENT_TYPE_DHCP ? Math.trunc(Number(configurations[opts.dhcpLoadType] ?? 0)) || 0 : 0;
  const res: Updateable<AgentsTable> & Pick<AgentsTable, 'agent_type' | 'binary' | 'host' | 'topic' | 'configurations'> = {
    agent_type: state.agent_type, binary: state.binary, host: state.host, topic: state.topic,
    configurations: JSON.stringify(configurations), load,
  };
  if ('availability_zone' in state) res.availability_zone = state.availability_zone ?? null;
  const versions = state.resource_versions;
  if (versions && typeof versions === 'object' && Object.keys(versions).length) res.resource_versions = JSON.stringify(versions);
  return db.write(async (tx) => {
    const now = agentTime();
    const existing = await tx.selectFrom('agents').selectAll()
      .where('agent_type', '=', state.agent_type).where('host', '=', state.host).executeTakeFirst();
    if (existing) {
      const status: AgentStatus = isAlive(existing.heartbeat_timestamp, opts.agentDownTime) ? 'alive' : 'revived';
      const set = { ...res, heartbeat_timestamp: now, ...(state.start_flag ? { started_at: now } : {}) };
      await tx.updateTable('agents').set(set).where('id', '=', existing.id).execute();
      return { status, agent: agentFromRow({ ...existing, ...set }) };
    }
    // a concurrent first report of the same agent fails the unique key and the transaction runs again
    const row = {
      id: randomUUID(), ...res, created_at: now, started_at: now, heartbeat_timestamp: now,
      admin_state_up: opts.enableNewAgents ? 1 : 0,
    };
    await tx.insertInto('agents').values(row).execute();
    noteChange(tx, 'agents', row.id, 'created');
    return { status: 'new', agent: agentFromRow(row) };
  });
}

export async function getAgentByTypeAndHost(q: Queryable, agentType: string, host: string): Promise<AgentRow | null> {
  const r = await q.selectFrom('agents').selectAll().where('agent_type', '=', agentType).where('host', '=', host).executeTakeFirst();
  return r ? agentFromRow(r) : null;
}

/** /v2.0/agents: rows written by report_state; the API lists, shows, updates and deletes them. */
export function createAgentResource(store: Store, api: ApiModel, agentDownTime: number): SqlResource {
  return new SqlResource(store, api.resources.get('agents')!, {
    notFound: (id) => new AgentNotFound({ id }),
    filters: {
      alive: (qb, values) => {
        const want = values.map(Boolean);
        if (want.includes(true) && want.includes(false)) return qb;
        const cutoff = agentTime(new Date(Date.now() - agentDownTime * 1000));
        return qb.where('agents.heartbeat_timestamp', want[0] ? '>=' : '<', cutoff);
      },
    },
    async extend(_q, items) {
      for (const a of items) a.alive = isAlive(a.heartbeat_timestamp as string, agentDownTime);
    },
    unsupported: ['create'],
  });
}

const AZ_RESOURCE: Record<string, string> = { 'DHCP agent': 'network', 'L3 agent': 'router' };

/**
 * Neutron's validate_availability_zones: every hint of a network (router) must be the zone of some
 * DHCP (L3) agent, whatever its state; else AvailabilityZoneNotFound for one missing.
 */
export async function checkAvailabilityZones(q: Queryable, resource: 'network' | 'router', hints: unknown): Promise<void> {
  if (!Array.isArray(hints) || !hints.length) return;
  const agentType = Object.keys(AZ_RESOURCE).find((t) => AZ_RESOURCE[t] === resource)!;
  const rows = await q.selectFrom('agents').select('availability_zone').where('agent_type', '=', agentType)
    .where('availability_zone', 'in', hints as string[]).execute();
  const known = new Set(rows.map((r) => r.availability_zone));
  const missing = (hints as string[]).find((h) => !known.has(h));
  if (missing !== undefined) throw new AvailabilityZoneNotFound({ availability_zone: missing });
}

/** /v2.0/availability_zones: the zones of the DHCP and L3 agents, available while one is up. */
export function createAvailabilityZoneResource(db: Database): ResourceHandler {
  return readOnlyHandler({
    list: (_ctx, query) => db.read(async (q) => {
      const rows = await q.selectFrom('agents').select(['availability_zone', 'agent_type', 'admin_state_up'])
        .where('availability_zone', 'is not', null).where('agent_type', 'in', Object.keys(AZ_RESOURCE)).execute();
      const byKey = new Map<string, Item>();
      for (const r of rows) {
        const key = `${r.availability_zone}/${AZ_RESOURCE[r.agent_type]}`;
        const zone = byKey.get(key) ?? { name: r.availability_zone, resource: AZ_RESOURCE[r.agent_type], state: 'unavailable' };
        if (r.admin_state_up === true || r.admin_state_up === 1) zone.state = 'available';
        byKey.set(key, zone);
      }
      return [...byKey.values()].filter((z) => [...query.filters].every(([k, vs]) => vs.includes(z[k])));
    }),
  });
}
