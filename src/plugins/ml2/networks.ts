import { randomUUID } from 'node:crypto';
import { UNSET } from '../../lib/attributes.js';
import { ACCESS_EXTERNAL, ACCESS_SHARED, DEVICE_OWNER_NETWORK_PREFIX, DEVICE_OWNER_ROUTER_GW } from '../../lib/constants.js';
import type { Item } from '../../lib/definitions.js';
import { ExternalNetworkInUse, InvalidInput, InvalidSharedSetting, NetworkNotFound } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable, Select, Tx } from '../../db/schema.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { checkAvailabilityZones } from './agents.js';
import { networkSharing } from './sharing.js';
import type { TypeManager } from './type-manager.js';
import type { Segment } from './type_drivers/driver.js';

const PROVIDER_ATTRIBUTES = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'];

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** a network being created: its segments, allocated before its row and written after it */
    segments?: Segment[];
  }
}

export function createNetworkResource(store: Store, api: ApiModel, types: TypeManager): SqlResource {
  return new SqlResource(store, api.resources.get('networks')!, {
    notFound: (id) => new NetworkNotFound({ net_id: id }),
    scope: (qb, ctx) => networkSharing.scope(qb, ctx.projectId),

    filters: {
      shared: (qb, values, ctx) => networkSharing.sharedFilter(qb, values, ctx.projectId),
      'provider:network_type': (qb, v) => segmentFilter(qb, 'network_type', v),
      'provider:physical_network': (qb, v) => segmentFilter(qb, 'physical_network', v),
      'provider:segmentation_id': (qb, v) => segmentFilter(qb, 'segmentation_id', v),
    },

    async extend(q, networks, ctx) {
      const segments = new Map<string, Segment[]>();
      await inChunks(networks.map((n) => n.id as string), async (chunk) => {
        const rows = await q.selectFrom('network_segments').selectAll().where('network_id', 'in', chunk)
          .orderBy('network_id').orderBy('segment_index').execute();
        for (const r of rows) {
          const list = segments.get(r.network_id) ?? [];
          list.push({ network_type: r.network_type, physical_network: r.physical_network, segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id) });
          segments.set(r.network_id, list);
        }
      });
      await networkSharing.loadShared(q, networks, ctx.projectId);
      for (const n of networks) {
        const segs = segments.get(n.id as string) ?? [];
        n.l2_adjacency = true;
        if (segs.length === 1) {
          n['provider:network_type'] = segs[0]!.network_type;
          n['provider:physical_network'] = segs[0]!.physical_network;
          n['provider:segmentation_id'] = segs[0]!.segmentation_id;
        } else if (segs.length > 1) {
          n.segments = segs.map((s) => ({
            'provider:network_type': s.network_type,
            'provider:physical_network': s.physical_network,
            'provider:segmentation_id': s.segmentation_id,
          }));
        }
      }
    },

    async beforeCreate(tx, event) {
      const net = event.current;
      await checkAvailabilityZones(tx, 'network', net.availability_zone_hints);
      const segments = event.segments = await types.createSegments(tx, net.id as string, types.requestedSegments(net), net.project_id as string);
      net.mtu = checkMtu(net.mtu, types.maxMtu(segments));
      net.status = 'ACTIVE';
    },

    async afterCreate(tx, { current: net, segments }) {
      await tx.insertInto('network_segments').values(segments!.map((s, i) => ({
        id: randomUUID(), network_id: net.id as string, network_type: s.network_type,
        physical_network: s.physical_network, segmentation_id: s.segmentation_id, segment_index: i, is_dynamic: 0,
      }))).execute();
      if (net.shared === true) await networkSharing.share(tx, net);
      if (net['router:external'] === true) await networkSharing.share(tx, net, ACCESS_EXTERNAL);
      if (net.shared === true || net['router:external'] === true) await bumpRevision(tx, 'networks', net.id as string);
    },

    async beforeUpdate(tx, { original: net, changes }) {
      const id = net.id as string;
      await updateProvider(tx, types, net, changes);
      if ('mtu' in changes) {
        const segs = await loadSegments(tx, id);
        changes.mtu = checkMtu(changes.mtu, types.maxMtu(segs));
      }
      if ('shared' in changes && changes.shared !== net.shared) {
        if (changes.shared) await networkSharing.share(tx, net);
        else await unshare(tx, net);
        await bumpRevision(tx, 'networks', id);
      }
      delete changes.shared;
      if ('router:external' in changes && changes['router:external'] !== net['router:external']) {
        if (changes['router:external']) {
          await networkSharing.share(tx, net, ACCESS_EXTERNAL);
          await bumpRevision(tx, 'networks', id);
        } else {
          if (await hasGatewayPorts(tx, id)) throw new ExternalNetworkInUse({ net_id: id });
          await networkSharing.removeEntries(tx, id, ACCESS_EXTERNAL);
        }
      }
      for (const k of [...PROVIDER_ATTRIBUTES, 'segments']) delete changes[k];
    },

    async beforeDelete(tx, { current: net }) {
      await types.releaseSegments(tx, await loadSegments(tx, net.id as string));
      await networkSharing.removeEntries(tx, net.id as string);
    },
  });
}

function segmentFilter(qb: Select, column: string, values: unknown[]): Select {
  return qb.where((eb) => eb('networks.id', 'in', eb.selectFrom('network_segments').select('network_id').where(column, 'in', values as any[])));
}

async function loadSegments(q: Queryable, networkId: string): Promise<Segment[]> {
  const rows = await q.selectFrom('network_segments').selectAll().where('network_id', '=', networkId).orderBy('segment_index').execute();
  return rows.map((r) => ({ network_type: r.network_type, physical_network: r.physical_network, segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id) }));
}

function checkMtu(requested: unknown, max: number): number {
  const mtu = typeof requested === 'number' ? requested : 0;
  if (mtu === 0) return max;
  if (mtu > max) throw new InvalidInput({ error_message: `Requested MTU is too big, maximum is ${max}` });
  return mtu;
}

/**
 * Un-sharing is refused while other projects have ports (other than network:* ones) or subnets on
 * the network that no entry of their own covers: they would lose access (_validate_shared_update).
 */
async function unshare(tx: Tx, net: Item): Promise<void> {
  const id = net.id as string;
  const covered = tx.selectFrom('rbac_entries').select('target_project').where('object_type', '=', 'network').where('object_id', '=', id)
    .where('action', '=', ACCESS_SHARED).where('target_project', '!=', '*');
  const owner = net.project_id as string;
  const port = await tx.selectFrom('ports').select('id').where('network_id', '=', id).where('project_id', '!=', owner)
    .where('device_owner', 'not like', `${DEVICE_OWNER_NETWORK_PREFIX}%`).where('project_id', 'not in', covered).limit(1).executeTakeFirst();
  const subnet = port ? undefined : await tx.selectFrom('subnets').select('id').where('network_id', '=', id).where('project_id', '!=', owner)
    .where('project_id', 'not in', covered).limit(1).executeTakeFirst();
  if (port || subnet) throw new InvalidSharedSetting({ network: id });
  await networkSharing.unshare(tx, id);
}

async function hasGatewayPorts(tx: Tx, networkId: string): Promise<boolean> {
  const row = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId)
    .where('device_owner', '=', DEVICE_OWNER_ROUTER_GW).limit(1).executeTakeFirst();
  return !!row;
}

/** Only a VLAN network's segmentation id may change (ML2's update_network_segment rule). */
async function updateProvider(tx: Tx, types: TypeManager, current: Item, changes: Item): Promise<void> {
  const given = PROVIDER_ATTRIBUTES.filter((k) => k in changes && changes[k] !== UNSET);
  if (!given.length && !('segments' in changes && changes.segments !== UNSET)) return;
  const segs = await loadSegments(tx, current.id as string);
  const changed = given.filter((k) => changes[k] !== current[k]);
  if (!changed.length && !('segments' in changes)) return;
  if (segs.length !== 1 || segs[0]!.network_type !== 'vlan') {
    throw new InvalidInput({ error_message: 'Only VLAN type networks can be updated.' });
  }
  if (changed.some((k) => k !== 'provider:segmentation_id') || 'segments' in changes) {
    throw new InvalidInput({ error_message: 'Only provider:segmentation_id field can be updated in VLAN type networks' });
  }
  const seg = segs[0]!;
  const next = { ...seg, segmentation_id: changes['provider:segmentation_id'] as number };
  const driver = types.drivers.get('vlan')!;
  driver.validateProviderSegment(next);
  await driver.releaseSegment(tx, seg);
  await driver.reserveProviderSegment(tx, next, current.id as string);
  await tx.updateTable('network_segments').set({ segmentation_id: next.segmentation_id })
    .where('network_id', '=', current.id as string).where('segment_index', '=', 0).execute();
}
