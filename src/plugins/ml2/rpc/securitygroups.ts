/**
 * Security group RPC for agents with an iptables firewall (Linux bridge, SR-IOV): Neutron's
 * SecurityGroupServerRpcCallback, version 1.3, from the security-group tables. Set-based: a fixed
 * number of queries for any number of devices.
 */
import { DEVICE_OWNER_NETWORK_PREFIX } from '../../../lib/constants.js';
import type { RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import { inChunks } from '../../../db/chunks.js';
import type { Database } from '../../../db/database.js';
import type { Queryable } from '../../../db/schema.js';
import { filterQuery } from '../../../registry/handler.js';
import type { Endpoint } from '../../../rpc/server.js';
import { deviceName, devicesToPortIds } from './devices.js';
import { elevated, type CoreResources } from './dhcp.js';

const DIRECTION_IP_PREFIX: Record<string, string> = { ingress: 'source_ip_prefix', egress: 'dest_ip_prefix' };
/** DHCP server and client ports and the ethertype, by IP version */
const DHCP_RULE_PORT: Record<4 | 6, [number, number, string]> = { 4: [67, 68, 'IPv4'], 6: [547, 546, 'IPv6'] };
const ICMPV6_TYPE_RA = 134;

/**
 * _apply_provider_rule: what every port must receive whatever its groups say, in the port's own
 * security_group_rules: router advertisements (IPv6) and DHCP replies to its addresses.
 */
function providerRules(fixedIps: string[]): Item[] {
  const rules: Item[] = [];
  const version = (ip: string) => (ip.includes(':') ? 6 : 4);
  if (fixedIps.some((ip) => version(ip) === 6)) {
    rules.push({ direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: ICMPV6_TYPE_RA });
  }
  for (const v of [4, 6] as const) {
    const dests = fixedIps.filter((ip) => version(ip) === v).map((ip) => `${ip}/${v === 4 ? 32 : 128}`);
    dests.push(v === 4 ? '255.255.255.255/32' : 'fe80::/64');
    const [source, dest, ethertype] = DHCP_RULE_PORT[v];
    for (const prefix of dests) {
      rules.push({
        direction: 'ingress', ethertype, protocol: 'udp', port_range_min: dest, port_range_max: dest,
        source_port_range_min: source, source_port_range_max: source, dest_ip_prefix: prefix,
      });
    }
  }
  return rules;
}

type MemberIps = Record<string, Record<string, Array<[string, string] | string>>>;

export class SecurityGroupServerRpcCallback implements Endpoint {
  readonly target = { version: '1.3' };

  constructor(private readonly db: Database, private readonly core: Pick<CoreResources, 'ports'>) {}

  /** 1.3: {devices: {port_id: port}, security_groups: {sg: [rule]}, sg_member_ips: {sg: {IPv4: [[ip, mac]]}}} */
  async security_group_info_for_devices(ctx: RequestContext, kw: Record<string, any>): Promise<Item> {
    const devices = await this.devicePorts(ctx, kw.devices ?? []);
    const withMacs = versionAtLeast(kw.call_version ?? '1.3', '1.3');
    return this.db.read(async (q) => {
      const rules = await rulesOfGroups(q, [...new Set(Object.values(devices).flatMap((p) => p.security_groups as string[]))]);
      const securityGroups: Record<string, Item[]> = {};
      const members: MemberIps = {};
      const agMembers: MemberIps = {};
      for (const port of Object.values(devices)) {
        const sources = port.security_group_source_groups as string[];
        const addressGroups = port.security_group_remote_address_groups as string[];
        for (const sg of port.security_groups as string[]) {
          securityGroups[sg] ??= [];
          for (const rule of rules.get(sg) ?? []) {
            const remote = rule.remote_group_id as string | null;
            const remoteAg = rule.remote_address_group_id as string | null;
            if (remote) {
              if (!sources.includes(remote)) sources.push(remote);
              (members[remote] ??= {})[rule.ethertype as string] ??= [];
            } else if (remoteAg) {
              // an address group's addresses travel with the groups' members, as Neutron sends them
              if (!addressGroups.includes(remoteAg)) addressGroups.push(remoteAg);
              (agMembers[remoteAg] ??= {})[rule.ethertype as string] ??= [];
            }
            const dict = agentRule(rule);
            if (!securityGroups[sg]!.some((r) => JSON.stringify(r) === JSON.stringify(dict))) securityGroups[sg]!.push(dict);
          }
        }
      }
      for (const port of Object.values(devices)) (port.security_group_rules as Item[]).push(...providerRules(port.fixed_ips as string[]));
      await fillMemberIps(q, members, withMacs);
      await fillAddressGroupIps(q, agMembers, withMacs);
      return { devices, security_groups: securityGroups, sg_member_ips: { ...members, ...agMembers } };
    });
  }

  /** 1.1 (legacy): each port with its rules, remote groups expanded into their members' addresses. */
  async security_group_rules_for_devices(ctx: RequestContext, kw: Record<string, any>): Promise<Record<string, Item>> {
    const info = await this.security_group_info_for_devices(ctx, { devices: kw.devices, call_version: '1.2' });
    const devices = info.devices as Record<string, Item>;
    const groups = info.security_groups as Record<string, Item[]>;
    const members = info.sg_member_ips as MemberIps;
    for (const port of Object.values(devices)) {
      const provider = port.security_group_rules as Item[];
      const expanded: Item[] = [];
      for (const sg of port.security_groups as string[]) {
        for (const rule of groups[sg] ?? []) {
          const { stateful: _s, ...legacy }: Item = { security_group_id: sg, ...rule };
          const remote = (rule.remote_group_id ?? rule.remote_address_group_id) as string | undefined;
          if (!remote) {
            expanded.push(legacy);
            continue;
          }
          const { remote_group_id: _r, remote_address_group_id: _a, ...rest }: Item = legacy;
          const bits = rule.ethertype === 'IPv6' ? 128 : 32;
          for (const ip of members[remote]?.[rule.ethertype as string] ?? []) {
            if ((port.fixed_ips as string[]).includes(ip as string)) continue;
            // an address group's entries are CIDRs already
            const prefix = String(ip).includes('/') ? String(ip) : `${String(ip)}/${bits}`;
            expanded.push({ ...rest, [DIRECTION_IP_PREFIX[rule.direction as string]!]: prefix });
          }
        }
      }
      port.security_group_rules = [...expanded, ...provider];
    }
    return devices;
  }

  /** get_ports_from_devices without trusted (network:*) ports: API dicts with fixed_ips as plain addresses. */
  private async devicePorts(ctx: RequestContext, devices: unknown[]): Promise<Record<string, Item>> {
    const names = devices.map(deviceName);
    const resolved = await this.db.read((q) => devicesToPortIds(q, names));
    const deviceOf = new Map([...resolved].map(([device, id]) => [id, device]));
    const ports = deviceOf.size ? await this.core.ports.list(elevated(ctx), filterQuery({ id: [...deviceOf.keys()] })) : [];
    const out: Record<string, Item> = {};
    for (const p of ports) {
      if (String(p.device_owner ?? '').startsWith(DEVICE_OWNER_NETWORK_PREFIX)) continue;
      out[p.id as string] = {
        ...p,
        device: deviceOf.get(p.id as string),
        security_group_rules: [],
        security_group_source_groups: [],
        security_group_remote_address_groups: [],
        fixed_ips: ((p.fixed_ips ?? []) as Item[]).map((f) => f.ip_address),
      };
    }
    return out;
  }
}

function versionAtLeast(v: string, min: string): boolean {
  const [a = 0, b = 0] = String(v).split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

async function rulesOfGroups(q: Queryable, groupIds: string[]): Promise<Map<string, Item[]>> {
  const out = new Map<string, Item[]>();
  const stateful = new Map<string, boolean>();
  await inChunks(groupIds, async (chunk) => {
    for (const g of await q.selectFrom('security_groups').select(['id', 'stateful']).where('id', 'in', chunk).execute()) {
      stateful.set(g.id, g.stateful === true || Number(g.stateful) === 1);
    }
    const rows = await q.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', chunk).orderBy('id').execute();
    for (const r of rows) {
      const list = out.get(r.security_group_id) ?? [];
      list.push({ ...r, stateful: stateful.get(r.security_group_id) ?? true });
      out.set(r.security_group_id, list);
    }
  });
  return out;
}

/** The rule as agents read it: remote_ip_prefix becomes source_ip_prefix (ingress) or dest_ip_prefix (egress). */
function agentRule(r: Item): Item {
  const rule: Item = { direction: r.direction, ethertype: r.ethertype, stateful: r.stateful };
  for (const key of ['protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'remote_address_group_id']) {
    const v = r[key];
    if (v === null || v === undefined) continue;
    if (key === 'remote_ip_prefix') rule[DIRECTION_IP_PREFIX[r.direction as string]!] = r.normalized_cidr ?? v;
    else rule[key] = key.startsWith('port_range') ? Number(v) : v;
  }
  return rule;
}

/** The addresses (with MACs from 1.3 on) of the ports in each remote group, allowed address pairs included. */
async function fillMemberIps(q: Queryable, members: MemberIps, withMacs: boolean): Promise<void> {
  const groups = Object.keys(members);
  await inChunks(groups, async (chunk) => {
    const bindings = await q.selectFrom('port_security_group_bindings as b').innerJoin('ports as p', 'p.id', 'b.port_id')
      .select(['b.security_group_id', 'p.id', 'p.mac_address']).where('b.security_group_id', 'in', chunk).execute();
    const portIds = [...new Set(bindings.map((b) => b.id as string))];
    const addresses = new Map<string, Array<[string, string]>>();
    await inChunks(portIds, async (ports) => {
      for (const a of await q.selectFrom('ipallocations').select(['port_id', 'ip_address']).where('port_id', 'in', ports).execute()) {
        const mac = bindings.find((b) => b.id === a.port_id)!.mac_address as string;
        (addresses.get(a.port_id) ?? addresses.set(a.port_id, []).get(a.port_id)!).push([a.ip_address, mac]);
      }
      for (const a of await q.selectFrom('port_allowed_address_pairs').select(['port_id', 'ip_address', 'mac_address']).where('port_id', 'in', ports).execute()) {
        (addresses.get(a.port_id) ?? addresses.set(a.port_id, []).get(a.port_id)!).push([a.ip_address, a.mac_address]);
      }
    });
    for (const b of bindings) {
      const byType = members[b.security_group_id]!;
      for (const [ip, mac] of addresses.get(b.id) ?? []) {
        const type = ip.includes(':') ? 'IPv6' : 'IPv4';
        const list = byType[type];
        if (!list) continue;
        const entry: [string, string] | string = withMacs ? [ip, mac] : ip;
        if (!list.some((e) => JSON.stringify(e) === JSON.stringify(entry))) list.push(entry);
      }
    }
  });
}

/** The addresses of each remote address group, without MAC (null from 1.3 on), as _select_ips_for_remote_address_group gives them. */
async function fillAddressGroupIps(q: Queryable, members: MemberIps, withMacs: boolean): Promise<void> {
  await inChunks(Object.keys(members), async (chunk) => {
    const rows = await q.selectFrom('address_associations').select(['address_group_id', 'address']).where('address_group_id', 'in', chunk).orderBy('address').execute();
    for (const r of rows) {
      const list = members[r.address_group_id]![r.address.includes(':') ? 'IPv6' : 'IPv4'];
      if (list) list.push(withMacs ? [r.address, null] as unknown as [string, string] : r.address);
    }
  });
}
