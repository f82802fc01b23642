import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../lib/context.js';
import { UNSET } from '../../lib/attributes.js';
import {
  ExternalNetworkInUse, InvalidInput, InvalidSharedSetting, NetworkInUse, NetworkNotFound,
} from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import { SqlResource, type ResourceHooks } from '../../registry/resource.js';
import type { ApiModel } from '../../api/model.js';
import type { Segment } from './type_drivers/driver.js';
import type { TypeManager } from './type-manager.js';
import { inChunks } from '../../db/chunks.js';
import type { Item } from '../../lib/definitions.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { Queryable, Select, Tx } from '../../db/schema.js';

import { ACCESS_EXTERNAL, ACCESS_SHARED, DEVICE_OWNER_ROUTER_GW } from '../../lib/constants.js';

/** Something else that adds to networks as they are shown or deleted (subnets, ports, DHCP agents...). */
export interface NetworkExtender {
  extend?(q: Queryable, networks: Item[], ctx: RequestContext): Promise<void>;
  /** ids of ports that keep the network from being deleted; deletes the ones Neutron removes itself */
  beforeDelete?(tx: Tx, ctx: RequestContext, network: Item): Promise<void>;
}

/** Network ids visible to a project through RBAC (shared with it or with everyone). */
function rbacVisible(eb: { selectFrom: Queryable['selectFrom'] }, projectId: string | null, actions: string[]) {
  return eb.selectFrom('rbac_entries').select('object_id')
    .where('object_type', '=', 'network').where('action', 'in', actions)
    .where('target_project', 'in', projectId ? ['*', projectId] : ['*']);
}

export function createNetworkResource(db: Database, api: ApiModel, types: TypeManager, extenders: NetworkExtender[]): SqlResource {
  const def = api.resources.get('networks')!;

  const hooks: ResourceHooks = {
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('networks.project_id', '=', ctx.projectId),
      eb('networks.id', 'in', rbacVisible(eb as any, ctx.projectId, [ACCESS_SHARED, ACCESS_EXTERNAL])),
    ])),

    filters: {
      shared: (qb, values, ctx) => {
        const want = values.map(Boolean);
        if (want.includes(true) && want.includes(false)) return qb;
        return qb.where((eb) => eb('networks.id', want[0] ? 'in' : 'not in', rbacVisible(eb as any, ctx.projectId, [ACCESS_SHARED])));
      },
      'provider:network_type': (qb, v) => segmentFilter(qb, 'network_type', v),
      'provider:physical_network': (qb, v) => segmentFilter(qb, 'physical_network', v),
      'provider:segmentation_id': (qb, v) => segmentFilter(qb, 'segmentation_id', v),
    },

    async extend(q, networks, ctx) {
      const ids = networks.map((n) => n.id as string);
      const segments = new Map<string, Segment[]>();
      const shared = new Set<string>();
      await inChunks(ids, async (chunk) => {
        const rows = await q.selectFrom('network_segments').selectAll().where('network_id', 'in', chunk)
          .orderBy('network_id').orderBy('segment_index').execute();
        for (const r of rows) {
          const list = segments.get(r.network_id) ?? [];
          list.push({ network_type: r.network_type, physical_network: r.physical_network, segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id) });
          segments.set(r.network_id, list);
        }
        const rbac = await q.selectFrom('rbac_entries').select('object_id')
          .where('object_type', '=', 'network').where('action', '=', ACCESS_SHARED).where('object_id', 'in', chunk)
          .where('target_project', 'in', ctx.projectId ? ['*', ctx.projectId] : ['*']).execute();
        for (const r of rbac) shared.add(r.object_id);
      });
      for (const n of networks) {
        const segs = segments.get(n.id as string) ?? [];
        n.shared = shared.has(n.id as string);
        n.subnets = [];
        n.availability_zones = [];
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
      for (const e of extenders) await e.extend?.(q, networks, ctx);
    },

    async beforeCreate(tx, _ctx, net) {
      const segments = await types.createSegments(tx, net.id as string, types.requestedSegments(net));
      net.__segments = segments;
      net.mtu = checkMtu(net.mtu, types.maxMtu(segments));
      net.status = 'ACTIVE';
    },

    async afterCreate(tx, ctx, net) {
      const segments = net.__segments as Segment[];
      await tx.insertInto('network_segments').values(segments.map((s, i) => ({
        id: randomUUID(), network_id: net.id, network_type: s.network_type,
        physical_network: s.physical_network, segmentation_id: s.segmentation_id, segment_index: i, is_dynamic: 0,
      }))).execute();
      if (net.shared === true) await addRbac(tx, ctx, net, ACCESS_SHARED);
      if (net['router:external'] === true) await addRbac(tx, ctx, net, ACCESS_EXTERNAL);
    },

    async beforeUpdate(tx, ctx, current, changes) {
      const id = current.id as string;
      await updateProvider(tx, types, current, changes);
      if ('mtu' in changes) {
        const segs = await loadSegments(tx, id);
        changes.mtu = checkMtu(changes.mtu, types.maxMtu(segs));
      }
      if ('shared' in changes && changes.shared !== current.shared) {
        if (changes.shared) await addRbac(tx, ctx, current, ACCESS_SHARED);
        else await removeSharing(tx, current);
      }
      delete changes.shared;
      if ('router:external' in changes && changes['router:external'] !== current['router:external']) {
        if (changes['router:external']) await addRbac(tx, ctx, current, ACCESS_EXTERNAL);
        else {
          if (await hasGatewayPorts(tx, id)) throw new ExternalNetworkInUse({ net_id: id });
          await tx.deleteFrom('rbac_entries').where('object_type', '=', 'network').where('object_id', '=', id)
            .where('action', '=', ACCESS_EXTERNAL).execute();
        }
      }
      for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments']) delete changes[k];
    },

    async beforeDelete(tx, ctx, net) {
      for (const e of extenders) await e.beforeDelete?.(tx, ctx, net);
      await types.releaseSegments(tx, await loadSegments(tx, net.id as string));
      await tx.deleteFrom('rbac_entries').where('object_type', '=', 'network').where('object_id', '=', net.id as string).execute();
    },
  };

  return new SqlResource(db, def, hooks, (id) => new NetworkNotFound({ net_id: id }));
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

async function addRbac(tx: Tx, ctx: RequestContext, net: Item, action: string): Promise<void> {
  await tx.insertInto('rbac_entries').values({
    id: randomUUID(), project_id: net.project_id ?? ctx.projectId, object_type: 'network',
    object_id: net.id, target_project: '*', action,
  }).execute();
  await bumpRevision(tx, 'networks', net.id as string);
}

/**
 * Un-sharing is refused while other projects have ports or subnets on the network (they would lose
 * access); the check applies once those resources exist.
 */
async function removeSharing(tx: Tx, net: Item): Promise<void> {
  const id = net.id as string;
  for (const table of ['ports', 'subnets']) {
    if (!(await tableExists(tx, table))) continue;
    const other = await tx.selectFrom(table).select('id').where('network_id', '=', id)
      .where('project_id', '!=', net.project_id as string).limit(1).executeTakeFirst();
    if (other) throw new InvalidSharedSetting({ network: id });
  }
  await tx.deleteFrom('rbac_entries').where('object_type', '=', 'network').where('object_id', '=', id)
    .where('action', '=', ACCESS_SHARED).where('target_project', '=', '*').execute();
  await bumpRevision(tx, 'networks', id);
}

async function hasGatewayPorts(tx: Tx, networkId: string): Promise<boolean> {
  if (!(await tableExists(tx, 'ports'))) return false;
  const row = await tx.selectFrom('ports').select('id').where('network_id', '=', networkId)
    .where('device_owner', '=', DEVICE_OWNER_ROUTER_GW).limit(1).executeTakeFirst();
  return !!row;
}

const knownTables = new Map<string, boolean>();
async function tableExists(q: Queryable, table: string): Promise<boolean> {
  let known = knownTables.get(table);
  if (known === undefined) {
    const tables = await q.introspection.getTables();
    known = tables.some((t) => t.name === table);
    if (known) knownTables.set(table, known);
  }
  return known;
}

/** Only a VLAN network's segmentation id may change (ML2's update_network_segment rule). */
async function updateProvider(tx: Tx, types: TypeManager, current: Item, changes: Item): Promise<void> {
  const keys = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'];
  const given = keys.filter((k) => k in changes && changes[k] !== UNSET);
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

export { NetworkInUse };
