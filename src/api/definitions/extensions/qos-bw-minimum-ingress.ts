import type { ExtensionDef } from '../../../lib/definitions.js';
import { directionAttribute, VALID_DIRECTIONS } from './qos.js';

export const qosBwMinimumIngress: ExtensionDef = {
  alias: 'qos-bw-minimum-ingress',
  name: 'Ingress direction for QoS minimum bandwidth rule',
  description: 'Allow to configure QoS minumum bandwidth rule with ingress direction.',
  updated: '2018-07-09T10:00:00-00:00',
  requires: ['qos'],
  attributes: { minimum_bandwidth_rules: { direction: directionAttribute(VALID_DIRECTIONS) } },
};
