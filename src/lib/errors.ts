/**
 * Every error the API can answer, declared once: its Neutron type name, HTTP status and message.
 * The body is Neutron's {"NeutronError": {"type", "message", "detail"}}.
 */
export class NeutronError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): unknown {
    return { NeutronError: { type: this.type, message: this.message, detail: '' } };
  }
}

type ErrorClass<P> = (new (params: P) => NeutronError) & { readonly type: string };

function def<P = void>(status: number, type: string, message: (p: P) => string): ErrorClass<P> {
  return class extends NeutronError {
    static readonly type = type;
    constructor(params: P) {
      super(type, status, message(params));
    }
  };
}

// Generic HTTP errors (webob) -------------------------------------------------------------
export const HTTPBadRequest = def<string>(400, 'HTTPBadRequest', (m) => m);
export const HTTPNotFound = def<string | void>(404, 'HTTPNotFound', (m) => m || 'The resource could not be found.');
export const HTTPForbidden = def<string>(403, 'HTTPForbidden', (m) => m);
export const HTTPConflict = def<string>(409, 'HTTPConflict', (m) => m);
export const HTTPMethodNotAllowed = def<void>(405, 'HTTPMethodNotAllowed', () => 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
export const HTTPUnsupportedMediaType = def<string>(415, 'HTTPUnsupportedMediaType', (m) => m);
export const HTTPRequestEntityTooLarge = def<void>(413, 'HTTPRequestEntityTooLarge', () => 'Request is too large.');
export const HTTPServiceUnavailable = def<string>(503, 'HTTPServiceUnavailable', (m) => m);
export const InternalServerError = def<void>(500, 'HTTPInternalServerError', () => 'Request Failed: internal server error while processing your request.');
export const NotImplementedErr = def<string>(501, 'NotImplementedError', (m) => m);

// neutron_lib.exceptions: input and policy -------------------------------------------------
export const InvalidInput = def<{ error_message: string }>(400, 'InvalidInput', (p) => `Invalid input for operation: ${p.error_message}.`);
export const PolicyNotAuthorized = def<{ action: string }>(403, 'PolicyNotAuthorized', (p) => `${p.action} is disallowed by policy`);
export const InvalidScope = def<{ rule: string; scopes: string; token_scope: string }>(403, 'InvalidScope', (p) => `${p.rule} requires a scope of ${p.scopes}, request was made with ${p.token_scope} scope.`);
export const AdminRequired = def<{ reason: string }>(403, 'AdminRequired', (p) => `User does not have admin privileges: ${p.reason}.`);
export const RevisionNumberConstraintFailed = def<{ expected: number; current: number }>(412, 'RevisionNumberConstraintFailed', (p) => `Constrained to ${p.expected}, but current revision is ${p.current}`);
export const ExtensionNotFound = def<{ alias: string }>(404, 'ExtensionNotFound', (p) => `Extension with alias ${p.alias} does not exist`);
export const ServiceUnavailable = def<string | void>(503, 'ServiceUnavailable', (m) => m || 'The service is unavailable.');
export const DBConnectionError = def<void>(503, 'ServiceUnavailable', () => 'The database is unavailable; try again later.');
export const Conflict = def<string>(409, 'Conflict', (m) => m);

// Networks and ML2 -----------------------------------------------------------------------
export const NetworkNotFound = def<{ net_id: string }>(404, 'NetworkNotFound', (p) => `Network ${p.net_id} could not be found.`);
export const NetworkInUse = def<{ net_id: string; ports: string[] }>(409, 'NetworkInUse', (p) => `Unable to complete operation on network ${p.net_id}. There are one or more ports still in use on the network, id for these ports is: ${p.ports.join(',')}.`);
export const NoNetworkAvailable = def<void>(503, 'NoNetworkAvailable', () => 'Unable to create the network. No tenant network is available for allocation.');
export const VlanIdInUse = def<{ vlan_id: number; physical_network: string }>(409, 'VlanIdInUse', (p) => `Unable to create the network. The VLAN ${p.vlan_id} on physical network ${p.physical_network} is in use.`);
export const TunnelIdInUse = def<{ tunnel_id: number }>(409, 'TunnelIdInUse', (p) => `Unable to create the network. The tunnel ID ${p.tunnel_id} is in use.`);
export const FlatNetworkInUse = def<{ physical_network: string }>(409, 'FlatNetworkInUse', (p) => `Unable to create the flat network. Physical network ${p.physical_network} is in use.`);
export const InvalidSharedSetting = def<{ network: string }>(409, 'InvalidSharedSetting', (p) => `Unable to reconfigure sharing settings for network ${p.network}. Multiple tenants are using it.`);
export const ExternalNetworkInUse = def<{ net_id: string }>(409, 'ExternalNetworkInUse', (p) => `External network ${p.net_id} cannot be updated to be made non-external, since it has existing gateway ports.`);
export const MultipleExceptions = def<string>(409, 'Conflict', (m) => m);

// Subnets, subnet pools, address scopes, ports and IPAM ------------------------------------
export const BadRequest = def<{ resource: string; msg: string }>(400, 'BadRequest', (p) => `Bad ${p.resource} request: ${p.msg}.`);
export const SubnetNotFound = def<{ subnet_id: string }>(404, 'SubnetNotFound', (p) => `Subnet ${p.subnet_id} could not be found.`);
export const PortNotFound = def<{ port_id: string }>(404, 'PortNotFound', (p) => `Port ${p.port_id} could not be found.`);
export const SubnetPoolNotFound = def<{ subnetpool_id: string }>(404, 'SubnetPoolNotFound', (p) => `Subnet pool ${p.subnetpool_id} could not be found.`);
export const AddressScopeNotFound = def<{ address_scope_id: string }>(404, 'AddressScopeNotFound', (p) => `Address scope ${p.address_scope_id} could not be found.`);
export const SubnetInUse = def<{ subnet_id: string; reason?: string }>(409, 'SubnetInUse', (p) => `Unable to complete operation on subnet ${p.subnet_id}: ${p.reason ?? 'One or more ports have an IP allocation from this subnet'}.`);
export const IpAddressGenerationFailure = def<{ net_id: string }>(409, 'IpAddressGenerationFailure', (p) => `No more IP addresses available on network ${p.net_id}.`);
export const IpAddressGenerationFailureNoMatchingSubnet = def<{ network_id: string; service_type: string }>(409, 'IpAddressGenerationFailureNoMatchingSubnet', (p) => `No valid service subnet for the given device owner, network ${p.network_id}, service type ${p.service_type}.`);
export const IpAddressAlreadyAllocated = def<{ ip: string; subnet_id: string }>(409, 'IpAddressAlreadyAllocated', (p) => `IP address ${p.ip} already allocated in subnet ${p.subnet_id}`);
export const AllocationOnAutoAddressSubnet = def<{ ip: string; subnet_id: string }>(400, 'AllocationOnAutoAddressSubnet', (p) => `IPv6 address ${p.ip} cannot be directly assigned to a port on subnet ${p.subnet_id} as the subnet is configured for automatic addresses`);
export const MacAddressInUse = def<{ net_id: string; mac: string }>(409, 'MacAddressInUse', (p) => `Unable to complete operation for network ${p.net_id}. The mac address ${p.mac} is in use.`);
export const InvalidIpForNetwork = def<{ ip_address: string }>(400, 'InvalidIpForNetwork', (p) => `IP address ${p.ip_address} is not a valid IP for any of the subnets on the specified network.`);
export const InvalidIpForSubnet = def<{ ip_address: string }>(400, 'InvalidIpForSubnet', (p) => `IP address ${p.ip_address} is not a valid IP for the specified subnet.`);
export const InvalidAllocationPool = def<{ pool: string }>(400, 'InvalidAllocationPool', (p) => `The allocation pool ${p.pool} is not valid.`);
export const OutOfBoundsAllocationPool = def<{ pool: string; subnet_cidr: string }>(400, 'OutOfBoundsAllocationPool', (p) => `The allocation pool ${p.pool} spans beyond the subnet cidr ${p.subnet_cidr}.`);
export const OverlappingAllocationPools = def<{ pool_1: string; pool_2: string; subnet_cidr: string }>(409, 'OverlappingAllocationPools', (p) => `Found overlapping allocation pools: ${p.pool_1} ${p.pool_2} for subnet ${p.subnet_cidr}.`);
export const GatewayConflictWithAllocationPools = def<{ pool: string; ip_address: string }>(409, 'GatewayConflictWithAllocationPools', (p) => `Gateway ip ${p.ip_address} conflicts with allocation pool ${p.pool}.`);
export const GatewayIpInUse = def<{ ip_address: string; port_id: string }>(409, 'GatewayIpInUse', (p) => `Current gateway ip ${p.ip_address} already in use by port ${p.port_id}. Unable to update.`);
export const DNSNameServersExhausted = def<{ subnet_id: string; quota: number }>(400, 'DNSNameServersExhausted', (p) => `Unable to complete operation for ${p.subnet_id}. The number of DNS nameservers exceeds the limit ${p.quota}.`);
export const HostRoutesExhausted = def<{ subnet_id: string; quota: number }>(400, 'HostRoutesExhausted', (p) => `Unable to complete operation for ${p.subnet_id}. The number of host routes exceeds the limit ${p.quota}.`);
export const InvalidSubnetServiceType = def<{ service_type: string }>(400, 'InvalidSubnetServiceType', (p) => `Subnet service type ${p.service_type} does not correspond to a valid device owner.`);
export const InvalidInputSubnetServiceType = def<{ service_type: string }>(400, 'InvalidInputSubnetServiceType', (p) => `Subnet service type ${p.service_type} is not a string.`);
export const NetworkSubnetPoolAffinityError = def<void>(400, 'NetworkSubnetPoolAffinityError', () => 'Subnets hosted on the same network must be allocated from the same subnet pool.');
export const NetworkAddressScopeAffinityError = def<void>(400, 'NetworkAddressScopeAffinityError', () => 'Subnets of the same address family hosted on the same network must all participate in the same address scope.');
export const SubnetPoolQuotaExceeded = def<void>(409, 'SubnetPoolQuotaExceeded', () => 'Per-tenant subnet pool prefix quota exceeded.');
export const SubnetAllocationError = def<{ reason: string }>(500, 'SubnetAllocationError', (p) => `Failed to allocate subnet: ${p.reason}.`);
export const MaxPrefixSubnetAllocationError = def<{ prefixlen: number; max_prefixlen: number }>(400, 'MaxPrefixSubnetAllocationError', (p) => `Unable to allocate subnet with prefix length ${p.prefixlen}, maximum allowed prefix is ${p.max_prefixlen}.`);
export const MinPrefixSubnetAllocationError = def<{ prefixlen: number; min_prefixlen: number }>(400, 'MinPrefixSubnetAllocationError', (p) => `Unable to allocate subnet with prefix length ${p.prefixlen}, minimum allowed prefix is ${p.min_prefixlen}.`);
export const IllegalSubnetPoolPrefixBounds = def<{ prefix_type: string; prefixlen: number; base_prefix_type: string; base_prefixlen: number }>(400, 'IllegalSubnetPoolPrefixBounds', (p) => `Illegal prefix bounds: ${p.prefix_type}=${p.prefixlen}, ${p.base_prefix_type}=${p.base_prefixlen}.`);
export const UnsupportedMinSubnetPoolPrefix = def<{ prefix: number; version: number }>(400, 'UnsupportedMinSubnetPoolPrefix', (p) => `Prefix '${p.prefix}' not supported in IPv${p.version} pool.`);
export const IllegalSubnetPoolPrefixUpdate = def<{ msg: string }>(400, 'IllegalSubnetPoolPrefixUpdate', (p) => `Illegal update to prefixes: ${p.msg}.`);
export const EmptySubnetPoolPrefixList = def<void>(400, 'EmptySubnetPoolPrefixList', () => 'Empty subnet pool prefix list.');
export const PrefixVersionMismatch = def<void>(400, 'PrefixVersionMismatch', () => 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
export const SubnetPoolDeleteError = def<{ reason: string }>(400, 'SubnetPoolDeleteError', (p) => `Unable to delete subnet pool: ${p.reason}.`);
export const IllegalSubnetPoolAssociationToAddressScope = def<{ subnetpool_id: string; address_scope_id: string }>(400, 'IllegalSubnetPoolAssociationToAddressScope', (p) => `Illegal subnetpool association: subnetpool ${p.subnetpool_id} cannot be associated with address scope ${p.address_scope_id}.`);
export const IllegalSubnetPoolIpVersionAssociationToAddressScope = def<{ subnetpool_id: string; address_scope_id: string; ip_version: number }>(400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope', (p) => `Illegal subnetpool association: subnetpool ${p.subnetpool_id} cannot associate with address scope ${p.address_scope_id} because subnetpool ip_version is not ${p.ip_version}.`);
export const IllegalSubnetPoolUpdate = def<{ reason: string }>(400, 'IllegalSubnetPoolUpdate', (p) => `Illegal subnetpool update : ${p.reason}.`);
export const AddressScopePrefixConflict = def<void>(409, 'AddressScopePrefixConflict', () => 'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.');
export const AddressScopeInUse = def<{ address_scope_id: string }>(409, 'AddressScopeInUse', (p) => `Unable to complete operation on address scope ${p.address_scope_id}. There are one or more subnet pools in use on the address scope.`);
export const AddressScopeUpdateError = def<{ address_scope_id: string; reason: string }>(400, 'AddressScopeUpdateError', (p) => `Unable to update address scope ${p.address_scope_id} : ${p.reason}.`);
export const UnsupportedPortDeviceOwner = def<{ op: string; port_id: string; device_owner: string }>(409, 'UnsupportedPortDeviceOwner', (p) => `Operation ${p.op} is not supported for device_owner ${p.device_owner} on port ${p.port_id}.`);
export const DeviceIDNotOwnedByTenant = def<{ device_id: string }>(409, 'DeviceIDNotOwnedByTenant', (p) => `The following device_id ${p.device_id} is not owned by your tenant or matches another tenants router.`);
export const PortBound = def<{ port_id: string; vif_type: string; old_mac: string; new_mac: string }>(409, 'PortBound', (p) => `Unable to complete operation on port ${p.port_id}, port is already bound, port type: ${p.vif_type}, old_mac ${p.old_mac}, new_mac ${p.new_mac}.`);
export const AllowedAddressPairsMissingIP = def<void>(400, 'AllowedAddressPairsMissingIP', () => 'AllowedAddressPair must contain ip_address');
export const AddressPairAndPortSecurityRequired = def<void>(409, 'AddressPairAndPortSecurityRequired', () => 'Port Security must be enabled in order to have allowed address pairs on a port.');
export const DuplicateAddressPairInRequest = def<{ mac_address: string; ip_address: string }>(400, 'DuplicateAddressPairInRequest', (p) => `Request contains duplicate address pair: mac_address ${p.mac_address} ip_address ${p.ip_address}.`);
export const AllowedAddressPairExhausted = def<{ quota: number }>(400, 'AllowedAddressPairExhausted', (p) => `The number of allowed address pair exceeds the maximum ${p.quota}.`);

// Tags and quotas ----------------------------------------------------------------------------
export const TagResourceNotFound = def<{ resource: string; resource_id: string }>(404, 'TagResourceNotFound', (p) => `Resource ${p.resource} ${p.resource_id} could not be found.`);
export const TagNotFound = def<{ tag: string }>(404, 'TagNotFound', (p) => `Tag ${p.tag} could not be found.`);
export const OverQuota = def<{ overs: string[] }>(409, 'OverQuota', (p) => `Quota exceeded for resources: [${p.overs.map((o) => `'${o}'`).join(', ')}].`);
export const TenantQuotaNotFound = def<{ tenant_id: string }>(404, 'TenantQuotaNotFound', (p) => `Quota for tenant ${p.tenant_id} could not be found.`);
export const QuotaMissingTenant = def<void>(400, 'QuotaMissingTenant', () => 'Tenant-id was missing from quota request.');
export const HTTPNotImplemented = def<string>(501, 'HTTPNotImplemented', (m) => m);

// Security groups ----------------------------------------------------------------------------
export const SecurityGroupNotFound = def<{ id: string }>(404, 'SecurityGroupNotFound', (p) => `Security group ${p.id} does not exist`);
export const SecurityGroupRuleNotFound = def<{ id: string }>(404, 'SecurityGroupRuleNotFound', (p) => `Security group rule ${p.id} does not exist`);
export const SecurityGroupInUse = def<{ id: string; reason?: string }>(409, 'SecurityGroupInUse', (p) => `Security Group ${p.id} ${p.reason ?? 'in use'}.`);
export const SecurityGroupCannotRemoveDefault = def<void>(409, 'SecurityGroupCannotRemoveDefault', () => 'Insufficient rights for removing default security group.');
export const SecurityGroupCannotUpdateDefault = def<void>(409, 'SecurityGroupCannotUpdateDefault', () => 'Updating default security group not allowed.');
export const SecurityGroupDefaultAlreadyExists = def<void>(409, 'SecurityGroupDefaultAlreadyExists', () => 'Default security group already exists.');
export const SecurityGroupRuleExists = def<{ rule_id: string }>(409, 'SecurityGroupRuleExists', (p) => `Security group rule already exists. Rule id is ${p.rule_id}.`);
export const DuplicateSecurityGroupRuleInPost = def<void>(409, 'DuplicateSecurityGroupRuleInPost', () => 'Duplicate Security Group Rule in POST.');
export const SecurityGroupConflict = def<{ reason: string }>(409, 'SecurityGroupConflict', (p) => `Error ${p.reason} while attempting the operation.`);
export const SecurityGroupInvalidPortRange = def<void>(400, 'SecurityGroupInvalidPortRange', () => 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
export const SecurityGroupInvalidProtocolForPort = def<{ protocol: string | number; valid_port_protocols: string }>(400, 'SecurityGroupInvalidProtocolForPort', (p) => `Ports cannot be specified for protocol ${p.protocol}. Ports are only supported for ${p.valid_port_protocols}.`);
export const SecurityGroupInvalidPortValue = def<{ port: unknown }>(400, 'SecurityGroupInvalidPortValue', (p) => `Invalid value for port ${p.port}`);
export const SecurityGroupInvalidIcmpValue = def<{ field: string; attr: string; value: number }>(400, 'SecurityGroupInvalidIcmpValue', (p) => `Invalid value for ICMP ${p.field} (${p.attr}) ${p.value}. It must be 0 to 255.`);
export const SecurityGroupEthertypeConflictWithProtocol = def<{ ethertype: string; protocol: string }>(400, 'SecurityGroupEthertypeConflictWithProtocol', (p) => `Invalid ethertype ${p.ethertype} for protocol ${p.protocol}.`);
export const SecurityGroupMissingIcmpType = def<{ value: number }>(400, 'SecurityGroupMissingIcmpType', (p) => `ICMP code (port-range-max) ${p.value} is provided but ICMP type (port-range-min) is missing.`);
export const SecurityGroupRuleInvalidProtocol = def<{ protocol: unknown; values: string }>(400, 'SecurityGroupRuleInvalidProtocol', (p) => `Security group rule protocol ${p.protocol} not supported. Only protocol values ${p.values} and integer representations [0 to 255] are supported.`);
export const SecurityGroupRulesNotSingleTenant = def<void>(400, 'SecurityGroupRulesNotSingleTenant', () => 'Multiple tenant_ids in bulk security group rule create not allowed');
export const SecurityGroupMultipleRemoteEntites = def<void>(400, 'SecurityGroupMultipleRemoteEntites', () => 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
export const SecurityGroupProtocolRequiredWithPorts = def<void>(400, 'SecurityGroupProtocolRequiredWithPorts', () => 'Must also specify protocol if port range is given.');
export const SecurityGroupNotSingleGroupRules = def<void>(400, 'SecurityGroupNotSingleGroupRules', () => 'Only allowed to update rules for one security profile at a time');
export const SecurityGroupRuleParameterConflict = def<{ ethertype: string; cidr: string }>(400, 'SecurityGroupRuleParameterConflict', (p) => `Conflicting value ethertype ${p.ethertype} for CIDR ${p.cidr}`);
export const SecurityGroupRuleInvalidEtherType = def<{ ethertype: unknown; values: string }>(400, 'SecurityGroupRuleInvalidEtherType', (p) => `Security group rule for ethertype '${p.ethertype}' not supported. Allowed values are ${p.values}.`);
export const InvalidCIDR = def<{ input: unknown }>(400, 'InvalidCIDR', (p) => `Invalid CIDR ${p.input} given as IP prefix.`);
export const PortSecurityAndIPRequiredForSecurityGroups = def<void>(400, 'PortSecurityAndIPRequiredForSecurityGroups', () => 'Port security must be enabled and port must have an IP address in order to use security groups.');
export const PortSecurityPortHasSecurityGroup = def<void>(409, 'PortSecurityPortHasSecurityGroup', () => 'Port has security group associated. Cannot disable port security or ip address until security group is removed.');

// Routers and floating IPs ----------------------------------------------------------------
export const RouterNotFound = def<{ router_id: string }>(404, 'RouterNotFound', (p) => `Router ${p.router_id} could not be found`);
export const RouterInUse = def<{ router_id: string; reason?: string }>(409, 'RouterInUse', (p) => `Router ${p.router_id} ${p.reason ?? 'still has ports'}`);
export const RouterInterfaceNotFound = def<{ router_id: string; port_id: string }>(404, 'RouterInterfaceNotFound', (p) => `Router ${p.router_id} does not have an interface with id ${p.port_id}`);
export const RouterInterfaceNotFoundForSubnet = def<{ router_id: string; subnet_id: string }>(404, 'RouterInterfaceNotFoundForSubnet', (p) => `Router ${p.router_id} has no interface on subnet ${p.subnet_id}`);
export const RouterInterfaceInUseByFloatingIP = def<{ router_id: string; subnet_id: string }>(409, 'RouterInterfaceInUseByFloatingIP', (p) => `Router interface for subnet ${p.subnet_id} on router ${p.router_id} cannot be deleted, as it is required by one or more floating IPs.`);
export const RouterInterfaceInUseByRoute = def<{ router_id: string; subnet_id: string }>(409, 'RouterInterfaceInUseByRoute', (p) => `Router interface for subnet ${p.subnet_id} on router ${p.router_id} cannot be deleted, as it is required by one or more routes.`);
export const RouterExternalGatewayInUseByFloatingIp = def<{ router_id: string; net_id: string }>(409, 'RouterExternalGatewayInUseByFloatingIp', (p) => `Gateway cannot be updated for router ${p.router_id}, since a gateway to external network ${p.net_id} is required by one or more floating IPs.`);
export const InvalidRoutes = def<{ routes: string; reason: string }>(400, 'InvalidRoutes', (p) => `Invalid format for routes: ${p.routes}, ${p.reason}.`);
export const RoutesExhausted = def<{ router_id: string; quota: number }>(400, 'RoutesExhausted', (p) => `Unable to complete operation for ${p.router_id}. The number of routes exceeds the maximum ${p.quota}.`);
export const FloatingIPNotFound = def<{ floatingip_id: string }>(404, 'FloatingIPNotFound', (p) => `Floating IP ${p.floatingip_id} could not be found`);
export const ExternalGatewayForFloatingIPNotFound = def<{ external_network_id: string; subnet_id: string; port_id: string }>(404, 'ExternalGatewayForFloatingIPNotFound', (p) => `External network ${p.external_network_id} is not reachable from subnet ${p.subnet_id}.  Therefore, cannot associate Port ${p.port_id} with a Floating IP.`);
export const FloatingIPPortAlreadyAssociated = def<{ floating_ip_address: string | null; fip_id: string; port_id: string; fixed_ip: string; net_id: string }>(409, 'FloatingIPPortAlreadyAssociated', (p) => `Cannot associate floating IP ${p.floating_ip_address ?? 'None'} (${p.fip_id}) with port ${p.port_id} using fixed IP ${p.fixed_ip}, as that fixed IP already has a floating IP on external network ${p.net_id}.`);
export const ExternalIpAddressExhausted = def<{ net_id: string }>(400, 'ExternalIpAddressExhausted', (p) => `Unable to find any IP address on external network ${p.net_id}.`);
export const PortInUse = def<{ port_id: string; net_id: string; device_id: string }>(409, 'PortInUse', (p) => `Unable to complete operation on port ${p.port_id} for network ${p.net_id}. Port already has an attached device ${p.device_id}.`);
export const SubnetMismatchForPort = def<{ port_id: string; subnet_id: string }>(400, 'SubnetMismatchForPort', (p) => `Subnet on port ${p.port_id} does not match the requested subnet ${p.subnet_id}.`);
export const AgentNotFound = def<{ id: string }>(404, 'AgentNotFound', (p) => `Agent ${p.id} could not be found.`);
export const InvalidL3Agent = def<{ id: string }>(404, 'InvalidL3Agent', (p) => `Agent ${p.id} is not a L3 Agent or has been disabled`);
export const RouterHostedByL3Agent = def<{ router_id: string; agent_id: string }>(409, 'RouterHostedByL3Agent', (p) => `The router ${p.router_id} has been already hosted by the L3 Agent ${p.agent_id}.`);
export const RouterNotHostedByL3Agent = def<{ router_id: string; agent_id: string }>(409, 'RouterNotHostedByL3Agent', (p) => `The router ${p.router_id} is not hosted by L3 agent ${p.agent_id}.`);
export const InvalidDHCPAgent = def<{ id: string }>(404, 'InvalidDHCPAgent', (p) => `Agent ${p.id} is not a valid DHCP Agent or has been disabled.`);
export const NetworkHostedByDHCPAgent = def<{ network_id: string; agent_id: string }>(409, 'NetworkHostedByDHCPAgent', (p) => `The network ${p.network_id} has been already hosted by the DHCP Agent ${p.agent_id}.`);
export const NetworkNotHostedByDhcpAgent = def<{ network_id: string; agent_id: string }>(409, 'NetworkNotHostedByDhcpAgent', (p) => `The network ${p.network_id} is not hosted by the DHCP Agent ${p.agent_id}.`);
export const ServicePortInUse = def<{ port_id: string; reason: string }>(409, 'ServicePortInUse', (p) => `Port ${p.port_id} cannot be deleted directly via the port API: ${p.reason}.`);
export const AvailabilityZoneNotFound = def<{ availability_zone: string }>(404, 'AvailabilityZoneNotFound', (p) => `AvailabilityZone ${p.availability_zone} could not be found.`);

// Trunks (neutron/services/trunk/exceptions.py) ---------------------------------------------
export const TrunkNotFound = def<{ trunk_id: string }>(404, 'TrunkNotFound', (p) => `Trunk ${p.trunk_id} could not be found.`);
export const SubPortNotFound = def<{ trunk_id: string; port_id: string }>(404, 'SubPortNotFound', (p) => `SubPort ${p.port_id} on trunk ${p.trunk_id} could not be found.`);
export const TrunkPortInUse = def<{ port_id: string }>(409, 'TrunkPortInUse', (p) => `Port ${p.port_id} is in use by another trunk.`);
export const DuplicateSubPort = def<{ segmentation_type: string; segmentation_id: number; trunk_id: string }>(409, 'DuplicateSubPort', (p) => `segmentation_type ${p.segmentation_type} and segmentation_id ${p.segmentation_id} already in use on trunk ${p.trunk_id}.`);
export const ParentPortInUse = def<{ port_id: string }>(409, 'ParentPortInUse', (p) => `Port ${p.port_id} is currently in use and is not eligible for use as a parent port.`);
export const SubPortMtuGreaterThanTrunkPortMtu = def<{ port_id: string; port_mtu: number; trunk_id: string; trunk_mtu: number }>(409, 'SubPortMtuGreaterThanTrunkPortMtu', (p) => `MTU ${p.port_mtu} of subport ${p.port_id} cannot be greater than MTU ${p.trunk_mtu} of trunk ${p.trunk_id}.`);
export const PortInUseAsTrunkParent = def<{ port_id: string; trunk_id: string }>(409, 'PortInUseAsTrunkParent', (p) => `Port ${p.port_id} is currently a parent port for trunk ${p.trunk_id}.`);
export const PortInUseAsSubPort = def<{ port_id: string; trunk_id: string }>(409, 'PortInUseAsSubPort', (p) => `Port ${p.port_id} is currently a subport for trunk ${p.trunk_id}.`);
export const TrunkInUse = def<{ trunk_id: string }>(409, 'TrunkInUse', (p) => `Trunk ${p.trunk_id} is currently in use.`);
export const TrunkDisabled = def<{ trunk_id: string }>(409, 'TrunkDisabled', (p) => `Trunk ${p.trunk_id} is currently disabled.`);
export const TrunkInErrorState = def<{ trunk_id: string }>(409, 'TrunkInErrorState', (p) => `Trunk ${p.trunk_id} is in error state. Attempt to resolve the error condition before proceeding.`);
export const TrunkPluginDriverConflict = def<void>(409, 'TrunkPluginDriverConflict', () => 'A misconfiguration in the environment prevents the operation from completing, please, contact the admin.');

// Segments (neutron/services/segments/exceptions.py) ----------------------------------------
export const SegmentNotFound = def<{ segment_id: string }>(404, 'SegmentNotFound', (p) => `Segment ${p.segment_id} could not be found.`);
export const SegmentInUse = def<{ segment_id: string; reason: string }>(409, 'SegmentInUse', (p) => `Segment '${p.segment_id}' cannot be deleted: ${p.reason}.`);
export const NoUpdateSubnetWhenMultipleSegmentsOnNetwork = def<{ network_id: string }>(400, 'NoUpdateSubnetWhenMultipleSegmentsOnNetwork', (p) => `The network '${p.network_id}' has multiple segments, it is only possible to associate an existing subnet with a segment on networks with a single segment.`);
export const SubnetsNotAllAssociatedWithSegments = def<{ network_id: string }>(400, 'SubnetsNotAllAssociatedWithSegments', (p) => `All of the subnets on network '${p.network_id}' must either all be associated with segments or all not associated with any segment.`);
export const SubnetCantAssociateToDynamicSegment = def<void>(400, 'SubnetCantAssociateToDynamicSegment', () => 'A subnet cannot be associated with a dynamic segment.');
export const SubnetSegmentAssociationChangeNotAllowed = def<void>(400, 'SubnetSegmentAssociationChangeNotAllowed', () => 'A subnet that is already associated with a segment cannot have its segment association changed.');
export const NetworkIdsDontMatch = def<{ subnet_network: string; segment_id: string }>(400, 'NetworkIdsDontMatch', (p) => `The subnet's network id, '${p.subnet_network}', doesn't match the network_id of segment '${p.segment_id}'`);
export const HostConnectedToMultipleSegments = def<{ host: string; network_id: string }>(409, 'HostConnectedToMultipleSegments', (p) => `Host ${p.host} is connected to multiple segments on routed provider network '${p.network_id}'.  It should be connected to one.`);
export const HostNotConnectedToAnySegment = def<{ host: string; network_id: string }>(409, 'HostNotConnectedToAnySegment', (p) => `Host ${p.host} is not connected to any segments on routed provider network '${p.network_id}'.  It should be connected to one.`);
export const HostNotCompatibleWithFixedIps = def<{ host: string; port_id: string }>(409, 'HostNotCompatibleWithFixedIps', (p) => `Host ${p.host} is not connected to a segment where the existing fixed_ips on port ${p.port_id} will function given the routed network topology.`);
export const FixedIpsSubnetsNotOnSameSegment = def<void>(400, 'FixedIpsSubnetsNotOnSameSegment', () => 'Cannot allocate addresses from different segments.');

// Network segment ranges (neutron_lib/exceptions/network_segment_range.py) -----------------
export const NetworkSegmentRangeNetTypeNotSupported = def<{ type: string }>(400, 'NetworkSegmentRangeNetTypeNotSupported', (p) => `Network type ${p.type} does not support network segment ranges.`);
export const NetworkSegmentRangeNotFound = def<{ range_id: string }>(404, 'NetworkSegmentRangeNotFound', (p) => `Network Segment Range ${p.range_id} could not be found.`);
export const NetworkSegmentRangeReferencedByProject = def<{ range_id: string }>(409, 'NetworkSegmentRangeReferencedByProject', (p) => `Network Segment Range ${p.range_id} is referenced by one or more tenant networks.`);
export const NetworkSegmentRangeDefaultReadOnly = def<{ range_id: string }>(400, 'NetworkSegmentRangeDefaultReadOnly', (p) => `Network Segment Range ${p.range_id} is a default segment range which could not be updated or deleted.`);
export const NetworkSegmentRangeOverlaps = def<{ range_id: string }>(409, 'NetworkSegmentRangeOverlaps', (p) => `Network segment range overlaps with range(s) with id ${p.range_id}`);
// neutron-lib raises these as plain NeutronExceptions (a 500); neutron-ts answers 400
export const NetworkVlanRangeError = def<{ vlan_range: string; error: string }>(400, 'NetworkVlanRangeError', (p) => `Invalid network VLAN range: '${p.vlan_range}' - '${p.error}'.`);
export const NetworkTunnelRangeError = def<{ tunnel_range: string; error: string }>(400, 'NetworkTunnelRangeError', (p) => `Invalid network tunnel range: '${p.tunnel_range}' - ${p.error}.`);

export function isNeutronError(e: unknown): e is NeutronError {
  return e instanceof NeutronError;
}

// RBAC policies (neutron/extensions/rbac.py, neutron/db/rbac_db_models.py) -----------------------
export const RbacPolicyNotFound = def<{ id: string; object_type: string }>(404, 'RbacPolicyNotFound', (p) => `RBAC policy of type ${p.object_type} with ID ${p.id} not found`);
export const RbacPolicyInUse = def<{ object_id: string; details: string }>(409, 'RbacPolicyInUse', (p) => `RBAC policy on object ${p.object_id} cannot be removed because other objects depend on it.\nDetails: ${p.details}`);
export const DuplicateRbacPolicy = def<void>(409, 'DuplicateRbacPolicy', () => 'An RBAC policy already exists with those values.');
export const InvalidActionForType = def<{ action: string; object_type: string; valid_actions: string }>(400, 'InvalidActionForType', (p) => `Invalid action '${p.action}' for object type '${p.object_type}'. Valid actions: ${p.valid_actions}`);

// Address groups (neutron_lib/exceptions/address_group.py) ---------------------------------------
export const AddressGroupNotFound = def<{ address_group_id: string }>(404, 'AddressGroupNotFound', (p) => `Address group ${p.address_group_id} could not be found.`);
export const AddressGroupInUse = def<{ address_group_id: string }>(409, 'AddressGroupInUse', (p) => `Address group ${p.address_group_id} is in use on one or more security group rules.`);
export const AddressesNotFound = def<{ addresses: string; address_group_id: string }>(404, 'AddressesNotFound', (p) => `Addresses ${p.addresses} not found in the address group ${p.address_group_id}.`);
export const AddressesAlreadyExist = def<{ addresses: string; address_group_id: string }>(400, 'AddressesAlreadyExist', (p) => `Addresses ${p.addresses} already exist in the address group ${p.address_group_id}.`);
// QoS (neutron_lib.exceptions.qos) -------------------------------------------------------
export const QosPolicyNotFound = def<{ policy_id: string }>(404, 'QosPolicyNotFound', (p) => `QoS policy ${p.policy_id} could not be found.`);
export const QosRuleNotFound = def<{ rule_id: string; policy_id: string }>(404, 'QosRuleNotFound', (p) => `QoS rule ${p.rule_id} for policy ${p.policy_id} could not be found.`);
export const QoSPolicyDefaultAlreadyExists = def<{ project_id: string }>(409, 'QoSPolicyDefaultAlreadyExists', (p) => `A default QoS policy exists for project ${p.project_id}.`);
export const QosPolicyInUse = def<{ policy_id: string; object_type: string; object_id: string }>(409, 'QosPolicyInUse', (p) => `QoS Policy ${p.policy_id} is used by ${p.object_type} ${p.object_id}.`);
export const QosRuleNotSupported = def<{ rule_type: string; port_id: string }>(409, 'QosRuleNotSupported', (p) => `Rule ${p.rule_type} is not supported by port ${p.port_id}`);
export const QosRuleNotSupportedByNetwork = def<{ rule_type: string; network_id: string }>(409, 'QosRuleNotSupportedByNetwork', (p) => `Rule ${p.rule_type} is not supported by network ${p.network_id}`);
export const QoSRuleParameterConflict = def<{ rule_value: unknown; policy_id: string; existing_rule: string; existing_value: unknown }>(409, 'QoSRuleParameterConflict',
  (p) => `Unable to add the rule with value ${p.rule_value} to the policy ${p.policy_id} as the existing rule of type ${p.existing_rule} has value ${p.existing_value}.`);
export const QoSRulesConflict = def<{ new_rule_type: string; rule_id: string; policy_id: string }>(409, 'QoSRulesConflict',
  (p) => `Rule ${p.new_rule_type} conflicts with rule ${p.rule_id} which already exists in QoS Policy ${p.policy_id}.`);
export const PolicyRemoveAuthorizationError = def<{ policy_id: string }>(403, 'PolicyRemoveAuthorizationError', (p) => `Failed to remove provided policy ${p.policy_id} because you are not authorized.`);
export const PortBoundNUMAAffinityPolicy = def<{ port_id: string; host_id: string; numa_affinity_policy: string | null }>(409, 'PortBoundNUMAAffinityPolicy', (p) => `Unable to complete operation on port ${p.port_id}, port is already bound to host ${p.host_id}, numa_affinity_policy value given ${p.numa_affinity_policy ?? 'None'}.`);
export const PortBindingNotFound = def<{ port_id: string; host: string }>(404, 'PortBindingNotFound', (p) => `Binding for port ${p.port_id} for host ${p.host} could not be found.`);
export const PortBindingAlreadyActive = def<{ port_id: string; host: string }>(409, 'PortBindingAlreadyActive', (p) => `Binding for port ${p.port_id} on host ${p.host} is already active.`);
export const PortBindingAlreadyExists = def<{ port_id: string; host: string }>(409, 'PortBindingAlreadyExists', (p) => `Binding for port ${p.port_id} on host ${p.host} already exists.`);
export const PortBindingError = def<{ port_id: string; host: string }>(500, 'PortBindingError', (p) => `Binding for port ${p.port_id} on host ${p.host} could not be created or updated.`);
export const NotAuthorized = def<void>(403, 'NotAuthorized', () => 'Not authorized.');
// Floating IP port forwarding (neutron.services.portforwarding.common.exceptions) ---------------
export const PortForwardingNotFound = def<{ id: string }>(404, 'PortForwardingNotFound', (p) => `Port Forwarding ${p.id} could not be found.`);
export const FipInUseByPortForwarding = def<{ id: string }>(409, 'FipInUseByPortForwarding', (p) => `Floating IP ${p.id} in use by Port Forwarding resources.`);
export const PortHasBindingFloatingIP = def<{ floating_ip_address: string; fip_id: string; port_id: string; fixed_ip: string }>(409, 'PortHasBindingFloatingIP', (p) => `Cannot create port forwarding to floating IP ${p.floating_ip_address} (${p.fip_id}) with port ${p.port_id} using fixed IP ${p.fixed_ip}, as that port already has a binding floating IP.`);

// Metering (neutron_lib.exceptions.metering) --------------------------------------------------
export const Invalid = def<string>(400, 'Invalid', (m) => m);
export const MeteringLabelNotFound = def<{ label_id: string }>(404, 'MeteringLabelNotFound', (p) => `Metering label '${p.label_id}' does not exist.`);
export const MeteringLabelRuleNotFound = def<{ rule_id: string }>(404, 'MeteringLabelRuleNotFound', (p) => `Metering label rule '${p.rule_id}' does not exist.`);
export const MeteringLabelRuleOverlaps = def<{ remote_ip_prefix: string }>(409, 'MeteringLabelRuleOverlaps', (p) => `Metering label rule with remote_ip_prefix '${p.remote_ip_prefix}' overlaps another.`);

// Conntrack helpers (neutron.services.conntrack_helper.common.exceptions) --------------------------
export const ConntrackHelperNotFound = def<{ id: string }>(404, 'ConntrackHelperNotFound', (p) => `Conntrack Helper ${p.id} could not be found.`);
export const ConntrackHelperNotAllowed = def<{ helper: string }>(400, 'ConntrackHelperNotAllowed', (p) => `Conntrack Helper ${p.helper} is not allowed.`);
export const InvalidProtocolForHelper = def<{ helper: string; protocol: string; supported_protocols: string }>(400, 'InvalidProtocolForHelper', (p) => `Conntrack Helper ${p.helper} does not support: ${p.protocol}. Supported protocols are: ${p.supported_protocols}`);

// l3-port-ip-change-not-allowed (neutron.ipam.exceptions) ----------------------------------------
export const IPAddressChangeNotAllowed = def<{ port_id: string }>(400, 'IPAddressChangeNotAllowed', (p) => `IP updates for port ${p.port_id} are not allowed`);

// Auto-allocated topology (neutron.services.auto_allocate.exceptions) ----------------------------
export const AutoAllocationFailure = def<{ reason: string }>(409, 'AutoAllocationFailure', (p) => `Deployment error: ${p.reason}.`);
export const DefaultExternalNetworkExists = def<{ net_id: string }>(409, 'DefaultExternalNetworkExists', (p) => `A default external network already exists: ${p.net_id}.`);

// Flavors and service types (neutron_lib.exceptions.flavors) --------------------------------------
export const InvalidServiceType = def<{ service_type: string }>(400, 'InvalidServiceType', (p) => `Invalid service type: ${p.service_type}.`);
export const FlavorNotFound = def<{ flavor_id: string }>(404, 'FlavorNotFound', (p) => `Flavor ${p.flavor_id} could not be found.`);
export const FlavorInUse = def<{ flavor_id: string }>(409, 'FlavorInUse', (p) => `Flavor ${p.flavor_id} is used by some service instance.`);
export const ServiceProfileNotFound = def<{ sp_id: string }>(404, 'ServiceProfileNotFound', (p) => `Service Profile ${p.sp_id} could not be found.`);
export const ServiceProfileInUse = def<{ sp_id: string }>(409, 'ServiceProfileInUse', (p) => `Service Profile ${p.sp_id} is used by some service instance.`);
export const FlavorServiceProfileBindingExists = def<{ sp_id: string; fl_id: string }>(409, 'FlavorServiceProfileBindingExists', (p) => `Service Profile ${p.sp_id} is already associated with flavor ${p.fl_id}.`);
export const FlavorServiceProfileBindingNotFound = def<{ sp_id: string; fl_id: string }>(404, 'FlavorServiceProfileBindingNotFound', (p) => `Service Profile ${p.sp_id} is not associated with flavor ${p.fl_id}.`);
export const ServiceProfileDriverNotFound = def<{ driver: string }>(404, 'ServiceProfileDriverNotFound', (p) => `Service Profile driver ${p.driver} could not be found.`);
export const ServiceProfileEmpty = def<void>(400, 'ServiceProfileEmpty', () => 'Service Profile needs either a driver or metainfo.');
export const FlavorDisabled = def<void>(503, 'FlavorDisabled', () => 'Flavor is not enabled.');
export const ServiceProfileDisabled = def<void>(503, 'ServiceProfileDisabled', () => 'Service Profile is not enabled.');

// Local IP (neutron_lib.exceptions.local_ip) ------------------------------------------------------
export const LocalIPNotFound = def<{ id: string }>(404, 'LocalIPNotFound', (p) => `Local IP ${p.id} could not be found.`);
export const LocalIPInUse = def<{ id: string }>(409, 'LocalIPInUse', (p) => `Local IP ${p.id} is still associated with one or more ports.`);
export const LocalIPNoIP = def<{ port_id: string }>(400, 'LocalIPNoIP', (p) => `Specified Port ${p.port_id} has no fixed IPs configured.`);
export const LocalIPRequestedIPNotFound = def<{ port_id: string; ip: string }>(400, 'LocalIPRequestedIPNotFound', (p) => `Specified Port ${p.port_id} does not have requested IP address: ${p.ip}.`);
export const LocalIPNoRequestedIP = def<{ port_id: string }>(400, 'LocalIPNoRequestedIP', (p) => `Specified Port ${p.port_id} has several IPs, should specify exact IP address to use for Local IP.`);
export const LocalIPPortOrNetworkRequired = def<void>(400, 'LocalIPPortOrNetworkRequired', () => 'Either Port ID or Network ID must be specified for Local IP create.');
export const LocalIPAssociationNotFound = def<{ local_ip_id: string; port_id: string }>(404, 'LocalIPAssociationNotFound', (p) => `Local IP ${p.local_ip_id} association with port ${p.port_id} could not be found.`);

// Logging (neutron.services.logapi.common.exceptions) ---------------------------------------------
export const LogResourceNotFound = def<{ log_id: string }>(404, 'LogResourceNotFound', (p) => `Log resource ${p.log_id} could not be found.`);
export const InvalidLogResourceType = def<{ resource_type: string }>(400, 'InvalidLogResourceType', (p) => `Invalid log resource_type: ${p.resource_type}.`);
export const LoggingTypeNotSupported = def<{ log_type: string; port_id: string }>(409, 'LoggingTypeNotSupported', (p) => `Logging type ${p.log_type} is not supported on port ${p.port_id}.`);
export const TargetResourceNotFound = def<{ target_id: string }>(404, 'TargetResourceNotFound', (p) => `Target resource ${p.target_id} could not be found.`);
export const LoggedResourceNotFound = def<{ resource_id: string }>(404, 'ResourceNotFound', (p) => `Resource ${p.resource_id} could not be found.`);
export const InvalidResourceConstraint = def<{ resource: string; resource_id: string; target_resource: string; target_id: string }>(400, 'InvalidResourceConstraint', (p) => `Invalid resource constraint between resource (${p.resource} ${p.resource_id}) and target resource (${p.target_resource} ${p.target_id}).`);

// NDP proxy (neutron.services.ndp_proxy.exceptions) -----------------------------------------------
export const RouterGatewayInUseByNDPProxy = def<{ router_id: string }>(409, 'RouterGatewayInUseByNDPProxy', (p) => `Unable to unset external gateway of router ${p.router_id}, There are one or more ndp proxies still in use on the router.`);
export const AddressScopeConflict = def<{ ext_address_scope: string | null; internal_address_scope: string | null }>(409, 'AddressScopeConflict', (p) => `The IPv6 address scope ${p.ext_address_scope ?? 'None'} of external network conflict with internal network's IPv6 address scope ${p.internal_address_scope ?? 'None'}.`);
export const RouterGatewayNotValid = def<{ router_id: string; reason: string }>(409, 'RouterGatewayNotValid', (p) => `Can not enable ndp proxy on router ${p.router_id}, ${p.reason}.`);
export const RouterNDPProxyNotEnable = def<{ router_id: string }>(409, 'RouterNDPProxyNotEnable', (p) => `The enable_ndp_proxy parameter of router ${p.router_id} must be set as True while create ndp proxy entry on it.`);
export const PortUnreachableRouter = def<{ port_id: string; router_id: string }>(409, 'PortUnreachableRouter', (p) => `The port ${p.port_id} cannot reach the router ${p.router_id} by IPv6 subnet.`);
export const InvalidAddress = def<{ address: string; reason: string }>(400, 'InvalidAddress', (p) => `The address ${p.address} is invalid, reason: ${p.reason}.`);
export const NDPProxyNotFound = def<{ id: string }>(404, 'NDPProxyNotFound', (p) => `Ndp proxy ${p.id} could not be found.`);
export const RouterInterfaceInUseByNDPProxy = def<{ router_id: string; subnet_id: string }>(409, 'RouterInterfaceInUseByNDPProxy', (p) => `Unable to remove subnet ${p.subnet_id} from router ${p.router_id}, There are one or more ndp proxies still in use on the subnet.`);
export const PortHasPortForwarding = def<{ port_id: string }>(400, 'PortHasPortForwarding', (p) => `Cannot associate floating IP to port ${p.port_id} because it already has a Port Forwarding binding.`);
