import { cidrToString, parseCidr } from '../../lib/address.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  DuplicateSecurityGroupRuleInPost, SecurityGroupEthertypeConflictWithProtocol, SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange, SecurityGroupInvalidPortValue, SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType, SecurityGroupMultipleRemoteEntites, SecurityGroupNotFound,
  SecurityGroupNotSingleGroupRules, SecurityGroupProtocolRequiredWithPorts, SecurityGroupRuleExists,
  SecurityGroupRuleParameterConflict, SecurityGroupRulesNotSingleTenant,
} from '../../lib/errors.js';
import type { Tx } from '../../db/schema.js';
import { bumpRevision } from '../../registry/revisions.js';
import { IP_PROTOCOL_MAP } from '../../api/definitions/extensions/security-group.js';
import { securityGroupSharing } from './sharing.js';

/** Protocols whose rules may carry a port range. */
const PORT_PROTOCOLS = [33, 132, 6, 17, 136]; // dccp, sctp, tcp, udp, udplite
const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE';
const ICMP_PROTOCOLS = [1, 58];
const IPV6_ONLY_PROTOCOLS = ['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', '41', '44', '58', '59', '60', '43'];
/** number → name, without the legacy alias icmpv6 ('0' is 'ip', the later of hopopt and ip) */
const NUMBER_TO_NAME = new Map(Object.entries(IP_PROTOCOL_MAP).filter(([n]) => n !== 'icmpv6').map(([n, v]) => [String(v), n]));

function protocolNumber(protocol: string): number {
  const name = protocol === 'icmpv6' ? 'ipv6-icmp' : protocol;
  return name in IP_PROTOCOL_MAP ? IP_PROTOCOL_MAP[name]! : Number(name);
}

/** [name, number] of a rule's protocol as Neutron compares them, legacy IPv6 ICMP names folded in. */
function protocolKey(protocol: string, ethertype: unknown): string {
  let p = protocol;
  if (ethertype === 'IPv6') {
    if (p === 'icmp' || p === 'icmpv6') p = 'ipv6-icmp';
    else if (p === '1') p = '58';
  }
  if (p in IP_PROTOCOL_MAP) return `${p}/${IP_PROTOCOL_MAP[p]}`;
  return `${NUMBER_TO_NAME.get(p) ?? p}/${p}`;
}

/** What makes two rules the same rule; a rule open to everything and one with no prefix compare equal. */
function ruleKey(r: Item): string {
  const prefix = r.remote_ip_prefix;
  return JSON.stringify([
    r.direction, r.ethertype, r.port_range_max ?? null, r.port_range_min ?? null,
    r.protocol === null || r.protocol === undefined ? null : protocolKey(String(r.protocol), r.ethertype),
    r.remote_group_id ?? null, r.remote_address_group_id ?? null,
    prefix === '0.0.0.0/0' || prefix === '::/0' ? null : prefix ?? null, r.security_group_id,
  ]);
}

function validatePortRange(r: Item): void {
  const min = r.port_range_min as number | null;
  const max = r.port_range_max as number | null;
  if (min === null && max === null) return;
  if (!r.protocol) throw new SecurityGroupProtocolRequiredWithPorts();
  const proto = protocolNumber(r.protocol as string);
  if (PORT_PROTOCOLS.includes(proto)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue({ port: 0 });
    if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange();
  } else if (ICMP_PROTOCOLS.includes(proto)) {
    for (const [attr, field] of [['port_range_min', 'type'], ['port_range_max', 'code']] as const) {
      const v = r[attr] as number | null;
      if (v !== null && !(v >= 0 && v <= 255)) throw new SecurityGroupInvalidIcmpValue({ field, attr, value: v });
    }
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType({ value: max });
  } else {
    throw new SecurityGroupInvalidProtocolForPort({ protocol: proto, valid_port_protocols: PORT_PROTOCOL_NAMES });
  }
}

/**
 * The checks that need no database, in Neutron's order (one group and one project per bulk request,
 * legacy IPv6 ICMP names, the full port range stored as none, ports against the protocol, prefix
 * against the ethertype, IPv6-only protocols, a single remote), then duplicates within the request.
 */
export function prepareRules(items: Item[]): Item[] {
  if (new Set(items.map((r) => r.security_group_id)).size > 1) throw new SecurityGroupNotSingleGroupRules();
  if (new Set(items.map((r) => r.project_id)).size > 1) throw new SecurityGroupRulesNotSingleTenant();
  const seen = new Set<string>();
  return items.map((input) => {
    const r = { ...input };
    if (r.ethertype === 'IPv6') {
      if (r.protocol === 'icmp' || r.protocol === 'icmpv6') r.protocol = 'ipv6-icmp';
      else if (r.protocol === '1') r.protocol = '58';
    }
    if (r.port_range_min === 1 && r.port_range_max === 65535) r.port_range_min = r.port_range_max = null;
    validatePortRange(r);
    r.normalized_cidr = null;
    if (r.remote_ip_prefix) {
      const cidr = parseCidr(r.remote_ip_prefix)!;
      if (r.ethertype !== `IPv${cidr.version}`) {
        throw new SecurityGroupRuleParameterConflict({ ethertype: r.ethertype as string, cidr: input.remote_ip_prefix as string });
      }
      r.normalized_cidr = cidrToString(cidr);
    }
    if (r.ethertype === 'IPv4' && IPV6_ONLY_PROTOCOLS.includes(r.protocol as string)) {
      throw new SecurityGroupEthertypeConflictWithProtocol({ ethertype: 'IPv4', protocol: r.protocol as string });
    }
    if ([r.remote_ip_prefix, r.remote_group_id, r.remote_address_group_id].filter(Boolean).length > 1) {
      throw new SecurityGroupMultipleRemoteEntites();
    }
    const key = ruleKey(r);
    if (seen.has(key)) throw new DuplicateSecurityGroupRuleInPost();
    seen.add(key);
    return r;
  });
}

/** A group the rule's project may refer to: any group for an admin, else its own or one shared with it. */
async function checkGroup(tx: Tx, ctx: RequestContext, id: string, projectId: unknown): Promise<void> {
  let qb = tx.selectFrom('security_groups').select('id').where('id', '=', id);
  if (!ctx.isAdmin) qb = securityGroupSharing.scope(qb, projectId as string);
  if (!(await qb.executeTakeFirst())) throw new SecurityGroupNotFound({ id });
}

/**
 * Inside the create transaction: the remote group and the group must be usable by the rule's
 * project, and the group must not have the same rule yet. Writing the group's row first (the
 * revision bump a new rule causes anyway) makes concurrent rule creates on one group take turns,
 * so two identical rules cannot both pass the duplicate check.
 */
export async function checkRules(tx: Tx, ctx: RequestContext, rule: Item): Promise<void> {
  if (rule.remote_group_id) await checkGroup(tx, ctx, rule.remote_group_id as string, rule.project_id);
  await checkGroup(tx, ctx, rule.security_group_id as string, rule.project_id);
  await bumpRevision(tx, 'security_groups', rule.security_group_id as string);
  const key = ruleKey(rule);
  const existing = await tx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', rule.security_group_id as string).execute();
  const same = existing.find((e) => ruleKey({ ...e, port_range_min: e.port_range_min === null ? null : Number(e.port_range_min), port_range_max: e.port_range_max === null ? null : Number(e.port_range_max) }) === key);
  if (same) throw new SecurityGroupRuleExists({ rule_id: same.id });
}
