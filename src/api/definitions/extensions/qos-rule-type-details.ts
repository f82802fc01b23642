import type { ExtensionDef } from '../../../lib/definitions.js';

export const qosRuleTypeDetails: ExtensionDef = {
  alias: 'qos-rule-type-details',
  name: 'Details of QoS rule types',
  description: 'Expose details about QoS rule types supported by loaded backend drivers',
  updated: '2017-06-22T10:00:00-00:00',
  requires: ['qos'],
  attributes: { rule_types: { drivers: { allowPost: false, allowPut: false, isVisible: true } } },
};
