import type { RequestContext } from '../../lib/context.js';
import { UNSET } from '../../lib/attributes.js';
import {
  BadRequest, DNSNameServersExhausted, GatewayConflictWithAllocationPools, GatewayIpInUse, HostRoutesExhausted,
  InvalidAllocationPool, InvalidInput, NetworkAddressScopeAffinityError, NetworkNotFound, NetworkSubnetPoolAffinityError,
  OutOfBoundsAllocationPool, OverlappingAllocationPools, SubnetInUse, SubnetNotFound,
} from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import { SqlResource, type ResourceHooks } from '../../registry/resource.js';
import {
  cidrContainsCidr, cidrsOverlap, cidrToString, formatIp, isAutoAddressSubnet, isGatewayInvalidInSubnet, makeCidr, parseCidr,
  parseIp, toCidr, type Cidr, type IpRange, type IpVersion,
} from '../../lib/address.js';
import { createPools, replacePools } from '../../ipam/allocator.js';
import { defaultAllocationPools, isPoolError, poolsToRanges, prepareAllocationPools, validateAllocationPools, checkGatewayOutOfPools, type PoolError } from '../../ipam/pools.js';
import { addNetworkFields, networkPolicyTarget, rbacNetworkIds, takeCheckedNetwork } from './network-access.js';
import type { NetworkExtender } from './networks.js';
import { allocatePrefix, defaultSubnetPoolId, loadSubnetPool, type SubnetPool } from './subnetpools.js';
import type { Item } from '../../lib/definitions.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { Queryable, Tx } from '../../db/schema.js';
import {
  ACCESS_EXTERNAL, ACCESS_SHARED, AUTO_DELETE_PORT_OWNERS, IPV6_PD_POOL_ID, ROUTER_INTERFACE_OWNERS, ROUTER_PORT_OWNERS,
} from '../../lib/constants.js';

/** What subnets need from configuration ([DEFAULT]). */
export interface SubnetOptions {
  maxDnsNameservers: number;
  maxSubnetHostRoutes: number;
  /** false: CIDRs may not overlap across networks either (an option Neutron dropped in Zed) */
  allowOverlappingIps: boolean;
  ipv6PdEnabled: boolean;
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

function subnetInfo(row: any, serviceTypes: string[] = []): SubnetInfo {
  return {
    id: row.id, networkId: row.network_id, projectId: row.project_id, ipVersion: Number(row.ip_version) as IpVersion,
    cidr: toCidr(row.cidr), gatewayIp: row.gateway_ip, enableDhcp: row.enable_dhcp === true || Number(row.enable_dhcp) === 1,
    ipv6RaMode: row.ipv6_ra_mode, ipv6AddressMode: row.ipv6_address_mode, segmentId: row.segment_id, serviceTypes,
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

async function storeDetails(tx: Tx, id: string, s: Item): Promise<void> {
  if (Array.isArray(s.dns_nameservers)) {
    await tx.deleteFrom('subnet_dns_nameservers').where('subnet_id', '=', id).execute();
    const servers = s.dns_nameservers as string[];
    if (servers.length) await tx.insertInto('subnet_dns_nameservers').values(servers.map((address, order) => ({ subnet_id: id, address, order }))).execute();
  }
  if (Array.isArray(s.host_routes)) {
    await tx.deleteFrom('subnet_routes').where('subnet_id', '=', id).execute();
    const routes = s.host_routes as Array<{ destination: string; nexthop: string }>;
    if (routes.length) {
      await tx.insertInto('subnet_routes').values(routes.map((r) => ({
        subnet_id: id, destination: cidrToString(toCidr(r.destination)), nexthop: formatIp(parseIp(r.nexthop)!.version, parseIp(r.nexthop)!.value),
      }))).execute();
    }
  }
  if (Array.isArray(s.service_types)) {
    await tx.deleteFrom('subnet_service_types').where('subnet_id', '=', id).execute();
    const types = [...new Set(s.service_types as string[])];
    if (types.length) await tx.insertInto('subnet_service_types').values(types.map((service_type) => ({ subnet_id: id, service_type }))).execute();
  }
}

/** The ports that hook into subnets: new SLAAC subnets give ports addresses; deleting one takes them. */
export interface SubnetPortHooks {
  /** gives every eligible port of the network an EUI-64 address on the new auto-address subnet */
  addAutoAddresses(tx: Tx, subnet: SubnetInfo): Promise<void>;
}

/** Removes a subnet's rows once nothing holds its addresses any more. */
async function deleteSubnetRows(tx: Tx, subnetId: string): Promise<void> {
  const holders = await tx.selectFrom('ipallocations').select('port_id').distinct().where('subnet_id', '=', subnetId).execute();
  await tx.deleteFrom('ipallocations').where('subnet_id', '=', subnetId).execute();
  for (const h of holders) await bumpRevision(tx, 'ports', h.port_id);
  for (const table of ['subnet_allocation_pools', 'ipam_availability_ranges', 'subnet_dns_nameservers', 'subnet_routes', 'subnet_service_types']) {
    await tx.deleteFrom(table).where('subnet_id', '=', subnetId).execute();
  }
  await tx.deleteFrom('tags').where('resource_type', '=', 'subnet').where('resource_id', '=', subnetId).execute();
}

export function createSubnetResource(db: Database, api: ApiModel, opts: SubnetOptions, ports: SubnetPortHooks): SqlResource & ResourceHandler {
  const def = api.resources.get('subnets')!;

  const hooks: ResourceHooks = {
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('subnets.project_id', '=', ctx.projectId),
      eb('subnets.network_id', 'in', rbacNetworkIds(eb as any, ctx.projectId, [ACCESS_SHARED, ACCESS_EXTERNAL])),
    ])),

    filters: {
      shared: (qb, values, ctx) => {
        const want = values.map(Boolean);
        if (want.includes(true) && want.includes(false)) return qb;
        return qb.where((eb) => eb('subnets.network_id', want[0] ? 'in' : 'not in', rbacNetworkIds(eb as any, ctx.projectId, [ACCESS_SHARED])));
      },
    },

    async extend(q, subnets, ctx) {
      const byId = new Map(subnets.map((s) => {
        Object.assign(s, { allocation_pools: [], dns_nameservers: [], host_routes: [], service_types: [] });
        return [s.id as string, s];
      }));
      const ids = [...byId.keys()];
      await inChunks(ids, async (chunk) => {
        for (const p of await q.selectFrom('subnet_allocation_pools').selectAll().where('subnet_id', 'in', chunk).orderBy('subnet_id').orderBy('pool_index').execute()) {
          (byId.get(p.subnet_id)!.allocation_pools as unknown[]).push({ start: p.first_ip, end: p.last_ip });
        }
        for (const d of await q.selectFrom('subnet_dns_nameservers').selectAll().where('subnet_id', 'in', chunk).orderBy('subnet_id').orderBy('order').execute()) {
          (byId.get(d.subnet_id)!.dns_nameservers as unknown[]).push(d.address);
        }
        for (const r of await q.selectFrom('subnet_routes').selectAll().where('subnet_id', 'in', chunk).execute()) {
          (byId.get(r.subnet_id)!.host_routes as unknown[]).push({ destination: r.destination, nexthop: r.nexthop });
        }
        for (const t of await q.selectFrom('subnet_service_types').selectAll().where('subnet_id', 'in', chunk).execute()) {
          (byId.get(t.subnet_id)!.service_types as unknown[]).push(t.service_type);
        }
      });
      await addNetworkFields(q, ctx, subnets);
      for (const s of subnets) s.shared = s['network:shared'];
    },

    async beforeCreate(tx, ctx, s) {
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
      const network = takeCheckedNetwork(ctx, s.network_id as string)
        ?? await tx.selectFrom('networks').select('id').where('id', '=', s.network_id as string).executeTakeFirst();
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
      if (isSet(s.segment_id)) {
        const seg = await tx.selectFrom('network_segments').select('network_id').where('id', '=', s.segment_id as string).executeTakeFirst();
        if (!seg || seg.network_id !== s.network_id) throw new InvalidInput({ error_message: `Segment ${s.segment_id} is not on network ${s.network_id}` });
      }
      s.subnetpool_id = pool?.id ?? null;
      const v6dhcp = cidr.version === 6 && s.enable_dhcp === true;
      if (!v6dhcp || s.ipv6_ra_mode === UNSET) s.ipv6_ra_mode = null;
      if (!v6dhcp || s.ipv6_address_mode === UNSET) s.ipv6_address_mode = null;
      if (s.gateway_ip === UNSET) s.gateway_ip = null;
      s.__ranges = ranges;
    },

    async afterCreate(tx, _ctx, s) {
      const id = s.id as string;
      await storeDetails(tx, id, s);
      await createPools(tx, id, s.__ranges as IpRange[]);
      await bumpRevision(tx, 'networks', s.network_id as string);
      if (isAutoAddressSubnet(s.ipv6_ra_mode as string | null, s.ipv6_address_mode as string | null)) {
        const row = await tx.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        await ports.addAutoAddresses(tx, subnetInfo(row, Array.isArray(s.service_types) ? s.service_types as string[] : []));
      }
    },

    async beforeUpdate(tx, _ctx, current, changes) {
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
      await storeDetails(tx, current.id as string, changes);
      if (ranges) await replacePools(tx, current.id as string, ranges);
    },

    async beforeDelete(tx, _ctx, s) {
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
  };

  const resource = new SqlResource(db, def, hooks, (id) => new SubnetNotFound({ subnet_id: id }));
  return Object.assign(resource, {
    policyTarget: (ctx: RequestContext, item: Item) => db.read((q) => networkPolicyTarget(q, ctx, item, 'subnet')),
  });
}

/** Networks show their subnets and address scopes; deleting a network deletes its subnets. */
export const subnetNetworkExtender: NetworkExtender = {
  async extend(q, networks) {
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
  },
  async beforeDelete(tx, _ctx, network) {
    const subnets = await tx.selectFrom('subnets').select('id').where('network_id', '=', network.id as string).execute();
    for (const s of subnets) await deleteSubnetRows(tx, s.id);
    await tx.deleteFrom('subnets').where('network_id', '=', network.id as string).execute();
  },
};
