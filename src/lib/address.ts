/**
 * IP addresses, CIDRs and address ranges as BigInt arithmetic, with the parsing and printing rules
 * of Python's netaddr 0.8 on Linux (what Neutron 21 runs on): strict inet_pton for addresses,
 * IPNetwork's lenient CIDR forms, and glibc inet_ntop's IPv6 text.
 */

export type IpVersion = 4 | 6;

export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

export interface Cidr {
  readonly version: IpVersion;
  /** the address as written, host bits kept (netaddr's IPNetwork.ip) */
  readonly ip: bigint;
  /** host bits masked */
  readonly network: bigint;
  readonly prefixlen: number;
}

/** An inclusive range of addresses of one version. */
export interface IpRange {
  readonly version: IpVersion;
  readonly first: bigint;
  readonly last: bigint;
}

export function bitsOf(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

function maxOf(version: IpVersion): bigint {
  return (1n << BigInt(bitsOf(version))) - 1n;
}

// Parsing -------------------------------------------------------------------------------------

const IPV4_STRICT = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** glibc inet_pton(AF_INET): four decimal octets, no leading zeros. */
function parseIpv4(text: string): bigint | null {
  const m = IPV4_STRICT.exec(text);
  if (!m) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    v = (v << 8n) | BigInt(octet);
  }
  return v;
}

/**
 * glibc inet_pton(AF_INET6), step by step. Written out rather than taken from ipaddr.js, which
 * accepts zone ids and other forms that netaddr (and so Neutron) rejects.
 */
function parseIpv6(text: string): bigint | null {
  let i = 0;
  if (text[0] === ':') {
    if (text[1] !== ':') return null;
    i = 1;
  }
  const words: number[] = [];
  let gap = -1; // where '::' stood, as an index into words
  let tokenStart = i;
  let digits = 0;
  let word = 0;
  while (i < text.length) {
    const ch = text[i++]!;
    if (/^[0-9a-fA-F]$/.test(ch)) {
      if (digits === 4) return null;
      word = word * 16 + parseInt(ch, 16);
      digits++;
    } else if (ch === ':') {
      tokenStart = i;
      if (digits === 0) {
        if (gap >= 0) return null;
        gap = words.length;
        continue;
      }
      if (i === text.length || words.length === 8) return null;
      words.push(word);
      [digits, word] = [0, 0];
    } else if (ch === '.' && words.length <= 6) {
      // an embedded dotted quad must run to the end
      const v4 = parseIpv4(text.slice(tokenStart));
      if (v4 === null) return null;
      words.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      digits = 0;
      break;
    } else {
      return null;
    }
  }
  if (digits > 0) {
    if (words.length === 8) return null;
    words.push(word);
  }
  if (gap >= 0) {
    if (words.length === 8) return null;
    words.splice(gap, 0, ...new Array<number>(8 - words.length).fill(0));
  }
  if (words.length !== 8) return null;
  return words.reduce((v, w) => (v << 16n) | BigInt(w), 0n);
}

/** Parses an address strictly (netaddr.IPAddress(x, flags=INET_PTON)): IPv4 first, then IPv6. */
export function parseIp(text: unknown): IpAddress | null {
  if (typeof text !== 'string') return null;
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { version: 6, value: v6 };
}

/** Python's int() of a decimal string (whitespace, sign, '_' between digits), or null. */
export function pyInt(text: string): number | null {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -n : n;
}

/** netaddr's expand_partial_address: '10' → '10.0.0.0', '192.168' → '192.168.0.0'. */
function expandPartialIpv4(text: string): bigint | null {
  if (text.includes(':')) return null;
  const parts = text.split('.').map(pyInt);
  if (parts.length > 4 || parts.some((p) => p === null)) return null;
  while (parts.length < 4) parts.push(0);
  return parseIpv4(parts.map((p) => String(p)).join('.'));
}

function maskToPrefixlen(version: IpVersion, mask: bigint): number | null {
  const bits = bitsOf(version);
  const max = maxOf(version);
  for (let p = 0; p <= bits; p++) {
    const netmask = (max << BigInt(bits - p)) & max;
    if (mask === netmask) return p;
  }
  for (let p = 0; p <= bits; p++) {
    if (mask === max >> BigInt(p)) return p;
  }
  return null;
}

function parseCidrAs(version: IpVersion, text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  let ip = version === 4 ? parseIpv4(addrText) : parseIpv6(addrText);
  if (ip === null && version === 4) ip = expandPartialIpv4(addrText);
  if (ip === null) return null;
  let prefixlen: number | null = bitsOf(version);
  if (prefixText !== null) {
    prefixlen = pyInt(prefixText);
    if (prefixlen === null) {
      const mask = version === 4 ? parseIpv4(prefixText) : parseIpv6(prefixText);
      prefixlen = mask === null ? null : maskToPrefixlen(version, mask);
    }
  }
  if (prefixlen === null || prefixlen < 0 || prefixlen > bitsOf(version)) return null;
  return makeCidr(version, ip, prefixlen);
}

/**
 * Parses a CIDR as netaddr.IPNetwork does: '10.0.0.5/24' (host bits kept in `ip`), a missing
 * prefix means a single address, a netmask or hostmask may stand for the prefix, and IPv4 may
 * be abbreviated ('10/8').
 */
export function parseCidr(text: unknown): Cidr | null {
  if (typeof text !== 'string') return null;
  return parseCidrAs(4, text) ?? parseCidrAs(6, text);
}

export function makeCidr(version: IpVersion, ip: bigint, prefixlen: number): Cidr {
  const hostBits = BigInt(bitsOf(version) - prefixlen);
  return { version, ip, network: (ip >> hostBits) << hostBits, prefixlen };
}

/** For internal values already known to be valid: parse or throw. */
export function toIp(x: IpAddress | string): IpAddress {
  if (typeof x !== 'string') return x;
  const ip = parseIp(x);
  if (!ip) throw new TypeError(`invalid IP address: ${x}`);
  return ip;
}

export function toCidr(x: Cidr | string): Cidr {
  if (typeof x !== 'string') return x;
  const c = parseCidr(x);
  if (!c) throw new TypeError(`invalid CIDR: ${x}`);
  return c;
}

// Printing ------------------------------------------------------------------------------------

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/**
 * glibc inet_ntop(AF_INET6), which netaddr uses: lower-case, the first longest run of two or more
 * zero words becomes '::', and IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d)
 * addresses end in dotted decimal.
 */
function formatIpv6(value: bigint): string {
  const words: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) words.push(Number((value >> s) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestBase, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  if (bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    return (bestLen === 5 ? '::ffff:' : '::') + formatIpv4(value & 0xffffffffn);
  }
  if (bestBase < 0) return words.map((w) => w.toString(16)).join(':');
  const head = words.slice(0, bestBase).map((w) => w.toString(16)).join(':');
  const tail = words.slice(bestBase + bestLen).map((w) => w.toString(16)).join(':');
  return `${head}::${tail}`;
}

export function formatIp(version: IpVersion, value: bigint): string {
  return version === 4 ? formatIpv4(value) : formatIpv6(value);
}

/** Canonical masked text, as str(netaddr.IPNetwork(x).cidr): '10.0.0.0/24'. */
export function cidrToString(c: Cidr): string {
  return `${formatIp(c.version, c.network)}/${c.prefixlen}`;
}

/** str(netaddr.IPRange): 'first-last'. */
export function rangeToString(r: IpRange): string {
  return `${formatIp(r.version, r.first)}-${formatIp(r.version, r.last)}`;
}

/** An allocation pool as the API shows it. */
export function rangeToPool(r: IpRange): { start: string; end: string } {
  return { start: formatIp(r.version, r.first), end: formatIp(r.version, r.last) };
}

// CIDR helpers --------------------------------------------------------------------------------

/** Broadcast address for IPv4, last address for IPv6. */
export function cidrLast(c: Cidr): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.version) - c.prefixlen);
}

export function cidrRange(c: Cidr): IpRange {
  return { version: c.version, first: c.network, last: cidrLast(c) };
}

/**
 * The addresses a subnet may hand out (and that allocation pools must stay inside), as Neutron
 * bounds them: IPv4 up to /30 drops the network and broadcast addresses, IPv4 /31 and /32 use the
 * whole range, IPv6 drops the network (subnet-router anycast) address. Null when empty (/128).
 */
export function hostRange(c: Cidr): IpRange | null {
  const { first, last } = cidrRange(c);
  const r =
    c.version === 4
      ? c.prefixlen <= 30
        ? { first: first + 1n, last: last - 1n }
        : { first, last }
      : { first: first + 1n, last };
  return r.first <= r.last ? { version: c.version, ...r } : null;
}

export function firstHost(c: Cidr): bigint | null {
  return hostRange(c)?.first ?? null;
}

export function lastHost(c: Cidr): bigint | null {
  return hostRange(c)?.last ?? null;
}

export function cidrContains(c: Cidr, ip: IpAddress): boolean {
  return ip.version === c.version && ip.value >= c.network && ip.value <= cidrLast(c);
}

export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.version === inner.version &&
    outer.prefixlen <= inner.prefixlen &&
    inner.network >= outer.network &&
    inner.network <= cidrLast(outer)
  );
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}

/**
 * neutron.ipam.utils.check_subnet_ip: whether `ip` may be a port address on the subnet. IPv4
 * excludes network and broadcast (netaddr gives /31 and /32 no broadcast, so there only the
 * network address); IPv6 excludes the network address except for router ports and unknown owners
 * (pass `allowNetworkAddress` for those).
 */
export function isValidIpForSubnet(c: Cidr, ip: IpAddress, allowNetworkAddress = false): boolean {
  if (!cidrContains(c, ip)) return false;
  if (c.version === 6) return allowNetworkAddress || ip.value !== c.network;
  return ip.value !== c.network && (c.prefixlen >= 31 || ip.value !== cidrLast(c));
}

/** neutron.ipam.utils.check_gateway_invalid_in_subnet: IPv4 network/broadcast address inside. */
export function isGatewayInvalidInSubnet(c: Cidr, gateway: IpAddress): boolean {
  return (
    cidrContains(c, gateway) && c.version === 4 && (gateway.value === c.network || gateway.value === cidrLast(c))
  );
}

// Ranges (sets of addresses as sorted, disjoint, non-adjacent ranges) -------------------------

export function rangeSize(r: IpRange): bigint {
  return r.last - r.first + 1n;
}

export function rangeContains(r: IpRange, ip: IpAddress): boolean {
  return ip.version === r.version && ip.value >= r.first && ip.value <= r.last;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

function compareRanges(a: IpRange, b: IpRange): number {
  if (a.version !== b.version) return a.version - b.version;
  return a.first < b.first ? -1 : a.first > b.first ? 1 : a.last < b.last ? -1 : a.last > b.last ? 1 : 0;
}

/** Sorts (IPv4 first) and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const r of [...ranges].sort(compareRanges)) {
    const prev = out[out.length - 1];
    if (prev && prev.version === r.version && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { ...prev, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** Set difference a − b. */
export function subtractRanges(a: readonly IpRange[], b: readonly IpRange[]): IpRange[] {
  let out = mergeRanges(a);
  for (const cut of mergeRanges(b)) {
    const next: IpRange[] = [];
    for (const r of out) {
      if (!rangesOverlap(r, cut)) {
        next.push(r);
        continue;
      }
      if (r.first < cut.first) next.push({ ...r, last: cut.first - 1n });
      if (r.last > cut.last) next.push({ ...r, first: cut.last + 1n });
    }
    out = next;
  }
  return out;
}

export function intersectRanges(a: readonly IpRange[], b: readonly IpRange[]): IpRange[] {
  return subtractRanges(a, subtractRanges(a, b));
}

/** Removes one address from a list of ranges (splitting the range that holds it). */
export function removeAddress(ranges: readonly IpRange[], ip: IpAddress): IpRange[] {
  return subtractRanges(ranges, [{ version: ip.version, first: ip.value, last: ip.value }]);
}

/** Adds one address back, merging with neighbouring ranges. */
export function addAddress(ranges: readonly IpRange[], ip: IpAddress): IpRange[] {
  return mergeRanges([...ranges, { version: ip.version, first: ip.value, last: ip.value }]);
}

export function countAddresses(ranges: readonly IpRange[]): bigint {
  return ranges.reduce((n, r) => n + rangeSize(r), 0n);
}

/** The n-th address (0-based) across the ranges in their order, or null past the end. */
export function nthAddress(ranges: readonly IpRange[], n: bigint): IpAddress | null {
  if (n < 0n) return null;
  for (const r of ranges) {
    const size = rangeSize(r);
    if (n < size) return { version: r.version, value: r.first + n };
    n -= size;
  }
  return null;
}

/** The fewest CIDRs covering exactly the range, in address order (netaddr.iprange_to_cidrs). */
export function rangeToCidrs(r: IpRange): Cidr[] {
  const bits = bitsOf(r.version);
  const out: Cidr[] = [];
  let first = r.first;
  while (first <= r.last) {
    // the largest aligned block starting at `first` that does not pass `last`
    let host = 0;
    while (
      host < bits &&
      (first & ((1n << BigInt(host + 1)) - 1n)) === 0n &&
      first + (1n << BigInt(host + 1)) - 1n <= r.last
    ) {
      host++;
    }
    out.push(makeCidr(r.version, first, bits - host));
    first += 1n << BigInt(host);
  }
  return out;
}

// IPv6 address modes ------------------------------------------------------------------------

const AUTO_ADDRESS_MODES = new Set(['slaac', 'dhcpv6-stateless']);

/** neutron.common.ipv6_utils.is_auto_address_subnet: either mode is slaac or dhcpv6-stateless. */
export function isAutoAddressSubnet(ipv6RaMode: string | null | undefined, ipv6AddressMode: string | null | undefined): boolean {
  return AUTO_ADDRESS_MODES.has(ipv6AddressMode ?? '') || AUTO_ADDRESS_MODES.has(ipv6RaMode ?? '');
}
