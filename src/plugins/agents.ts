import type { RequestContext } from '../auth/context.js';
import type { ResourceHandler } from '../api/controller.js';
import type { Item } from '../api/body.js';
import { HTTPMethodNotAllowed, HTTPNotFound, NeutronError } from '../api/errors.js';
import type { ApiModel } from '../api/registry.js';
import type { ListQuery } from '../api/query.js';
import type { Database, Queryable } from '../db/database.js';
import { SqlResource } from '../db/resource.js';

export class AgentNotFound extends NeutronError {
  constructor(id: string) { super('AgentNotFound', 404, `Agent ${id} could not be found.`); }
}

/** Whether an agent reported within agent_down_time seconds. */
export function isAlive(heartbeat: string | null | undefined, agentDownTime: number, now = Date.now()): boolean {
  return !!heartbeat && now - Date.parse(heartbeat) <= agentDownTime * 1000;
}

/** /v2.0/agents: rows written by report_state; the API lists, shows, updates and deletes them. */
export function createAgentResource(db: Database, api: ApiModel, agentDownTime: number): ResourceHandler {
  const resource = new SqlResource(db, api.resources.get('agents')!, {
    filters: {
      alive: (qb, values) => {
        const want = values.map(Boolean);
        if (want.includes(true) && want.includes(false)) return qb;
        const cutoff = new Date(Date.now() - agentDownTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        return qb.where('agents.heartbeat_timestamp', want[0] ? '>=' : '<', cutoff);
      },
    },
    async extend(_q, items) {
      for (const a of items) a.alive = isAlive(a.heartbeat_timestamp as string, agentDownTime);
    },
  }, (id) => new AgentNotFound(id));
  return {
    list: (ctx, q) => resource.list(ctx, q),
    get: (ctx, id) => resource.get(ctx, id),
    create: async () => { throw new HTTPMethodNotAllowed(); },
    update: (ctx, id, changes, opts) => resource.update(ctx, id, changes, opts),
    delete: (ctx, id, opts) => resource.delete(ctx, id, opts),
  };
}

const AZ_RESOURCE: Record<string, string> = { 'DHCP agent': 'network', 'L3 agent': 'router' };

/** /v2.0/availability_zones: the zones of the DHCP and L3 agents, available while one is up. */
export function createAvailabilityZoneResource(db: Database): ResourceHandler {
  const zones = async (q: Queryable, query: ListQuery): Promise<Item[]> => {
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
  };
  return {
    list: (_ctx: RequestContext, q: ListQuery) => db.read((x) => zones(x, q)),
    get: async () => { throw new HTTPNotFound(); },
    create: async () => { throw new HTTPMethodNotAllowed(); },
    update: async () => { throw new HTTPMethodNotAllowed(); },
    delete: async () => { throw new HTTPMethodNotAllowed(); },
  };
}
