import { type AgentMechanismDriver, mappingKeys } from './driver.js';

/** ML2's openvswitch mechanism driver: binds through the "Open vSwitch agent" of the port's host. */
export const openvswitch: AgentMechanismDriver = {
  name: 'openvswitch',
  agentType: 'Open vSwitch agent',
  vifType: 'ovs',
  supportedVnicTypes: ['normal', 'direct', 'smart-nic', 'vhost-vdpa'],
  physicalNetworks: (agent) => mappingKeys(agent.configurations.bridge_mappings),
  vifDetails: (agent) => ({
    connectivity: 'l2',
    port_filter: true,
    ovs_hybrid_plug: agent.configurations.ovs_hybrid_plug === true,
    datapath_type: agent.configurations.datapath_type ?? 'system',
    bridge_name: agent.configurations.integration_bridge ?? 'br-int',
  }),
};
