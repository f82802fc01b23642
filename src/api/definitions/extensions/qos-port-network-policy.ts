import type { ExtensionDef } from '../../../lib/definitions.js';

export const qosPortNetworkPolicy: ExtensionDef = {
  alias: 'qos-port-network-policy',
  name: 'QoS port network policy ID',
  description: 'Adds a the QoS network ID to the port definition',
  updated: '2019-11-01T10:00:00-00:00',
  requires: ['qos'],
  attributes: { ports: { qos_network_policy_id: { allowPost: false, allowPut: false, isVisible: true, default: null } } },
};
