/**
 * /v2.0/segments (neutron/services/segments/db.py with ML2's _handle_segment_change): a segment
 * is one of a network's provider segments; making one reserves its segmentation id through the
 * type driver (or allocates one), and the network then has several (a routed network when its
 * subnets are bound to them). A segment used by subnets is not deleted.
 */
import { UNSET } from '../../lib/attributes.js';
import type { Item } from '../../lib/definitions.js';
import { InvalidInput, NetworkNotFound, SegmentInUse, SegmentNotFound } from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import { forUpdate } from '../../db/database.js';
import type { Tx } from '../../db/schema.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { TypeManager } from '../../plugins/ml2/type-manager.js';
import type { Segment } from '../../plugins/ml2/type_drivers/driver.js';

const given = (v: unknown) => (v === UNSET || v === undefined ? null : v);

async function networkSegments(tx: Tx, networkId: string): Promise<Segment[]> {
  const rows = await tx.selectFrom('network_segments').select(['network_type', 'physical_network', 'segmentation_id'])
    .where('network_id', '=', networkId).execute();
  return rows.map((r) => ({ ...r, segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id) }));
}

/** _get_network_mtu(validate=True): the network's MTU must still fit its segments. */
async function checkNetworkMtu(tx: Tx, types: TypeManager, networkId: string): Promise<void> {
  const net = await tx.selectFrom('networks').select('mtu').where('id', '=', networkId).executeTakeFirst();
  const max = types.maxMtu(await networkSegments(tx, networkId));
  if (net && max && Number(net.mtu) > max) throw new InvalidInput({ error_message: `Requested MTU is too big, maximum is ${max}` });
}

export function createSegmentResource(store: Store & { api: ApiModel }, types: TypeManager): SqlResource {
  const def = store.api.resources.get('segments')!;
  return new SqlResource(store, def, {
    notFound: (id) => new SegmentNotFound({ segment_id: id }),

    async beforeCreate(tx, { current: s }) {
      const networkId = s.network_id as string;
      const net = await forUpdate(tx, tx.selectFrom('networks').select('id').where('id', '=', networkId)).executeTakeFirst();
      if (!net) throw new NetworkNotFound({ net_id: networkId });
      const driver = types.drivers.get(s.network_type as string);
      if (!driver) throw new InvalidInput({ error_message: `network_type value '${s.network_type}' not supported` });
      const requested: Segment = {
        network_type: s.network_type as string,
        physical_network: given(s.physical_network) as string | null,
        segmentation_id: given(s.segmentation_id) as number | null,
      };
      driver.validateProviderSegment(requested);
      const reserved = await driver.reserveProviderSegment(tx, requested, networkId);
      const last = await tx.selectFrom('network_segments').select((eb) => eb.fn.max('segment_index').as('index'))
        .where('network_id', '=', networkId).executeTakeFirst();
      Object.assign(s, {
        physical_network: reserved.physical_network, segmentation_id: reserved.segmentation_id, name: given(s.name),
        segment_index: last?.index === null || last?.index === undefined ? 0 : Number(last.index) + 1, is_dynamic: 0,
      });
    },

    async afterCreate(tx, { current: s }) {
      // segment_index and is_dynamic have no attribute: written here
      await tx.updateTable('network_segments').set({ segment_index: s.segment_index as number, is_dynamic: 0 }).where('id', '=', s.id as string).execute();
      await checkNetworkMtu(tx, types, s.network_id as string);
      await bumpRevision(tx, 'networks', s.network_id as string);
    },

    async beforeDelete(tx, { current: s }) {
      const id = s.id as string;
      const subnets = await tx.selectFrom('subnets').select('id').where('segment_id', '=', id).orderBy('id').execute();
      if (subnets.length) {
        throw new SegmentInUse({ segment_id: id, reason: `The segment is still associated with subnet(s) ${subnets.map((r) => r.id).join(', ')}` });
      }
      await types.drivers.get(s.network_type as string)?.releaseSegment(tx, segmentOf(s));
      await bumpRevision(tx, 'networks', s.network_id as string);
    },
  });
}

function segmentOf(s: Item): Segment {
  return { network_type: s.network_type as string, physical_network: (s.physical_network ?? null) as string | null, segmentation_id: (s.segmentation_id ?? null) as number | null };
}
