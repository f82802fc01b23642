import { sql } from 'kysely';
import type { RequestContext } from '../../lib/context.js';
import { UNSET } from '../../lib/attributes.js';
import {
  AddressPairAndPortSecurityRequired, AllocationOnAutoAddressSubnet, AllowedAddressPairExhausted, DeviceIDNotOwnedByTenant,
  InvalidInput, InvalidIpForNetwork, InvalidIpForSubnet, IpAddressAlreadyAllocated, IpAddressGenerationFailure,
  IpAddressGenerationFailureNoMatchingSubnet, MacAddressInUse, NetworkInUse, NetworkNotFound, PortBound, PortNotFound,
  SubnetNotFound, UnsupportedPortDeviceOwner,
} from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import { preparedWrite } from '../../db/prepared.js';
import { SqlResource, type ResourceHooks } from '../../registry/resource.js';
import { formatIp, isValidIpForSubnet, parseIp, type IpAddress } from '../../lib/address.js';
import { allocateAny, allocateSpecific, release, type IpamSubnet } from '../../ipam/allocator.js';
import { eui64Address, randomMac } from '../../lib/mac.js';
import { addNetworkFields, networkAccess, networkPolicyTarget, takeCheckedNetwork } from './network-access.js';
import type { NetworkExtender } from './networks.js';
import { isAutoAddress, networkSubnets, type SubnetInfo, type SubnetPortHooks } from './subnets.js';
import type { Item } from '../../lib/definitions.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { Queryable, Select, Tx } from '../../db/schema.js';
import {
  AUTO_DELETE_PORT_OWNERS, DEVICE_OWNER_DHCP, DEVICE_OWNER_DISTRIBUTED, DEVICE_OWNER_NETWORK_PREFIX, ROUTER_INTERFACE_OWNERS,
  ROUTER_INTERFACE_OWNERS_SNAT, ROUTER_PORT_OWNERS,
} from '../../lib/constants.js';

export interface PortOptions {
  /** [DEFAULT] base_mac */
  baseMac: string;
  /** [DEFAULT] max_allowed_address_pair */
  maxAllowedAddressPairs: number;
  /** [DEFAULT] dns_domain */
  dnsDomain: string;
}

/**
 * Where other plugins join in. The security-group plugin validates and defaults a port's
 * security_groups (it gets the ids as given, or UNSET, and returns the ids to store); until it
 * exists they are stored as given. The L3 plugin answers who owns a router (device_id checks).
 */
export interface PortHooks {
  securityGroups?(tx: Tx, ctx: RequestContext, port: Item, requested: string[] | typeof UNSET, current?: string[]): Promise<string[]>;
  routerProject?(q: Queryable, routerId: string): Promise<string | null>;
  /** a DELETE through the ports API (not the L3 plugin's own): L3 refuses router ports and disassociates floating IPs */
  beforeApiDelete?(tx: Tx, ctx: RequestContext, port: Item): Promise<void>;
}

/** the attributes afterCreate leaves on a new port as `extend` would read them back */
const WRITTEN_ON_CREATE = [
  'fixed_ips', 'security_groups', 'allowed_address_pairs', 'extra_dhcp_opts', 'network:tenant_id', 'network:shared',
  'binding:host_id', 'binding:vif_type', 'binding:vnic_type', 'binding:profile', 'binding:vif_details',
];

type Binding = { port_id: unknown; host: unknown; vif_type: string; vnic_type: unknown; profile: string; vif_details: string };
const insertBinding = preparedWrite<Binding>((q, p) => q.insertInto('ml2_port_bindings').values({
  port_id: p.port_id, host: p.host, vif_type: p.vif_type, vnic_type: p.vnic_type, profile: p.profile, vif_details: p.vif_details,
}));
const insertGroupBinding = preparedWrite<{ port_id: string; security_group_id: string }>((q, p) => q.insertInto('port_security_group_bindings')
  .values({ port_id: p.port_id, security_group_id: p.security_group_id }));

const DNS_DOMAIN_DEFAULT = 'openstacklocal.';
/** port attribute, ml2_port_bindings column, stored as JSON text */
const BINDING_COLUMNS: Array<[string, string, boolean]> = [
  ['binding:host_id', 'host', false], ['binding:vif_type', 'vif_type', false], ['binding:vnic_type', 'vnic_type', false],
  ['binding:profile', 'profile', true], ['binding:vif_details', 'vif_details', true],
];

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
  const eligible = subnets.filter((s) => !s.serviceTypes.length || s.serviceTypes.includes(owner) || (owner === DEVICE_OWNER_DHCP && s.enableDhcp));
  if (!eligible.length && subnets.length) throw new IpAddressGenerationFailureNoMatchingSubnet({ network_id: networkId, service_type: owner });
  return [...eligible.filter((s) => s.serviceTypes.length), ...eligible.filter((s) => !s.serviceTypes.length)];
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
async function allocateForNewPort(tx: Tx, port: Item): Promise<FixedIp[]> {
  const owner = port.device_owner as string;
  const networkId = port.network_id as string;
  const subnets = candidateSubnets(await networkSubnets(tx, networkId), networkId, owner);
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

export function createPortResource(db: Database, api: ApiModel, opts: PortOptions, plugins: PortHooks = {}): SqlResource & ResourceHandler {
  const def = api.resources.get('ports')!;
  const dnsDomain = !opts.dnsDomain ? '' : opts.dnsDomain.endsWith('.') ? opts.dnsDomain : `${opts.dnsDomain}.`;
  // with the default dns_domain Neutron does not let ports name themselves
  const dnsNamesAllowed = !!dnsDomain && dnsDomain !== DNS_DOMAIN_DEFAULT;
  const hasDns = 'dns_name' in def.attributes;

  async function checkDeviceOwner(q: Queryable, ctx: RequestContext, owner: string, deviceId: string, projectId: string): Promise<void> {
    if (!ROUTER_INTERFACE_OWNERS.includes(owner) || ctx.isAdmin || !deviceId) return;
    const routerProject = plugins.routerProject ? await plugins.routerProject(q, deviceId) : undefined;
    if (routerProject === null) return;
    if (routerProject !== projectId) throw new DeviceIDNotOwnedByTenant({ device_id: deviceId });
  }

  function checkAddressPairs(port: Item, pairs: unknown): void {
    if (!Array.isArray(pairs) || !pairs.length) return;
    if (pairs.length > opts.maxAllowedAddressPairs) throw new AllowedAddressPairExhausted({ quota: opts.maxAllowedAddressPairs });
    if (port.port_security_enabled === false) throw new AddressPairAndPortSecurityRequired();
  }

  /** Stores the port's pairs (a pair given twice once); returns them as the port shows them. */
  async function storeAddressPairs(tx: Tx, port: Item, pairs: Array<{ ip_address: string; mac_address?: string }>, replace: boolean): Promise<Item[]> {
    if (replace) await tx.deleteFrom('port_allowed_address_pairs').where('port_id', '=', port.id as string).execute();
    const rows = new Map(pairs.map((p) => {
      const row = { port_id: port.id, mac_address: p.mac_address ?? port.mac_address, ip_address: p.ip_address };
      return [`${row.mac_address}/${row.ip_address}`, row];
    }));
    if (rows.size) await tx.insertInto('port_allowed_address_pairs').values([...rows.values()]).execute();
    return [...rows.values()].map((r) => ({ ip_address: r.ip_address, mac_address: r.mac_address }));
  }

  /**
   * extra_dhcp_opts: set on create; an update changes the options it names, and a null value
   * deletes one. Returns the options it set, as the port shows them.
   */
  async function storeDhcpOpts(tx: Tx, portId: string, list: Array<{ opt_name: string; opt_value: string | null; ip_version?: number }>): Promise<Item[]> {
    const set = new Map<string, Item>();
    for (const o of list) {
      const version = o.ip_version ?? 4;
      const key = `${version}/${o.opt_name}`;
      set.delete(key);
      await tx.deleteFrom('port_extra_dhcp_opts').where('port_id', '=', portId).where('opt_name', '=', o.opt_name).where('ip_version', '=', version).execute();
      if (o.opt_value !== null) {
        await tx.insertInto('port_extra_dhcp_opts').values({ port_id: portId, opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version }).execute();
        set.set(key, { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version });
      }
    }
    return [...set.values()];
  }

  async function storeSecurityGroups(tx: Tx, ctx: RequestContext, port: Item, requested: unknown, replace: boolean, current?: string[]): Promise<string[]> {
    const ids = plugins.securityGroups
      ? await plugins.securityGroups(tx, ctx, port, requested as string[] | typeof UNSET, current)
      : requested === UNSET ? [] : (requested as string[]);
    if (replace) await tx.deleteFrom('port_security_group_bindings').where('port_id', '=', port.id as string).execute();
    for (const id of ids) await insertGroupBinding.run(tx, { port_id: port.id as string, security_group_id: id });
    return ids;
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

  const hooks: ResourceHooks = {
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('ports.project_id', '=', ctx.projectId),
      eb('ports.network_id', 'in', eb.selectFrom('networks').select('id').where('project_id', '=', ctx.projectId)),
    ])),

    filters: {
      fixed_ips: fixedIpsFilter,
      'binding:host_id': (qb, values) => qb.where('ports.id', 'in', (eb: any) => eb.selectFrom('ml2_port_bindings').select('port_id').where('host', 'in', values)),
      security_groups: (qb, values) => qb.where('ports.id', 'in', (eb: any) => eb.selectFrom('port_security_group_bindings').select('port_id').where('security_group_id', 'in', values)),
    },

    sources: { dns_assignment: ['dns_name'], 'network:tenant_id': ['network_id'], 'network:shared': ['network_id'] },

    async extend(q, ports, ctx, wanted) {
      // each table is read only when one of its attributes is wanted
      const want = (...attrs: string[]) => !wanted || attrs.some((a) => wanted.has(a));
      const dns = hasDns && want('dns_assignment');
      const ips = dns || want('fixed_ips');
      const binding = BINDING_COLUMNS.filter(([attr]) => want(attr));
      const groups = want('security_groups');
      const pairs = want('allowed_address_pairs');
      const dhcp = want('extra_dhcp_opts');
      const byId = new Map<string, Item>();
      for (const p of ports) {
        byId.set(p.id as string, p);
        if (ips) p.fixed_ips = [];
        if (groups) p.security_groups = [];
        if (pairs) p.allowed_address_pairs = [];
        if (dhcp) p.extra_dhcp_opts = [];
      }
      await inChunks([...byId.keys()], async (chunk) => {
        if (ips) {
          for (const a of await q.selectFrom('ipallocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute()) {
            (byId.get(a.port_id)!.fixed_ips as FixedIp[]).push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
          }
        }
        if (binding.length) {
          const rows = await q.selectFrom('ml2_port_bindings').select(['port_id', ...binding.map(([, column]) => column)])
            .where('port_id', 'in', chunk).execute();
          for (const row of rows) {
            const p = byId.get(row.port_id)!;
            for (const [attr, column, json] of binding) p[attr] = json ? JSON.parse(row[column]) : row[column];
          }
        }
        if (groups) {
          for (const s of await q.selectFrom('port_security_group_bindings').select(['port_id', 'security_group_id']).where('port_id', 'in', chunk).execute()) {
            (byId.get(s.port_id)!.security_groups as string[]).push(s.security_group_id);
          }
        }
        if (pairs) {
          for (const a of await q.selectFrom('port_allowed_address_pairs').select(['port_id', 'ip_address', 'mac_address']).where('port_id', 'in', chunk).execute()) {
            (byId.get(a.port_id)!.allowed_address_pairs as unknown[]).push({ ip_address: a.ip_address, mac_address: a.mac_address });
          }
        }
        if (dhcp) {
          for (const o of await q.selectFrom('port_extra_dhcp_opts').select(['port_id', 'opt_name', 'opt_value', 'ip_version']).where('port_id', 'in', chunk).execute()) {
            (byId.get(o.port_id)!.extra_dhcp_opts as unknown[]).push({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: Number(o.ip_version) });
          }
        }
      });
      // get_port's deprecated rule lets a network's owner see other projects' ports on it
      if (want('network:tenant_id', 'network:shared')) await addNetworkFields(q, ctx, ports);
      for (const p of ports) finish(p, dns);
    },

    created(port, written) {
      for (const key of WRITTEN_ON_CREATE) port[key] = written[key];
      finish(port, hasDns);
    },

    async beforeCreate(tx, ctx, p) {
      await checkDeviceOwner(tx, ctx, p.device_owner as string, p.device_id as string, p.project_id as string);
      const network = takeCheckedNetwork(ctx, p.network_id as string) ?? await networkAccess(tx, ctx, p.network_id as string);
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
      p.status = 'DOWN';
      p.ip_allocation = Array.isArray(p.fixed_ips) && !p.fixed_ips.length ? 'none' : 'immediate';
      if (hasDns && !dnsNamesAllowed) p.dns_name = '';
    },

    // what it writes, it leaves on the port for `created` (WRITTEN_ON_CREATE)
    async afterCreate(tx, ctx, p) {
      const profile = given(p['binding:profile'], {});
      const binding = {
        port_id: p.id, host: given(p['binding:host_id'], ''), vif_type: 'unbound', vnic_type: given(p['binding:vnic_type'], 'normal'),
        profile: JSON.stringify(profile), vif_details: '{}',
      };
      await insertBinding.run(tx, binding);
      Object.assign(p, {
        'binding:host_id': binding.host, 'binding:vif_type': binding.vif_type, 'binding:vnic_type': binding.vnic_type,
        'binding:profile': profile, 'binding:vif_details': {},
      });
      p.security_groups = await storeSecurityGroups(tx, ctx, p, p.security_groups ?? UNSET, false);
      p.allowed_address_pairs = Array.isArray(p.allowed_address_pairs) ? await storeAddressPairs(tx, p, p.allowed_address_pairs as any, false) : [];
      p.extra_dhcp_opts = Array.isArray(p.extra_dhcp_opts) ? await storeDhcpOpts(tx, p.id as string, p.extra_dhcp_opts as any) : [];
      // last: on PostgreSQL and MariaDB the free range it takes stays locked until the commit
      p.fixed_ips = await allocateForNewPort(tx, p);
    },

    async beforeUpdate(tx, ctx, current, changes) {
      const id = current.id as string;
      const owner = (changes.device_owner ?? current.device_owner) as string;
      const deviceId = (changes.device_id ?? current.device_id) as string;
      if ('device_owner' in changes || ('device_id' in changes && changes.device_id !== current.device_id && owner)) {
        await checkDeviceOwner(tx, ctx, owner, deviceId, current.project_id as string);
      }
      let mac = current.mac_address as string;
      if ('mac_address' in changes) {
        const requested = changes.mac_address === null ? randomMac(opts.baseMac) : changes.mac_address as string;
        if (requested !== mac) {
          if (owner.startsWith(DEVICE_OWNER_NETWORK_PREFIX)) throw new UnsupportedPortDeviceOwner({ op: 'mac address update', port_id: id, device_owner: owner });
          const vifType = current['binding:vif_type'] as string;
          if (!['unbound', 'binding_failed'].includes(vifType) && current['binding:vnic_type'] !== 'direct-physical') {
            throw new PortBound({ port_id: id, vif_type: vifType, old_mac: mac, new_mac: requested });
          }
          const used = await tx.selectFrom('ports').select('id').where('network_id', '=', current.network_id as string).where('mac_address', '=', requested).executeTakeFirst();
          if (used) throw new MacAddressInUse({ net_id: current.network_id as string, mac: requested });
        }
        changes.mac_address = requested;
        mac = requested;
      }
      const port: Item = { ...current, ...changes };
      if ('allowed_address_pairs' in changes || 'port_security_enabled' in changes) {
        checkAddressPairs(port, 'allowed_address_pairs' in changes ? changes.allowed_address_pairs : current.allowed_address_pairs);
      }
      const currentIps = current.fixed_ips as FixedIp[];
      if ('fixed_ips' in changes) {
        await updateFixedIps(tx, port, currentIps, changes.fixed_ips as Item[], mac);
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
      const binding: Record<string, unknown> = {};
      if ('binding:host_id' in changes) binding.host = changes['binding:host_id'] ?? '';
      if ('binding:vnic_type' in changes) binding.vnic_type = changes['binding:vnic_type'];
      if ('binding:profile' in changes) binding.profile = JSON.stringify(changes['binding:profile'] ?? {});
      if (Object.keys(binding).length) await tx.updateTable('ml2_port_bindings').set(binding).where('port_id', '=', id).execute();
      // with port security off, the port's groups are checked on every update (PortSecurityPortHasSecurityGroup)
      if ('security_groups' in changes || port.port_security_enabled === false) {
        await storeSecurityGroups(tx, ctx, port, changes.security_groups ?? UNSET, true, current.security_groups as string[]);
      }
      if ('allowed_address_pairs' in changes) await storeAddressPairs(tx, port, changes.allowed_address_pairs as any, true);
      if ('extra_dhcp_opts' in changes && Array.isArray(changes.extra_dhcp_opts)) await storeDhcpOpts(tx, id, changes.extra_dhcp_opts as any);
      if (hasDns && 'dns_name' in changes && !dnsNamesAllowed) changes.dns_name = '';
      if ('fixed_ips' in changes && Array.isArray(changes.fixed_ips)) changes.ip_allocation = 'immediate';
    },

    async beforeDelete(tx, _ctx, p) {
      await releaseAll(tx, p.id as string);
    },

    async checkDelete(tx, ctx, p) {
      await plugins.beforeApiDelete?.(tx, ctx, p);
    },
  };

  const resource = new SqlResource(db, def, hooks, (id) => new PortNotFound({ port_id: id }));
  return Object.assign(resource, {
    policyTarget: (ctx: RequestContext, item: Item) => db.read((q) => networkPolicyTarget(q, ctx, item, 'port')),
  });
}

/** Deleting a network: 409 while ports other than DHCP-like ones remain; those go with it. */
export const portNetworkExtender: NetworkExtender = {
  async beforeDelete(tx, _ctx, network) {
    const ports = await tx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', network.id as string).execute();
    const inUse = ports.filter((p) => !AUTO_DELETE_PORT_OWNERS.includes(p.device_owner));
    if (inUse.length) throw new NetworkInUse({ net_id: network.id as string, ports: inUse.map((p) => p.id) });
    for (const p of ports) {
      await releaseAll(tx, p.id);
      await tx.deleteFrom('ports').where('id', '=', p.id).execute();
      await tx.deleteFrom('tags').where('resource_type', '=', 'port').where('resource_id', '=', p.id).execute();
    }
  },
};

/** New auto-address subnets give every eligible port of the network its EUI-64 address at once. */
export const portSubnetHooks: SubnetPortHooks = {
  async addAutoAddresses(tx, subnet) {
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
  },
};
