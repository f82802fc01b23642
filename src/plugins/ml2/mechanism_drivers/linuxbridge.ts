import { type AgentMechanismDriver, mappingKeys } from './driver.js';

/** ML2's linuxbridge mechanism driver: binds through the "Linux bridge agent" of the port's host. */
export const linuxbridge: AgentMechanismDriver = {
  name: 'linuxbridge',
  agentType: 'Linux bridge agent',
  vifType: 'bridge',
  supportedVnicTypes: ['normal'],
  physicalNetworks: (agent) => [...mappingKeys(agent.configurations.interface_mappings), ...mappingKeys(agent.configurations.bridge_mappings)],
  vifDetails: () => ({ connectivity: 'l2', port_filter: true }),
};
