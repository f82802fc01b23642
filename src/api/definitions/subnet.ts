import {
  convertCidrToCanonicalFormat, convertIpToCanonicalFormat, validateHostRoutes, validateIpAddressOrNone,
  validateIpPools, validateNameservers, validateSubnetOrNone,
} from '../../lib/address-validators.js';
import { cidrToString, parseCidr } from '../../lib/address.js';
import {
  idAttribute, nameAttribute, noneToEmptyList, projectAttribute, toBoolean, toInt, UNSET, validateBoolean,
  validateUuid, validateUuidOrNone, validateValues, type AttributeDef,
} from '../../lib/attributes.js';
import type { ResourceDef } from '../../lib/definitions.js';

export const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const;

/** subnetpool_id: a UUID, null, or Neutron's literal prefix-delegation pool id. */
const validateSubnetpoolId = (v: unknown) => (v === 'prefix_delegation' ? undefined : validateUuidOrNone(v));

/** IPv6 addresses in canonical form, also inside the {start, end} dicts of allocation_pools. */
function canonicalPools(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((p) => (p && typeof p === 'object' && !Array.isArray(p)
    ? Object.fromEntries(Object.entries(p).map(([k, x]) => [k, convertIpToCanonicalFormat(x)]))
    : p));
}

/** The core `subnet` resource (neutron_lib/api/definitions/subnet.py). */
export const subnet: ResourceDef = {
  name: 'subnet',
  collection: 'subnets',
  table: 'subnets',
  standardAttributes: true,
  taggable: true,
  allowBulk: true,
  attributes: {
    id: idAttribute,
    name: nameAttribute,
    ip_version: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true,
      convert: toInt, validate: validateValues([4, 6]), column: 'ip_version', kind: 'int',
    },
    network_id: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true,
      validate: validateUuid, column: 'network_id', kind: 'string',
    },
    subnetpool_id: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET,
      validate: validateSubnetpoolId, column: 'subnetpool_id', kind: 'string',
    },
    prefixlen: { allowPost: true, allowPut: false, isVisible: false, default: UNSET, convert: toInt, validate: (v) => (typeof v === 'number' && v < 0 ? `'${v}' should be non-negative` : undefined) },
    cidr: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET,
      convert: (v) => (v === null ? v : convertCidrToCanonicalFormat(v)), validate: validateSubnetOrNone,
      convertFilter: (v) => { const c = parseCidr(v); return c ? cidrToString(c) : v; }, column: 'cidr', kind: 'string',
    },
    gateway_ip: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: UNSET,
      convert: convertIpToCanonicalFormat, validate: validateIpAddressOrNone, column: 'gateway_ip', kind: 'string',
    },
    allocation_pools: {
      allowPost: true, allowPut: true, isVisible: true, default: UNSET, convert: canonicalPools, validate: validateIpPools,
      // written with the subnet's free ranges by IPAM
      child: { table: 'subnet_allocation_pools', parent: 'subnet_id', value: { start: 'first_ip', end: 'last_ip' }, position: 'pool_index', readOnly: true },
    },
    dns_nameservers: {
      allowPost: true, allowPut: true, isVisible: true, default: UNSET, convert: noneToEmptyList, validate: validateNameservers,
      child: { table: 'subnet_dns_nameservers', parent: 'subnet_id', value: 'address', position: 'order' },
    },
    host_routes: {
      allowPost: true, allowPut: true, isVisible: true, default: UNSET, convert: noneToEmptyList, validate: validateHostRoutes,
      child: { table: 'subnet_routes', parent: 'subnet_id', value: { destination: 'destination', nexthop: 'nexthop' } },
    },
    tenant_id: projectAttribute(),
    enable_dhcp: {
      allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: true,
      convert: toBoolean, validate: validateBoolean, column: 'enable_dhcp', kind: 'bool',
    },
    ipv6_ra_mode: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET,
      validate: validateValues(IPV6_MODES), column: 'ipv6_ra_mode', kind: 'string',
    },
    ipv6_address_mode: {
      allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, default: UNSET,
      validate: validateValues(IPV6_MODES), column: 'ipv6_address_mode', kind: 'string',
    },
    shared: {
      allowPost: false, allowPut: false, isVisible: false, isFilter: true, default: false,
      convert: toBoolean, requiredByPolicy: true, enforcePolicy: true,
    } satisfies AttributeDef,
  },
};
