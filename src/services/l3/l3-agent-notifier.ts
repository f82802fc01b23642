/**
 * Server → L3 agents (Neutron's L3AgentNotifyAPI, topic l3_agent, version 1.0): routers_updated
 * cast to `l3_agent.<host>` of each agent hosting the router, router_deleted as a fanout,
 * router_added_to_agent as a call to a newly chosen agent. Called after the commit, never in it.
 */
import type { RequestContext } from '../../lib/context.js';
import { RpcClient } from '../../rpc/client.js';
import type { Transport } from '../../rpc/transport.js';

export const L3_AGENT_TOPIC = 'l3_agent';

export class L3AgentNotifier {
  private readonly client: RpcClient;

  constructor(transport: Transport) {
    this.client = new RpcClient(transport, { topic: L3_AGENT_TOPIC, version: '1.0' });
  }

  routersUpdated(ctx: RequestContext, host: string, routerIds: string[]): Promise<void> {
    return this.client.prepare({ server: host }).cast(ctx, 'routers_updated', { routers: routerIds });
  }

  routerDeleted(ctx: RequestContext, routerId: string): Promise<void> {
    return this.client.prepare({ fanout: true }).cast(ctx, 'router_deleted', { router_id: routerId });
  }

  async routerAddedToAgent(ctx: RequestContext, host: string, routerIds: string[]): Promise<void> {
    // a call, as Neutron makes it, so that the agent has the router before routers_updated
    await this.client.prepare({ server: host }).call(ctx, 'router_added_to_agent', { payload: routerIds });
  }

  routerRemovedFromAgent(ctx: RequestContext, host: string, routerId: string): Promise<void> {
    return this.client.prepare({ server: host }).cast(ctx, 'router_removed_from_agent', { payload: { router_id: routerId } });
  }
}
