import { parseCidr, formatIp } from '../../../lib/address.js';
import {
  idAttribute, nameAttribute, noneToEmptyList, projectAttribute, pyRepr, pyStr, toBoolean, UNSET,
  validateBoolean, validateString, validateUuidList, validateValues, type AttributeDef,
} from '../../../lib/attributes.js';
import type { ExtensionDef } from '../../../lib/definitions.js';
import {
  InvalidCIDR, SecurityGroupDefaultAlreadyExists, SecurityGroupInvalidPortValue, SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
} from '../../../lib/errors.js';

/** Protocol names a rule accepts (neutron_lib.constants.IP_PROTOCOL_MAP), with their numbers. */
export const IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
export const ETHERTYPES = ['IPv4', 'IPv6'];
const SUPPORTED_PROTOCOLS = pyRepr([null, ...Object.keys(IP_PROTOCOL_MAP)]);

/** convert_protocol: a number 0-255 (kept as a string) or a known name (lower-cased). */
export function convertProtocol(v: unknown): string | null {
  if (v === null) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? parseInt(v, 10) : NaN;
  if (Number.isInteger(n)) {
    if (n >= 0 && n <= 255) return String(v);
    throw new SecurityGroupRuleInvalidProtocol({ protocol: v, values: SUPPORTED_PROTOCOLS });
  }
  if (typeof v === 'string' && v.toLowerCase() in IP_PROTOCOL_MAP) return v.toLowerCase();
  throw new SecurityGroupRuleInvalidProtocol({ protocol: typeof v === 'string' ? v : pyRepr(v), values: SUPPORTED_PROTOCOLS });
}

export function convertEthertype(v: unknown): string {
  const found = typeof v === 'string' ? ETHERTYPES.find((e) => e.toLowerCase() === v.toLowerCase()) : undefined;
  if (!found) throw new SecurityGroupRuleInvalidEtherType({ ethertype: v, values: pyRepr(ETHERTYPES) });
  return found;
}

/** convert_validate_port_value: null or an integer 0-65535. */
export function convertPort(v: unknown): number | null {
  if (v === null) return null;
  const n = typeof v === 'number' ? Math.trunc(v) : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? parseInt(v, 10) : NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  throw new SecurityGroupInvalidPortValue({ port: v });
}

/** convert_ip_prefix_to_cidr: str(netaddr.IPNetwork(x)), host bits kept ('10.0.0.5' → '10.0.0.5/32'). */
export function convertIpPrefix(v: unknown): string | null {
  if (v === null || v === '' || v === undefined) return null;
  const c = parseCidr(v);
  if (!c) throw new InvalidCIDR({ input: v });
  return `${formatIp(c.version, c.ip)}/${c.prefixlen}`;
}

/** type:name_not_default: naming a group `default` is refused with a 409. */
function validateNameNotDefault(v: unknown): string | undefined {
  const msg = validateString(255)(v);
  if (msg) return msg;
  if ((v as string).toLowerCase() === 'default') throw new SecurityGroupDefaultAlreadyExists();
  return undefined;
}

const validateIdOrNone = (v: unknown): string | undefined =>
  (v === null || (typeof v === 'string' && v !== '') ? undefined : `'${pyStr(v)}' is not a valid UUID`);

const ruleAttr = (extra: Partial<AttributeDef>): AttributeDef => ({
  allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, ...extra,
});

/** Security groups, their rules, and the `security_groups` attribute of ports. */
export const securityGroup: ExtensionDef = {
  alias: 'security-group',
  name: 'security-group',
  description: 'The security groups extension.',
  updated: '2012-10-05T10:00:00-00:00',
  requires: ['standard-attr-description'],
  attributes: {
    ports: {
      security_groups: {
        allowPost: true, allowPut: true, isVisible: true, isFilter: true, default: UNSET,
        convert: noneToEmptyList, validate: validateUuidList,
        child: { table: 'port_security_group_bindings', parent: 'port_id', value: 'security_group_id' },
      },
    },
  },
  resources: [
    {
      name: 'security_group',
      collection: 'security_groups',
      path: 'security-groups',
      table: 'security_groups',
      standardAttributes: true,
      taggable: true,
      allowBulk: true,
      attributes: {
        id: idAttribute,
        name: { ...nameAttribute, validate: validateNameNotDefault },
        tenant_id: projectAttribute(),
        security_group_rules: { allowPost: false, allowPut: false, isVisible: true },
      },
    },
    {
      name: 'security_group_rule',
      collection: 'security_group_rules',
      path: 'security-group-rules',
      table: 'security_group_rules',
      standardAttributes: true,
      allowBulk: true,
      attributes: {
        id: idAttribute,
        security_group_id: ruleAttr({ requiredByPolicy: true, validate: validateString(36), column: 'security_group_id' }),
        // Neutron looks any value it is given up (SecurityGroupNotFound); one that no id could be is refused
        remote_group_id: ruleAttr({ default: null, validate: validateIdOrNone, column: 'remote_group_id' }),
        direction: ruleAttr({ validate: validateValues(['ingress', 'egress']), column: 'direction' }),
        protocol: ruleAttr({ default: null, convert: convertProtocol, column: 'protocol' }),
        port_range_min: ruleAttr({ default: null, convert: convertPort, column: 'port_range_min', kind: 'int' }),
        port_range_max: ruleAttr({ default: null, convert: convertPort, column: 'port_range_max', kind: 'int' }),
        ethertype: ruleAttr({ default: 'IPv4', convert: convertEthertype, validate: validateValues(ETHERTYPES), column: 'ethertype' }),
        remote_ip_prefix: ruleAttr({ default: null, convert: convertIpPrefix, column: 'remote_ip_prefix' }),
        tenant_id: projectAttribute(),
      },
    },
  ],
};

export const statefulSecurityGroup: ExtensionDef = {
  alias: 'stateful-security-group',
  name: 'Stateful security group',
  description: 'Indicates if the security group is stateful or not',
  updated: '2019-11-26T09:00:00-00:00',
  requires: ['security-group'],
  attributes: {
    security_groups: {
      stateful: {
        allowPost: true, allowPut: true, isVisible: true, default: true,
        convert: toBoolean, validate: validateBoolean, column: 'stateful', kind: 'bool',
      },
    },
  },
};

export const securityGroupsNormalizedCidr: ExtensionDef = {
  alias: 'security-groups-normalized-cidr',
  name: 'Normalized CIDR field for security group rules',
  description: 'Add new field with normalized remote_ip_prefix cidr in SG rule',
  updated: '2020-07-28T10:00:00-00:00',
  requires: ['security-group'],
  attributes: {
    security_group_rules: {
      normalized_cidr: {
        allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true, column: 'normalized_cidr',
      },
    },
  },
};

/** Port lists filter on `security_groups` (the filter itself comes with the attribute). */
export const portSecurityGroupsFiltering: ExtensionDef = {
  alias: 'port-security-groups-filtering',
  name: 'Port filtering on security groups',
  description: 'Provides security groups filtering when listing ports',
  updated: '2018-01-09T09:00:00-00:00',
};
