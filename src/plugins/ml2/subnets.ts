import type { Selectable } from 'kysely';
import {
  cidrContainsCidr, cidrsOverlap, cidrToString, formatIp, isAutoAddressSubnet, isGatewayInvalidInSubnet, makeCidr, parseCidr,
  parseIp, toCidr, type Cidr, type IpRange, type IpVersion,
} from '../../lib/address.js';
import { UNSET } from '../../lib/attributes.js';
import {
  AUTO_DELETE_PORT_OWNERS, IPV6_PD_POOL_ID, ROUTER_INTERFACE_OWNERS, ROUTER_PORT_OWNERS,
} from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  BadRequest, DNSNameServersExhausted, GatewayConflictWithAllocationPools, GatewayIpInUse, HostRoutesExhausted,
  InvalidAllocationPool, InvalidInput, NetworkAddressScopeAffinityError, NetworkNotFound, NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool, OverlappingAllocationPools, SubnetInUse, SubnetNotFound,
} from '../../lib/errors.js';
import { noteChange } from '../../db/changes.js';
import { inChunks } from '../../db/chunks.js';
import { prepared } from '../../db/prepared.js';
import type { Queryable, SubnetsTable, Tx } from '../../db/schema.js';
import { createPools, replacePools } from '../../ipam/allocator.js';
import {
  checkGatewayOutOfPools, defaultAllocationPools, isPoolError, poolsToRanges, prepareAllocationPools, validateAllocationPools,
  type PoolError,
} from '../../ipam/pools.js';
import { PRIORITY_DEFAULT } from '../../registry/events.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { addNetworkFields, networkFieldsWithRow, networkPolicyTarget } from './network-access.js';
import { subnetSharing } from './sharing.js';
import { allocatePrefix, defaultSubnetPoolId, loadSubnetPool, type SubnetPool } from './subnetpools.js';

/** What subnets need from configuration ([DEFAULT]). */
export interface SubnetOptions {
  maxDnsNameservers: number;
  maxSubnetHostRoutes: number;
  /** false: CIDRs may not overlap across networks either (an option Neutron dropped in Zed) */
  allowOverlappingIps: boolean;
  ipv6PdEnabled: boolean;
}


declare module '../../registry/events.js' {
  interface WriteEvent {
    /** a subnet being created: its allocation pools, worked out before its row and written after it */
    ranges?: IpRange[];
  }
}

/** A subnet as IPAM works with it. */
export interface SubnetInfo {
  id: string;
  networkId: string;
  projectId: string;
  ipVersion: IpVersion;
  cidr: Cidr;
  gatewayIp: string | null;
  enableDhcp: boolean;
  ipv6RaMode: string | null;
  ipv6AddressMode: string | null;
  segmentId: string | null;
  serviceTypes: string[];
}

export function isAutoAddress(s: Pick<SubnetInfo, 'ipv6RaMode' | 'ipv6AddressMode'>): boolean {
  return isAutoAddressSubnet(s.ipv6RaMode, s.ipv6AddressMode);
}

/** A subnet's row, or the subnet as a create writes it, as IPAM works with it. */
export function subnetInfo(s: Selectable<SubnetsTable> | Item, serviceTypes: string[] = []): SubnetInfo {
  return {
    id: s.id as string, networkId: s.network_id as string, projectId: s.project_id as string,
    ipVersion: Number(s.ip_version) as IpVersion, cidr: toCidr(s.cidr as string), gatewayIp: s.gateway_ip as string | null,
    enableDhcp: s.enable_dhcp === true || Number(s.enable_dhcp) === 1, ipv6RaMode: s.ipv6_ra_mode as string | null,
    ipv6AddressMode: s.ipv6_address_mode as string | null, segmentId: s.segment_id as string | null, serviceTypes,
  };
}

/** The subnets of a network with their service types, in creation order: one query. */
const subnetsOfNetwork = prepared<{ networkId: string }>((q, p) => q.selectFrom('subnets')
  .leftJoin('subnet_service_types', 'subnet_service_types.subnet_id', 'subnets.id')
  .selectAll('subnets').select('subnet_service_types.service_type')
  .where('subnets.network_id', '=', p.networkId).orderBy('subnets.created_at').orderBy('subnets.id'));

export async function networkSubnets(q: Queryable, networkId: string): Promise<SubnetInfo[]> {
  const rows = await subnetsOfNetwork.rows(q, { networkId });
  const out = new Map<string, SubnetInfo>();
  for (const r of rows) {
    const s = out.get(r.id) ?? subnetInfo(r);
    if (r.service_type) s.serviceTypes.push(r.service_type);
    out.set(r.id, s);
  }
  return [...out.values()];
}

function poolError(e: PoolError): Error {
  switch (e.type) {
    case 'InvalidAllocationPool': return new InvalidAllocationPool({ pool: e.pool });
    case 'OutOfBoundsAllocationPool': return new OutOfBoundsAllocationPool({ pool: e.pool, subnet_cidr: e.subnet_cidr });
    case 'OverlappingAllocationPools': return new OverlappingAllocationPools({ pool_1: e.pool_1, pool_2: e.pool_2, subnet_cidr: e.subnet_cidr });
    case 'GatewayConflictWithAllocationPools': return new GatewayConflictWithAllocationPools({ pool: e.pool, ip_address: e.ip_address });
  }
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== UNSET;
}

const badRequest = (msg: string) => new BadRequest({ resource: 'subnets', msg });

/** _validate_ip_version: an address or CIDR field must be of the subnet's version. */
function checkVersion(ipVersion: number, addr: string, name: string): void {
  const version = parseIp(addr)?.version ?? parseCidr(addr)?.version;
  if (version !== ipVersion) throw new InvalidInput({ error_message: `${name} '${addr}' does not match the ip_version '${ipVersion}'` });
}

const MULTICAST: Record<IpVersion, Cidr> = { 4: toCidr('224.0.0.0/4'), 6: toCidr('ff00::/8') };
const LOOPBACK: Record<IpVersion, Cidr> = { 4: toCidr('127.0.0.0/8'), 6: toCidr('::1/128') };

/** _validate_subnet: the checks shared by create and update (`current` on update). */
async function validateSubnet(q: Queryable, opts: SubnetOptions, s: Item, current: Item | null): Promise<void> {
  const ipVersion = s.ip_version as IpVersion;
  if (isSet(s.cidr)) checkVersion(ipVersion, s.cidr as string, 'cidr');
  const dhcpWasEnabled = current ? current.enable_dhcp === true : false;
  if (s.enable_dhcp === true && !dhcpWasEnabled) {
    const net = toCidr(s.cidr as string);
    if ((ipVersion === 4 && net.prefixlen > 30) || (ipVersion === 6 && net.prefixlen > 126)) {
      throw new InvalidInput({ error_message: 'Subnet has a prefix length that is incompatible with DHCP service enabled' });
    }
    if (cidrContainsCidr(MULTICAST[net.version], net)) {
      throw new InvalidInput({ error_message: 'Multicast IP subnet is not supported if enable_dhcp is True' });
    }
    if (cidrContainsCidr(LOOPBACK[net.version], net)) {
      throw new InvalidInput({ error_message: 'Loopback IP subnet is not supported if enable_dhcp is True' });
    }
    if (ipVersion === 4 && net.network === 0n) {
      throw new InvalidInput({ error_message: "First IP '0.0.0.0' of network is not supported if enable_dhcp is True." });
    }
  }
  if (isSet(s.gateway_ip)) {
    const gateway = s.gateway_ip as string;
    checkVersion(ipVersion, gateway, 'gateway_ip');
    if (isGatewayInvalidInSubnet(toCidr(s.cidr as string), parseIp(gateway)!)) {
      throw new InvalidInput({ error_message: 'Gateway is not valid on subnet' });
    }
    if (current && current.gateway_ip && parseIp(gateway)!.value !== parseIp(current.gateway_ip)!.value) {
      const old = current.gateway_ip as string;
      const router = await q.selectFrom('ipallocations').innerJoin('ports', 'ports.id', 'ipallocations.port_id').select('ports.id')
        .where('ipallocations.subnet_id', '=', current.id as string).where('ipallocations.ip_address', '=', old)
        .where('ports.device_owner', 'in', ROUTER_PORT_OWNERS).executeTakeFirst();
      if (router) throw new GatewayIpInUse({ ip_address: old, port_id: router.id });
    }
  }
  const subnetName = current ? (current.id as string) : 'new subnet';
  if (isSet(s.dns_nameservers)) {
    const servers = s.dns_nameservers as string[];
    if (servers.length > opts.maxDnsNameservers) throw new DNSNameServersExhausted({ subnet_id: subnetName, quota: opts.maxDnsNameservers });
    for (const dns of servers) checkVersion(ipVersion, dns, 'dns_nameserver');
  }
  if (isSet(s.host_routes)) {
    const routes = s.host_routes as Array<{ destination: string; nexthop: string }>;
    if (routes.length > opts.maxSubnetHostRoutes) throw new HostRoutesExhausted({ subnet_id: subnetName, quota: opts.maxSubnetHostRoutes });
    for (const r of routes) {
      checkVersion(ipVersion, r.nexthop, 'nexthop');
      checkVersion(ipVersion, r.destination, 'destination');
    }
  }
  if (ipVersion === 4) {
    if (isSet(s.ipv6_ra_mode)) throw new InvalidInput({ error_message: 'ipv6_ra_mode is not valid when ip_version is 4' });
    if (isSet(s.ipv6_address_mode)) throw new InvalidInput({ error_message: 'ipv6_address_mode is not valid when ip_version is 4' });
  } else {
    validateIpv6Modes(s, current);
  }
}

/** Neutron's allowed combinations of ipv6_ra_mode and ipv6_address_mode. */
function validateIpv6Modes(s: Item, current: Item | null): void {
  if (current) {
    if ('enable_dhcp' in s && s.enable_dhcp === false && (isSet(current.ipv6_ra_mode) || isSet(current.ipv6_address_mode))) {
      throw new InvalidInput({ error_message: 'Cannot disable enable_dhcp with ipv6 attributes set' });
    }
    return;
  }
  const ra = isSet(s.ipv6_ra_mode);
  const address = isSet(s.ipv6_address_mode);
  if ((ra || address) && !s.enable_dhcp) {
    throw new InvalidInput({ error_message: 'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False' });
  }
  if (ra && address && s.ipv6_ra_mode !== s.ipv6_address_mode) {
    throw new InvalidInput({
      error_message: `ipv6_ra_mode set to '${s.ipv6_ra_mode}' with ipv6_address_mode set to '${s.ipv6_address_mode}' is not valid. If both attributes are set, they must be the same value`,
    });
  }
  if ((ra || address) && isAutoAddressSubnet(s.ipv6_ra_mode as string, s.ipv6_address_mode as string) && toCidr(s.cidr as string).prefixlen !== 64) {
    throw new InvalidInput({ error_message: `Invalid CIDR ${s.cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64` });
  }
}

/** _get_subnetpool_id: explicit, the default pool of the version, or none. */
async function requestedPoolId(q: Queryable, ctx: RequestContext, opts: SubnetOptions, s: Item): Promise<string | null> {
  const useDefault = s.use_default_subnetpool === true;
  const poolId = s.subnetpool_id === UNSET ? null : (s.subnetpool_id as string | null);
  if (useDefault && poolId) throw badRequest('subnetpool_id and use_default_subnetpool cannot both be specified');
  if (poolId) return poolId;
  if (!useDefault) return null;
  let ipVersion: number;
  if (isSet(s.cidr)) ipVersion = toCidr(s.cidr as string).version;
  else if (isSet(s.ip_version)) ipVersion = s.ip_version as number;
  else throw badRequest('ip_version must be specified in the absence of cidr and subnetpool_id');
  if (ipVersion === 6 && opts.ipv6PdEnabled) return IPV6_PD_POOL_ID;
  const id = await defaultSubnetPoolId(q, ctx, ipVersion);
  if (!id) throw badRequest(`No default subnetpool found for IPv${ipVersion}`);
  return id;
}

/** The address scope the network's subnets of this version are in, if any. */
async function networkAddressScope(q: Queryable, networkId: string, ipVersion: number): Promise<string | null> {
  const row = await q.selectFrom('subnets').innerJoin('subnetpools', 'subnetpools.id', 'subnets.subnetpool_id')
    .select('subnetpools.address_scope_id').where('subnets.network_id', '=', networkId).where('subnets.ip_version', '=', ipVersion)
    .where('subnetpools.address_scope_id', 'is not', null).limit(1).executeTakeFirst();
  return row?.address_scope_id ?? null;
}

/**
 * _validate_subnet_cidr and _validate_network_subnetpools: no /0, no overlap with the network's
 * other subnets (or any subnet when overlapping IPs are off), one pool (or scope) per family.
 */
async function checkPlacement(tx: Tx, opts: SubnetOptions, s: Item, cidr: Cidr, pool: SubnetPool | null): Promise<void> {
  if (cidr.prefixlen === 0) throw new InvalidInput({ error_message: '0 is not allowed as CIDR prefix length' });
  const networkId = s.network_id as string;
  let others = tx.selectFrom('subnets').select(['id', 'cidr', 'ip_version', 'subnetpool_id', 'network_id']);
  if (opts.allowOverlappingIps) others = others.where('network_id', '=', networkId);
  const rows = await others.execute();
  if (rows.some((r) => r.cidr !== '::/64' && cidrsOverlap(toCidr(r.cidr), cidr))) {
    throw new InvalidInput({ error_message: `Requested subnet with cidr: ${cidrToString(cidr)} for network: ${networkId} overlaps with another subnet` });
  }
  const scope = await networkAddressScope(tx, networkId, cidr.version);
  if (scope && pool?.addressScopeId !== scope) throw new NetworkAddressScopeAffinityError();
  for (const r of rows.filter((x) => x.network_id === networkId)) {
    if (pool) {
      if (r.subnetpool_id !== pool.id && Number(r.ip_version) === pool.ipVersion && !scope) throw new NetworkSubnetPoolAffinityError();
    } else if (r.subnetpool_id && Number(r.ip_version) === cidr.version) {
      throw new NetworkSubnetPoolAffinityError();
    }
  }
}

/** The canonical forms of a subnet's lists as they are stored: host routes, and each service type once. */
function normalizeDetails(s: Item): void {
  if (Array.isArray(s.host_routes)) {
    s.host_routes = (s.host_routes as Array<{ destination: string; nexthop: string }>).map((r) => {
      const hop = parseIp(r.nexthop)!;
      return { destination: cidrToString(toCidr(r.destination)), nexthop: formatIp(hop.version, hop.value) };
    });
  }
  if (Array.isArray(s.service_types)) s.service_types = [...new Set(s.service_types as string[])];
}

/** Removes what holds a subnet's addresses; its own rows go with it (ON DELETE CASCADE). */
async function deleteSubnetRows(tx: Tx, subnetId: string): Promise<void> {
  const holders = await tx.selectFrom('ipallocations').select('port_id').distinct().where('subnet_id', '=', subnetId).execute();
  await tx.deleteFrom('ipallocations').where('subnet_id', '=', subnetId).execute();
  for (const h of holders) await bumpRevision(tx, 'ports', h.port_id);
  await tx.deleteFrom('tags').where('resource_type', '=', 'subnet').where('resource_id', '=', subnetId).execute();
}

/**
 * /v2.0/subnets. Deleting a network deletes its subnets (a before_delete subscriber, after the
 * ports': a network's ports go, or keep it, before its subnets).
 */
export function createSubnetResource(store: Store, api: ApiModel, opts: SubnetOptions): SqlResource {
  store.events.subscribe('network', 'before_delete', async (tx, { current: network }) => {
    const subnets = await tx.selectFrom('subnets').select(['id', 'project_id', 'network_id']).where('network_id', '=', network.id as string).execute();
    for (const s of subnets) await deleteSubnetRows(tx, s.id);
    await tx.deleteFrom('subnets').where('network_id', '=', network.id as string).execute();
    for (const s of subnets) noteChange(tx, 'subnets', s.id, 'deleted', { ...s, tenant_id: s.project_id });
  }, PRIORITY_DEFAULT + 10);
  store.events.extend('network', networkSubnetsAndScopes);

  return new SqlResource(store, api.resources.get('subnets')!, {
    notFound: (id) => new SubnetNotFound({ subnet_id: id }),
    scope: (qb, ctx) => subnetSharing.scope(qb, ctx.projectId),
    filters: { shared: (qb, values, ctx) => subnetSharing.sharedFilter(qb, values, ctx.projectId) },
    policyTarget: (q, ctx, item, reads) => networkPolicyTarget(q, ctx, item, 'subnet', reads),
    withRow: networkFieldsWithRow('subnets'),

    async extend(q, subnets, ctx) {
      await addNetworkFields(q, ctx, subnets);
      for (const s of subnets) s.shared = s['network:shared'];
    },

    async beforeCreate(tx, event) {
      const { context: ctx, current: s } = event;
      const hasCidr = isSet(s.cidr);
      if (hasCidr && isSet(s.prefixlen)) throw badRequest('cidr and prefixlen must not be supplied together');
      if (hasCidr) s.cidr = cidrToString(toCidr(s.cidr as string));
      let poolId = await requestedPoolId(tx, ctx, opts, s);
      if (!poolId && !hasCidr) throw badRequest('a subnetpool must be specified in the absence of a cidr');
      if (poolId) {
        if (isSet(s.allocation_pools) && !hasCidr) throw badRequest('allocation_pools allowed only for specific subnet requests.');
        if (poolId === IPV6_PD_POOL_ID) {
          if (!hasCidr) throw badRequest('IPv6 prefix delegation is not supported');
          poolId = null;
          await validateSubnet(tx, opts, s, null);
        }
      } else {
        await validateSubnet(tx, opts, s, null);
      }
      const network = event.network ?? await tx.selectFrom('networks').select('id').where('id', '=', s.network_id as string).executeTakeFirst();
      if (!network) throw new NetworkNotFound({ net_id: s.network_id as string });

      let pool: SubnetPool | null = null;
      if (poolId) {
        pool = await loadSubnetPool(tx, ctx, poolId);
        if (isSet(s.ip_version) && s.ip_version !== pool.ipVersion) {
          throw badRequest(`Cannot allocate IPv${s.ip_version} subnet from IPv${pool.ipVersion} subnet pool`);
        }
      }
      let ranges: IpRange[] | null = null;
      if (hasCidr) {
        const c = toCidr(s.cidr as string);
        if (s.gateway_ip === UNSET) s.gateway_ip = formatIp(c.version, c.version === 6 ? c.network : c.network + 1n);
        const prepared = prepareAllocationPools(isSet(s.allocation_pools) ? s.allocation_pools as { start: unknown; end: unknown }[] : undefined, c, s.gateway_ip as string | null);
        if (isPoolError(prepared)) throw poolError(prepared);
        ranges = prepared;
      }
      if (pool) {
        const gateway = isSet(s.gateway_ip) ? s.gateway_ip as string : null;
        const prefixlen = isSet(s.prefixlen) ? s.prefixlen as number : pool.defaultPrefixlen;
        let want: Cidr | null = hasCidr ? toCidr(s.cidr as string) : null;
        // a gateway without a CIDR asks for the block around it
        if (!want && gateway) want = makeCidr(pool.ipVersion, parseIp(gateway)!.value, prefixlen);
        if (want && gateway && isGatewayInvalidInSubnet(want, parseIp(gateway)!)) {
          throw new InvalidInput({ error_message: `Gateway IP ${gateway} cannot be allocated in CIDR ${cidrToString(want)}` });
        }
        const cidr = await allocatePrefix(tx, pool, { cidr: want, prefixlen: want ? want.prefixlen : prefixlen, projectId: s.project_id as string });
        s.cidr = cidrToString(cidr);
        s.ip_version = cidr.version;
        if (!want) s.gateway_ip = formatIp(cidr.version, cidr.network + 1n);
        if (!ranges) ranges = defaultAllocationPools(cidr, s.gateway_ip as string | null);
      }
      const cidr = toCidr(s.cidr as string);
      await checkPlacement(tx, opts, s, cidr, pool);
      s.subnetpool_id = pool?.id ?? null;
      const v6dhcp = cidr.version === 6 && s.enable_dhcp === true;
      if (!v6dhcp || s.ipv6_ra_mode === UNSET) s.ipv6_ra_mode = null;
      if (!v6dhcp || s.ipv6_address_mode === UNSET) s.ipv6_address_mode = null;
      if (s.gateway_ip === UNSET) s.gateway_ip = null;
      event.ranges = ranges ?? [];
      normalizeDetails(s);
    },

    async afterCreate(tx, { current: s, ranges }) {
      await createPools(tx, s.id as string, ranges!);
      await bumpRevision(tx, 'networks', s.network_id as string);
    },

    async beforeUpdate(tx, { original: current, changes }) {
      const s: Item = { ...changes, id: current.id, ip_version: current.ip_version, cidr: current.cidr, network_id: current.network_id };
      await validateSubnet(tx, opts, s, current);
      const cidr = toCidr(current.cidr as string);
      let ranges: IpRange[] | null = null;
      if (isSet(changes.allocation_pools)) {
        const parsed = poolsToRanges(changes.allocation_pools as { start: unknown; end: unknown }[]);
        if (isPoolError(parsed)) throw poolError(parsed);
        const invalid = validateAllocationPools(parsed, cidr);
        if (invalid) throw poolError(invalid);
        ranges = parsed;
      }
      const gateway = 'gateway_ip' in changes ? changes.gateway_ip as string | null : current.gateway_ip as string | null;
      if (gateway && (gateway !== current.gateway_ip || ranges)) {
        const pools = ranges ?? (current.allocation_pools as Array<{ start: string; end: string }>).map((p) => {
          const [a, b] = [parseIp(p.start)!, parseIp(p.end)!];
          return { version: a.version, first: a.value, last: b.value };
        });
        const conflict = checkGatewayOutOfPools(gateway, pools);
        if (conflict) throw poolError(conflict);
      }
      if (ranges) await replacePools(tx, current.id as string, ranges);
      normalizeDetails(changes);
    },

    async beforeDelete(tx, { current: s }) {
      const id = s.id as string;
      const holders = await tx.selectFrom('ipallocations').innerJoin('ports', 'ports.id', 'ipallocations.port_id')
        .select(['ports.id', 'ports.device_owner']).where('ipallocations.subnet_id', '=', id).execute();
      if (holders.some((h) => ROUTER_INTERFACE_OWNERS.includes(h.device_owner))) throw new SubnetInUse({ subnet_id: id });
      if (!isAutoAddressSubnet(s.ipv6_ra_mode as string | null, s.ipv6_address_mode as string | null)
        && holders.some((h) => !AUTO_DELETE_PORT_OWNERS.includes(h.device_owner))) {
        throw new SubnetInUse({ subnet_id: id });
      }
      await deleteSubnetRows(tx, id);
      await bumpRevision(tx, 'networks', s.network_id as string);
    },
  });
}

/** A network's subnets, and the address scopes of their pools (ipv4_address_scope, ipv6_address_scope). */
async function networkSubnetsAndScopes(q: Queryable, networks: Item[]): Promise<void> {
  const byId = new Map(networks.map((n) => {
    Object.assign(n, { subnets: [], ipv4_address_scope: null, ipv6_address_scope: null });
    return [n.id as string, n];
  }));
  const pools = new Map<string, Array<{ networkId: string; version: number }>>();
  await inChunks([...byId.keys()], async (chunk) => {
    const rows = await q.selectFrom('subnets').select(['id', 'network_id', 'subnetpool_id', 'ip_version'])
      .where('network_id', 'in', chunk).orderBy('created_at').orderBy('id').execute();
    for (const r of rows) {
      (byId.get(r.network_id)!.subnets as string[]).push(r.id);
      if (r.subnetpool_id) pools.set(r.subnetpool_id, [...(pools.get(r.subnetpool_id) ?? []), { networkId: r.network_id, version: Number(r.ip_version) }]);
    }
  });
  await inChunks([...pools.keys()], async (chunk) => {
    const rows = await q.selectFrom('subnetpools').select(['id', 'address_scope_id']).where('id', 'in', chunk)
      .where('address_scope_id', 'is not', null).execute();
    for (const r of rows) {
      for (const use of pools.get(r.id)!) byId.get(use.networkId)![`ipv${use.version}_address_scope`] = r.address_scope_id;
    }
  });
}
