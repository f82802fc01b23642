/**
 * MAC addresses: the EUI-48 text forms netaddr accepts, Neutron's output form, and random MACs
 * from base_mac (neutron_lib.utils.net.get_random_mac).
 */
import { randomInt } from 'node:crypto';
import { formatIp, pyInt, toCidr, type Cidr } from './address.js';

// netaddr's eui48 formats, tried in this order; Python's '$' also matches before a final '\n'.
const MAC_FORMATS: readonly [RegExp, number][] = [
  [/^([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2})\n?$/i, 2],
  [/^([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})\n?$/i, 2],
  [/^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})\n?$/i, 4],
  [/^([0-9a-f]{1,4})-([0-9a-f]{1,4})-([0-9a-f]{1,4})\n?$/i, 4],
  [/^([0-9a-f]{1,4})\.([0-9a-f]{1,4})\.([0-9a-f]{1,4})\n?$/i, 4],
  [/^([0-9a-f]{5,6})-([0-9a-f]{5,6})\n?$/i, 6],
  [/^([0-9a-f]{5,6}):([0-9a-f]{5,6})\n?$/i, 6],
  [/^([0-9a-f]{11,12})\n?$/i, 12],
];

/** Parses any EUI-48 form netaddr accepts ('FA-16-3E-12-34-56', 'fa16.3e12.3456', ...). */
export function parseMac(text: unknown): bigint | null {
  if (typeof text !== 'string') return null;
  for (const [re, width] of MAC_FORMATS) {
    const m = re.exec(text);
    if (m) return BigInt('0x' + m.slice(1).map((w) => w.padStart(width, '0')).join(''));
  }
  return null;
}

/**
 * What netaddr.EUI() reads as an EUI-48: the text forms above, else an integer below 2^48, given
 * as a number or as decimal text ('12345' is 00:00:00:00:30:39).
 */
export function readMac(value: unknown): bigint | null {
  const mac = parseMac(value);
  if (mac !== null) return mac;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? pyInt(value) : null;
  return n !== null && Number.isSafeInteger(n) && n >= 0 && n < 2 ** 48 ? BigInt(n) : null;
}

/** Lower-case colon form, 'fa:16:3e:12:34:56'. */
export function formatMac(value: bigint): string {
  return value.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

/**
 * A random MAC on base_mac ('fa:16:3e:00:00:00'): the first three octets are kept, and the fourth
 * too unless its text is exactly '00'; the rest are random.
 */
export function randomMac(baseMac: string, randomByte: () => number = () => randomInt(256)): string {
  const base = baseMac.split(':');
  if (base.length < 4 || base.slice(0, 4).some((o) => !/^[0-9a-fA-F]{1,2}$/.test(o))) {
    throw new TypeError(`invalid base_mac: ${baseMac}`);
  }
  const octets = [...base.slice(0, 3).map((o) => parseInt(o, 16)), randomByte(), randomByte(), randomByte()];
  if (base[3] !== '00') octets[3] = parseInt(base[3]!, 16);
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/**
 * The SLAAC address of `mac` in `prefix` (oslo.utils get_ipv6_addr_by_EUI64): the prefix's network
 * plus the MAC with ff:fe inserted in the middle and the universal/local bit flipped.
 * Throws on an IPv4 prefix or an unreadable MAC.
 */
export function eui64Address(prefix: Cidr | string, mac: string | bigint): string {
  const c = toCidr(prefix);
  if (c.version !== 6) throw new TypeError('Unable to generate IP address by EUI64 for IPv4 prefix');
  const value = typeof mac === 'bigint' ? mac : readMac(mac);
  if (value === null) throw new TypeError(`invalid MAC address: ${mac}`);
  const eui64 = ((value >> 24n) << 40n) | (0xfffen << 24n) | (value & 0xffffffn);
  const address = (c.network + eui64) ^ (1n << 57n);
  if (address >> 128n !== 0n) throw new RangeError('EUI-64 address out of range');
  return formatIp(6, address);
}
