import type { ExtensionDef } from '../../../lib/definitions.js';
import { directionAttribute, rateAttribute, ruleResource, VALID_DIRECTIONS } from './qos.js';

export const qosPps: ExtensionDef = {
  alias: 'qos-pps',
  name: 'QoS Rule Type Packet per Second Extension',
  description: 'Add QoS Rule Type Packet per Second',
  updated: '2021-05-12T10:00:00-00:00',
  requires: ['qos'],
  resources: [ruleResource('packet_rate_limit', {
    max_kpps: rateAttribute('max_kpps'),
    max_burst_kpps: rateAttribute('max_burst_kpps', 0),
    direction: directionAttribute(VALID_DIRECTIONS),
  })],
};
