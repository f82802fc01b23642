import type { ExtensionDef } from '../../../lib/definitions.js';
import { aliasRuleResource, directionAttribute, dscpMarkAttribute, rateAttribute, VALID_DIRECTIONS } from './qos.js';

export const qosRulesAlias: ExtensionDef = {
  alias: 'qos-rules-alias',
  name: 'Quality of Service rules alias API',
  description: 'API to enable GET, PUT and DELETE operations on QoS policy rules without specifying policy ID',
  updated: '2018-10-07T10:00:00-00:00',
  requires: ['qos', 'qos-bw-limit-direction'],
  resources: [
    aliasRuleResource('bandwidth_limit', {
      max_kbps: rateAttribute('max_kbps', undefined, false),
      direction: directionAttribute(VALID_DIRECTIONS, false),
      max_burst_kbps: rateAttribute('max_burst_kbps', 0, false),
    }),
    aliasRuleResource('dscp_marking', { dscp_mark: dscpMarkAttribute(false) }),
    aliasRuleResource('minimum_bandwidth', {
      min_kbps: rateAttribute('min_kbps', undefined, false),
      direction: directionAttribute(VALID_DIRECTIONS, false),
    }),
  ],
};
