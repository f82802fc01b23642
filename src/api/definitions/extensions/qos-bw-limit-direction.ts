import type { ExtensionDef } from '../../../lib/definitions.js';
import { directionAttribute, VALID_DIRECTIONS } from './qos.js';

export const qosBwLimitDirection: ExtensionDef = {
  alias: 'qos-bw-limit-direction',
  name: 'Direction for QoS bandwidth limit rule',
  description: 'Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress',
  updated: '2017-04-10T10:00:00-00:00',
  requires: ['qos'],
  attributes: { bandwidth_limit_rules: { direction: directionAttribute(VALID_DIRECTIONS) } },
};
