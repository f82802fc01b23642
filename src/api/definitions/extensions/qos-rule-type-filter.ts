import { toBoolean, UNSET, type AttributeDef } from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';

const flag: AttributeDef = { allowPost: true, allowPut: true, isVisible: false, isFilter: true, default: UNSET, convert: (v) => (v === null ? null : toBoolean(v)) };

export const qosRuleTypeFilter: ExtensionDef = {
  alias: 'qos-rule-type-filter',
  name: 'Allow to filter the list of QoS rule types',
  description: 'Allows to filter the QoS rule type list adding two new flags. "all_rules" prints all implemented QoS rule types.'
    + '"all_supported" prints all supported QoS rule types by the loaded mechanism drivers',
  updated: '2022-02-02T10:00:00-00:00',
  requires: ['qos'],
  attributes: { rule_types: { all_rules: flag, all_supported: flag } },
};
