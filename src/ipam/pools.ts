/**
 * Subnet gateway and allocation pools, computed and checked as Neutron's ipam_backend_mixin and
 * neutron.ipam.utils do.
 */
import {
  cidrRange,
  cidrToString,
  formatIp,
  hostRange,
  parseIp,
  rangeContains,
  rangesOverlap,
  rangeToString,
  removeAddress,
  toCidr,
  toIp,
  type Cidr,
  type IpAddress,
  type IpRange,
} from '../lib/address.js';

/** The gateway Neutron picks when none is given: IPv4 network+1, IPv6 the network address. */
export function defaultGatewayIp(cidr: Cidr | string): IpAddress {
  const c = toCidr(cidr);
  return { version: c.version, value: c.version === 4 ? c.network + 1n : c.network };
}

/**
 * The pools Neutron generates for a subnet (ipam.utils.generate_pools): the host range (see
 * hostRange) minus the gateway, which may split it in two. A single-address subnet keeps its one
 * address even when it is the gateway. A gateway outside the CIDR changes nothing.
 */
export function defaultAllocationPools(cidr: Cidr | string, gatewayIp: IpAddress | string | null): IpRange[] {
  const c = toCidr(cidr);
  const whole = cidrRange(c);
  if (whole.first === whole.last) return [whole];
  const bounds = hostRange(c)!;
  if (!gatewayIp) return [bounds];
  const gw = toIp(gatewayIp);
  if (gw.version !== c.version) throw new TypeError(`gateway ${formatIp(gw.version, gw.value)} is not IPv${c.version}`);
  return removeAddress([bounds], gw);
}

export type PoolError =
  | { type: 'InvalidAllocationPool'; status: 400; message: string; pool: string }
  | { type: 'OutOfBoundsAllocationPool'; status: 400; message: string; pool: string; subnet_cidr: string }
  | { type: 'OverlappingAllocationPools'; status: 409; message: string; pool_1: string; pool_2: string; subnet_cidr: string }
  | { type: 'GatewayConflictWithAllocationPools'; status: 409; message: string; pool: string; ip_address: string };

function invalidPool(pool: string): PoolError {
  return { type: 'InvalidAllocationPool', status: 400, message: `The allocation pool ${pool} is not valid.`, pool };
}

/** Python's repr of the pool dict as the client sent it, for InvalidAllocationPool. */
function poolRepr(pool: object): string {
  const repr = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === null ? 'None' : String(v));
  return `{${Object.entries(pool).map(([k, v]) => `'${k}': ${repr(v)}`).join(', ')}}`;
}

/**
 * pools_to_ip_range: each {start, end} must hold two addresses of one version with start <= end.
 * Expects input that passed the ip_pools validator.
 */
export function poolsToRanges(pools: readonly { start: unknown; end: unknown }[]): IpRange[] | PoolError {
  const out: IpRange[] = [];
  for (const pool of pools) {
    const start = parseIp(pool.start);
    const end = parseIp(pool.end);
    if (!start || !end || start.version !== end.version || start.value > end.value) return invalidPool(poolRepr(pool));
    out.push({ version: start.version, first: start.value, last: end.value });
  }
  return out;
}

/**
 * validate_allocation_pools: each pool of the subnet's version and inside its host range, then no
 * two pools overlapping (reported in the order given).
 */
export function validateAllocationPools(ranges: readonly IpRange[], cidr: Cidr | string): PoolError | null {
  const c = toCidr(cidr);
  const subnetCidr = cidrToString(c);
  const bounds = hostRange(c);
  for (const r of ranges) {
    if (r.version !== c.version) return invalidPool(rangeToString(r));
    if (!bounds || r.first < bounds.first || r.last > bounds.last) {
      const pool = rangeToString(r);
      const message = `The allocation pool ${pool} spans beyond the subnet cidr ${subnetCidr}.`;
      return { type: 'OutOfBoundsAllocationPool', status: 400, message, pool, subnet_cidr: subnetCidr };
    }
  }
  for (let l = 0; l < ranges.length; l++) {
    for (let r = l + 1; r < ranges.length; r++) {
      if (rangesOverlap(ranges[l]!, ranges[r]!)) {
        const [pool_1, pool_2] = [rangeToString(ranges[l]!), rangeToString(ranges[r]!)];
        const message = `Found overlapping allocation pools: ${pool_1} ${pool_2} for subnet ${subnetCidr}.`;
        return { type: 'OverlappingAllocationPools', status: 409, message, pool_1, pool_2, subnet_cidr: subnetCidr };
      }
    }
  }
  return null;
}

/** validate_gw_out_of_pools; `gatewayIp` is echoed in the message as given. */
export function checkGatewayOutOfPools(gatewayIp: string, ranges: readonly IpRange[]): PoolError | null {
  const gw = toIp(gatewayIp);
  const hit = ranges.find((r) => rangeContains(r, gw));
  if (!hit) return null;
  const pool = rangeToString(hit);
  const message = `Gateway ip ${gatewayIp} conflicts with allocation pool ${pool}.`;
  return { type: 'GatewayConflictWithAllocationPools', status: 409, message, pool, ip_address: gatewayIp };
}

/**
 * _prepare_allocation_pools for subnet create: generated pools when none are given, else the
 * given ones checked (parse, bounds, overlap, gateway).
 */
export function prepareAllocationPools(
  pools: readonly { start: unknown; end: unknown }[] | undefined,
  cidr: Cidr | string,
  gatewayIp: string | null,
): IpRange[] | PoolError {
  if (pools === undefined) return defaultAllocationPools(cidr, gatewayIp);
  const ranges = poolsToRanges(pools);
  if (!Array.isArray(ranges)) return ranges;
  const error = validateAllocationPools(ranges, cidr) ?? (gatewayIp ? checkGatewayOutOfPools(gatewayIp, ranges) : null);
  return error ?? ranges;
}

export function isPoolError(x: IpRange[] | PoolError): x is PoolError {
  return !Array.isArray(x);
}
