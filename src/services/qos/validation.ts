import { UNBOUND_VIF_TYPES } from '../../lib/constants.js';
import type { Item } from '../../lib/definitions.js';
import { QosRuleNotSupported, QosRuleNotSupportedByNetwork } from '../../lib/errors.js';
import type { Tx } from '../../db/schema.js';
import type { QosDriver } from './drivers/driver.js';
import { loadRules } from './rules.js';

/** vif types of a port no driver has bound: its vnic type decides instead (UNBOUND_VIF_TYPES) */

/** DriverBase.is_rule_supported: the driver has the rule type and accepts each parameter's value. */
function isRuleSupported(driver: QosDriver, rule: Item): boolean {
  const parameters = driver.supportedRules[rule.type as string];
  if (!parameters) return false;
  return Object.entries(parameters).every(([name, values]) => {
    const v = rule[name];
    if ('type:range' in values) return typeof v === 'number' && v >= values['type:range'][0] && v <= values['type:range'][1];
    return values['type:values'].includes(v as string | number);
  });
}

/**
 * The QoS driver manager's checks that a policy's rules can be applied where it is bound:
 * QosRuleNotSupported for a port, QosRuleNotSupportedByNetwork for a network.
 */
export class QosPolicyValidator {
  constructor(private readonly drivers: readonly QosDriver[]) {}

  /** OVSDriver.validate_rule_for_network: a minimum bandwidth needs a physnet on the network's first segment. */
  private async validForNetwork(tx: Tx, driver: QosDriver, rule: Item, networkId: string): Promise<boolean> {
    if (driver.name !== 'openvswitch' || rule.type !== 'minimum_bandwidth') return true;
    const first = await tx.selectFrom('network_segments').select('physical_network').where('network_id', '=', networkId)
      .orderBy('segment_index').limit(1).executeTakeFirst();
    return !!first?.physical_network;
  }

  async forPort(tx: Tx, policyId: string, port: Item): Promise<void> {
    const rules = (await loadRules(tx, [policyId])).get(policyId) ?? [];
    const vifType = (port['binding:vif_type'] as string | null | undefined) ?? 'unbound';
    const vnicType = (port['binding:vnic_type'] as string | null | undefined) ?? 'normal';
    for (const rule of rules) {
      let supported = false;
      for (const driver of this.drivers) {
        const compatible = UNBOUND_VIF_TYPES.includes(vifType) ? driver.vnicTypes.includes(vnicType) : driver.vifTypes.includes(vifType);
        if (compatible && isRuleSupported(driver, rule) && await this.validForNetwork(tx, driver, rule, port.network_id as string)) {
          supported = true;
          break;
        }
      }
      if (!supported) throw new QosRuleNotSupported({ rule_type: rule.type as string, port_id: port.id as string });
    }
  }

  async forNetwork(tx: Tx, policyId: string, networkId: string): Promise<void> {
    const rules = (await loadRules(tx, [policyId])).get(policyId) ?? [];
    for (const rule of rules) {
      let supported = false;
      for (const driver of this.drivers) {
        if (isRuleSupported(driver, rule) && await this.validForNetwork(tx, driver, rule, networkId)) {
          supported = true;
          break;
        }
      }
      if (!supported) throw new QosRuleNotSupportedByNetwork({ rule_type: rule.type as string, network_id: networkId });
    }
  }

  /** QoSPlugin.validate_policy: after a rule change, every port that uses the policy (its own, or its network's). */
  async forBoundObjects(tx: Tx, policyId: string): Promise<void> {
    const ownPolicy = tx.selectFrom('qos_port_policy_bindings').select('port_id');
    const ports = await this.ports(tx).where((eb) => eb.or([
      eb('ports.id', 'in', ownPolicy.where('policy_id', '=', policyId)),
      eb.and([
        eb('ports.network_id', 'in', tx.selectFrom('qos_network_policy_bindings').select('network_id').where('policy_id', '=', policyId)),
        eb('ports.id', 'not in', ownPolicy),
      ]),
    ])).execute();
    for (const p of ports) await this.forPort(tx, policyId, portOf(p));
  }

  /** _validate_update_network_callback: a network's new policy, for the network and its ports without a policy of their own. */
  async forNetworkUpdate(tx: Tx, policyId: string, networkId: string): Promise<void> {
    await this.forNetwork(tx, policyId, networkId);
    const ports = await this.ports(tx).where('ports.network_id', '=', networkId)
      .where('ports.id', 'not in', tx.selectFrom('qos_port_policy_bindings').select('port_id')).execute();
    for (const p of ports) await this.forPort(tx, policyId, portOf(p));
  }

  private ports(tx: Tx) {
    return tx.selectFrom('ports').leftJoin('ml2_port_bindings', 'ml2_port_bindings.port_id', 'ports.id')
      .select(['ports.id', 'ports.network_id', 'ml2_port_bindings.vif_type', 'ml2_port_bindings.vnic_type']);
  }
}

function portOf(p: { id: string; network_id: string; vif_type: string | null; vnic_type: string | null }): Item {
  return { id: p.id, network_id: p.network_id, 'binding:vif_type': p.vif_type, 'binding:vnic_type': p.vnic_type };
}
