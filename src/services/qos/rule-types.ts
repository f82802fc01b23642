import { HTTPNotFound, NotAuthorized } from '../../lib/errors.js';
import type { Item } from '../../lib/definitions.js';
import { filterQuery, readOnlyHandler, type ListQuery, type ResourceHandler } from '../../registry/handler.js';
import type { QosDriver } from './drivers/driver.js';
import { linuxbridgeQosDriver } from './drivers/linuxbridge.js';
import { openvswitchQosDriver } from './drivers/openvswitch.js';
import { RULE_TYPES } from './rules.js';

/** The QoS drivers of the mechanism drivers neutron-ts knows, by [ml2] mechanism_drivers name. */
const QOS_DRIVERS: Record<string, QosDriver> = { openvswitch: openvswitchQosDriver, linuxbridge: linuxbridgeQosDriver };

export function qosDriversFor(mechanismDrivers: readonly string[]): QosDriver[] {
  return mechanismDrivers.map((name) => QOS_DRIVERS[name]).filter((d): d is QosDriver => !!d);
}

/**
 * The QoS driver manager's supported_rule_types: the rule types every loaded driver supports,
 * any driver supports (all_supported), or all there are (all_rules).
 */
export function supportedRuleTypes(drivers: readonly QosDriver[], query: ListQuery = filterQuery()): string[] {
  const flag = (name: string) => query.filters.get(name)?.some((v) => v === true) ?? false;
  if (flag('all_rules')) return [...RULE_TYPES];
  if (!drivers.length) return [];
  if (flag('all_supported')) return RULE_TYPES.filter((t) => drivers.some((d) => t in d.supportedRules));
  return RULE_TYPES.filter((t) => drivers.every((d) => t in d.supportedRules));
}

/** supported_rule_type_details: each driver that supports the type, with its parameters. */
function ruleTypeDetails(drivers: readonly QosDriver[], type: string): Item[] {
  return drivers.filter((d) => type in d.supportedRules).map((d) => ({
    name: d.name,
    supported_parameters: Object.entries(d.supportedRules[type]!).map(([name, values]) => ('type:range' in values
      ? { parameter_name: name, parameter_values: { start: values['type:range'][0], end: values['type:range'][1] }, parameter_type: 'range' }
      : { parameter_name: name, parameter_values: values['type:values'], parameter_type: 'choices' })),
  }));
}

/** /v2.0/qos/rule-types: read-only, computed from the loaded mechanism drivers. */
export function createRuleTypeResource(drivers: readonly QosDriver[]): ResourceHandler {
  return readOnlyHandler({
    list: async (_ctx, query) => supportedRuleTypes(drivers, query).map((type) => ({ type })),
    get: async (ctx, type) => {
      // QoSPlugin.get_rule_type answers admins only, whatever the policy says
      if (!ctx.isAdmin) throw new NotAuthorized();
      if (!(RULE_TYPES as readonly string[]).includes(type)) throw new HTTPNotFound();
      return { type, drivers: ruleTypeDetails(drivers, type) };
    },
  });
}
