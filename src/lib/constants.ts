/** neutron-lib's constants, by the names Neutron gives them. */

// Device owners ------------------------------------------------------------------------------
export const DEVICE_OWNER_COMPUTE_PREFIX = 'compute:';
export const DEVICE_OWNER_NETWORK_PREFIX = 'network:';
export const DEVICE_OWNER_ROUTER_HA_INTF = 'network:router_ha_interface';
export const DEVICE_OWNER_HA_REPLICATED_INT = 'network:ha_router_replicated_interface';
export const DEVICE_OWNER_ROUTER_INTF = 'network:router_interface';
export const DEVICE_OWNER_ROUTER_GW = 'network:router_gateway';
export const DEVICE_OWNER_FLOATINGIP = 'network:floatingip';
export const DEVICE_OWNER_DHCP = 'network:dhcp';
export const DEVICE_OWNER_DVR_INTERFACE = 'network:router_interface_distributed';
export const DEVICE_OWNER_AGENT_GW = 'network:floatingip_agent_gateway';
export const DEVICE_OWNER_ROUTER_SNAT = 'network:router_centralized_snat';
/** distributed services (OVN's metadata and DHCP ports) */
export const DEVICE_OWNER_DISTRIBUTED = 'network:distributed';

export const ROUTER_INTERFACE_OWNERS: readonly string[] = [DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_HA_REPLICATED_INT, DEVICE_OWNER_DVR_INTERFACE];
export const ROUTER_INTERFACE_OWNERS_SNAT: readonly string[] = [...ROUTER_INTERFACE_OWNERS, DEVICE_OWNER_ROUTER_SNAT];
export const ROUTER_PORT_OWNERS: readonly string[] = [...ROUTER_INTERFACE_OWNERS_SNAT, DEVICE_OWNER_ROUTER_GW];
/** ports that do not keep a network or subnet from being deleted: they go with it (neutron.common._constants) */
export const AUTO_DELETE_PORT_OWNERS: readonly string[] = [DEVICE_OWNER_DHCP, DEVICE_OWNER_DISTRIBUTED, DEVICE_OWNER_AGENT_GW];

/** the subnet pool id of a subnet whose IPv6 prefix comes from prefix delegation */
export const IPV6_PD_POOL_ID = 'prefix_delegation';

// RBAC ---------------------------------------------------------------------------------------
export const ACCESS_SHARED = 'access_as_shared';
export const ACCESS_EXTERNAL = 'access_as_external';
/** the `object_type` of RBAC entries: the resources that can be shared */
export type RbacObjectType = 'network' | 'qos_policy' | 'security_group' | 'address_scope' | 'subnetpool' | 'address_group';
export const DEVICE_OWNER_LOCAL_IP = 'network:local_ip';

/** binding:vif_type of a port no host has wired: not bound yet, or its binding failed */
export const UNBOUND_VIF_TYPES: readonly string[] = ['unbound', 'binding_failed'];
