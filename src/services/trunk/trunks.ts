/**
 * /v2.0/trunks (neutron/services/trunk/plugin.py): a trunk is made DOWN on a parent port with its
 * subports; add_subports / remove_subports change them (the trunk goes DOWN again for the agent
 * to wire), get_subports lists them. A disabled trunk (admin_state_up false) cannot be changed so.
 */
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { DuplicateSubPort, InvalidInput, SubPortNotFound, TrunkDisabled, TrunkInErrorState, TrunkInUse, TrunkNotFound } from '../../lib/errors.js';
import type { ApiModel } from '../../api/model.js';
import type { Tx } from '../../db/schema.js';
import type { WriteOpts } from '../../registry/handler.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import { validateSubports as validateSubportsBody } from '../../api/definitions/extensions/trunk.js';
import { canBeTrunkedOrUntrunked, lockPorts, validateParent, validateSubports, type Subport, type TrunkRules } from './rules.js';

/** Subports added to or removed from a trunk, handed to whoever tells the agents once the change is committed. */
export interface SubportsListener {
  (ctx: RequestContext, trunkId: string, subports: Subport[], event: 'created' | 'deleted'): void;
}

/** trunk_can_be_managed */
function checkManageable(trunk: Item): void {
  if (!trunk.admin_state_up) throw new TrunkDisabled({ trunk_id: trunk.id as string });
}

/** The request's sub_ports, checked as the API layer checks them on create. */
function requestedSubports(body: Item | undefined): Item[] {
  const given = body?.sub_ports;
  const msg = validateSubportsBody(given);
  if (msg) throw new InvalidInput({ error_message: msg });
  return given as Item[];
}

export function createTrunkResource(store: Store & { api: ApiModel }, rules: TrunkRules, subportsChanged: SubportsListener): SqlResource {
  const def = store.api.resources.get('trunks')!;
  const { db } = store;

  /** A member action in one transaction on the trunk as the caller may act on it; answers the trunk, unwrapped, as Neutron does. */
  function onTrunk(run: (tx: Tx, ctx: RequestContext, trunk: Item, body: Item | undefined) => Promise<Subport[]>, event: 'created' | 'deleted') {
    return async (ctx: RequestContext, id: string, body: Item | undefined, opts: WriteOpts): Promise<Item> => {
      const { trunk, changed } = await db.write(async (tx) => {
        const current = await resource.loadForWrite(tx, ctx, id, opts);
        const subports = await run(tx, ctx, current, body);
        await bumpRevision(tx, 'trunks', id, { status: 'DOWN' });
        return { trunk: await resource.load(tx, id, ctx), changed: subports };
      });
      if (changed.length) subportsChanged(ctx, id, changed, event);
      return trunk;
    };
  }

  const resource: SqlResource = new SqlResource(store, def, {
    notFound: (id) => new TrunkNotFound({ trunk_id: id }),
    scope: (qb, ctx) => qb.where('trunks.project_id', '=', ctx.projectId),

    async beforeCreate(tx, { context: ctx, current: trunk }) {
      const requested = (trunk.sub_ports ?? []) as Item[];
      await lockPorts(tx, [trunk.port_id as string, ...requested.map((s) => s.port_id as string)]);
      // NOTE(status_police) in Neutron: a trunk is made DOWN; its driver moves it on
      trunk.status = 'DOWN';
      await validateParent(tx, ctx, rules, trunk.port_id as string);
      trunk.sub_ports = await validateSubports(tx, ctx, rules, trunk.port_id as string, requested);
    },

    async beforeDelete(tx, { context: ctx, current: trunk }) {
      checkManageable(trunk);
      const parent = await rules.ports.load(tx, trunk.port_id as string, ctx);
      if (!(await canBeTrunkedOrUntrunked(tx, parent))) throw new TrunkInUse({ trunk_id: trunk.id as string });
    },

    actions: {
      add_subports: onTrunk(async (tx, ctx, trunk, body) => {
        const requested = requestedSubports(body);
        await lockPorts(tx, requested.map((s) => s.port_id as string));
        const subports = await validateSubports(tx, ctx, rules, trunk.port_id as string, requested);
        checkManageable(trunk);
        if (trunk.status === 'ERROR') throw new TrunkInErrorState({ trunk_id: trunk.id as string });
        for (const s of subports) {
          const taken = await tx.selectFrom('subports').select('port_id').where('trunk_id', '=', trunk.id as string)
            .where('segmentation_type', '=', s.segmentation_type).where('segmentation_id', '=', s.segmentation_id).executeTakeFirst();
          if (taken) throw new DuplicateSubPort({ ...s, trunk_id: trunk.id as string });
          await tx.insertInto('subports').values({ ...s, trunk_id: trunk.id as string }).execute();
        }
        return subports;
      }, 'created'),

      remove_subports: onTrunk(async (tx, _ctx, trunk, body) => {
        checkManageable(trunk);
        const requested = requestedSubports(body);
        const current = new Map((trunk.sub_ports as Subport[]).map((s) => [s.port_id, s]));
        const removed: Subport[] = [];
        for (const s of requested) {
          const found = current.get(s.port_id as string);
          if (!found) throw new SubPortNotFound({ trunk_id: trunk.id as string, port_id: s.port_id as string });
          current.delete(found.port_id);
          await tx.deleteFrom('subports').where('port_id', '=', found.port_id).execute();
          removed.push(found);
        }
        return removed;
      }, 'deleted'),

      get_subports: async (ctx, id, _body, opts) => {
        const trunk = await db.read(async (q) => {
          const t = await resource.load(q, id, ctx);
          await opts.authorize?.(t);
          return t;
        });
        return { sub_ports: trunk.sub_ports };
      },
    },
  });
  return resource;
}
