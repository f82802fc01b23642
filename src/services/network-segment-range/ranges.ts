/**
 * /v2.0/network_segment_ranges (neutron/services/network_segment_range/plugin.py): admin-managed
 * ranges of segmentation ids, shared or for one project, besides the read-only default ranges
 * that mirror the ML2 config. A range is not changed or deleted while a network segment in it
 * is allocated; writes and tenant allocations of a network type take one lock, in turn.
 */
import { randomUUID } from 'node:crypto';
import { UNSET } from '../../lib/attributes.js';
import type { Item } from '../../lib/definitions.js';
import {
  BadRequest, NetworkSegmentRangeDefaultReadOnly, NetworkSegmentRangeNetTypeNotSupported, NetworkSegmentRangeNotFound,
  NetworkSegmentRangeOverlaps, NetworkSegmentRangeReferencedByProject, NetworkTunnelRangeError, NetworkVlanRangeError,
} from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import { lockNamed, timestamp } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import type { TypeManager } from '../../plugins/ml2/type-manager.js';
import type { SegmentRange } from '../../plugins/ml2/type_drivers/driver.js';

export const RANGE_TYPES = ['vlan', 'vxlan', 'gre', 'geneve'];

/** The ids each type can carry (neutron-lib's is_valid_vlan_tag, is_valid_vxlan_vni, ...). */
const ID_LIMITS: Record<string, [number, number]> = { vlan: [1, 4094], vxlan: [1, 2 ** 24 - 1], geneve: [1, 2 ** 24 - 1], gre: [1, 2 ** 32 - 1] };

/** The lock that range writes and tenant allocations of a network type share. */
export const rangeLock = (tx: Tx, networkType: string) => lockNamed(tx, `segment-ranges:${networkType}`);

/** verify_vlan_range / verify_tunnel_range */
function checkEligible(type: string, min: number, max: number): void {
  const [lo, hi] = ID_LIMITS[type]!;
  const range = `${min}:${max}`;
  for (const id of [min, max]) {
    if (id < lo || id > hi) {
      if (type === 'vlan') throw new NetworkVlanRangeError({ vlan_range: range, error: `${id} is not a valid VLAN tag` });
      throw new NetworkTunnelRangeError({ tunnel_range: range, error: `${id} is not a valid ${type} identifier` });
    }
  }
  if (max < min) {
    if (type === 'vlan') throw new NetworkVlanRangeError({ vlan_range: range, error: 'End of VLAN range is less than start of VLAN range' });
    throw new NetworkTunnelRangeError({ tunnel_range: range, error: 'End of tunnel range is less than start of tunnel range' });
  }
}

/** Network segments of the range's type and physical network with ids in [min, max], by id. */
async function segmentsInRange(q: Queryable, r: { network_type: string; physical_network: string | null; minimum: number; maximum: number }) {
  let qb = q.selectFrom('network_segments').innerJoin('networks', 'networks.id', 'network_segments.network_id')
    .select(['network_segments.segmentation_id', 'networks.project_id'])
    .where('network_segments.network_type', '=', r.network_type)
    .where('network_segments.segmentation_id', '>=', r.minimum).where('network_segments.segmentation_id', '<=', r.maximum);
  qb = r.physical_network === null ? qb.where('network_segments.physical_network', 'is', null) : qb.where('network_segments.physical_network', '=', r.physical_network);
  return qb.orderBy('network_segments.segmentation_id').execute();
}

/** `used` (segmentation id → project) and `available` (the ids not allocated) of each range. */
async function extendRanges(q: Queryable, ranges: Item[], wanted: ReadonlySet<string> | null): Promise<void> {
  for (const r of ranges) {
    const row = r as { network_type: string; physical_network: string | null; minimum: number; maximum: number };
    if (!wanted || wanted.has('used')) {
      r.used = Object.fromEntries((await segmentsInRange(q, row)).map((s) => [String(s.segmentation_id), s.project_id]));
    }
    if (!wanted || wanted.has('available')) {
      const rows = await q.selectFrom('segment_allocations').select('segmentation_id').where('network_type', '=', row.network_type)
        .where('physical_network', '=', row.physical_network ?? '').where('segmentation_id', '>=', row.minimum).where('segmentation_id', '<=', row.maximum).execute();
      const taken = new Set(rows.map((a) => Number(a.segmentation_id)));
      const available: number[] = [];
      for (let id = row.minimum; id <= row.maximum; id++) if (!taken.has(id)) available.push(id);
      r.available = available;
    }
  }
}

export function createNetworkSegmentRangeResource(store: Store & { api: ApiModel }, types: TypeManager): SqlResource {
  const def = store.api.resources.get('network_segment_ranges')!;
  return new SqlResource(store, def, {
    notFound: (id) => new NetworkSegmentRangeNotFound({ range_id: id }),
    extend: (q, items, _ctx, wanted) => extendRanges(q, items, wanted),

    async beforeCreate(tx, { context: ctx, current: r }) {
      const type = r.network_type as string;
      if (type === undefined || (r.network_type as unknown) === UNSET || !types.drivers.has(type) || !RANGE_TYPES.includes(type)) {
        throw new NetworkSegmentRangeNetTypeNotSupported({ type: (r.network_type as unknown) === UNSET ? 'None' : type });
      }
      await rangeLock(tx, type);
      checkEligible(type, r.minimum as number, r.maximum as number);
      let physnet: string | null = null;
      if (type === 'vlan') {
        if (r.physical_network === UNSET || r.physical_network === undefined || r.physical_network === null) {
          throw new BadRequest({ resource: 'network_segment_range', msg: "Network type vlan requires 'physical_network' to be specified while creating new range" });
        }
        physnet = r.physical_network as string;
      }
      let qb = tx.selectFrom('network_segment_ranges').select(['id', 'minimum', 'maximum']).where('default', '=', 0).where('network_type', '=', type);
      qb = physnet === null ? qb.where('physical_network', 'is', null) : qb.where('physical_network', '=', physnet);
      const overlapping = (await qb.orderBy('id').execute()).filter((o) => (r.minimum as number) <= Number(o.maximum) && (r.maximum as number) >= Number(o.minimum));
      if (overlapping.length) throw new NetworkSegmentRangeOverlaps({ range_id: overlapping.map((o) => o.id).join(', ') });
      const shared = r.shared !== false;
      const project = r.project_id === UNSET || r.project_id === undefined ? ctx.projectId : r.project_id;
      Object.assign(r, { default: false, shared, physical_network: physnet, project_id: shared ? null : project, tenant_id: shared ? null : project });
    },

    async beforeUpdate(tx, { original: r, changes }) {
      if (r.default) throw new NetworkSegmentRangeDefaultReadOnly({ range_id: r.id as string });
      await rangeLock(tx, r.network_type as string);
      const row = r as { network_type: string; physical_network: string | null; minimum: number; maximum: number };
      const used = await segmentsInRange(tx, row);
      const min = (changes.minimum ?? r.minimum) as number;
      const max = (changes.maximum ?? r.maximum) as number;
      // _are_allocated_segments_in_range_impacted, as Neutron decides it
      if (used.length && (min >= Number(used[0]!.segmentation_id) || max <= Number(used.at(-1)!.segmentation_id))) {
        throw new NetworkSegmentRangeReferencedByProject({ range_id: r.id as string });
      }
      checkEligible(row.network_type, min, max);
    },

    async beforeDelete(tx, { current: r }) {
      if (r.default) throw new NetworkSegmentRangeDefaultReadOnly({ range_id: r.id as string });
      await rangeLock(tx, r.network_type as string);
      if ((await segmentsInRange(tx, r as any)).length) throw new NetworkSegmentRangeReferencedByProject({ range_id: r.id as string });
    },
  });
}

/** What each loaded type driver's config makes: the default ranges. */
export interface DefaultRange { network_type: string; physical_network: string | null; minimum: number; maximum: number }

/**
 * Makes the default ranges match the config (Neutron's initialize_network_segment_range_support):
 * those no longer configured go, the missing ones are added; every server does it as it starts.
 */
export async function syncDefaultRanges(tx: Tx, wanted: DefaultRange[]): Promise<void> {
  await lockNamed(tx, 'segment-ranges:defaults');
  const key = (r: DefaultRange) => `${r.network_type}/${r.physical_network ?? ''}/${r.minimum}/${r.maximum}`;
  const existing = await tx.selectFrom('network_segment_ranges').select(['id', 'network_type', 'physical_network', 'minimum', 'maximum'])
    .where('default', '=', 1).execute();
  const have = new Map(existing.map((r) => [key({ ...r, minimum: Number(r.minimum), maximum: Number(r.maximum) }), r.id]));
  const want = new Set(wanted.map(key));
  for (const [k, id] of have) if (!want.has(k)) await tx.deleteFrom('network_segment_ranges').where('id', '=', id).execute();
  const now = timestamp();
  for (const r of wanted) {
    if (have.has(key(r))) continue;
    have.set(key(r), '');
    await tx.insertInto('network_segment_ranges').values({
      id: randomUUID(), name: '', default: 1, shared: 1, project_id: null, ...r, description: '', created_at: now, updated_at: now, revision_number: 0,
    }).execute();
  }
}

/** The ranges a project's tenant networks of a type come from: its own first, then the shared ones. */
export async function tenantRanges(tx: Tx, networkType: string, projectId: string | null): Promise<SegmentRange[] | undefined> {
  if (!RANGE_TYPES.includes(networkType)) return undefined;
  await rangeLock(tx, networkType);
  const rows = await tx.selectFrom('network_segment_ranges').select(['project_id', 'shared', 'physical_network', 'minimum', 'maximum'])
    .where('network_type', '=', networkType).orderBy('minimum').execute();
  const shared = (v: unknown) => v === true || Number(v) === 1;
  const toRange = (r: typeof rows[number]): SegmentRange => ({ physicalNetwork: r.physical_network, min: Number(r.minimum), max: Number(r.maximum) });
  const own = projectId ? rows.filter((r) => !shared(r.shared) && r.project_id === projectId) : [];
  return [...own.map(toRange), ...rows.filter((r) => shared(r.shared)).map(toRange)];
}
