/**
 * The dhcp_agent_scheduler extension: /v2.0/agents/<id>/dhcp-networks (list, add, remove: admin
 * only) and /v2.0/networks/<id>/dhcp-agents. Adding casts network_create_end to the agent's host,
 * removing network_delete_end; the removed agent's DHCP port is kept, reserved for the next one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../lib/context.js';
import { HTTPBadRequest, InvalidDHCPAgent } from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import { type ResourceHandler, filterQuery } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import { parseJsonBody } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import { AGENT_TYPE_DHCP, agentFromRow } from './agents.js';
import { addNetworkToDhcpAgent, dhcpAgentsHostingNetworks, removeNetworkFromDhcpAgent, type DhcpSchedulerOptions } from './dhcp-agent-scheduler.js';
import type { DhcpAgentNotifier } from './rpc/dhcp-agent-notifier.js';

export interface DhcpSchedulerApiOptions extends DhcpSchedulerOptions {
  /** [DEFAULT] enable_services_on_agents_with_admin_state_down */
  notifyAdminDownAgents: boolean;
}

export function dhcpAgentSchedulerRoutes(db: Database, policy: Authorizer, networks: SqlResource, agents: ResourceHandler, notifier: DhcpAgentNotifier, opts: DhcpSchedulerApiOptions): SubRoutes {
  const ctxOf = (req: FastifyRequest) => req.neutronContext;
  const params = (req: FastifyRequest) => req.params as { id: string; network_id?: string };
  const enforce = (ctx: RequestContext, action: string) => policy.enforce(ctx, [action], {});
  const dhcpAgent = async (id: string, needUsable: boolean) => {
    const row = await db.read((q) => q.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst());
    const agent = row && row.agent_type === AGENT_TYPE_DHCP ? agentFromRow(row) : null;
    if (!agent || (needUsable && !agent.admin_state_up && !opts.notifyAdminDownAgents)) throw new InvalidDHCPAgent({ id });
    return agent;
  };

  return {
    '/agents/:id/dhcp-networks': {
      GET: async (req) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'get_dhcp-networks');
        const agent = await dhcpAgent(params(req).id, false);
        const ids = (await db.read((q) => q.selectFrom('network_dhcp_agent_bindings').select('network_id').where('dhcp_agent_id', '=', agent.id).execute())).map((r) => r.network_id);
        return { networks: ids.length ? await networks.list(ctx, filterQuery({ id: ids })) : [] };
      },
      POST: async (req, reply: FastifyReply) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'create_dhcp-network');
        const networkId = parseJsonBody(req.body as string | undefined)?.network_id;
        if (typeof networkId !== 'string') throw new HTTPBadRequest("Unable to find 'network_id' in request body");
        const agent = await dhcpAgent(params(req).id, true);
        await addNetworkToDhcpAgent(db, agent, networkId, opts);
        await notifier.networkAddedToAgent(ctx, networkId, agent.host);
        return reply.code(201).type('application/json').send('null');
      },
    },
    '/agents/:id/dhcp-networks/:network_id': {
      DELETE: async (req, reply: FastifyReply) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'delete_dhcp-network');
        const agent = await dhcpAgent(params(req).id, false);
        const networkId = params(req).network_id!;
        await removeNetworkFromDhcpAgent(db, agent, networkId);
        await notifier.networkRemovedFromAgent(ctx, networkId, agent.host);
        return reply.code(204).send();
      },
    },
    '/networks/:id/dhcp-agents': {
      GET: async (req) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'get_dhcp-agents');
        await networks.get(ctx, params(req).id);
        const hosting = await db.read((q) => dhcpAgentsHostingNetworks(q, [params(req).id]));
        return { agents: hosting.length ? await agents.list(ctx, filterQuery({ id: hosting.map((a) => a.id) })) : [] };
      },
    },
  };
}
