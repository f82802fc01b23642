/**
 * Sharing through RBAC entries (neutron.db.rbac_db_mixin): an object is visible to the project
 * that owns it and to the projects an entry of `rbac_entries` names (target_project: the project,
 * or `*` for everyone); `shared` says whether an access_as_shared entry names the caller or everyone.
 * One helper per shareable object type; a resource whose visibility follows another's (subnets
 * follow their network) names the column that holds the other's id.
 */
import { randomUUID } from 'node:crypto';
import { ACCESS_SHARED, type RbacObjectType } from '../lib/constants.js';
import type { Item } from '../lib/definitions.js';
import { inChunks } from '../db/chunks.js';
import type { Queryable, Select, Tx } from '../db/schema.js';

type Subqueries = Pick<Queryable, 'selectFrom'>;

export interface RbacSharingOptions {
  /** the table queried: the object's own, or one whose rows follow the object's visibility */
  table: string;
  /** the column of `table` that holds the object's id */
  column?: string;
  /** the actions that make the object visible (networks: shared or external) */
  visibleWith?: readonly string[];
}

export class RbacSharing {
  private readonly table: string;
  private readonly column: string;
  private readonly visibleWith: readonly string[];

  constructor(readonly objectType: RbacObjectType, opts: RbacSharingOptions) {
    this.table = opts.table;
    this.column = `${opts.table}.${opts.column ?? 'id'}`;
    this.visibleWith = opts.visibleWith ?? [ACCESS_SHARED];
  }

  /** The ids of the objects an entry with one of `actions` gives `projectId` (or everyone) access to. */
  ids(q: Subqueries, projectId: string | null, actions: readonly string[] = [ACCESS_SHARED]) {
    return q.selectFrom('rbac_entries').select('object_id')
      .where('object_type', '=', this.objectType).where('action', 'in', actions as string[])
      .where('target_project', 'in', projectId ? ['*', projectId] : ['*']);
  }

  /** Rows that `projectId` owns or sees through an entry: the scope of a non-admin caller (of any SELECT on `table`). */
  scope<QB>(qb: QB, projectId: string | null): QB {
    return (qb as unknown as Select).where((eb) => eb.or([
      eb(`${this.table}.project_id`, '=', projectId),
      eb(this.column, 'in', this.ids(eb as unknown as Subqueries, projectId, this.visibleWith)),
    ])) as unknown as QB;
  }

  /** The `shared` filter: shared with the caller (or everyone), or not; both values is no filter. */
  sharedFilter(qb: Select, values: unknown[], projectId: string | null): Select {
    const want = values.map(Boolean);
    if (want.includes(true) && want.includes(false)) return qb;
    return qb.where((eb) => eb(this.column, want[0] ? 'in' : 'not in', this.ids(eb as unknown as Subqueries, projectId)));
  }

  /** Of `objectIds`, those shared with `projectId` (or everyone), set-based. */
  async sharedWith(q: Queryable, objectIds: string[], projectId: string | null): Promise<Set<string>> {
    const out = new Set<string>();
    await inChunks([...new Set(objectIds)], async (chunk) => {
      for (const r of await this.ids(q, projectId).where('object_id', 'in', chunk).execute()) out.add(r.object_id as string);
    });
    return out;
  }

  /** Sets `shared` on a batch of objects as `projectId` sees them. */
  async loadShared(q: Queryable, items: Item[], projectId: string | null): Promise<void> {
    const shared = await this.sharedWith(q, items.map((i) => i.id as string), projectId);
    for (const item of items) item.shared = shared.has(item.id as string);
  }

  /** Shares the object with everyone (shared=True), as its owner's entry. */
  async share(tx: Tx, object: Item, action = ACCESS_SHARED): Promise<void> {
    await tx.insertInto('rbac_entries').values({
      id: randomUUID(), project_id: object.project_id as string | null, object_type: this.objectType, object_id: object.id as string,
      target_project: '*', action,
    }).execute();
  }

  /** Removes the object's wildcard access_as_shared entry (shared=False). */
  async unshare(tx: Tx, objectId: string): Promise<void> {
    await tx.deleteFrom('rbac_entries').where('object_type', '=', this.objectType).where('object_id', '=', objectId)
      .where('action', '=', ACCESS_SHARED).where('target_project', '=', '*').execute();
  }

  /** Removes the object's entries of `action` (all of them without one: the object is being deleted). */
  async removeEntries(tx: Tx, objectId: string, action?: string): Promise<void> {
    let qb = tx.deleteFrom('rbac_entries').where('object_type', '=', this.objectType).where('object_id', '=', objectId);
    if (action) qb = qb.where('action', '=', action);
    await qb.execute();
  }
}

/**
 * A shareable object type as /v2.0/rbac-policies serves it (Neutron's RBAC db model of the type):
 * the plugin that owns the objects registers it in its `start`, e.g.
 * `ctx.rbac.register({ type: 'qos_policy', table: 'qos_policies', actions: [ACCESS_SHARED], ... })`.
 */
export interface RbacObjectTypeDef {
  type: RbacObjectType;
  /** the objects' table: its rows have `id` and `project_id` (and a revision_number, bumped on every RBAC change) */
  table: string;
  /** the actions a policy on this type may have, as Neutron lists them (get_valid_actions) */
  actions: readonly string[];
  /** whether the table has the standard attributes (revision_number); default true */
  revisions?: boolean;
  /**
   * The projects that use the object through an entry of `action` (get_bound_project_ids): ports
   * on a network, subnets from a pool, ... The owner counts too (Neutron's object types need it
   * to keep an entry of its own before the wildcard goes), except where the type's callback leaves
   * it out (networks). Read in the policy write's transaction, with the object's row locked.
   */
  boundProjects(q: Queryable, objectId: string, action: string, ownerId: string | null): Promise<Set<string>>;
  /** the message of the in-use refusal, as the type's callback words it */
  inUseDetails?(objectId: string, targetProject: string, action: string): string;
  /** a refusal of any removal of the entry whatever uses the object (a default external network's wildcard) */
  removalRefused?(q: Queryable, objectId: string, targetProject: string, action: string): Promise<string | undefined>;
  /** after the object's entries changed (networks: router:external follows access_as_external) */
  changed?(tx: Tx, objectId: string, action: string): Promise<void>;
}

/** The registry of shareable object types: one per process, filled by the plugins that own them. */
export class RbacObjectTypes {
  private readonly types = new Map<string, RbacObjectTypeDef>();

  register(def: RbacObjectTypeDef): void {
    this.types.set(def.type, def);
  }

  get(type: string): RbacObjectTypeDef | undefined {
    return this.types.get(type);
  }
}
