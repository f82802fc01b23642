/**
 * The database side of IPAM: allocation pools, availability ranges and IP allocations.
 *
 * Each pool's free addresses are kept as ranges (ipam_availability_ranges), split when an address
 * is taken and merged when it is given back, so that picking an address is a constant number of
 * small queries however full the subnet is. What makes an address unique is the primary key of
 * ipallocations (subnet_id, ip_address); range updates are compare-and-set, and a lost race runs
 * the whole transaction again (Database.write).
 */
import { formatIp, parseIp, type IpAddress, type IpRange, type IpVersion } from '../lib/address.js';
import { IpAddressAlreadyAllocated } from '../lib/errors.js';
import { forUpdate, onSqlite } from '../db/database.js';
import { prepared, preparedWrite } from '../db/prepared.js';
import type { Tx } from '../db/schema.js';
import { perTransaction } from '../db/transaction-state.js';

/** Neutron's reference driver picks at random among the first 1000 free addresses of a pool. */
const WINDOW = 1000n;
/**
 * Ranges read per pick: the window is what they hold, up to WINDOW addresses. Every row read costs
 * (about 3 µs each on SQLite), and a fragmented front of the pool is followed by its big tail range.
 */
const RANGES_PER_PICK = 8;

export interface IpamSubnet {
  id: string;
  networkId: string;
  ipVersion: IpVersion;
}

interface RangeRow {
  subnet_id: string;
  pool_index: number;
  first_ip: string;
  last_ip: string;
}

/** Fixed-width hex, so that text order is address order within a subnet. */
export function addressKey(version: IpVersion, value: bigint): string {
  return value.toString(16).padStart(version === 4 ? 8 : 32, '0');
}

function keyValue(key: string): bigint {
  return BigInt(`0x${key}`);
}

/** The free parts of `pool` once the sorted `used` addresses are taken out, by a single sweep. */
export function freeRanges(pool: IpRange, used: readonly bigint[]): IpRange[] {
  const out: IpRange[] = [];
  let lo = 0;
  let hi = used.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (used[mid]! < pool.first) lo = mid + 1;
    else hi = mid;
  }
  let next = pool.first;
  for (let i = lo; i < used.length && used[i]! <= pool.last; i++) {
    const u = used[i]!;
    if (u > next) out.push({ version: pool.version, first: next, last: u - 1n });
    if (u >= next) next = u + 1n;
  }
  if (next <= pool.last) out.push({ version: pool.version, first: next, last: pool.last });
  return out;
}

/** Stores a new subnet's allocation pools; all of their addresses are free. */
export async function createPools(tx: Tx, subnetId: string, pools: readonly IpRange[]): Promise<void> {
  if (!pools.length) return;
  await tx.insertInto('subnet_allocation_pools').values(pools.map((p, i) => ({
    subnet_id: subnetId, pool_index: i, first_ip: formatIp(p.version, p.first), last_ip: formatIp(p.version, p.last),
  }))).execute();
  await tx.insertInto('ipam_availability_ranges').values(pools.map((p, i) => ({
    subnet_id: subnetId, pool_index: i, first_ip: addressKey(p.version, p.first), last_ip: addressKey(p.version, p.last),
  }))).execute();
}

/** Replaces a subnet's pools; addresses already allocated stay taken, wherever they are. */
export async function replacePools(tx: Tx, subnetId: string, pools: readonly IpRange[]): Promise<void> {
  await tx.deleteFrom('subnet_allocation_pools').where('subnet_id', '=', subnetId).execute();
  await tx.deleteFrom('ipam_availability_ranges').where('subnet_id', '=', subnetId).execute();
  if (!pools.length) return;
  await tx.insertInto('subnet_allocation_pools').values(pools.map((p, i) => ({
    subnet_id: subnetId, pool_index: i, first_ip: formatIp(p.version, p.first), last_ip: formatIp(p.version, p.last),
  }))).execute();
  const rows = await tx.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnetId).execute();
  const used = rows.map((r) => parseIp(r.ip_address)!.value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges = pools.flatMap((p, i) => freeRanges(p, used).map((r) => ({
    subnet_id: subnetId, pool_index: i, first_ip: addressKey(r.version, r.first), last_ip: addressKey(r.version, r.last),
  })));
  for (let i = 0; i < ranges.length; i += 500) {
    await tx.insertInto('ipam_availability_ranges').values(ranges.slice(i, i + 500)).execute();
  }
}

/**
 * Specific addresses queue on the subnet's row instead of racing on its free ranges with each
 * other: a compare-and-set that lost to a transaction that committed first would run the whole
 * transaction again, and a long one could lose every time. Once per transaction.
 */
const LOCKED_SUBNETS = Symbol('subnets locked');

async function lockSubnet(tx: Tx, subnetId: string): Promise<void> {
  if (onSqlite(tx)) return;
  const locked = perTransaction(tx, LOCKED_SUBNETS, () => new Set<string>());
  if (locked.has(subnetId)) return;
  locked.add(subnetId);
  await tx.selectFrom('subnets').select('id').where('id', '=', subnetId).forUpdate().execute();
}

const sameRange = (qb: any, p: RangeRow) => qb.where('subnet_id', '=', p.subnet_id).where('first_ip', '=', p.first_ip).where('last_ip', '=', p.last_ip);
const compareAndSet = { oneRow: true };
const deleteRange = preparedWrite<RangeRow>((q, p) => sameRange(q.deleteFrom('ipam_availability_ranges'), p), compareAndSet);
const setRangeFirst = preparedWrite<RangeRow & { to: string }>((q, p) => sameRange(q.updateTable('ipam_availability_ranges').set({ first_ip: p.to }), p), compareAndSet);
const setRangeLast = preparedWrite<RangeRow & { to: string }>((q, p) => sameRange(q.updateTable('ipam_availability_ranges').set({ last_ip: p.to }), p), compareAndSet);
const insertRange = preparedWrite<RangeRow>((q, p) => q.insertInto('ipam_availability_ranges')
  .values({ subnet_id: p.subnet_id, pool_index: p.pool_index, first_ip: p.first_ip, last_ip: p.last_ip }));
const firstRanges = prepared<{ subnet_id: string; n: number }, RangeRow>((q, p) => q.selectFrom('ipam_availability_ranges')
  .select(['subnet_id', 'pool_index', 'first_ip', 'last_ip']).where('subnet_id', '=', p.subnet_id).orderBy('pool_index').orderBy('first_ip').limit(p.n));
const insertAllocation = preparedWrite<{ subnet_id: string; ip_address: string; port_id: string; network_id: string }>((q, p) => q.insertInto('ipallocations')
  .values({ subnet_id: p.subnet_id, ip_address: p.ip_address, port_id: p.port_id, network_id: p.network_id }));

/** Takes `value` out of the free range `row` that holds it. */
async function takeFromRange(tx: Tx, version: IpVersion, row: RangeRow, value: bigint): Promise<void> {
  const first = keyValue(row.first_ip);
  const last = keyValue(row.last_ip);
  if (first === last) {
    await deleteRange.run(tx, row);
  } else if (value === first) {
    await setRangeFirst.run(tx, { ...row, to: addressKey(version, value + 1n) });
  } else if (value === last) {
    await setRangeLast.run(tx, { ...row, to: addressKey(version, value - 1n) });
  } else {
    await setRangeLast.run(tx, { ...row, to: addressKey(version, value - 1n) });
    await insertRange.run(tx, { ...row, first_ip: addressKey(version, value + 1n) });
  }
}

const firstRangeLocked = prepared<{ subnet_id: string }, RangeRow>((q, p) => q.selectFrom('ipam_availability_ranges')
  .select(['subnet_id', 'pool_index', 'first_ip', 'last_ip']).where('subnet_id', '=', p.subnet_id).orderBy('pool_index').orderBy('first_ip')
  .limit(1).forUpdate());
const firstFreeRangeLocked = prepared<{ subnet_id: string }, RangeRow>((q, p) => q.selectFrom('ipam_availability_ranges')
  .select(['subnet_id', 'pool_index', 'first_ip', 'last_ip']).where('subnet_id', '=', p.subnet_id).orderBy('pool_index').orderBy('first_ip')
  .limit(1).forUpdate().skipLocked());

const anyRange = prepared<{ subnet_id: string }>((q, p) => q.selectFrom('ipam_availability_ranges').select('subnet_id')
  .where('subnet_id', '=', p.subnet_id).limit(1));

/**
 * The free ranges an allocation takes its address from. On SQLite (one writer at a time) the first
 * few. On PostgreSQL and MariaDB the first one that no other transaction holds, locked: concurrent
 * allocations from one subnet take from different ranges instead of queueing for one (the random
 * picks soon split a pool into many ranges); when every range is held, the first one, once free.
 * `lowest` (DHCP ports) always takes the first range. Only when the subnet has no range left at
 * all is it exhausted: on PostgreSQL a range waited for may come back used up (deleted), and the
 * ones its holder split off are not seen by the statement that waited.
 */
async function rangesToTakeFrom(tx: Tx, subnetId: string, lowest: boolean): Promise<RangeRow[]> {
  if (onSqlite(tx)) return firstRanges.rows(tx, { subnet_id: subnetId, n: lowest ? 1 : RANGES_PER_PICK });
  const args = { subnet_id: subnetId };
  for (;;) {
    if (!lowest) {
      const free = await firstFreeRangeLocked.rows(tx, args);
      if (free.length) return free;
    }
    const first = await firstRangeLocked.rows(tx, args);
    if (first.length) return first;
    if (!(await anyRange.first(tx, args))) return [];
  }
}

async function recordAllocation(tx: Tx, subnet: IpamSubnet, portId: string, address: string): Promise<void> {
  await insertAllocation.run(tx, { subnet_id: subnet.id, ip_address: address, port_id: portId, network_id: subnet.networkId });
}

/**
 * Allocates any free address of the subnet's pools to the port, or returns null when they are
 * exhausted. `preferNext` takes the lowest free address (DHCP ports); otherwise one at random
 * among the first free addresses of the first pool that has any.
 */
export async function allocateAny(tx: Tx, subnet: IpamSubnet, portId: string, preferNext = false): Promise<string | null> {
  const rows = await rangesToTakeFrom(tx, subnet.id, preferNext);
  if (!rows.length) return null;
  let row = rows[0]!;
  let value = keyValue(row.first_ip);
  if (!preferNext) {
    const window = rows.filter((r) => r.pool_index === rows[0]!.pool_index);
    let total = 0n;
    const sizes = window.map((r) => keyValue(r.last_ip) - keyValue(r.first_ip) + 1n);
    for (const s of sizes) total += s;
    let n = BigInt(Math.floor(Math.random() * Number(total < WINDOW ? total : WINDOW)));
    for (let i = 0; i < window.length; i++) {
      if (n < sizes[i]!) {
        row = window[i]!;
        value = keyValue(row.first_ip) + n;
        break;
      }
      n -= sizes[i]!;
    }
  }
  await takeFromRange(tx, subnet.ipVersion, row, value);
  const address = formatIp(subnet.ipVersion, value);
  await recordAllocation(tx, subnet, portId, address);
  return address;
}

/**
 * Allocates this address (already checked to belong to the subnet) to the port; it may lie outside
 * the pools. IpAddressAlreadyAllocated when it is taken.
 */
export async function allocateSpecific(tx: Tx, subnet: IpamSubnet, portId: string, ip: IpAddress): Promise<string> {
  await lockSubnet(tx, subnet.id);
  const address = formatIp(ip.version, ip.value);
  const taken = await tx.selectFrom('ipallocations').select('port_id')
    .where('subnet_id', '=', subnet.id).where('ip_address', '=', address).executeTakeFirst();
  if (taken) throw new IpAddressAlreadyAllocated({ ip: address, subnet_id: subnet.id });
  const key = addressKey(ip.version, ip.value);
  const row = await forUpdate(tx, tx.selectFrom('ipam_availability_ranges').selectAll()
    .where('subnet_id', '=', subnet.id).where('first_ip', '<=', key).orderBy('first_ip', 'desc').limit(1)).executeTakeFirst() as RangeRow | undefined;
  if (row && row.last_ip >= key) await takeFromRange(tx, ip.version, row, ip.value);
  await recordAllocation(tx, subnet, portId, address);
  return address;
}

/**
 * Gives an allocated address back: its row goes, and it rejoins the free ranges of its pool,
 * merged with the free ranges next to it unless another transaction holds them (then it is a range
 * of its own): releases take no lock of the subnet and wait for no one.
 */
export async function release(tx: Tx, subnetId: string, address: string): Promise<void> {
  const ip = parseIp(address)!;
  await tx.deleteFrom('ipallocations').where('subnet_id', '=', subnetId).where('ip_address', '=', address).execute();
  const pools = await tx.selectFrom('subnet_allocation_pools').select(['pool_index', 'first_ip', 'last_ip'])
    .where('subnet_id', '=', subnetId).execute();
  const pool = pools.find((p) => parseIp(p.first_ip)!.value <= ip.value && ip.value <= parseIp(p.last_ip)!.value);
  if (!pool) return;
  const v = ip.version;
  const below = ip.value > 0n ? addressKey(v, ip.value - 1n) : null;
  const above = addressKey(v, ip.value + 1n);
  const adjacent = tx.selectFrom('ipam_availability_ranges').selectAll()
    .where('subnet_id', '=', subnetId).where('pool_index', '=', pool.pool_index)
    .where((eb) => eb.or([eb('first_ip', '=', above), ...(below ? [eb('last_ip', '=', below)] : [])]));
  const neighbours = await (onSqlite(tx) ? adjacent : adjacent.forUpdate().skipLocked()).execute() as RangeRow[];
  const left = neighbours.find((r) => r.last_ip === below);
  const right = neighbours.find((r) => r.first_ip === above);
  if (left && right) {
    await deleteRange.run(tx, right);
    await setRangeLast.run(tx, { ...left, to: right.last_ip });
  } else if (left) {
    await setRangeLast.run(tx, { ...left, to: addressKey(v, ip.value) });
  } else if (right) {
    await setRangeFirst.run(tx, { ...right, to: addressKey(v, ip.value) });
  } else {
    await insertRange.run(tx, { subnet_id: subnetId, pool_index: pool.pool_index, first_ip: addressKey(v, ip.value), last_ip: addressKey(v, ip.value) });
  }
}
