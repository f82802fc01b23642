/**
 * Neutron's versioned objects as the OVS agent's cache reads them (oslo.versionedobjects
 * primitives at Zed's versions): Port 1.7, Network 1.1, Subnet 1.1, SecurityGroup 1.5,
 * SecurityGroupRule 1.2, built set-based from the database. Every field is sent (a missing one
 * cannot be loaded lazily on the agent); dict fields of bindings travel as JSON strings.
 */
import { createHash } from 'node:crypto';
import { ACCESS_SHARED } from '../../../lib/constants.js';
import { inChunks } from '../../../db/chunks.js';
import { dynamic, type Queryable, type TableName } from '../../../db/schema.js';

export type Primitive = Record<string, unknown>;

/** LOCAL_RESOURCE_VERSIONS of the types this server can pull and push. */
export const RESOURCE_VERSIONS: Record<string, string> = {
  Port: '1.7', Network: '1.1', Subnet: '1.1', SecurityGroup: '1.5', SecurityGroupRule: '1.2', AddressGroup: '1.2',
  QosPolicy: '1.10',
};

export function primitive(name: string, version: string, data: Record<string, unknown>): Primitive {
  return {
    'versioned_object.name': name,
    'versioned_object.namespace': 'versionedobjects',
    'versioned_object.version': version,
    'versioned_object.data': data,
  };
}

/** An id for rows that have none of their own (extra DHCP options, allocation pools): stable per row. */
function rowId(...parts: unknown[]): string {
  const h = createHash('sha1').update(parts.map(String).join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const bool = (v: unknown) => v === true || v === 1 || v === '1';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const standard = (r: Record<string, any>) => ({
  revision_number: Number(r.revision_number ?? 0), description: r.description ?? '', created_at: r.created_at, updated_at: r.updated_at,
});

type Filters = Record<string, unknown[]>;
type Rows = Array<Record<string, any>>;

/** Rows of `table` matching the filters on its own columns (values ORed, fields ANDed). */
async function select(q: Queryable, table: TableName, filters: Filters, special: Record<string, (qb: any, values: unknown[]) => any> = {}): Promise<Rows> {
  let qb: any = dynamic(q).selectFrom(table).selectAll(table);
  for (const [field, values] of Object.entries(filters)) {
    if (!values.length) return [];
    qb = special[field] ? special[field](qb, values) : qb.where(`${table}.${field}`, 'in', values);
  }
  return qb.orderBy(`${table}.id`).execute();
}

async function byKey(q: Queryable, table: TableName, key: string, ids: string[], order?: string): Promise<Map<string, Rows>> {
  const out = new Map<string, Rows>();
  await inChunks(ids, async (chunk) => {
    let qb: any = dynamic(q).selectFrom(table).selectAll().where(key, 'in', chunk);
    if (order) qb = qb.orderBy(order);
    for (const r of await qb.execute()) (out.get(r[key]) ?? out.set(r[key], []).get(r[key])!).push(r);
  });
  return out;
}

/** The objects of a type shared with everyone (`shared` of an object read without a caller). */
async function sharedObjects(q: Queryable, objectType: string, ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  await inChunks(ids, async (chunk) => {
    const rows = await q.selectFrom('rbac_entries').select('object_id').where('object_type', '=', objectType)
      .where('action', '=', ACCESS_SHARED).where('target_project', '=', '*').where('object_id', 'in', chunk).execute();
    for (const r of rows) out.add(r.object_id);
  });
  return out;
}

const sharedNetworks = (q: Queryable, ids: string[]) => sharedObjects(q, 'network', ids);

function segmentPrimitive(s: Record<string, any>, network: Record<string, any> | undefined): Primitive {
  return primitive('NetworkSegment', '1.0', {
    id: s.id, network_id: s.network_id, name: s.name ?? null, network_type: s.network_type,
    physical_network: s.physical_network ?? null, segmentation_id: num(s.segmentation_id),
    is_dynamic: bool(s.is_dynamic), segment_index: Number(s.segment_index ?? 0), hosts: [],
    // segments carry no standard attributes of their own here: their network's
    revision_number: 0, description: null, created_at: network?.created_at ?? null, updated_at: network?.updated_at ?? null,
  });
}

export async function networkObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'networks', filters);
  const ids = rows.map((r) => r.id as string);
  const [segments, shared, qos] = await Promise.all([
    byKey(q, 'network_segments', 'network_id', ids, 'segment_index'), sharedNetworks(q, ids), byKey(q, 'qos_network_policy_bindings', 'network_id', ids),
  ]);
  return rows.map((n) => primitive('Network', '1.1', {
    id: n.id, project_id: n.project_id, name: n.name, status: n.status, admin_state_up: bool(n.admin_state_up),
    vlan_transparent: n.vlan_transparent === null || n.vlan_transparent === undefined ? null : bool(n.vlan_transparent),
    availability_zone_hints: JSON.parse(n.availability_zone_hints || '[]'), shared: shared.has(n.id), mtu: num(n.mtu) ?? 1500,
    security: primitive('NetworkPortSecurity', '1.0', { id: n.id, port_security_enabled: n.port_security_enabled === null ? true : bool(n.port_security_enabled) }),
    segments: (segments.get(n.id) ?? []).map((s) => segmentPrimitive(s, n)),
    dns_domain: n.dns_domain || null, qos_policy_id: qos.get(n.id)?.[0]?.policy_id ?? null, ...standard(n),
  }));
}

export async function subnetObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'subnets', filters);
  const ids = rows.map((r) => r.id as string);
  const [pools, dns, routes, types, shared, publish] = await Promise.all([
    byKey(q, 'subnet_allocation_pools', 'subnet_id', ids, 'pool_index'),
    byKey(q, 'subnet_dns_nameservers', 'subnet_id', ids, 'order'),
    byKey(q, 'subnet_routes', 'subnet_id', ids),
    byKey(q, 'subnet_service_types', 'subnet_id', ids),
    sharedNetworks(q, [...new Set(rows.map((r) => r.network_id as string))]),
    byKey(q, 'subnet_dns_publish_fixed_ips', 'subnet_id', ids),
  ]);
  return rows.map((s) => primitive('Subnet', '1.1', {
    id: s.id, project_id: s.project_id, name: s.name, network_id: s.network_id, segment_id: s.segment_id ?? null,
    subnetpool_id: s.subnetpool_id ?? null, ip_version: Number(s.ip_version), cidr: s.cidr, gateway_ip: s.gateway_ip ?? null,
    allocation_pools: (pools.get(s.id) ?? []).map((p) => primitive('IPAllocationPool', '1.0', { id: rowId(s.id, p.pool_index), subnet_id: s.id, start: p.first_ip, end: p.last_ip })),
    enable_dhcp: bool(s.enable_dhcp), shared: shared.has(s.network_id),
    dns_nameservers: (dns.get(s.id) ?? []).map((d) => primitive('DNSNameServer', '1.0', { address: d.address, subnet_id: s.id, order: Number(d.order) })),
    dns_publish_fixed_ip: bool(publish.get(s.id)?.[0]?.dns_publish_fixed_ip ?? false),
    host_routes: (routes.get(s.id) ?? []).map((r) => primitive('Route', '1.0', { subnet_id: s.id, destination: r.destination, nexthop: r.nexthop })),
    ipv6_ra_mode: s.ipv6_ra_mode ?? null, ipv6_address_mode: s.ipv6_address_mode ?? null,
    service_types: (types.get(s.id) ?? []).map((t) => t.service_type), ...standard(s),
  }));
}

export async function portObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'ports', filters, {
    security_group_ids: (qb, values) => qb.where('ports.id', 'in', (eb: any) => eb.selectFrom('port_security_group_bindings').select('port_id').where('security_group_id', 'in', values)),
  });
  const ids = rows.map((r) => r.id as string);
  const [ips, bindings, levels, groups, pairs, opts, qos, networkQos, dataPlane, numa, profiles] = await Promise.all([
    byKey(q, 'ipallocations', 'port_id', ids),
    byKey(q, 'ml2_port_bindings', 'port_id', ids),
    byKey(q, 'ml2_port_binding_levels', 'port_id', ids, 'level'),
    byKey(q, 'port_security_group_bindings', 'port_id', ids),
    byKey(q, 'port_allowed_address_pairs', 'port_id', ids),
    byKey(q, 'port_extra_dhcp_opts', 'port_id', ids),
    byKey(q, 'qos_port_policy_bindings', 'port_id', ids),
    byKey(q, 'qos_network_policy_bindings', 'network_id', [...new Set(rows.map((r) => r.network_id as string))]),
    byKey(q, 'portdataplanestatuses', 'port_id', ids),
    byKey(q, 'portnumaaffinitypolicies', 'port_id', ids),
    byKey(q, 'portdeviceprofiles', 'port_id', ids),
  ]);
  const segmentIds = [...new Set([...levels.values()].flat().map((l) => l.segment_id as string).filter(Boolean))];
  const segments = new Map<string, Record<string, any>>();
  await inChunks(segmentIds, async (chunk) => {
    for (const s of await q.selectFrom('network_segments').selectAll().where('id', 'in', chunk).execute()) segments.set(s.id, s);
  });
  return rows.map((p) => primitive('Port', '1.7', {
    id: p.id, project_id: p.project_id, name: p.name, network_id: p.network_id, mac_address: p.mac_address,
    admin_state_up: bool(p.admin_state_up), device_id: p.device_id, device_owner: p.device_owner, status: p.status,
    allowed_address_pairs: (pairs.get(p.id) ?? []).map((a) => primitive('AllowedAddressPair', '1.0', { port_id: p.id, mac_address: a.mac_address, ip_address: a.ip_address })),
    bindings: (bindings.get(p.id) ?? []).map((b) => primitive('PortBinding', '1.0', {
      port_id: p.id, host: b.host, profile: b.profile || '{}', vif_type: b.vif_type, vif_details: b.vif_details || null,
      vnic_type: b.vnic_type, status: b.status ?? 'ACTIVE',
    })),
    binding_levels: (levels.get(p.id) ?? []).map((l) => primitive('PortBindingLevel', '1.1', {
      port_id: p.id, host: l.host, level: Number(l.level), driver: l.driver ?? null, segment_id: l.segment_id ?? null,
      segment: segments.has(l.segment_id) ? segmentPrimitive(segments.get(l.segment_id)!, undefined) : null,
    })),
    data_plane_status: dataPlane.get(p.id)?.[0]?.data_plane_status
      ? primitive('PortDataPlaneStatus', '1.0', { port_id: p.id, data_plane_status: dataPlane.get(p.id)![0]!.data_plane_status }) : null,
    dns: null,
    dhcp_options: (opts.get(p.id) ?? []).map((o) => primitive('ExtraDhcpOpt', '1.1', {
      id: rowId(p.id, o.opt_name, o.ip_version), port_id: p.id, opt_name: o.opt_name, opt_value: o.opt_value, ip_version: Number(o.ip_version),
    })),
    distributed_bindings: [],
    fixed_ips: (ips.get(p.id) ?? []).map((a) => primitive('IPAllocation', '1.0', { port_id: p.id, subnet_id: a.subnet_id, network_id: a.network_id, ip_address: a.ip_address })),
    security: primitive('PortSecurity', '1.0', { id: p.id, port_security_enabled: p.port_security_enabled === null ? true : bool(p.port_security_enabled) }),
    security_group_ids: (groups.get(p.id) ?? []).map((g) => g.security_group_id).sort(),
    qos_policy_id: qos.get(p.id)?.[0]?.policy_id ?? null, qos_network_policy_id: networkQos.get(p.network_id)?.[0]?.policy_id ?? null,
    numa_affinity_policy: numa.get(p.id)?.[0]?.numa_affinity_policy ?? null, device_profile: profiles.get(p.id)?.[0]?.device_profile ?? null,
    ...standard(p),
  }));
}

function rulePrimitive(r: Record<string, any>): Primitive {
  return primitive('SecurityGroupRule', '1.2', {
    id: r.id, project_id: r.project_id, security_group_id: r.security_group_id, remote_group_id: r.remote_group_id ?? null,
    direction: r.direction, ethertype: r.ethertype, protocol: r.protocol ?? null,
    port_range_min: num(r.port_range_min), port_range_max: num(r.port_range_max),
    remote_ip_prefix: r.remote_ip_prefix ?? null, remote_address_group_id: r.remote_address_group_id ?? null, normalized_cidr: r.normalized_cidr ?? r.remote_ip_prefix ?? null,
    ...standard(r),
  });
}

export async function securityGroupRuleObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  return (await select(q, 'security_group_rules', filters)).map(rulePrimitive);
}

export async function securityGroupObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'security_groups', filters);
  const ids = rows.map((r) => r.id as string);
  const rules = await byKey(q, 'security_group_rules', 'security_group_id', ids, 'id');
  const shared = await sharedObjects(q, 'security_group', ids);
  const defaults = new Set<string>();
  await inChunks(ids, async (chunk) => {
    for (const d of await q.selectFrom('default_security_groups').select('security_group_id').where('security_group_id', 'in', chunk).execute()) defaults.add(d.security_group_id);
  });
  return rows.map((g) => primitive('SecurityGroup', '1.5', {
    id: g.id, name: g.name, project_id: g.project_id, shared: shared.has(g.id), stateful: g.stateful === null || g.stateful === undefined ? true : bool(g.stateful),
    is_default: defaults.has(g.id), rules: (rules.get(g.id) ?? []).map(rulePrimitive), ...standard(g),
  }));
}

/** AddressGroup 1.2: its addresses as AddressAssociation 1.0; `shared` is a wildcard entry, as without a caller. */
export async function addressGroupObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'address_groups', filters);
  const ids = rows.map((r) => r.id as string);
  const addresses = await byKey(q, 'address_associations', 'address_group_id', ids, 'address');
  const shared = await sharedObjects(q, 'address_group', ids);
  return rows.map((g) => primitive('AddressGroup', '1.2', {
    id: g.id, name: g.name, project_id: g.project_id, shared: shared.has(g.id),
    addresses: (addresses.get(g.id) ?? []).map((a) => primitive('AddressAssociation', '1.0', { address: a.address, address_group_id: g.id })),
    ...standard(g),
  }));
}

/** QoS rules as QosPolicy 1.10 holds them: each type its own class, all at QosRule's version 1.5. */
const QOS_RULES: Array<[table: TableName, name: string, fields: string[]]> = [
  ['qos_bandwidth_limit_rules', 'QosBandwidthLimitRule', ['max_kbps', 'max_burst_kbps', 'direction']],
  ['qos_dscp_marking_rules', 'QosDscpMarkingRule', ['dscp_mark']],
  ['qos_minimum_bandwidth_rules', 'QosMinimumBandwidthRule', ['min_kbps', 'direction']],
  ['qos_packet_rate_limit_rules', 'QosPacketRateLimitRule', ['max_kpps', 'max_burst_kpps', 'direction']],
  ['qos_minimum_packet_rate_rules', 'QosMinimumPacketRateRule', ['min_kpps', 'direction']],
];

export async function qosPolicyObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  const rows = await select(q, 'qos_policies', filters);
  const ids = rows.map((r) => r.id as string);
  const rules = await Promise.all(QOS_RULES.map(([table]) => byKey(q, table, 'qos_policy_id', ids, 'id')));
  const [defaults, shared] = await Promise.all([byKey(q, 'qos_policies_default', 'qos_policy_id', ids), sharedObjects(q, 'qos_policy', ids)]);
  return rows.map((p) => primitive('QosPolicy', '1.10', {
    id: p.id, project_id: p.project_id, name: p.name, shared: shared.has(p.id), is_default: defaults.has(p.id),
    rules: QOS_RULES.flatMap(([, name, fields], i) => (rules[i]!.get(p.id) ?? []).map((r) => primitive(name, '1.5', {
      id: r.id, qos_policy_id: p.id, ...Object.fromEntries(fields.map((f) => [f, f === 'direction' ? r[f] : num(r[f])])),
    }))),
    ...standard(p),
  }));
}

/** The loaders by resource type. */
export const OBJECT_LOADERS: Record<string, (q: Queryable, filters: Filters) => Promise<Primitive[]>> = {
  Port: portObjects,
  Network: networkObjects,
  Subnet: subnetObjects,
  SecurityGroup: securityGroupObjects,
  SecurityGroupRule: securityGroupRuleObjects,
  AddressGroup: addressGroupObjects,
  QosPolicy: qosPolicyObjects,
};

/** The field a pull's resource_id names, for types whose provider looks them up by another (a Trunk by its parent port). */
export const PULL_KEYS: Record<string, string> = {};

/** Serves a service plugin's type on the object channel (the trunk plugin's Trunk and SubPort). */
export function registerObjectType(name: string, version: string, load: (q: Queryable, filters: Filters) => Promise<Primitive[]>, pullKey = 'id'): void {
  RESOURCE_VERSIONS[name] = version;
  OBJECT_LOADERS[name] = load;
  if (pullKey !== 'id') PULL_KEYS[name] = pullKey;
}
