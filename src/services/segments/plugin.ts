import { UNSET } from '../../lib/attributes.js';
import {
  NetworkIdsDontMatch, NoUpdateSubnetWhenMultipleSegmentsOnNetwork, SegmentNotFound, SubnetCantAssociateToDynamicSegment,
  SubnetSegmentAssociationChangeNotAllowed, SubnetsNotAllAssociatedWithSegments,
} from '../../lib/errors.js';
import { forUpdate } from '../../db/database.js';
import type { Tx } from '../../db/schema.js';
import { inChunks } from '../../db/chunks.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { peerSubnetHostRoutes } from './host-routes.js';
import { createSegmentResource } from './segments.js';

/** Subnets of this service type belong to a routed network without a segment of their own. */
const DEVICE_OWNER_ROUTED = 'network:routed';

/**
 * _validate_segment (ipam_backend_mixin): a network's subnets are all bound to segments or none
 * is; a subnet's segment is set once, on a network with a single segment; the segment is of the
 * subnet's network and not dynamic. The network's row is locked first, so that two subnets
 * bound concurrently see each other.
 */
async function validateSegment(tx: Tx, networkId: string, segmentId: string | null, update?: { old: string | null; subnetId: string }, createdRouted?: string): Promise<void> {
  await forUpdate(tx, tx.selectFrom('networks').select('id').where('id', '=', networkId)).executeTakeFirst();
  let qb = tx.selectFrom('subnets').select('segment_id').where('network_id', '=', networkId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('subnet_service_types').select('subnet_id')
      .whereRef('subnet_service_types.subnet_id', '=', 'subnets.id').where('service_type', '=', DEVICE_OWNER_ROUTED))));
  if (createdRouted) qb = qb.where('id', '!=', createdRouted);
  const segments = (await qb.execute()).map((r) => r.segment_id);
  const associated = new Set(segments);
  if (associated.has(null) && associated.size > 1) throw new SubnetsNotAllAssociatedWithSegments({ network_id: networkId });
  if (update && update.old !== segmentId) {
    if (segments.length > 1) throw new SubnetsNotAllAssociatedWithSegments({ network_id: networkId });
    if (!associated.has(null) && !associated.has(segmentId)) throw new SubnetSegmentAssociationChangeNotAllowed();
    const count = await tx.selectFrom('network_segments').select((eb) => eb.fn.countAll().as('n')).where('network_id', '=', networkId).executeTakeFirst();
    if (Number(count?.n ?? 0) > 1) throw new NoUpdateSubnetWhenMultipleSegmentsOnNetwork({ network_id: networkId });
  }
  if (segmentId) {
    const segment = await tx.selectFrom('network_segments').select(['network_id', 'is_dynamic']).where('id', '=', segmentId).executeTakeFirst();
    if (!segment) throw new SegmentNotFound({ segment_id: segmentId });
    if (segment.network_id !== networkId) throw new NetworkIdsDontMatch({ subnet_network: networkId, segment_id: segmentId });
    if (segment.is_dynamic === true || Number(segment.is_dynamic) === 1) throw new SubnetCantAssociateToDynamicSegment();
  }
}

const setValue = (v: unknown): string | null => (v === undefined || v === UNSET ? null : v as string | null);

/**
 * Neutron's `segments` service plugin: /v2.0/segments (admin), subnets bound to segments
 * (segment_id, writable once with subnet-segmentid-writable) and a network's l2_adjacency.
 */
export class SegmentsPlugin implements Plugin {
  readonly name = 'segments';
  readonly supportedExtensionAliases = [
    'segment', 'standard-attr-segment', 'subnet-segmentid-writable', 'l2_adjacency', 'ip_allocation',
    'segments-peer-subnet-host-routes',
  ];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { db, events, api } = ctx;
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!ml2?.types || !ml2.resources) throw new Error('the segments service plugin needs the ml2 core plugin');

    // the segments ML2 makes with a network get the network's timestamps
    events.subscribe('network', 'precommit_create', async (tx, { current: net }) => {
      await tx.updateTable('network_segments').set({ created_at: net.created_at as string, updated_at: net.created_at as string })
        .where('network_id', '=', net.id as string).where('created_at', 'is', null).execute();
    });

    events.subscribe('subnet', 'before_create', async (tx, { current: s }) => {
      const segmentId = setValue(s.segment_id);
      if (segmentId && !(await tx.selectFrom('network_segments').select('id').where('id', '=', segmentId).executeTakeFirst())) {
        throw new SegmentNotFound({ segment_id: segmentId });
      }
    });
    events.subscribe('subnet', 'precommit_create', async (tx, { current: s }) => {
      const routed = Array.isArray(s.service_types) && (s.service_types as string[]).includes(DEVICE_OWNER_ROUTED);
      await validateSegment(tx, s.network_id as string, setValue(s.segment_id), undefined, routed ? s.id as string : undefined);
    });
    events.subscribe('subnet', 'before_update', async (tx, { original, changes }) => {
      if (!('segment_id' in changes)) return;
      await validateSegment(tx, original.network_id as string, setValue(changes.segment_id), { old: setValue(original.segment_id), subnetId: original.id as string });
    });

    // l2_adjacency: a network whose subnets are bound to segments is routed
    events.extend('network', async (q, networks, _ctx, wanted) => {
      if (wanted && !wanted.has('l2_adjacency')) return;
      const routed = new Set<string>();
      await inChunks(networks.map((n) => n.id as string), async (chunk) => {
        const rows = await q.selectFrom('subnets').select('network_id').distinct().where('network_id', 'in', chunk).where('segment_id', 'is not', null).execute();
        for (const r of rows) routed.add(r.network_id);
      });
      for (const n of networks) n.l2_adjacency = !routed.has(n.id as string);
    });

    peerSubnetHostRoutes(events, ml2.resources.subnets);
    return { segments: createSegmentResource({ db, events, api }, ml2.types) };
  }
}
