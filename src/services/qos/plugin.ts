import type { ResourceHandler } from '../../registry/handler.js';
import type { WriteEvent, WriteOperation } from '../../registry/events.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { subscribeQosBindings } from './bindings.js';
import { createQosPolicyResource, registerQosRbacType } from './policies.js';
import { createRuleTypeResource, qosDriversFor } from './rule-types.js';
import { createQosRuleResources, RULE_TYPES } from './rules.js';
import { subscribeGatewayPolicy } from './gateway.js';
import { extendResourceRequest } from './resource-request.js';
import { QosPolicyValidator } from './validation.js';

/**
 * Neutron's `qos` service plugin (QoSPlugin): policies shared through RBAC, their rules, the rule
 * types the loaded mechanism drivers support, and (as ML2's `qos` extension driver) the policies
 * of networks and ports.
 */
export class QosPlugin implements Plugin {
  readonly name = 'qos';
  readonly supportedExtensionAliases: readonly string[] = [
    'qos', 'qos-bw-limit-direction', 'qos-default', 'qos-rule-type-details', 'qos-rule-type-filter', 'qos-bw-minimum-ingress',
    'qos-rules-alias', 'qos-port-network-policy', 'qos-pps', 'qos-pps-minimum', 'qos-pps-minimum-rule-alias',
    // Neutron's L3 plugin serves these when qos is loaded; without routers they are not loaded (they require router)
    'qos-fip', 'qos-gateway-ip',
    'port-resource-request', 'port-resource-request-groups',
  ];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, config } = ctx;
    const drivers = qosDriversFor(config.ml2.mechanism_drivers);
    const validator = new QosPolicyValidator(drivers);
    if (!config.ml2.extension_drivers.includes('qos') && ctx.role === 'api') {
      ctx.log.warn('the qos service plugin is loaded without [ml2] extension_drivers = qos: qos_policy_id of networks and ports is served anyway');
    }
    registerQosRbacType(ctx.rbac);
    subscribeQosBindings(ctx.events, validator);
    extendResourceRequest(ctx.events);
    if (api.hasExtension('qos-gateway-ip')) subscribeGatewayPolicy(ctx.events);
    this.pushPolicies(ctx);
    return {
      policies: createQosPolicyResource(ctx, api),
      rule_types: createRuleTypeResource(drivers),
      ...createQosRuleResources(ctx, api, validator),
    };
  }

  /**
   * The QoS RPC driver's pushes (QosServiceDriverManager.call): a policy updated, a rule of it
   * written, or a policy deleted goes to the L2 agents' QoS extension as a QosPolicy object
   * (a new policy has no rules: it is not pushed).
   */
  private pushPolicies(ctx: PluginContext): void {
    const rpc = (ctx.plugins.get('ml2') as Ml2Plugin | undefined)?.rpc;
    if (!rpc) return;
    const push = (event: WriteEvent, op: WriteOperation, id: string) => {
      rpc.pushObjectChange(event.context, 'QosPolicy', op, id).catch((err) => ctx.log.error({ err }, 'QosPolicy push failed'));
    };
    ctx.events.subscribe('policy', 'after_update', (e) => push(e, 'update', e.current.id as string));
    ctx.events.subscribe('policy', 'after_delete', (e) => push(e, 'delete', e.current.id as string));
    for (const type of RULE_TYPES) {
      for (const op of ['create', 'update', 'delete'] as const) {
        for (const resource of [`${type}_rule`, `alias_${type}_rule`]) {
          ctx.events.subscribe(resource, `after_${op}`, (e) => push(e, 'update', e.current.qos_policy_id as string));
        }
      }
    }
  }
}
