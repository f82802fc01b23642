import { sql } from 'kysely';
import { InvalidInput, type NeutronError } from '../../../lib/errors.js';
import { lockNamed } from '../../../db/database.js';
import type { Tx } from '../../../db/schema.js';

/** A network segment as ML2 passes it between its managers and drivers. */
export interface Segment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface TypeDriver {
  readonly type: string;
  /** checks a provider segment given by an admin; throws InvalidInput */
  validateProviderSegment(segment: Segment): void;
  /** reserves a provider segment; a partial one (no id) gets an id allocated */
  reserveProviderSegment(tx: Tx, segment: Segment, networkId: string): Promise<Segment>;
  /**
   * a segment for a tenant network, or null when the ranges are exhausted: the configured ranges,
   * or `ranges` in their order (the network segment ranges a project may use)
   */
  allocateTenantSegment(tx: Tx, networkId: string, ranges?: readonly SegmentRange[]): Promise<Segment | null>;
  releaseSegment(tx: Tx, segment: Segment): Promise<void>;
  /** the largest MTU a network of this type can have (0 = no limit of its own) */
  mtu(physicalNetwork: string | null): number;
}

export interface Range { min: number; max: number }

/** A range of segmentation ids on a physical network (null for tunnels): a network segment range. */
export interface SegmentRange { physicalNetwork: string | null; min: number; max: number }

export function invalid(message: string): NeutronError {
  return new InvalidInput({ error_message: message });
}

/** Parses `physnet[:min:max]` entries (network_vlan_ranges); a physnet without a range is provider-only. */
export function parsePhysnetRanges(entries: string[], what: string): Map<string, Range[]> {
  const out = new Map<string, Range[]>();
  for (const entry of entries) {
    const parts = entry.trim().split(':');
    const physnet = parts[0]!;
    if (!out.has(physnet)) out.set(physnet, []);
    if (parts.length === 1) continue;
    if (parts.length !== 3) throw new Error(`Invalid ${what} entry '${entry}': expected <physical_network>[:<min>:<max>]`);
    out.get(physnet)!.push(parseRange(`${parts[1]}:${parts[2]}`, what));
  }
  return out;
}

/** Parses `min:max` entries (vni_ranges, tunnel_id_ranges). */
export function parseRange(entry: string, what: string, bounds?: Range): Range {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(entry);
  if (!m) throw new Error(`Invalid ${what} entry '${entry}': expected <min>:<max>`);
  const r = { min: Number(m[1]), max: Number(m[2]) };
  if (r.min > r.max || (bounds && (r.min < bounds.min || r.max > bounds.max))) {
    throw new Error(`Invalid ${what} entry '${entry}'${bounds ? `: values must be within ${bounds.min}..${bounds.max}` : ''}`);
  }
  return r;
}

const TABLE = 'segment_allocations';

/** Whether a segmentation id (or a flat physnet) is taken, across every server sharing the database. */
export async function isAllocated(tx: Tx, type: string, physnet: string, id: number): Promise<boolean> {
  const row = await tx.selectFrom(TABLE).select('network_id')
    .where('network_type', '=', type).where('physical_network', '=', physnet).where('segmentation_id', '=', id)
    .executeTakeFirst();
  return !!row;
}

/** Records the allocation; the primary key makes a concurrent duplicate fail (and the transaction retry). */
export async function recordAllocation(tx: Tx, type: string, physnet: string, id: number, networkId: string): Promise<void> {
  await tx.insertInto(TABLE).values({ network_type: type, physical_network: physnet, segmentation_id: id, network_id: networkId }).execute();
}

export async function releaseAllocation(tx: Tx, type: string, physnet: string, id: number): Promise<void> {
  await tx.deleteFrom(TABLE).where('network_type', '=', type).where('physical_network', '=', physnet).where('segmentation_id', '=', id).execute();
}

/**
 * The lowest free id in the ranges: the range minimum if free, else the first id after an
 * allocated one whose successor is free. Two queries per range, whatever the number of allocations.
 */
export async function lowestFree(tx: Tx, type: string, physnet: string, ranges: readonly Range[]): Promise<number | null> {
  // allocators of one range take turns: racing for the same lowest id, a long transaction (a bulk
  // create) could lose to a shorter one every time it ran again
  await lockNamed(tx, `segment:${type}:${physnet}`);
  for (const { min, max } of ranges) {
    if (!(await isAllocated(tx, type, physnet, min))) return min;
    const row = await tx.selectFrom(`${TABLE} as a`)
      .select((eb) => eb.fn.min('a.segmentation_id').as('id'))
      .where('a.network_type', '=', type).where('a.physical_network', '=', physnet)
      .where('a.segmentation_id', '>=', min).where('a.segmentation_id', '<', max)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom(`${TABLE} as b`).select('b.network_id')
        .whereRef('b.network_type', '=', 'a.network_type').whereRef('b.physical_network', '=', 'a.physical_network')
        .where('b.segmentation_id', '=', sql<number>`a.segmentation_id + 1`))))
      .executeTakeFirst();
    if (row?.id !== null && row?.id !== undefined) return Number(row.id) + 1;
  }
  return null;
}
