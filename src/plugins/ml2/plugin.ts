import type { ResourceHandler } from '../../api/controller.js';
import type { Plugin, PluginContext } from '../plugin.js';
import { createAgentResource, createAvailabilityZoneResource } from '../agents.js';
import { createNetworkResource, type NetworkExtender } from './networks.js';
import { TypeManager } from './type-manager.js';

/** ML2, the core plugin: networks (and later subnets and ports) through type and mechanism drivers. */
export class Ml2Plugin implements Plugin {
  readonly name = 'ml2';
  readonly supportedExtensionAliases = [
    'provider', 'multi-provider', 'external-net', 'net-mtu', 'net-mtu-writable', 'l2_adjacency', 'port-security',
    'availability_zone', 'network_availability_zone', 'agent',
    'standard-attr-description', 'standard-attr-timestamp', 'standard-attr-revisions',
  ];
  types?: TypeManager;
  /** other parts that extend networks (subnets, ports, agents) register here before start */
  readonly networkExtenders: NetworkExtender[] = [];

  async start({ config, api, db }: PluginContext): Promise<Record<string, ResourceHandler>> {
    this.types = new TypeManager({
      type_drivers: config.ml2.type_drivers,
      tenant_network_types: config.ml2.tenant_network_types,
      flat_networks: config.ml2_type_flat.flat_networks,
      network_vlan_ranges: config.ml2_type_vlan.network_vlan_ranges,
      vxlan_vni_ranges: config.ml2_type_vxlan.vni_ranges,
      geneve_vni_ranges: config.ml2_type_geneve.vni_ranges,
      geneve_max_header_size: config.ml2_type_geneve.max_header_size,
      gre_tunnel_id_ranges: config.ml2_type_gre.tunnel_id_ranges,
      global_physnet_mtu: config.DEFAULT.global_physnet_mtu,
      path_mtu: config.ml2.path_mtu,
      physical_network_mtus: config.ml2.physical_network_mtus,
      overlay_ip_version: config.ml2.overlay_ip_version as 4 | 6,
    });
    return {
      networks: createNetworkResource(db, api, this.types, this.networkExtenders),
      agents: createAgentResource(db, api, config.DEFAULT.agent_down_time),
      availability_zones: createAvailabilityZoneResource(db),
    };
  }
}
