import type { ResourceHandler } from '../../registry/handler.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { subscribeQosBindings } from './bindings.js';
import { createQosPolicyResource } from './policies.js';
import { createRuleTypeResource, qosDriversFor } from './rule-types.js';
import { createQosRuleResources } from './rules.js';
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
    // Neutron's L3 plugin serves it when qos is loaded; without routers it is not loaded (it requires router)
    'qos-fip',
  ];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, config } = ctx;
    const drivers = qosDriversFor(config.ml2.mechanism_drivers);
    const validator = new QosPolicyValidator(drivers);
    if (!config.ml2.extension_drivers.includes('qos') && ctx.role === 'api') {
      ctx.log.warn('the qos service plugin is loaded without [ml2] extension_drivers = qos: qos_policy_id of networks and ports is served anyway');
    }
    subscribeQosBindings(ctx.events, validator);
    return {
      policies: createQosPolicyResource(ctx, api),
      rule_types: createRuleTypeResource(drivers),
      ...createQosRuleResources(ctx, api, validator),
    };
  }
}
