import { sql } from 'kysely';
import { formatIp, isAutoAddressSubnet, isValidIpForSubnet, parseIp, type IpAddress } from '../../lib/address.js';
import { UNSET } from '../../lib/attributes.js';
import {
  AUTO_DELETE_PORT_OWNERS, DEVICE_OWNER_DHCP, DEVICE_OWNER_DISTRIBUTED, DEVICE_OWNER_NETWORK_PREFIX, ROUTER_INTERFACE_OWNERS,
  ROUTER_INTERFACE_OWNERS_SNAT, ROUTER_PORT_OWNERS, UNBOUND_VIF_TYPES,
} from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  AddressPairAndPortSecurityRequired, AllocationOnAutoAddressSubnet, AllowedAddressPairExhausted, DeviceIDNotOwnedByTenant,
  HostNotCompatibleWithFixedIps, InvalidInput, InvalidIpForNetwork, InvalidIpForSubnet, IpAddressAlreadyAllocated, IpAddressGenerationFailure,
  IpAddressGenerationFailureNoMatchingSubnet, MacAddressInUse, NetworkInUse, NetworkNotFound, PortBound, PortNotFound,
  SubnetNotFound, UnsupportedPortDeviceOwner,
} from '../../lib/errors.js';
import { eui64Address, randomMac } from '../../lib/mac.js';
import { noteChange } from '../../db/changes.js';
import type { Queryable, Select, Tx } from '../../db/schema.js';
import { allocateAny, allocateSpecific, release, type IpamSubnet } from '../../ipam/allocator.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { addNetworkFields, networkAccess, networkFieldsWithRow, networkPolicyTarget } from './network-access.js';
import { DeferIpam, subnetsForHost } from './routed-networks.js';
import { isAutoAddress, networkSubnets, subnetInfo, type SubnetInfo } from './subnets.js';

export interface PortOptions {
  /** [DEFAULT] base_mac */
  baseMac: string;
  /** [DEFAULT] max_allowed_address_pair */
  maxAllowedAddressPairs: number;
  /** [DEFAULT] dns_domain */
  dnsDomain: string;
}

const DNS_DOMAIN_DEFAULT = 'openstacklocal.';

interface FixedIp { subnet_id: string; ip_address: string }
/** One address to allocate: a specific one, or any from the first of `subnets` that has one. */
type IpRequest = { subnet: SubnetInfo; ip: IpAddress } | { subnets: SubnetInfo[] };

/** A value from the request, or `fallback` when it was not given (or given as null). */
function given<T>(v: unknown, fallback: T): T {
  return v === undefined || v === null || v === UNSET ? fallback : v as T;
}

function ipamSubnet(s: SubnetInfo): IpamSubnet {
  return { id: s.id, networkId: s.networkId, ipVersion: s.ipVersion };
}

/** neutron.common.ipv6_utils.is_eui64_address: ff:fe in the middle of the interface id. */
function isEui64(address: string): boolean {
  const ip = parseIp(address);
  return !!ip && ip.version === 6 && ((ip.value >> 24n) & 0xffffn) === 0xfffen;
}

/**
 * find_candidate_subnets for a device owner: subnets without service types, those that list the
 * owner, and for DHCP ports any subnet with DHCP on; service-typed subnets first.
 */
function candidateSubnets(subnets: SubnetInfo[], networkId: string, owner: string): SubnetInfo[] {
  const eligible = eligibleSubnets(subnets, owner);
  if (!eligible.length && subnets.length) throw new IpAddressGenerationFailureNoMatchingSubnet({ network_id: networkId, service_type: owner });
  return eligible;
}

function eligibleSubnets(subnets: SubnetInfo[], owner: string): SubnetInfo[] {
  const eligible = subnets.filter((s) => !s.serviceTypes.length || s.serviceTypes.includes(owner) || (owner === DEVICE_OWNER_DHCP && s.enableDhcp));
  return [...eligible.filter((s) => s.serviceTypes.length), ...eligible.filter((s) => !s.serviceTypes.length)];
}

/** The subnets a port may get addresses from, on its host's segment of a routed network (DeferIpam without a host). */
function subnetsForPort(q: Queryable, all: SubnetInfo[], port: Item, fixedIps: Item[] | null): Promise<SubnetInfo[]> {
  const owner = port.device_owner as string;
  return subnetsForHost(q, all, port.network_id as string, owner, (port['binding:host_id'] ?? '') as string, fixedIps, (l) => eligibleSubnets(l, owner));
}

/** _get_subnet_for_fixed_ip */
async function subnetForFixedIp(q: Queryable, fixed: Item, subnets: SubnetInfo[], networkId: string, owner: string): Promise<SubnetInfo> {
  if (!subnets.length) throw new InvalidInput({ error_message: 'IP allocation requires subnets for network' });
  const ip = 'ip_address' in fixed ? parseIp(fixed.ip_address)! : null;
  const allowNetworkAddress = ROUTER_PORT_OWNERS.includes(owner) || owner === '';
  if ('subnet_id' in fixed) {
    const subnet = subnets.find((s) => s.id === fixed.subnet_id);
    if (!subnet) {
      const exists = await q.selectFrom('subnets').select('id').where('id', '=', fixed.subnet_id as string).executeTakeFirst();
      if (!exists) throw new SubnetNotFound({ subnet_id: fixed.subnet_id as string });
      throw new InvalidInput({ error_message: `Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${fixed.subnet_id}` });
    }
    if (ip && !isValidIpForSubnet(subnet.cidr, ip, allowNetworkAddress)) throw new InvalidIpForSubnet({ ip_address: fixed.ip_address as string });
    return subnet;
  }
  if (!ip) throw new InvalidInput({ error_message: 'IP allocation requires subnet_id or ip_address' });
  const subnet = subnets.find((s) => isValidIpForSubnet(s.cidr, ip, allowNetworkAddress));
  if (!subnet) throw new InvalidIpForNetwork({ ip_address: fixed.ip_address as string });
  return subnet;
}

/** _test_fixed_ips_for_port: the requests for explicit fixed_ips (auto-address subnets are added apart). */
async function fixedIpRequests(q: Queryable, fixedIps: Item[], subnets: SubnetInfo[], networkId: string, owner: string): Promise<IpRequest[]> {
  const out: IpRequest[] = [];
  for (const fixed of fixedIps) {
    const subnet = await subnetForFixedIp(q, fixed, subnets, networkId, owner);
    if ('ip_address' in fixed) {
      if (isAutoAddress(subnet) && !ROUTER_INTERFACE_OWNERS.includes(owner)) {
        throw new AllocationOnAutoAddressSubnet({ ip: fixed.ip_address as string, subnet_id: subnet.id });
      }
      out.push({ subnet, ip: parseIp(fixed.ip_address)! });
    } else if (ROUTER_INTERFACE_OWNERS_SNAT.includes(owner) || !isAutoAddress(subnet)) {
      out.push({ subnets: [subnet] });
    }
  }
  return out;
}

/** EUI-64 addresses on every auto-address subnet not handled yet, except for router ports. */
function autoAddressRequests(subnets: SubnetInfo[], owner: string, mac: string, handled: Set<string>): IpRequest[] {
  if (ROUTER_INTERFACE_OWNERS_SNAT.includes(owner)) return [];
  return subnets.filter((s) => s.ipVersion === 6 && isAutoAddress(s) && !handled.has(s.id))
    .map((subnet) => ({ subnet, ip: parseIp(eui64Address(subnet.cidr, mac))! }));
}

/** _ipam_allocate_ips: specific addresses first, so that they are not taken by the automatic picks. */
async function allocate(tx: Tx, port: Item, requests: IpRequest[]): Promise<FixedIp[]> {
  const out: FixedIp[] = [];
  const preferNext = port.device_owner === DEVICE_OWNER_DHCP || port.device_owner === DEVICE_OWNER_DISTRIBUTED;
  for (const req of [...requests.filter((r) => 'ip' in r), ...requests.filter((r) => !('ip' in r))]) {
    if ('ip' in req) {
      out.push({ subnet_id: req.subnet.id, ip_address: await allocateSpecific(tx, ipamSubnet(req.subnet), port.id as string, req.ip) });
      continue;
    }
    let address: string | null = null;
    for (const subnet of req.subnets) {
      address = await allocateAny(tx, ipamSubnet(subnet), port.id as string, preferNext);
      if (address) {
        out.push({ subnet_id: subnet.id, ip_address: address });
        break;
      }
    }
    if (!address) throw new IpAddressGenerationFailure({ net_id: port.network_id as string });
  }
  return out;
}

/** _allocate_ips_for_port: explicit fixed_ips, or one IPv4 and one stateful IPv6 address; SLAAC addresses always. */
async function allocateForNewPort(tx: Tx, port: Item): Promise<FixedIp[] | null> {
  const owner = port.device_owner as string;
  const networkId = port.network_id as string;
  let subnets: SubnetInfo[];
  try {
    subnets = await subnetsForPort(tx, await networkSubnets(tx, networkId), port, port.fixed_ips !== UNSET ? port.fixed_ips as Item[] : null);
  } catch (e) {
    if (e instanceof DeferIpam) return null;
    throw e;
  }
  let requests: IpRequest[];
  if (port.fixed_ips !== UNSET) {
    requests = await fixedIpRequests(tx, port.fixed_ips as Item[], subnets, networkId, owner);
  } else {
    const v4 = subnets.filter((s) => s.ipVersion === 4);
    const v6stateful = subnets.filter((s) => s.ipVersion === 6 && !isAutoAddress(s));
    requests = [v4, v6stateful].filter((l) => l.length).map((l) => ({ subnets: l }));
  }
  requests.push(...autoAddressRequests(subnets, owner, port.mac_address as string, new Set()));
  return allocate(tx, port, requests);
}

/**
 * A port given a host (IpamBackendMixin.update_port): a deferred port without addresses gets them
 * now, from its host's segment; on a routed network, the addresses it has must be on that segment.
 */
async function addressesForNewHost(tx: Tx, port: Item, current: Item): Promise<void> {
  const all = await networkSubnets(tx, port.network_id as string);
  if (!all.some((s) => s.segmentId)) return;
  const ips = current.fixed_ips as FixedIp[];
  const row = await tx.selectFrom('ports').select('ip_allocation').where('id', '=', port.id as string).executeTakeFirst();
  if (row?.ip_allocation === 'deferred' && !current['binding:host_id'] && !ips.length) {
    await allocateForNewPort(tx, { ...port, fixed_ips: UNSET });
    return;
  }
  if (!ips.length) return;
  const valid = new Set((await subnetsForPort(tx, all, port, null)).map((s) => s.id));
  if (ips.some((ip) => !valid.has(ip.subnet_id))) throw new HostNotCompatibleWithFixedIps({ host: port['binding:host_id'] as string, port_id: port.id as string });
}

/**
 * _get_changed_ips_for_port and _update_ips_for_port: `requested` is the port's whole new list.
 * Addresses named again are kept; a {subnet_id} keeps the port's address on that subnet (EUI-64
 * ones are computed again); the rest is added; addresses not named go, except SLAAC ones of
 * non-router ports.
 */
async function updateFixedIps(tx: Tx, port: Item, current: FixedIp[], requested: Item[], mac: string): Promise<void> {
  const owner = port.device_owner as string;
  const networkId = port.network_id as string;
  const all = await networkSubnets(tx, networkId);
  const byId = new Map(all.map((s) => [s.id, s]));
  const add: Item[] = [];
  const kept: FixedIp[] = [];
  const removeCandidates: FixedIp[] = [];
  const byIp = new Map(current.map((ip) => [ip.ip_address, ip]));
  for (const ip of requested) {
    if (!('ip_address' in ip)) continue;
    const canonical = parseIp(ip.ip_address)!;
    const key = formatIp(canonical.version, canonical.value);
    const original = byIp.get(key);
    if (original) {
      byIp.delete(key);
      kept.push(original);
    } else {
      add.push(ip);
    }
  }
  const bySubnet = new Map<string, FixedIp[]>();
  for (const ip of byIp.values()) bySubnet.set(ip.subnet_id, [...(bySubnet.get(ip.subnet_id) ?? []), ip]);
  for (const ip of requested) {
    if ('ip_address' in ip) continue;
    const orig = bySubnet.get(ip.subnet_id as string)?.pop();
    if (!orig) add.push(ip);
    else if (isEui64(orig.ip_address)) {
      add.push(ip);
      removeCandidates.push(orig);
    } else {
      kept.push(orig);
    }
  }
  const remove: FixedIp[] = [];
  for (const ip of [...[...bySubnet.values()].flat(), ...removeCandidates]) {
    const subnet = byId.get(ip.subnet_id);
    const required = ROUTER_INTERFACE_OWNERS_SNAT.includes(owner) || !subnet || !isAutoAddress(subnet);
    if (required) remove.push(ip);
    else kept.push(ip);
  }
  const subnets = candidateSubnets(all, networkId, owner);
  const toAdd = await fixedIpRequests(tx, add, subnets, networkId, owner);
  for (const ip of remove) await release(tx, ip.subnet_id, ip.ip_address);
  const handled = new Set([...toAdd.map((r) => ('ip' in r ? r.subnet.id : r.subnets[0]!.id)), ...kept.map((i) => i.subnet_id), ...remove.map((i) => i.subnet_id)]);
  toAdd.push(...autoAddressRequests(subnets, owner, mac, handled));
  await allocate(tx, port, toAdd);
}

async function portFixedIps(q: Queryable, portId: string): Promise<FixedIp[]> {
  return q.selectFrom('ipallocations').select(['subnet_id', 'ip_address']).where('port_id', '=', portId).execute() as Promise<FixedIp[]>;
}

async function releaseAll(tx: Tx, portId: string): Promise<void> {
  for (const ip of await portFixedIps(tx, portId)) await release(tx, ip.subnet_id, ip.ip_address);
}

function byText(a: unknown, b: unknown): number {
  return a === b ? 0 : String(a) < String(b) ? -1 : 1;
}

function compareFixedIps(a: FixedIp, b: FixedIp): number {
  const [x, y] = [parseIp(a.ip_address)!, parseIp(b.ip_address)!];
  return x.version - y.version || (x.value < y.value ? -1 : x.value > y.value ? 1 : 0);
}

/**
 * `fixed_ips=ip_address=...`, `subnet_id=...` and `ip_address_substr=...` (repeated values of one
 * key OR together, keys AND); other keys are ignored, as Neutron ignores them.
 */
function fixedIpsFilter(qb: Select, values: unknown[]): Select {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of values as Array<[string, string]>) byKey.set(key, [...(byKey.get(key) ?? []), value]);
  const holders = (where: (eb: any) => any) => (eb: any) => eb.selectFrom('ipallocations').select('port_id').where(where);
  const ips = byKey.get('ip_address');
  if (ips) qb = qb.where('ports.id', 'in', holders((eb) => eb('ip_address', 'in', ips)));
  const subnets = byKey.get('subnet_id');
  if (subnets) qb = qb.where('ports.id', 'in', holders((eb) => eb('subnet_id', 'in', subnets)));
  const substrings = byKey.get('ip_address_substr');
  if (substrings) {
    // SQLite's LIKE has no escape character unless one is named; '!' reads the same in every dialect
    const patterns = substrings.map((v) => `%${v.replace(/[!%_]/g, (c) => `!${c}`)}%`);
    qb = qb.where('ports.id', 'in', holders((eb) => eb.or(patterns.map((p) => sql<boolean>`ip_address like ${p} escape '!'`))));
  }
  return qb;
}

/**
 * /v2.0/ports. Ports also take part in their network's and subnets' lives: a network is not
 * deleted while it has ports other than DHCP-like ones (those go with it), and a new SLAAC subnet
 * gives the network's ports their EUI-64 addresses at once.
 */
export function createPortResource(store: Store, api: ApiModel, opts: PortOptions): SqlResource {
  const def = api.resources.get('ports')!;
  const dnsDomain = !opts.dnsDomain ? '' : opts.dnsDomain.endsWith('.') ? opts.dnsDomain : `${opts.dnsDomain}.`;
  // with the default dns_domain Neutron does not let ports name themselves
  const dnsNamesAllowed = !!dnsDomain && dnsDomain !== DNS_DOMAIN_DEFAULT;
  const hasDns = 'dns_name' in def.attributes;
  const hasRouters = api.hasExtension('router');

  store.events.subscribe('network', 'before_delete', (tx, { current: network }) => deleteNetworkPorts(tx, network.id as string));
  store.events.subscribe('subnet', 'precommit_create', async (tx, { current: s }) => {
    if (isAutoAddressSubnet(s.ipv6_ra_mode as string | null, s.ipv6_address_mode as string | null)) {
      await addAutoAddresses(tx, subnetInfo(s, Array.isArray(s.service_types) ? s.service_types as string[] : []));
    }
  });

  /** _enforce_device_owner_not_router_intf_or_device_id: a router interface names a router of the port's project. */
  async function checkDeviceOwner(q: Queryable, ctx: RequestContext, owner: string, deviceId: string, projectId: string): Promise<void> {
    if (!ROUTER_INTERFACE_OWNERS.includes(owner) || ctx.isAdmin || !deviceId) return;
    // without the L3 plugin no router can be checked, and Neutron refuses
    if (!hasRouters) throw new DeviceIDNotOwnedByTenant({ device_id: deviceId });
    const router = await q.selectFrom('routers').select('project_id').where('id', '=', deviceId).executeTakeFirst();
    if (router && router.project_id !== projectId) throw new DeviceIDNotOwnedByTenant({ device_id: deviceId });
  }

  function checkAddressPairs(port: Item, pairs: unknown): void {
    if (!Array.isArray(pairs) || !pairs.length) return;
    if (pairs.length > opts.maxAllowedAddressPairs) throw new AllowedAddressPairExhausted({ quota: opts.maxAllowedAddressPairs });
    if (port.port_security_enabled === false) throw new AddressPairAndPortSecurityRequired();
  }

  /** The pairs as stored: the port's MAC where none is given, each pair once. */
  function addressPairs(port: Item, pairs: Array<{ ip_address: string; mac_address?: string }>): Item[] {
    const unique = new Map(pairs.map((p) => {
      const pair = { ip_address: p.ip_address, mac_address: p.mac_address ?? port.mac_address };
      return [`${pair.mac_address}/${pair.ip_address}`, pair];
    }));
    return [...unique.values()];
  }

  /**
   * extra_dhcp_opts as stored: `current` with the options of `given` set (each name and IP
   * version once, the last one given winning) and those given a null value removed.
   */
  function dhcpOpts(current: Item[], given: Array<{ opt_name: string; opt_value: string | null; ip_version?: number }>): Item[] {
    const opts = new Map(current.map((o) => [`${o.ip_version}/${o.opt_name}`, o]));
    for (const o of given) {
      const version = o.ip_version ?? 4;
      const key = `${version}/${o.opt_name}`;
      opts.delete(key);
      if (o.opt_value !== null) opts.set(key, { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version });
    }
    return [...opts.values()];
  }

  /** Orders the lists a port has (the same way on every database); with `dns`, derives dns_assignment. */
  function finish(p: Item, dns: boolean): void {
    (p.fixed_ips as FixedIp[] | undefined)?.sort(compareFixedIps);
    (p.security_groups as string[] | undefined)?.sort();
    // as their primary keys order them on MariaDB, where Neutron runs most
    (p.allowed_address_pairs as Item[] | undefined)?.sort((a, b) => byText(a.mac_address, b.mac_address) || byText(a.ip_address, b.ip_address));
    (p.extra_dhcp_opts as Item[] | undefined)?.sort((a, b) => byText(a.opt_name, b.opt_name) || (a.ip_version as number) - (b.ip_version as number));
    if (dns) {
      const name = dnsNamesAllowed ? (p.dns_name as string) : '';
      p.dns_assignment = (p.fixed_ips as FixedIp[]).map(({ ip_address }) => {
        const hostname = name || `host-${ip_address.replace(/[.:]/g, '-')}`;
        const fqdn = name.endsWith('.') || !dnsDomain ? hostname : `${hostname}.${dnsDomain}`;
        return { ip_address, hostname, fqdn };
      });
    }
  }

  return new SqlResource(store, def, {
    notFound: (id) => new PortNotFound({ port_id: id }),
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('ports.project_id', '=', ctx.projectId),
      eb('ports.network_id', 'in', eb.selectFrom('networks').select('id').where('project_id', '=', ctx.projectId)),
    ])),
    filters: { fixed_ips: fixedIpsFilter },
    sources: { dns_assignment: ['dns_name', 'fixed_ips'], 'network:tenant_id': ['network_id'], 'network:shared': ['network_id'] },
    policyTarget: (q, ctx, item, reads) => networkPolicyTarget(q, ctx, item, 'port', reads),
    withRow: networkFieldsWithRow('ports'),

    async extend(q, ports, ctx, wanted) {
      // get_port's deprecated rule lets a network's owner see other projects' ports on it
      if (!wanted || wanted.has('network:tenant_id') || wanted.has('network:shared')) await addNetworkFields(q, ctx, ports);
      const dns = hasDns && (!wanted || wanted.has('dns_assignment'));
      for (const p of ports) finish(p, dns);
    },

    created(port, written) {
      for (const key of ['fixed_ips', 'network:tenant_id', 'network:shared']) port[key] = written[key];
      finish(port, hasDns);
    },

    async beforeCreate(tx, event) {
      const { context: ctx, current: p } = event;
      await checkDeviceOwner(tx, ctx, p.device_owner as string, p.device_id as string, p.project_id as string);
      const network = event.network ?? await networkAccess(tx, ctx, p.network_id as string);
      if (!network) throw new NetworkNotFound({ net_id: p.network_id as string });
      p['network:tenant_id'] = network.projectId;
      p['network:shared'] = network.shared;
      if (p.mac_address === UNSET || p.mac_address === null) {
        // a collision with another port of the network fails the unique key and the request runs again
        p.mac_address = randomMac(opts.baseMac);
      } else {
        const used = await tx.selectFrom('ports').select('id').where('network_id', '=', p.network_id as string).where('mac_address', '=', p.mac_address as string).executeTakeFirst();
        if (used) throw new MacAddressInUse({ net_id: p.network_id as string, mac: p.mac_address as string });
      }
      if (p.port_security_enabled === UNSET || p.port_security_enabled === undefined) {
        p.port_security_enabled = network.portSecurityEnabled;
      }
      checkAddressPairs(p, p.allowed_address_pairs);
      p.allowed_address_pairs = Array.isArray(p.allowed_address_pairs) ? addressPairs(p, p.allowed_address_pairs as any) : [];
      p.extra_dhcp_opts = Array.isArray(p.extra_dhcp_opts) ? dhcpOpts([], p.extra_dhcp_opts as any) : [];
      Object.assign(p, {
        'binding:host_id': given(p['binding:host_id'], ''), 'binding:vif_type': 'unbound', 'binding:vnic_type': given(p['binding:vnic_type'], 'normal'),
        'binding:profile': given(p['binding:profile'], {}), 'binding:vif_details': {},
      });
      p.status = 'DOWN';
      p.ip_allocation = Array.isArray(p.fixed_ips) && !p.fixed_ips.length ? 'none' : 'immediate';
      if (hasDns && !dnsNamesAllowed) p.dns_name = '';
    },

    // last: on PostgreSQL and MariaDB the free range it takes stays locked until the commit
    async afterCreate(tx, { current: p }) {
      const ips = await allocateForNewPort(tx, p);
      // fixed_ips [] asked for an unaddressed port: ip_allocation none, whatever the network
      if (!ips && p.ip_allocation !== 'none') {
        p.ip_allocation = 'deferred';
        await tx.updateTable('ports').set({ ip_allocation: 'deferred' }).where('id', '=', p.id as string).execute();
      }
      p.fixed_ips = ips ?? [];
    },

    async beforeUpdate(tx, { context: ctx, original: current, changes: ch }) {
      const id = current.id as string;
      const owner = (ch.device_owner ?? current.device_owner) as string;
      const deviceId = (ch.device_id ?? current.device_id) as string;
      if ('device_owner' in ch || ('device_id' in ch && ch.device_id !== current.device_id && owner)) {
        await checkDeviceOwner(tx, ctx, owner, deviceId, current.project_id as string);
      }
      let mac = current.mac_address as string;
      if ('mac_address' in ch) {
        const requested = ch.mac_address === null ? randomMac(opts.baseMac) : ch.mac_address as string;
        if (requested !== mac) {
          if (owner.startsWith(DEVICE_OWNER_NETWORK_PREFIX)) throw new UnsupportedPortDeviceOwner({ op: 'mac address update', port_id: id, device_owner: owner });
          const vifType = current['binding:vif_type'] as string;
          // a bound direct-physical port takes its MAC from the binding profile instead (port-binding.ts)
          if (!UNBOUND_VIF_TYPES.includes(vifType)) {
            throw new PortBound({ port_id: id, vif_type: vifType, old_mac: mac, new_mac: requested });
          }
          const used = await tx.selectFrom('ports').select('id').where('network_id', '=', current.network_id as string).where('mac_address', '=', requested).executeTakeFirst();
          if (used) throw new MacAddressInUse({ net_id: current.network_id as string, mac: requested });
        }
        ch.mac_address = requested;
        mac = requested;
      }
      // _reset_mac_for_direct_physical: a port released by its instance frees its physical device's MAC
      if (current['binding:vnic_type'] === 'direct-physical' && ch.device_id === '' && ch.device_owner === '' && current.device_id !== '') {
        ch.mac_address = mac = randomMac(opts.baseMac);
      }
      const port: Item = { ...current, ...ch };
      if ('allowed_address_pairs' in ch || 'port_security_enabled' in ch) {
        checkAddressPairs(port, 'allowed_address_pairs' in ch ? ch.allowed_address_pairs : current.allowed_address_pairs);
      }
      if ('fixed_ips' in ch) {
        await updateFixedIps(tx, port, current.fixed_ips as FixedIp[], ch.fixed_ips as Item[], mac);
        ch.ip_allocation = 'immediate';
      } else if (ch['binding:host_id'] && ch['binding:host_id'] !== current['binding:host_id']) {
        await addressesForNewHost(tx, port, current);
      }
      if (mac !== current.mac_address) {
        // EUI-64 addresses follow the MAC
        const eui64 = (await portFixedIps(tx, id)).filter((ip) => isEui64(ip.ip_address));
        const subnets = eui64.length ? await networkSubnets(tx, current.network_id as string) : [];
        for (const ip of eui64) {
          const subnet = subnets.find((s) => s.id === ip.subnet_id);
          if (!subnet || !isAutoAddress(subnet)) continue;
          await release(tx, ip.subnet_id, ip.ip_address);
          await allocateSpecific(tx, { id: subnet.id, networkId: subnet.networkId, ipVersion: 6 }, id, parseIp(eui64Address(subnet.cidr, mac))!);
        }
      }
      if ('binding:host_id' in ch) ch['binding:host_id'] ??= '';
      if ('binding:profile' in ch) ch['binding:profile'] ??= {};
      if (Array.isArray(ch.allowed_address_pairs)) ch.allowed_address_pairs = addressPairs(port, ch.allowed_address_pairs as any);
      if (Array.isArray(ch.extra_dhcp_opts)) ch.extra_dhcp_opts = dhcpOpts(current.extra_dhcp_opts as Item[], ch.extra_dhcp_opts as any);
      else delete ch.extra_dhcp_opts;
      if (hasDns && 'dns_name' in ch && !dnsNamesAllowed) ch.dns_name = '';
    },

    async beforeDelete(tx, { current: p }) {
      await releaseAll(tx, p.id as string);
    },
  });
}

/** Deleting a network: 409 while ports other than DHCP-like ones remain; those go with it. */
async function deleteNetworkPorts(tx: Tx, networkId: string): Promise<void> {
  const ports = await tx.selectFrom('ports').select(['id', 'project_id', 'network_id', 'device_owner']).where('network_id', '=', networkId).execute();
  const inUse = ports.filter((p) => !AUTO_DELETE_PORT_OWNERS.includes(p.device_owner));
  if (inUse.length) throw new NetworkInUse({ net_id: networkId, ports: inUse.map((p) => p.id) });
  for (const p of ports) {
    await releaseAll(tx, p.id);
    await tx.deleteFrom('ports').where('id', '=', p.id).execute();
    noteChange(tx, 'ports', p.id, 'deleted', { ...p, tenant_id: p.project_id });
    await tx.deleteFrom('tags').where('resource_type', '=', 'port').where('resource_id', '=', p.id).execute();
  }
}

/** A new auto-address subnet gives every eligible port of the network its EUI-64 address at once. */
async function addAutoAddresses(tx: Tx, subnet: SubnetInfo): Promise<void> {
  const ports = await tx.selectFrom('ports').select(['id', 'mac_address', 'device_owner'])
    .where('network_id', '=', subnet.networkId).where('device_owner', 'not in', ROUTER_INTERFACE_OWNERS_SNAT).execute();
  for (const p of ports) {
    if (subnet.serviceTypes.length && !subnet.serviceTypes.includes(p.device_owner)) continue;
    try {
      await allocateSpecific(tx, { id: subnet.id, networkId: subnet.networkId, ipVersion: 6 }, p.id, parseIp(eui64Address(subnet.cidr, p.mac_address))!);
    } catch (e) {
      if (e instanceof IpAddressAlreadyAllocated) continue;
      throw e;
    }
    await bumpRevision(tx, 'ports', p.id);
  }
}
