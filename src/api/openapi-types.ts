/**
 * JSON Schema (2020-12, OpenAPI 3.1's dialect) for the values of attributes whose definition does
 * not tell their type: computed attributes, and those whose validator is a function the schema
 * cannot be read from. Keys are `<collection>.<attribute>` or `<attribute>` for every resource;
 * the facts come from neutron-lib's attribute maps (validate 'type:...' entries) and Neutron's
 * answers. What a definition does tell (the validators of lib/attributes.ts, the storage kind,
 * string lengths, enums and ranges) is read from it in openapi.ts; an attribute that neither
 * covers is a test failure (test/api/openapi.test.ts), so a new attribute gets its type here.
 */
export type JsonSchema = Record<string, unknown>;

export const str = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
export const int = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
export const bool: JsonSchema = { type: 'boolean' };
export const uuid: JsonSchema = { type: 'string', format: 'uuid' };
export const arr = (items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({ type: 'array', items, ...extra });
export const obj = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object', properties, ...extra,
});
export const anyObject: JsonSchema = { type: 'object' };

/** The schema that also allows null. */
export function nullable(s: JsonSchema): JsonSchema {
  const type = s.type;
  if (type === undefined) return s.anyOf ? { ...s, anyOf: [...(s.anyOf as JsonSchema[]), { type: 'null' }] } : s;
  const types = Array.isArray(type) ? type : [type];
  if (types.includes('null')) return s;
  const out: JsonSchema = { ...s, type: [...types, 'null'] };
  if (Array.isArray(s.enum) && !s.enum.includes(null)) out.enum = [...s.enum, null];
  return out;
}

const ip = str({ description: 'an IPv4 or IPv6 address' });
const cidr = str({ description: 'a CIDR, e.g. 10.0.0.0/24' });
const mac = str({ pattern: '^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$' });
/** agent times, as Neutron shows them: str() of a DATETIME, "2024-05-01 10:00:00" */
const agentTime = str({ pattern: '^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$' });
const route = obj({ destination: cidr, nexthop: ip }, { required: ['destination', 'nexthop'] });
const fixedIp = obj({ subnet_id: uuid, ip_address: ip });
const providerSegment = obj({
  'provider:network_type': str(), 'provider:physical_network': nullable(str()), 'provider:segmentation_id': nullable(int()),
});

export const ATTRIBUTE_TYPES: Record<string, JsonSchema> = {
  // every resource
  'created_at': str({ format: 'date-time' }),
  'updated_at': str({ format: 'date-time' }),
  'tags': arr(str({ maxLength: 255 })),
  // the tag filters (not attributes an object shows): comma-separated tags
  'tags-any': str(),
  'not-tags': str(),
  'not-tags-any': str(),
  'status': str(),
  'availability_zones': arr(str()),
  'availability_zone_hints': arr(str({ maxLength: 255 })),

  // networks
  'networks.subnets': arr(uuid),
  'networks.provider:network_type': str(),
  'networks.provider:physical_network': nullable(str()),
  'networks.provider:segmentation_id': nullable(int()),
  'networks.segments': arr(providerSegment),
  'networks.l2_adjacency': bool,
  'networks.ipv4_address_scope': nullable(uuid),
  'networks.ipv6_address_scope': nullable(uuid),

  // subnets
  'subnets.subnetpool_id': nullable(str({ description: 'a subnet pool id, or "prefix_delegation"' })),
  'subnets.prefixlen': int({ minimum: 0, maximum: 128 }),
  'subnets.cidr': nullable(cidr),
  'subnets.gateway_ip': nullable(ip),
  'subnets.allocation_pools': arr(obj({ start: ip, end: ip }, { required: ['start', 'end'] })),
  'subnets.dns_nameservers': arr(ip),
  'subnets.host_routes': arr(route),
  'subnets.service_types': arr(str()),
  'subnets.shared': bool,

  // subnet pools
  'subnetpools.prefixes': arr(cidr),
  'subnetpools.default_quota': nullable(int()),
  // taken as integers; answered as strings of digits, as Neutron does
  'subnetpools.default_prefixlen': { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 0 },
  'subnetpools.min_prefixlen': { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 0 },
  'subnetpools.max_prefixlen': { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 0 },

  // address groups (null is taken as [])
  'address_groups.addresses': nullable(arr(cidr)),

  // ports
  'ports.mac_address': mac,
  'ports.fixed_ips': arr(fixedIp),
  'ports.binding:vif_type': str(),
  'ports.binding:vnic_type': str(),
  'ports.binding:vif_details': anyObject,
  'ports.binding:host_id': str(),
  'ports.binding:profile': nullable(anyObject),
  'ports.allowed_address_pairs': arr(obj({ ip_address: str(), mac_address: mac }, { required: ['ip_address'] })),
  'ports.extra_dhcp_opts': nullable(arr(obj({
    opt_name: str(), opt_value: nullable(str()), ip_version: int({ enum: [4, 6] }),
  }, { required: ['opt_name', 'opt_value'] }))),
  'ports.security_groups': arr(uuid),
  'ports.dns_assignment': arr(obj({ hostname: str(), ip_address: ip, fqdn: str() })),

  // agents
  'agents.created_at': agentTime,
  'agents.started_at': agentTime,
  'agents.heartbeat_timestamp': agentTime,
  'agents.alive': bool,
  'agents.configurations': anyObject,
  'agents.availability_zone': nullable(str()),
  'availability_zones.name': str(),
  'availability_zones.resource': str({ enum: ['network', 'router'] }),
  'availability_zones.state': str({ enum: ['available', 'unavailable'] }),

  // security groups
  'security_groups.security_group_rules': arr(anyObject),
  'security_group_rules.security_group_id': uuid,
  'security_group_rules.remote_group_id': nullable(uuid),
  'security_group_rules.direction': str({ enum: ['ingress', 'egress'] }),
  'security_group_rules.protocol': nullable(str({ description: 'a protocol name or number (as a string on output)' })),
  'security_group_rules.ethertype': str({ enum: ['IPv4', 'IPv6'] }),
  'security_group_rules.remote_ip_prefix': nullable(cidr),
  'security_group_rules.normalized_cidr': nullable(cidr),

  // network IP availability
  'network_ip_availabilities.network_id': uuid,
  'network_ip_availabilities.network_name': str(),
  'network_ip_availabilities.tenant_id': str(),
  'network_ip_availabilities.project_id': str(),
  'network_ip_availabilities.total_ips': int({ minimum: 0 }),
  'network_ip_availabilities.used_ips': int({ minimum: 0 }),
  'network_ip_availabilities.ip_version': int({ enum: [4, 6] }),
  'network_ip_availabilities.subnet_ip_availability': arr(obj({
    subnet_id: uuid, subnet_name: str(), cidr, ip_version: int({ enum: [4, 6] }), total_ips: int({ minimum: 0 }), used_ips: int({ minimum: 0 }),
  })),

  // routers and floating IPs
  'routers.external_gateway_info': nullable(obj({
    network_id: uuid, enable_snat: bool, external_fixed_ips: arr(fixedIp),
  })),
  'routers.routes': arr(route),
  'routers.distributed': nullable(bool),
  'routers.ha': nullable(bool),
  'floatingips.floating_ip_address': nullable(ip),
  'floatingips.subnet_id': nullable(uuid),
  'floatingips.floating_network_id': uuid,
  'floatingips.router_id': nullable(uuid),
  'floatingips.port_id': nullable(uuid),
  'floatingips.fixed_ip_address': nullable(ip),
  'floatingips.port_details': nullable(obj({
    name: str(), network_id: uuid, mac_address: mac, admin_state_up: bool, status: str(), device_id: str(), device_owner: str(),
  })),
  'floatingip_pools.subnet_id': uuid,
  'floatingip_pools.subnet_name': str(),
  'floatingip_pools.network_id': uuid,
  'floatingip_pools.cidr': cidr,
  'floatingip_pools.project_id': str(),

  // trunks, segments, network segment ranges
  'trunks.sub_ports': arr(obj({ port_id: uuid, segmentation_type: str({ description: 'vlan, or inherit on input' }), segmentation_id: int() }, { required: ['port_id'] })),
  'ports.trunk_details': obj({
    trunk_id: uuid, sub_ports: arr(obj({ port_id: uuid, segmentation_type: str(), segmentation_id: int(), mac_address: mac })),
  }),
  'segments.tenant_id': str({ maxLength: 255 }),
  'segments.project_id': str({ maxLength: 255 }),
  'network_segment_ranges.used': obj({}, { description: 'segmentation id → project id of its network', additionalProperties: nullable(str()) }),
  'network_segment_ranges.available': arr(int()),
  // L3 service plugins: what routers and floating IPs show of their sub-resources
  'routers.conntrack_helpers': arr(obj({ protocol: str(), port: int({ minimum: 1, maximum: 65535 }), helper: str() })),
  'floatingips.port_forwardings': arr(obj({
    id: uuid, internal_ip_address: str(), protocol: str(), internal_port: int(), external_port: int(), internal_port_id: uuid,
  })),
};

/** Collections Neutron serves as lists only: GET /v2.0/<collection>/<id> answers 404. */
export const LIST_ONLY = new Set(['availability_zones', 'floatingip_pools']);
