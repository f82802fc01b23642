/**
 * Every table, as the migrations (db/migrations/) create it: what a query reads and writes is
 * typed from here. Booleans read back as 0/1 on SQLite and MariaDB and as true/false on
 * PostgreSQL; bigint columns read as numbers (every value stored fits in 2^53).
 */
import type { ColumnType, Kysely, SelectQueryBuilder, Transaction } from 'kysely';

type Flag = boolean | number;
/** a column the database fills when an insert leaves it out */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** id and Neutron's standard attributes (migrations/columns.ts) */
interface StandardColumns {
  id: string;
  description: Defaulted<string>;
  created_at: string;
  updated_at: string;
  revision_number: Defaulted<number>;
}

export interface NetworksTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  admin_state_up: Flag;
  status: string;
  mtu: number;
  router_external: Defaulted<Flag>;
  port_security_enabled: Defaulted<Flag>;
  availability_zone_hints: Defaulted<string>;
  dns_domain: Defaulted<string>;
  /** auto-allocated-topology: the deployment's default external network */
  is_default: Defaulted<Flag>;
}

export interface NetworkSegmentsTable {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: Defaulted<number>;
  is_dynamic: Defaulted<Flag>;
  // the segments resource (migrations/0011_trunks_segments.ts)
  name: Defaulted<string | null>;
  description: Defaulted<string>;
  created_at: Defaulted<string | null>;
  updated_at: Defaulted<string | null>;
  revision_number: Defaulted<number>;
}

/** one row per segmentation id in use ('' physical network for tunnels, 0 for flat networks) */
export interface SegmentAllocationsTable {
  network_type: string;
  physical_network: string;
  segmentation_id: number;
  network_id: string;
}

export interface RbacEntriesTable {
  id: string;
  project_id: string | null;
  object_type: string;
  object_id: string;
  target_project: string;
  action: string;
}

export interface TagsTable {
  resource_type: string;
  resource_id: string;
  tag: string;
}

export interface AgentsTable {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string | null;
  admin_state_up: Defaulted<Flag>;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  /** JSON text */
  configurations: string;
  /** JSON text */
  resource_versions: string | null;
  load: Defaulted<number>;
  resources_synced: Flag | null;
}

export interface NetworkDhcpAgentBindingsTable {
  network_id: string;
  dhcp_agent_id: string;
  binding_index: Defaulted<number>;
}

export interface AddressScopesTable {
  id: string;
  project_id: string | null;
  name: Defaulted<string>;
  ip_version: number;
}

export interface SubnetpoolsTable extends StandardColumns {
  project_id: string | null;
  name: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  is_default: Defaulted<Flag>;
  default_quota: number | null;
  address_scope_id: string | null;
  hash: Defaulted<string>;
}

export interface SubnetpoolPrefixesTable {
  subnetpool_id: string;
  cidr: string;
}

export interface SubnetsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Flag;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  segment_id: string | null;
}

export interface SubnetAllocationPoolsTable {
  subnet_id: string;
  pool_index: number;
  first_ip: string;
  last_ip: string;
}

/** the free addresses of each pool, as fixed-width hex so that text order is address order */
export interface IpamAvailabilityRangesTable {
  subnet_id: string;
  pool_index: number;
  first_ip: string;
  last_ip: string;
}

export interface SubnetDnsNameserversTable {
  subnet_id: string;
  address: string;
  order: number;
}

export interface SubnetRoutesTable {
  subnet_id: string;
  destination: string;
  nexthop: string;
}

export interface SubnetServiceTypesTable {
  subnet_id: string;
  service_type: string;
}

export interface PortsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  network_id: string;
  mac_address: string;
  admin_state_up: Flag;
  status: string;
  device_id: Defaulted<string>;
  device_owner: Defaulted<string>;
  ip_allocation: string | null;
  port_security_enabled: Flag | null;
  dns_name: Defaulted<string>;
}

export interface IpallocationsTable {
  subnet_id: string;
  ip_address: string;
  port_id: string;
  network_id: string;
}

export interface Ml2PortBindingsTable {
  port_id: string;
  host: Defaulted<string>;
  vif_type: string;
  vnic_type: Defaulted<string>;
  /** JSON text */
  profile: Defaulted<string>;
  /** JSON text */
  vif_details: Defaulted<string>;
  status: Defaulted<string>;
}

export interface PortSecurityGroupBindingsTable {
  port_id: string;
  security_group_id: string;
}

export interface PortAllowedAddressPairsTable {
  port_id: string;
  mac_address: string;
  ip_address: string;
}

export interface PortExtraDhcpOptsTable {
  port_id: string;
  opt_name: string;
  opt_value: string | null;
  ip_version: number;
}

export interface Ml2TunnelEndpointsTable {
  tunnel_type: string;
  ip_address: string;
  host: string | null;
  udp_port: number | null;
}

export interface Ml2PortBindingLevelsTable {
  port_id: string;
  host: string;
  level: number;
  driver: string | null;
  segment_id: string | null;
}

export interface ProvisioningBlocksTable {
  port_id: string;
  entity: string;
}

export interface SecurityGroupsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  stateful: Defaulted<Flag>;
}

export interface SecurityGroupRulesTable extends StandardColumns {
  project_id: string | null;
  security_group_id: string;
  remote_group_id: string | null;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  normalized_cidr: string | null;
  remote_address_group_id: Defaulted<string | null>;
}

export interface AddressGroupsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
}

export interface AddressAssociationsTable {
  address_group_id: string;
  address: string;
}

export interface DefaultSecurityGroupsTable {
  project_id: string;
  security_group_id: string;
}

export interface QuotasTable {
  project_id: string;
  resource: string;
  limit: number;
}

export interface QuotaLocksTable {
  project_id: string;
  resource: string;
  generation: Defaulted<number>;
}

export interface RoutersTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  admin_state_up: Flag;
  status: string;
  enable_snat: Defaulted<Flag>;
  distributed: Defaulted<Flag>;
  ha: Defaulted<Flag>;
  availability_zone_hints: Defaulted<string>;
  /** l3-flavors */
  flavor_id: string | null;
}

export interface RouterRoutesTable {
  router_id: string;
  destination: string;
  nexthop: string;
}

export interface RouterL3AgentBindingsTable {
  router_id: string;
  l3_agent_id: string;
  binding_index: Defaulted<number>;
}

export interface FloatingipsTable extends StandardColumns {
  project_id: string | null;
  floating_ip_address: string;
  floating_network_id: string;
  floating_port_id: string | null;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  last_known_router_id: string | null;
  status: string;
  dns_name: Defaulted<string>;
  dns_domain: Defaulted<string>;
}

export interface LocksTable {
  name: string;
}

/** the change stream's log (db/changes.ts) */
export interface ChangesTable {
  seq: ColumnType<number, never, never>;
  table_name: string;
  object_id: string;
  event: 'created' | 'updated' | 'deleted';
  /** JSON text */
  snapshot: string | null;
  created_at: string;
}

export interface ChangeWatchTable {
  id: number;
  /** a timestamp: the states of created and updated objects are logged until then */
  watched_until: string;
}

export interface QosPoliciesTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
}

export interface QosPoliciesDefaultTable {
  project_id: string;
  qos_policy_id: string;
}

interface QosRuleColumns {
  id: string;
  qos_policy_id: string;
}

export interface QosBandwidthLimitRulesTable extends QosRuleColumns {
  max_kbps: number | null;
  max_burst_kbps: number | null;
  direction: Defaulted<string>;
}

export interface QosDscpMarkingRulesTable extends QosRuleColumns {
  dscp_mark: number;
}

export interface QosMinimumBandwidthRulesTable extends QosRuleColumns {
  min_kbps: number;
  direction: Defaulted<string>;
}

export interface QosMinimumPacketRateRulesTable extends QosRuleColumns {
  min_kpps: number;
  direction: Defaulted<string>;
}

export interface QosPacketRateLimitRulesTable extends QosRuleColumns {
  max_kpps: number;
  max_burst_kpps: Defaulted<number>;
  direction: Defaulted<string>;
}

export interface QosNetworkPolicyBindingsTable { network_id: string; policy_id: string }
export interface QosPortPolicyBindingsTable { port_id: string; policy_id: string }
export interface QosFipPolicyBindingsTable { fip_id: string; policy_id: string }
export interface QosRouterGwPolicyBindingsTable { router_id: string; policy_id: string }
/** floating IP port forwardings (port_forwarding service plugin) */
export interface PortforwardingsTable {
  id: string;
  floatingip_id: string;
  internal_port_id: string;
  protocol: string;
  internal_ip_address: string;
  internal_port_start: number;
  internal_port_end: number;
  external_port_start: number;
  external_port_end: number;
  description: Defaulted<string>;
}

/** metering labels and their rules (metering service plugin) */
export interface MeteringLabelsTable {
  id: string;
  project_id: string | null;
  name: Defaulted<string>;
  description: Defaulted<string>;
  shared: Defaulted<Flag>;
}

export interface MeteringLabelRulesTable {
  id: string;
  metering_label_id: string;
  direction: string;
  excluded: Defaulted<Flag>;
  remote_ip_prefix: string | null;
  source_ip_prefix: string | null;
  destination_ip_prefix: string | null;
}

/** a router's conntrack helpers (conntrack_helper service plugin) */
export interface ConntrackHelpersTable {
  id: string;
  router_id: string;
  protocol: string;
  port: number;
  helper: string;
}

/** one auto-allocated topology per project (auto_allocate service plugin) */
export interface AutoAllocatedTopologiesTable {
  project_id: string;
  network_id: string;
  router_id: string | null;
}

/** flavors and service profiles (flavors service plugin) */
export interface FlavorsTable {
  id: string;
  name: Defaulted<string>;
  description: string | null;
  enabled: Defaulted<Flag>;
  service_type: string | null;
}

export interface ServiceprofilesTable {
  id: string;
  description: string | null;
  driver: Defaulted<string>;
  enabled: Defaulted<Flag>;
  metainfo: string | null;
}

export interface FlavorServiceProfileBindingsTable {
  service_profile_id: string;
  flavor_id: string;
}

/** local IPs and their port associations (local_ip service plugin) */
export interface LocalIpsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  local_port_id: string;
  network_id: string;
  local_ip_address: string;
  ip_mode: string;
}

export interface LocalIpAssociationsTable {
  local_ip_id: string;
  fixed_port_id: string;
  fixed_ip: string;
}

/** packet logs (log service plugin) */
export interface LogsTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  resource_type: string;
  resource_id: string | null;
  event: string;
  target_id: string | null;
  enabled: Defaulted<Flag>;
}

/** NDP proxies and the routers' enable_ndp_proxy (ndp_proxy service plugin) */
export interface RouterNdpProxyStateTable {
  router_id: string;
  enable_ndp_proxy: Flag;
}

export interface NdpProxiesTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  router_id: string;
  port_id: string;
  ip_address: string;
}

export interface Tables {
  networks: NetworksTable;
  network_segments: NetworkSegmentsTable;
  segment_allocations: SegmentAllocationsTable;
  rbac_entries: RbacEntriesTable;
  tags: TagsTable;
  agents: AgentsTable;
  network_dhcp_agent_bindings: NetworkDhcpAgentBindingsTable;
  address_scopes: AddressScopesTable;
  subnetpools: SubnetpoolsTable;
  subnetpool_prefixes: SubnetpoolPrefixesTable;
  subnets: SubnetsTable;
  subnet_allocation_pools: SubnetAllocationPoolsTable;
  ipam_availability_ranges: IpamAvailabilityRangesTable;
  subnet_dns_nameservers: SubnetDnsNameserversTable;
  subnet_routes: SubnetRoutesTable;
  subnet_service_types: SubnetServiceTypesTable;
  ports: PortsTable;
  ipallocations: IpallocationsTable;
  ml2_port_bindings: Ml2PortBindingsTable;
  port_security_group_bindings: PortSecurityGroupBindingsTable;
  port_allowed_address_pairs: PortAllowedAddressPairsTable;
  port_extra_dhcp_opts: PortExtraDhcpOptsTable;
  ml2_tunnel_endpoints: Ml2TunnelEndpointsTable;
  ml2_port_binding_levels: Ml2PortBindingLevelsTable;
  provisioningblocks: ProvisioningBlocksTable;
  security_groups: SecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  address_groups: AddressGroupsTable;
  address_associations: AddressAssociationsTable;
  default_security_groups: DefaultSecurityGroupsTable;
  quotas: QuotasTable;
  quota_locks: QuotaLocksTable;
  routers: RoutersTable;
  router_routes: RouterRoutesTable;
  router_l3_agent_bindings: RouterL3AgentBindingsTable;
  floatingips: FloatingipsTable;
  locks: LocksTable;
  changes: ChangesTable;
  change_watch: ChangeWatchTable;
  qos_policies: QosPoliciesTable;
  qos_policies_default: QosPoliciesDefaultTable;
  qos_bandwidth_limit_rules: QosBandwidthLimitRulesTable;
  qos_dscp_marking_rules: QosDscpMarkingRulesTable;
  qos_minimum_bandwidth_rules: QosMinimumBandwidthRulesTable;
  qos_minimum_packet_rate_rules: QosMinimumPacketRateRulesTable;
  qos_packet_rate_limit_rules: QosPacketRateLimitRulesTable;
  qos_network_policy_bindings: QosNetworkPolicyBindingsTable;
  qos_port_policy_bindings: QosPortPolicyBindingsTable;
  qos_fip_policy_bindings: QosFipPolicyBindingsTable;
  qos_router_gw_policy_bindings: QosRouterGwPolicyBindingsTable;
  portdnses: PortDnsesTable;
  portdataplanestatuses: PortDataPlaneStatusesTable;
  portuplinkstatuspropagation: PortUplinkStatusPropagationTable;
  portdeviceprofiles: PortDeviceProfilesTable;
  portnumaaffinitypolicies: PortNumaAffinityPoliciesTable;
  subnet_dns_publish_fixed_ips: SubnetDnsPublishFixedIpsTable;
  portforwardings: PortforwardingsTable;
  metering_labels: MeteringLabelsTable;
  metering_label_rules: MeteringLabelRulesTable;
  conntrack_helpers: ConntrackHelpersTable;
  auto_allocated_topologies: AutoAllocatedTopologiesTable;
  flavors: FlavorsTable;
  serviceprofiles: ServiceprofilesTable;
  flavorserviceprofilebindings: FlavorServiceProfileBindingsTable;
  local_ips: LocalIpsTable;
  local_ip_associations: LocalIpAssociationsTable;
  logs: LogsTable;
  router_ndp_proxy_state: RouterNdpProxyStateTable;
  ndp_proxies: NdpProxiesTable;
}

export type TableName = keyof Tables;

/** Queries run either on the pool or inside a transaction; both are Kysely instances. */
export type Queryable = Kysely<Tables>;
export type Tx = Transaction<Tables>;

/**
 * A table whose name the generic store has at run time only (a resource's definition names it):
 * its columns are known by name, their types are not.
 */
export type AnyTables = Record<string, Record<string, unknown>>;
export type DynamicQueryable = Kysely<AnyTables>;

/** The same connection or transaction, for queries on a table named at run time. */
export function dynamic(q: Queryable): DynamicQueryable {
  return q as unknown as DynamicQueryable;
}

/** A SELECT being built, as the store's scope and filter hooks refine it. */
export type Select = SelectQueryBuilder<AnyTables, string, Record<string, unknown>>;

// trunks (migrations/0011_trunks_segments.ts) ----------------------------------------------

export interface TrunksTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  admin_state_up: Flag;
  port_id: string;
  status: string;
}

export interface SubportsTable {
  port_id: string;
  trunk_id: string;
  segmentation_type: string;
  segmentation_id: number;
}

export interface NetworkSegmentRangesTable extends StandardColumns {
  project_id: string | null;
  name: Defaulted<string>;
  default: Defaulted<Flag>;
  shared: Defaulted<Flag>;
  network_type: string;
  physical_network: string | null;
  minimum: number;
  maximum: number;
}

/** declaration merging: the tables of later migrations join the interface above */
export interface Tables {
  trunks: TrunksTable;
  subports: SubportsTable;
  network_segment_ranges: NetworkSegmentRangesTable;
}
/** ML2 extension drivers' per-port rows (0013) */
export interface PortDnsesTable { port_id: string; dns_domain: Defaulted<string> }
export interface PortDataPlaneStatusesTable { port_id: string; data_plane_status: string | null }
export interface PortUplinkStatusPropagationTable { port_id: string; propagate: Flag }
export interface PortDeviceProfilesTable { port_id: string; device_profile: string | null }
export interface PortNumaAffinityPoliciesTable { port_id: string; numa_affinity_policy: string | null }
export interface SubnetDnsPublishFixedIpsTable { subnet_id: string; dns_publish_fixed_ip: Flag }
