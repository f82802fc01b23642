/**
 * neutron-lib's address validators and converters, with its exact messages (the "Reason" of a
 * 400). Validators return the message or undefined.
 */
import { cidrToString, formatIp, parseCidr, parseIp, pyInt, type Cidr } from './address.js';
import { pyRepr } from './attributes.js';
import {
  AllowedAddressPairsMissingIP, DuplicateAddressPairInRequest, HTTPBadRequest, InvalidInput, InvalidInputSubnetServiceType,
  InvalidSubnetServiceType,
} from './errors.js';
import { formatMac, parseMac, readMac } from './mac.js';

/** Python's '%s' of a JSON value. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Strings with whitespace fail every address validator (validate_no_whitespace). */
function isCleanString(v: unknown): v is string {
  return typeof v === 'string' && !/\s/.test(v);
}

/**
 * netaddr.IPAddress(x, flags=ZEROFILL) for IPv4: each dot-separated part read by Python's int(),
 * so '010.0.0.1' is 10.0.0.1.
 */
function parseZerofilledIpv4(text: string): string | null {
  const parts = text.split('.').map(pyInt);
  if (parts.length !== 4 || parts.some((p) => p === null || p < 0 || p > 255)) return null;
  return parts.join('.');
}

export function validateIpAddress(data: unknown): string | undefined {
  const invalid = `'${pyStr(data)}' is not a valid IP address`;
  if (!isCleanString(data)) return invalid;
  const v4 = parseZerofilledIpv4(data);
  if (v4 === null) return parseIp(data)?.version === 6 ? undefined : invalid;
  // leading zeros could be read as octal, so Neutron refuses them and names the decimal reading
  if (v4 !== data) return `'${data}' is not an accepted IP address, '${v4}' is recommended`;
  return undefined;
}

export function validateIpAddressOrNone(data: unknown): string | undefined {
  return data === null ? undefined : validateIpAddress(data);
}

/** str(netaddr.IPNetwork(x)): the address as written (host bits kept) and the prefix length. */
function ipNetworkStr(c: Cidr): string {
  return `${formatIp(c.version, c.ip)}/${c.prefixlen}`;
}

/**
 * A CIDR with '/'. IPv4 text must read back unchanged, so host bits are accepted ('10.0.0.5/24')
 * but '10/8', '010.0.0.0/8' or a netmask are not; IPv6 may be written in any form.
 */
export function validateSubnet(data: unknown): string | undefined {
  const net = isCleanString(data) ? parseCidr(data) : null;
  if (!net) return `'${pyStr(data)}' is not a valid IP subnet`;
  if (!(data as string).includes('/') || (net.version === 4 && ipNetworkStr(net) !== data)) {
    return `'${data}' isn't a recognized IP subnet cidr, '${cidrToString(net)}' is recommended`;
  }
  return undefined;
}

export function validateSubnetOrNone(data: unknown): string | undefined {
  return data === null ? undefined : validateSubnet(data);
}

/** Host route destinations: no host bits, not within 127.0.0.0/8. */
export function validateRouteCidr(data: unknown): string | undefined {
  const net = isCleanString(data) ? parseCidr(data) : null;
  if (!net) return `'${pyStr(data)}' is not a valid CIDR`;
  if (!(data as string).includes('/') || net.ip !== net.network) {
    return `'${data}' is not a recognized CIDR, '${cidrToString(net)}' is recommended`;
  }
  // netaddr: an IPv4 network inside 127.0.0.0/8 is loopback; an IPv6 network never is
  if (net.version === 4 && net.prefixlen >= 8 && net.network >> 24n === 127n) return `'${data}' is not a routable CIDR`;
  return undefined;
}

export function validateIpOrSubnetOrNone(data: unknown): string | undefined {
  if (validateIpAddressOrNone(data) !== undefined && validateSubnetOrNone(data) !== undefined) {
    return `'${pyStr(data)}' is neither a valid IP address, nor is it a valid IP subnet`;
  }
  return undefined;
}

const ALL_ONES_MAC = (1n << 48n) - 1n;

/** Any EUI-48 form netaddr accepts, except 00:00:00:00:00:00 and ff:ff:ff:ff:ff:ff. */
export function validateMacAddress(data: unknown): string | undefined {
  const mac = isCleanString(data) ? parseMac(data) : null;
  if (mac === null || mac === 0n || mac === ALL_ONES_MAC) return `'${pyStr(data)}' is not a valid MAC address`;
  return undefined;
}

export function validateMacAddressOrNone(data: unknown): string | undefined {
  return data === null ? undefined : validateMacAddress(data);
}

/** IPv6 addresses to canonical text; anything else (IPv4 included) unchanged. */
export function convertIpToCanonicalFormat(value: unknown): unknown {
  const ip = parseIp(value);
  return ip?.version === 6 ? formatIp(6, ip.value) : value;
}

/**
 * 'address/prefixlen' with IPv6 canonical; host bits kept, and the lenient IPNetwork forms
 * normalised ('10/8' → '10.0.0.0/8', '10.0.0.0/255.255.255.0' → '10.0.0.0/24').
 */
export function convertCidrToCanonicalFormat(value: unknown): string {
  const c = parseCidr(value);
  if (!c) throw new InvalidInput({ error_message: `${pyStr(value)} is not in a CIDR format` });
  return ipNetworkStr(c);
}

/** To 'aa:bb:cc:dd:ee:ff' when netaddr can read it (see readMac); otherwise unchanged. */
export function convertToSanitizedMacAddress(value: unknown): unknown {
  const mac = readMac(value);
  return mac === null ? value : formatMac(mac);
}

// Composite validators of subnet and port attributes ------------------------------------------

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python's str() of a set of strings, for _verify_dict_keys messages. */
function pySet(keys: Iterable<string>): string {
  return `{${[...keys].map((k) => `'${k}'`).join(', ')}}`;
}

/** _verify_dict_keys(expected, value, strict=True): exactly these keys. */
function verifyDictKeys(expected: string[], value: unknown): string | undefined {
  if (!isDict(value)) {
    return `Invalid input. '${pyRepr(value)}' must be a dictionary with keys: ${pyRepr(expected)}`;
  }
  const provided = Object.keys(value);
  if (provided.length !== expected.length || !expected.every((k) => k in value)) {
    return `Validation of dictionary's keys failed. Expected keys: ${pySet(expected)} Provided keys: ${pySet(provided)}`;
  }
  return undefined;
}

/** allocation_pools: a list of {start, end} with two valid addresses. */
export function validateIpPools(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `Invalid data format for IP pool: '${pyStr(data)}'`;
  for (const pool of data) {
    const msg = verifyDictKeys(['start', 'end'], pool);
    if (msg) return msg;
    const p = pool as Record<string, unknown>;
    const bad = validateIpAddress(p.start) ?? validateIpAddress(p.end);
    if (bad) return bad;
  }
  return undefined;
}

/** fixed_ips: a list of dicts; ip_address valid and not repeated, subnet_id a UUID. */
export function validateFixedIps(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `Invalid data format for fixed IP: '${pyStr(data)}'`;
  const seen: unknown[] = [];
  for (const fixed of data) {
    if (!isDict(fixed)) return `Invalid data format for fixed IP: '${pyRepr(fixed)}'`;
    if ('ip_address' in fixed) {
      const ip = fixed.ip_address;
      const msg = seen.includes(ip) ? `Duplicate IP address '${pyStr(ip)}'` : validateIpAddress(ip);
      if (msg) return msg;
      seen.push(ip);
    }
    if ('subnet_id' in fixed && !isUuidLike(fixed.subnet_id)) return `'${pyStr(fixed.subnet_id)}' is not a valid UUID`;
  }
  return undefined;
}

function isUuidLike(v: unknown): boolean {
  return typeof v === 'string' && /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v.replace(/^urn:uuid:/i, '').replace(/^\{|\}$/g, ''));
}

/** dns_nameservers: IP addresses, no duplicates, order kept. */
export function validateNameservers(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `Invalid data format for nameserver: '${pyStr(data)}'`;
  const hosts: unknown[] = [];
  for (const host of data) {
    const msg = validateIpAddress(host);
    if (msg) return `'${pyStr(host)}' is not a valid nameserver. ${msg}`;
    if (hosts.includes(host)) return `Duplicate nameserver '${pyStr(host)}'`;
    hosts.push(host);
  }
  return undefined;
}

/** host_routes: {destination (a routable CIDR), nexthop (an address)}, no duplicates. */
export function validateHostRoutes(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `Invalid data format for hostroute: '${pyStr(data)}'`;
  const seen = new Set<string>();
  for (const route of data) {
    const msg = verifyDictKeys(['destination', 'nexthop'], route);
    if (msg) return msg;
    const r = route as Record<string, unknown>;
    const bad = validateRouteCidr(r.destination) ?? validateIpAddress(r.nexthop);
    if (bad) return bad;
    const key = JSON.stringify([r.destination, r.nexthop]);
    if (seen.has(key)) return `Duplicate hostroute '${pyRepr(route)}'`;
    seen.add(key);
  }
  return undefined;
}

/** Subnet pool prefixes: a list of CIDRs without duplicates. */
export function validateSubnetList(data: unknown): string | undefined {
  if (!Array.isArray(data)) return `'${pyStr(data)}' is not a list`;
  const dups = data.filter((x, i) => data.indexOf(x) !== i);
  if (dups.length) return `Duplicate items in the list: '${[...new Set(dups)].map(pyStr).join(', ')}'`;
  for (const item of data) {
    const msg = validateSubnet(item);
    if (msg) return msg;
  }
  return undefined;
}

/** allowed_address_pairs: {ip_address (address or CIDR), mac_address?}; the count is checked by the plugin. */
export function validateAllowedAddressPairs(data: unknown): string | undefined {
  if (!Array.isArray(data)) throw new HTTPBadRequest('Allowed address pairs must be a list.');
  const seen = new Set<string>();
  for (const pair of data) {
    if (!isDict(pair)) return `'${pyStr(pair)}' is not a dictionary`;
    if ('mac_address' in pair) {
      const msg = validateMacAddress(pair.mac_address);
      if (msg) throw new HTTPBadRequest(msg);
    }
    if (!('ip_address' in pair)) throw new AllowedAddressPairsMissingIP();
    const key = JSON.stringify([pair.mac_address ?? null, pair.ip_address]);
    if (seen.has(key)) throw new DuplicateAddressPairInRequest({ mac_address: pyStr(pair.mac_address), ip_address: pyStr(pair.ip_address) });
    seen.add(key);
    const unknown = Object.keys(pair).filter((k) => k !== 'mac_address' && k !== 'ip_address');
    if (unknown.length) throw new HTTPBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const ip = pair.ip_address;
    const msg = typeof ip === 'string' && ip.includes('/') ? validateSubnet(ip) : validateIpAddress(ip);
    if (msg) throw new HTTPBadRequest(msg);
  }
  return undefined;
}

/**
 * neutron-lib's validate_subnet_service_types adds DEVICE_OWNER_COMPUTE_PREFIX to a list with +=,
 * which adds its characters: any value starting with one of 'compute:' 's letters passes (tempest
 * relies on it with 'test:...' types), and so do the network: and neutron: owners.
 */
const SERVICE_TYPE_PREFIXES = ['network:', 'neutron:', ...'compute:'];

/** service_types: device-owner patterns, as Neutron accepts them. */
export function validateSubnetServiceTypes(data: unknown): string | undefined {
  if (!data) return undefined;
  if (!Array.isArray(data)) throw new HTTPBadRequest('Subnet service types must be a list.');
  for (const t of data) {
    if (typeof t !== 'string') throw new InvalidInputSubnetServiceType({ service_type: pyStr(t) });
    if (!SERVICE_TYPE_PREFIXES.some((p) => t.startsWith(p))) throw new InvalidSubnetServiceType({ service_type: t });
  }
  return undefined;
}
