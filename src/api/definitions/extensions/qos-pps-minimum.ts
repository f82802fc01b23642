import type { ExtensionDef } from '../../../lib/definitions.js';
import { directionAttribute, rateAttribute, ruleResource, VALID_DIRECTIONS_AND_ANY } from './qos.js';

export const qosPpsMinimum: ExtensionDef = {
  alias: 'qos-pps-minimum',
  name: 'QoS minimum packet rate rule',
  description: 'Allow to configure QoS minimum packet rate rule.',
  updated: '2021-07-14T10:00:00-00:00',
  requires: ['qos'],
  resources: [ruleResource('minimum_packet_rate', {
    min_kpps: rateAttribute('min_kpps'),
    direction: directionAttribute(VALID_DIRECTIONS_AND_ANY),
  })],
};
