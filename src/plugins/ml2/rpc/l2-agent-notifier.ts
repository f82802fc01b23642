/**
 * Server → L2 agents (ML2's AgentNotifierApi, version 1.0): fanout casts on
 * `q-agent-notifier-<resource>-<event>` (exchange `<topic>_fanout`), heard by every Linux bridge,
 * SR-IOV and macvtap agent; the OVS agent listens to the tunnel ones.
 */
import type { RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import { RpcClient } from '../../../rpc/client.js';
import type { Transport } from '../../../rpc/transport.js';

export const AGENT_TOPIC = 'q-agent-notifier';

/** neutron_lib.agent.topics.get_topic_name */
export function topicName(prefix: string, table: string, operation: string): string {
  return `${prefix}-${table}-${operation}`;
}

/** A bound segment as the agents see it. */
export interface SegmentInfo {
  network_type: string;
  segmentation_id: number | null;
  physical_network: string | null;
}

export class L2AgentNotifier {
  private readonly client: RpcClient;

  constructor(transport: Transport) {
    this.client = new RpcClient(transport, { topic: AGENT_TOPIC, version: '1.0' });
  }

  private fanout(ctx: RequestContext, table: string, op: string, method: string, args: Item, version?: string): Promise<void> {
    return this.client.prepare({ topic: topicName(AGENT_TOPIC, table, op), fanout: true, ...(version ? { version } : {}) }).cast(ctx, method, args);
  }

  portUpdate(ctx: RequestContext, port: Item, segment: SegmentInfo): Promise<void> {
    return this.fanout(ctx, 'port', 'update', 'port_update', {
      port, network_type: segment.network_type, segmentation_id: segment.segmentation_id, physical_network: segment.physical_network,
    });
  }

  portDelete(ctx: RequestContext, portId: string): Promise<void> {
    return this.fanout(ctx, 'port', 'delete', 'port_delete', { port_id: portId });
  }

  networkUpdate(ctx: RequestContext, network: Item): Promise<void> {
    return this.fanout(ctx, 'network', 'update', 'network_update', { network }, '1.4');
  }

  networkDelete(ctx: RequestContext, networkId: string): Promise<void> {
    return this.fanout(ctx, 'network', 'delete', 'network_delete', { network_id: networkId });
  }

  tunnelUpdate(ctx: RequestContext, tunnelIp: string, tunnelType: string): Promise<void> {
    return this.fanout(ctx, 'tunnel', 'update', 'tunnel_update', { tunnel_ip: tunnelIp, tunnel_type: tunnelType });
  }

  tunnelDelete(ctx: RequestContext, tunnelIp: string, tunnelType: string): Promise<void> {
    return this.fanout(ctx, 'tunnel', 'delete', 'tunnel_delete', { tunnel_ip: tunnelIp, tunnel_type: tunnelType });
  }

  /** binding-extended: the port's binding on `host` is no longer the active one (live migration) */
  bindingDeactivate(ctx: RequestContext, portId: string, host: string, networkId: string): Promise<void> {
    return this.fanout(ctx, 'port_binding', 'deactivate', 'binding_deactivate', { port_id: portId, host, network_id: networkId }, '1.5');
  }

  /** binding-extended: the port's binding on `host` became the active one */
  bindingActivate(ctx: RequestContext, portId: string, host: string): Promise<void> {
    return this.fanout(ctx, 'port_binding', 'activate', 'binding_activate', { port_id: portId, host }, '1.5');
  }

  securityGroupsRuleUpdated(ctx: RequestContext, securityGroups: string[]): Promise<void> {
    if (!securityGroups.length) return Promise.resolve();
    return this.fanout(ctx, 'security_group', 'update', 'security_groups_rule_updated', { security_groups: securityGroups }, '1.1');
  }

  securityGroupsMemberUpdated(ctx: RequestContext, securityGroups: string[]): Promise<void> {
    if (!securityGroups.length) return Promise.resolve();
    return this.fanout(ctx, 'security_group', 'update', 'security_groups_member_updated', { security_groups: securityGroups }, '1.1');
  }
}
