/**
 * neutron-lib's address validators and converters, with its exact messages (the "Reason" of a
 * 400). Validators return the message or undefined.
 */
import { InvalidInput } from '../api/errors.js';
import { cidrToString, formatIp, parseCidr, parseIp, pyInt, type Cidr } from './address.js';
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
