/**
 * Subnet-pool prefix arithmetic, as neutron.ipam.subnet_alloc does it with netaddr.IPSet.
 */
import {
  bitsOf,
  cidrRange,
  makeCidr,
  mergeRanges,
  rangeToCidrs,
  subtractRanges,
  toCidr,
  cidrContainsCidr,
  type Cidr,
  type IpVersion,
} from '../lib/address.js';

function toRanges(cidrs: readonly (Cidr | string)[]) {
  return cidrs.map((c) => cidrRange(toCidr(c)));
}

/**
 * Merges overlapping and adjacent CIDRs into the fewest canonical (masked) CIDRs, IPv4 first,
 * each in address order (IPSet(...).compact().iter_cidrs()).
 */
export function compactCidrs(cidrs: readonly (Cidr | string)[]): Cidr[] {
  return mergeRanges(toRanges(cidrs)).flatMap(rangeToCidrs);
}

/** The free space of a pool: its prefixes minus the allocated CIDRs, as the fewest CIDRs. */
export function freeBlocks(prefixes: readonly (Cidr | string)[], allocated: readonly (Cidr | string)[]): Cidr[] {
  return subtractRanges(toRanges(prefixes), toRanges(allocated)).flatMap(rangeToCidrs);
}

/**
 * The CIDR _allocate_any_subnet picks: free blocks are searched from the most specific (longest
 * prefix) to the least, ties in address order, and the first block big enough gives its first
 * sub-block of `prefixlen`. Null when nothing fits.
 */
export function findFreeSubnet(
  prefixes: readonly (Cidr | string)[],
  allocated: readonly (Cidr | string)[],
  prefixlen: number,
): Cidr | null {
  const blocks = freeBlocks(prefixes, allocated).sort((a, b) => b.prefixlen - a.prefixlen);
  const block = blocks.find((b) => b.prefixlen <= prefixlen && prefixlen <= bitsOf(b.version));
  return block ? makeCidr(block.version, block.network, prefixlen) : null;
}

/** _allocate_specific_subnet's test: the requested CIDR lies entirely within one free block. */
export function fitsInFreeBlock(
  prefixes: readonly (Cidr | string)[],
  allocated: readonly (Cidr | string)[],
  cidr: Cidr | string,
): boolean {
  const want = toCidr(cidr);
  return freeBlocks(prefixes, allocated).some((b) => cidrContainsCidr(b, want));
}

/**
 * How much of a subnet pool's default_quota a prefix uses: 2^(unit − prefixlen) with units of /32
 * for IPv4 and /64 for IPv6. A float, as Neutron's math.pow: an IPv6 /80 counts 2^-16.
 */
export function quotaUnits(version: IpVersion, prefixlen: number): number {
  return 2 ** ((version === 4 ? 32 : 64) - prefixlen);
}
