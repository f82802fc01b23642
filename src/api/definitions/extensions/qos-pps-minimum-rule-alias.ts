import type { ExtensionDef } from '../../../lib/definitions.js';
import { aliasRuleResource, directionAttribute, rateAttribute, VALID_DIRECTIONS_AND_ANY } from './qos.js';

export const qosPpsMinimumRuleAlias: ExtensionDef = {
  alias: 'qos-pps-minimum-rule-alias',
  name: 'QoS minimum packet rate rule alias',
  description: 'API to enable GET, PUT and DELETE operations on QoS minimum packet rate rule without specifying policy ID',
  updated: '2021-10-22T10:00:00-00:00',
  requires: ['qos', 'qos-pps-minimum'],
  resources: [aliasRuleResource('minimum_packet_rate', {
    min_kpps: rateAttribute('min_kpps', undefined, false),
    direction: directionAttribute(VALID_DIRECTIONS_AND_ANY, false),
  })],
};
