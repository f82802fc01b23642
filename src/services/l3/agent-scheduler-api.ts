import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../lib/context.js';
import { HTTPBadRequest, InvalidL3Agent, RouterHostedByL3Agent, RouterNotFound, RouterNotHostedByL3Agent } from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import { type ResourceHandler, filterQuery } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import { parseJsonBody } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import { AGENT_TYPE_L3, agentFromRow, isAlive } from '../../plugins/ml2/agents.js';
import { l3AgentsHostingRouters } from './l3-agent-scheduler.js';
import type { L3Rpc } from './rpc.js';

/**
 * The l3_agent_scheduler extension: /v2.0/agents/<id>/l3-routers (list, add, remove: admin only)
 * and /v2.0/routers/<id>/l3-agents. Adding calls router_added_to_agent on the agent's host;
 * removing casts router_removed_from_agent.
 */
export function l3AgentSchedulerRoutes(db: Database, policy: Authorizer, routers: SqlResource, agents: ResourceHandler, rpc: L3Rpc, agentDownTime: number): SubRoutes {
  const ctxOf = (req: FastifyRequest) => req.neutronContext;
  const params = (req: FastifyRequest) => req.params as { id: string; router_id?: string };
  const enforce = (ctx: RequestContext, action: string) => policy.enforce(ctx, [action], {});
  const l3Agent = async (id: string, needUsable: boolean) => {
    const row = await db.read((q) => q.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst());
    const agent = row && row.agent_type === AGENT_TYPE_L3 ? agentFromRow(row) : null;
    if (!agent || (needUsable && (!agent.admin_state_up || !isAlive(agent.heartbeat_timestamp, agentDownTime)))) throw new InvalidL3Agent({ id });
    return agent;
  };

  return {
    '/agents/:id/l3-routers': {
      GET: async (req) => {
        enforce(ctxOf(req), 'get_l3-routers');
        const agent = await l3Agent(params(req).id, false);
        const ids = (await db.read((q) => q.selectFrom('router_l3_agent_bindings').select('router_id').where('l3_agent_id', '=', agent.id).execute())).map((r) => r.router_id);
        return { routers: ids.length ? await routers.list(ctxOf(req), filterQuery({ id: ids })) : [] };
      },
      POST: async (req, reply: FastifyReply) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'create_l3-router');
        const body = parseJsonBody(req.body as string | undefined);
        const routerId = body?.router_id;
        if (typeof routerId !== 'string') throw new HTTPBadRequest("Unable to find 'router_id' in request body");
        const agent = await l3Agent(params(req).id, true);
        const added = await db.write(async (tx) => {
          if (!(await tx.selectFrom('routers').select('id').where('id', '=', routerId).executeTakeFirst())) throw new RouterNotFound({ router_id: routerId });
          const hosts = await l3AgentsHostingRouters(tx, [routerId]);
          if (hosts.some((h) => h.id === agent.id)) return false;
          if (hosts.length) throw new RouterHostedByL3Agent({ router_id: routerId, agent_id: hosts[0]!.id });
          await tx.insertInto('router_l3_agent_bindings').values({ router_id: routerId, l3_agent_id: agent.id, binding_index: 1 }).execute();
          return true;
        });
        if (added) await rpc.routerAddedToAgent(ctx, agent.host, [routerId]);
        return reply.code(201).type('application/json').send('null');
      },
    },
    '/agents/:id/l3-routers/:router_id': {
      DELETE: async (req, reply: FastifyReply) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'delete_l3-router');
        const agent = await l3Agent(params(req).id, false);
        const routerId = params(req).router_id!;
        const removed = await db.write(async (tx) => {
          const r = await tx.deleteFrom('router_l3_agent_bindings').where('router_id', '=', routerId).where('l3_agent_id', '=', agent.id).executeTakeFirst();
          return Number(r.numDeletedRows) > 0;
        });
        if (!removed) throw new RouterNotHostedByL3Agent({ router_id: routerId, agent_id: agent.id });
        await rpc.routerRemovedFromAgent(ctx, agent.host, routerId);
        return reply.code(204).send();
      },
    },
    '/routers/:id/l3-agents': {
      GET: async (req) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'get_l3-agents');
        await routers.get(ctx, params(req).id);
        const hosting = await db.read((q) => l3AgentsHostingRouters(q, [params(req).id]));
        return { agents: hosting.length ? await agents.list(ctx, filterQuery({ id: hosting.map((a) => a.id) })) : [] };
      },
    },
  };
}
