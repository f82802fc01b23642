import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AttributeDef, StorageKind } from '../lib/attributes.js';
import type { RequestContext } from '../lib/context.js';
import type { Item, ResourceDef } from '../lib/definitions.js';
import { HTTPBadRequest, HTTPMethodNotAllowed, RevisionNumberConstraintFailed, type NeutronError } from '../lib/errors.js';
import { noteChange } from '../db/changes.js';
import { inChunks } from '../db/chunks.js';
import { isDataError, onCommitted, timestamp, type Database } from '../db/database.js';
import { insertRows, prepared, type PreparedQuery } from '../db/prepared.js';
import { dynamic, type Queryable, type Select, type Tx } from '../db/schema.js';
import { ChildAttributes, fromDb, toDb } from './children.js';
import type { EventRegistry, UpdateEvent, WriteEvent, WriteOperation } from './events.js';
import type { CreateOpts, ListQuery, MemberAction, ResourceHandler, WriteOpts } from './handler.js';
import { bumpRevision } from './revisions.js';
import { SqlTags, tagFilters } from './tags.js';

/**
 * Where a resource differs from the generic path (a Kubernetes-style strategy): each hook says
 * when it runs. Other modules join a resource's writes through the event registry, not here.
 */
export interface ResourceStrategy {
  /** the resource's NotFound error (`parentId`: a sub-resource's parent from the URL) */
  notFound(id: string, parentId?: string): NeutronError;
  /**
   * rows visible to callers who are neither admin nor advsvc; it may read `ctx.projectId` only,
   * as a value (the GET of one object is a prepared query, see db/prepared.ts)
   */
  scope?(qb: Select, ctx: RequestContext): Select;
  /**
   * Computed attributes read with the row of one object (a GET, the object a write loads):
   * `select` adds them to the SELECT as subqueries (`projectId`: the caller's, as a value, see
   * scope), `read` copies them from the row to the item; extend finds them there.
   */
  withRow?: { select(qb: Select, projectId: unknown): Select; read(row: Record<string, unknown>, item: Item): void };
  /** filters on attributes that have no column of their own */
  filters?: Record<string, (qb: Select, values: unknown[], ctx: RequestContext) => Select>;
  /**
   * fills computed attributes for a batch of items, set-based, after the child attributes;
   * `wanted` (null: all) names the attributes the caller will read
   */
  extend?(q: Queryable, items: Item[], ctx: RequestContext, wanted: ReadonlySet<string> | null): Promise<void>;
  /**
   * The stored attributes (columns or child attributes) that extend computes each of its
   * attributes from. Declaring it says that extend copes with items holding only the wanted
   * attributes and these, so that a list with fields= reads only those.
   */
  sources?: Record<string, readonly string[]>;
  /**
   * The policy target of an object: the object plus the parent fields rules read (e.g.
   * `network:tenant_id`). For a create it may leave what it read on `reads`, which the first
   * run of the create's transaction finds on its WriteEvent.
   */
  policyTarget?(q: Queryable, ctx: RequestContext, item: Item, reads: Partial<WriteEvent>): Promise<Item>;
  /** before a list is read, outside any transaction (a project's default security group is made) */
  beforeList?(ctx: RequestContext, query: ListQuery): Promise<void>;
  /** a whole create request (bulk included), after its policy check, before its transaction */
  prepareCreate?(ctx: RequestContext, items: Item[]): Item[] | Promise<Item[]>;
  /** before the row is inserted (`event.current` has its id): validation, allocations */
  beforeCreate?(tx: Tx, event: WriteEvent): Promise<void>;
  /** after the row and its child attributes are inserted: rows of other tables that refer to it */
  afterCreate?(tx: Tx, event: WriteEvent): Promise<void>;
  /**
   * Fills the computed attributes of an object just created (`item`: its columns and child
   * attributes as written) from what the hooks left on `written`, instead of reading it back;
   * without it the object is read back.
   */
  created?(item: Item, written: Item): void;
  /** before the row is updated: may change `event.changes` */
  beforeUpdate?(tx: Tx, event: UpdateEvent): Promise<void>;
  /** after the row and its child attributes are updated */
  afterUpdate?(tx: Tx, event: UpdateEvent): Promise<void>;
  /** before the row is deleted, after the before_delete subscribers: in-use checks, releases */
  beforeDelete?(tx: Tx, event: WriteEvent): Promise<void>;
  /** member actions: PUT /v2.0/<collection>/<id>/<action> */
  actions?: Record<string, MemberAction>;
  /** methods the resource does not have (405) */
  unsupported?: ReadonlyArray<'create' | 'update' | 'delete'>;
}

/** What a SqlResource works with: the database, and the registry its writes are published to. */
export interface Store {
  db: Database;
  events: EventRegistry;
}

interface Column { attr: string; column: string; kind: StorageKind }

/**
 * Items per batch of an unpaginated list: small enough that building one batch stays in V8's young
 * generation (workers have 8 MB semi-spaces, see supervisor.ts) and that a waiting list holds
 * little, large enough that the per-batch queries are few. 100 was slower, 500 no faster.
 */
const LIST_BATCH_SIZE = 250;

/**
 * Generic list/get/create/update/delete of one resource's table, driven by its definition and its
 * strategy: the handler the controller calls for it.
 */
export class SqlResource implements ResourceHandler {
  readonly columns: Column[];
  readonly table: string;
  readonly db: Database;
  /** the tags sub-resource, when the resource is taggable and standard-attr-tag is loaded */
  readonly tags?: SqlTags;
  readonly actions?: Record<string, MemberAction>;
  private readonly events: EventRegistry;
  private readonly children: ChildAttributes;
  private readonly builtinFilters: Record<string, (qb: Select, values: unknown[], ctx: RequestContext) => Select> = {};
  /** the SELECT of one object by id, by whether it is scoped and whether it locks the row */
  private readonly loadQueries = new Map<string, PreparedQuery<{ id: string; projectId: string | null }>>();

  constructor(store: Store, readonly def: ResourceDef, readonly strategy: ResourceStrategy) {
    this.db = store.db;
    this.events = store.events;
    this.table = def.table;
    this.actions = strategy.actions;
    this.columns = Object.entries(def.attributes)
      .filter((e): e is [string, AttributeDef & { column: string }] => !!e[1].column && e[0] !== 'tenant_id')
      .map(([attr, a]) => ({ attr, column: a.column, kind: a.kind ?? 'string' }));
    this.children = new ChildAttributes(def, this.isTagged ? def.name : undefined);
    for (const attr of this.children.attributes) {
      const filter = this.children.filter(attr, this.table);
      if (filter && def.attributes[attr]!.isFilter) this.builtinFilters[attr] = filter;
    }
    if (this.isTagged) {
      this.tags = new SqlTags({ db: this.db, table: this.table, resourceType: def.name, collection: def.collection, exists: (q, id, ctx) => this.exists(q, id, ctx) });
      Object.assign(this.builtinFilters, tagFilters(this.table, def.name));
    }
  }

  private get isTagged(): boolean {
    return !!this.def.taggable && 'tags' in this.def.attributes;
  }

  notFound(id: string, parentId?: string): NeutronError {
    return this.strategy.notFound(id, parentId);
  }

  /** A sub-resource's object reached under another parent than its own is not found there. */
  private checkParent(item: Item, parentId: string | undefined): void {
    const attr = this.def.parent?.attribute;
    if (attr && parentId !== undefined && item[attr] !== parentId) throw this.notFound(item.id as string, parentId);
  }

  /**
   * Everything but the columns (those in `wanted`, with what they are computed from, or all):
   * tags, child attributes, the strategy's own, then the extenders subscribed in the registry.
   */
  private async extend(q: Queryable, items: Item[], ctx: RequestContext, wanted: ReadonlySet<string> | null = null): Promise<void> {
    if (!items.length) return;
    await this.children.load(q, items, wanted && this.withSources(wanted));
    await this.strategy.extend?.(q, items, ctx, wanted);
    for (const extender of this.events.extendersOf(this.def.name)) await extender(q, items, ctx, wanted);
  }

  /** `wanted` with the attributes the strategy computes them from. */
  private withSources(wanted: ReadonlySet<string>): ReadonlySet<string> {
    const sources = this.strategy.sources;
    if (!sources) return wanted;
    const out = new Set(wanted);
    for (const a of wanted) for (const s of ownValue(sources, a) ?? []) out.add(s);
    return out;
  }

  /** Whether the object exists and is visible to the caller (the scoping of a GET). */
  async exists(q: Queryable, id: string, ctx: RequestContext): Promise<boolean> {
    const row = await this.base(q, ctx).clearSelect().select(`${this.table}.id`).where(`${this.table}.id`, '=', id).executeTakeFirst();
    return !!row;
  }

  fromRow(row: Record<string, unknown>, columns = this.columns): Item {
    const item: Item = {};
    for (const c of columns) item[c.attr] = fromDb(c.kind, row[c.column]);
    if ('project_id' in item) item.tenant_id = item.project_id;
    return item;
  }

  /** The column an attribute is filtered and sorted on: tenant_id is the project_id column, as in Neutron. */
  private columnOf(attr: string): Column | undefined {
    const name = attr === 'tenant_id' ? 'project_id' : attr;
    return this.columns.find((c) => c.attr === name);
  }

  toRow(item: Item): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const c of this.columns) if (c.attr in item) row[c.column] = toDb(c.kind, item[c.attr]);
    return row;
  }

  private base(q: Queryable, ctx: RequestContext | null): Select {
    let qb: Select = dynamic(q).selectFrom(this.table).selectAll(this.table);
    if (ctx && !ctx.isAdmin && !ctx.isAdvsvc && this.strategy.scope) qb = this.strategy.scope(qb, ctx);
    return qb;
  }

  private applyFilters(qb: Select, filters: Map<string, unknown[]>, ctx: RequestContext): Select {
    for (const [attr, values] of filters) {
      const custom = ownValue(this.strategy.filters, attr) ?? ownValue(this.builtinFilters, attr);
      if (custom) {
        qb = custom(qb, values, ctx);
        continue;
      }
      const col = this.columnOf(attr);
      if (!col) continue;
      // a number we could never have stored matches nothing (and PostgreSQL would refuse to compare it)
      const dbValues = values.map((v) => toDb(col.kind, v))
        .filter((v) => col.kind !== 'int' || v === null || Number.isSafeInteger(typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v));
      qb = dbValues.length ? qb.where(`${this.table}.${col.column}`, 'in', dbValues) : qb.where(sql<boolean>`1 = 0`);
    }
    return qb;
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<Item[]> {
    await this.strategy.beforeList?.(ctx, query);
    return this.db.read(async (q) => {
      const items = (await this.selectRows(q, ctx, query)).map((r) => this.fromRow(r));
      await this.extend(q, items, ctx, query.fields ? new Set(query.fields) : null);
      return items;
    });
  }

  /**
   * The same list, extended and handed over `size` items at a time. The matching ids are read
   * first, in the list's order; then each batch's rows by id. A list so holds its ids and one
   * batch, never all its rows: 50 concurrent lists of 10,000 ports would not fit in a worker.
   * Only the attributes in `query.fields` (null: all) need be filled.
   */
  async *listBatches(ctx: RequestContext, query: ListQuery, size = LIST_BATCH_SIZE): AsyncGenerator<Item[]> {
    await this.strategy.beforeList?.(ctx, query);
    const wanted = query.fields ? new Set(query.fields) : null;
    const columns = wanted && this.strategy.sources ? this.columnsFor(wanted) : this.columns;
    const select = (q: Queryable) => (columns === this.columns ? dynamic(q).selectFrom(this.table).selectAll(this.table)
      : dynamic(q).selectFrom(this.table).select(columns.map((c) => `${this.table}.${c.column}`)));
    const ids = await this.db.read(async (q) => (await this.selectRows(q, ctx, query, true)).map((r) => r.id as string));
    for (let i = 0; i < ids.length; i += size) {
      const chunk = ids.slice(i, i + size);
      const items = await this.db.read(async (q) => {
        const rows = new Map<unknown, Record<string, unknown>>();
        for (const row of await select(q).where(`${this.table}.id`, 'in', chunk).execute()) rows.set(row.id, row);
        const batch: Item[] = [];
        // a row deleted since the ids were read is left out
        for (const id of chunk) if (rows.has(id)) batch.push(this.fromRow(rows.get(id)!, columns));
        await this.extend(q, batch, ctx, wanted);
        return batch;
      });
      yield items;
    }
  }

  /** The columns of the attributes in `wanted`, of those they are computed from, and the id. */
  private columnsFor(wanted: ReadonlySet<string>): Column[] {
    const attrs = new Set(['id', ...this.withSources(wanted)]);
    if (attrs.has('tenant_id')) attrs.add('project_id');
    return this.columns.filter((c) => attrs.has(c.attr));
  }

  private async selectRows(q: Queryable, ctx: RequestContext, query: ListQuery, idsOnly = false): Promise<Array<Record<string, unknown>>> {
    let qb = this.applyFilters(this.base(q, ctx), query.filters, ctx);
    // Only the id is wanted, but with a column that no index holds (created_at), so that the
    // database reads the rows in the same plan, hence the same order, as for all the columns
    // (a covering index would change the order of an unsorted list).
    if (idsOnly && this.def.standardAttributes) qb = qb.clearSelect().select([`${this.table}.id`, `${this.table}.created_at`]);
    const sorts: Array<[string, 'asc' | 'desc']> = [];
    for (const [k, d] of query.sorts) {
      const col = this.columnOf(k);
      // a sortable attribute without a column of its own (computed) cannot be sorted on in SQL
      if (!col) throw new HTTPBadRequest(`['${k}'] is invalid attribute for sort_keys`);
      if (!sorts.some(([c]) => c === col.column)) sorts.push([col.column, d]);
    }
    if (query.limit !== null && !sorts.some(([c]) => c === 'id')) sorts.push(['id', 'asc']);
    const effective = query.pageReverse ? sorts.map(([c, d]) => [c, d === 'asc' ? 'desc' : 'asc'] as [string, 'asc' | 'desc']) : sorts;
    let marker: Record<string, unknown> | undefined;
    if (query.marker !== null) {
      marker = await noMatchOnDataError(dynamic(q).selectFrom(this.table).selectAll().where('id', '=', query.marker).executeTakeFirst(), undefined);
      if (!marker && this.def.markerMustExist) throw this.notFound(query.marker);
    }
    if (marker) {
      const m = marker;
      // rows after the marker in the sort order, where NULL is the smallest value
      const t = this.table;
      const same = (eb: any, c: string) => (m[c] === null ? eb(`${t}.${c}`, 'is', null) : eb(`${t}.${c}`, '=', m[c]));
      const after = (eb: any, c: string, dir: 'asc' | 'desc') => {
        const v = m[c];
        if (dir === 'asc') return v === null ? eb(`${t}.${c}`, 'is not', null) : eb(`${t}.${c}`, '>', v);
        return v === null ? sql<boolean>`1 = 0` : eb.or([eb(`${t}.${c}`, '<', v), eb(`${t}.${c}`, 'is', null)]);
      };
      qb = qb.where((eb) => eb.or(effective.map(([col, dir], i) => eb.and([
        ...effective.slice(0, i).map(([c]) => same(eb, c)),
        after(eb, col, dir),
      ]))));
    }
    // NULL is the smallest value, as on SQLite and MariaDB; PostgreSQL puts it last unless told
    const nullsAsSmallest = this.db.dialect === 'postgres';
    for (const [col, dir] of effective) {
      qb = nullsAsSmallest
        ? qb.orderBy(`${this.table}.${col}`, (ob) => (dir === 'asc' ? ob.asc().nullsFirst() : ob.desc().nullsLast()))
        : qb.orderBy(`${this.table}.${col}`, dir);
    }
    if (query.limit !== null) qb = qb.limit(query.limit);
    const rows = await noMatchOnDataError(qb.execute(), []);
    if (query.pageReverse) rows.reverse();
    return rows;
  }

  /** The object, or the resource's NotFound when it does not exist or the caller may not see it. */
  async get(ctx: RequestContext, id: string, parentId?: string): Promise<Item> {
    const item = await this.db.read((q) => this.load(q, id, ctx, false, parentId));
    this.checkParent(item, parentId);
    return item;
  }

  /** Several objects as the caller sees them, in the order of `ids`, set-based. */
  async loadMany(q: Queryable, ids: string[], ctx: RequestContext): Promise<Item[]> {
    const rows = new Map<string, Record<string, unknown>>();
    await inChunks(ids, async (chunk) => {
      for (const row of await this.base(q, ctx).where(`${this.table}.id`, 'in', chunk).execute()) rows.set(row.id as string, row);
    });
    const items = ids.map((id) => {
      const row = rows.get(id);
      if (!row) throw this.notFound(id);
      return this.fromRow(row);
    });
    await this.extend(q, items, ctx);
    return items;
  }

  async load(q: Queryable, id: string, ctx: RequestContext, forUpdate = false, parentId?: string): Promise<Item> {
    const row = await noMatchOnDataError(this.loadQuery(ctx, forUpdate).first(q, { id, projectId: ctx.projectId }), undefined);
    if (!row) throw this.notFound(id, parentId);
    const item = this.fromRow(row);
    this.strategy.withRow?.read(row, item);
    await this.extend(q, [item], ctx);
    return item;
  }

  /** base(q, ctx) of one object by id, with the strategy's withRow, as a prepared query. */
  private loadQuery(ctx: RequestContext, forUpdate: boolean): PreparedQuery<{ id: string; projectId: string | null }> {
    const scoped = !ctx.isAdmin && !ctx.isAdvsvc && !!this.strategy.scope;
    const lock = forUpdate && this.db.dialect !== 'sqlite';
    const key = `${scoped}:${lock}`;
    let query = this.loadQueries.get(key);
    if (!query) {
      query = prepared((q, p) => {
        let qb = this.base(q, scoped ? { projectId: p.projectId, isAdmin: false, isAdvsvc: false } as RequestContext : null).where(`${this.table}.id`, '=', p.id);
        if (this.strategy.withRow) qb = this.strategy.withRow.select(qb, p.projectId);
        if (lock) qb = qb.forUpdate();
        return qb;
      });
      this.loadQueries.set(key, query);
    }
    return query;
  }

  /** The policy target of an object (see ResourceStrategy.policyTarget). */
  private policyTarget(q: Queryable, ctx: RequestContext, item: Item, reads: Partial<WriteEvent> = {}): Promise<Item> {
    return this.strategy.policyTarget ? this.strategy.policyTarget(q, ctx, item, reads) : Promise.resolve(item);
  }

  /**
   * The object an update, a delete or a member action works on, inside its transaction: loaded
   * as the caller sees it (NotFound otherwise) and locked, checked by `opts.authorize` on its
   * policy target (with `changes` applied) and against If-Match.
   */
  async loadForWrite(tx: Tx, ctx: RequestContext, id: string, opts: WriteOpts, changes?: Item): Promise<Item> {
    const current = await this.load(tx, id, ctx, true, opts.parentId);
    this.checkParent(current, opts.parentId);
    if (opts.authorize) await opts.authorize(await this.policyTarget(tx, ctx, changes ? { ...current, ...changes } : current), changes);
    checkRevision(current, opts.ifMatch);
    return current;
  }

  private refuse(method: 'create' | 'update' | 'delete'): void {
    if (this.strategy.unsupported?.includes(method)) throw new HTTPMethodNotAllowed();
  }

  async create(ctx: RequestContext, input: Item[], opts: CreateOpts = {}): Promise<Item[]> {
    const requests: Array<{ item: Item; reads: Partial<WriteEvent> }> = [];
    for (const item of input) {
      const reads: Partial<WriteEvent> = {};
      const target = await this.db.read((q) => this.policyTarget(q, ctx, item, reads));
      await opts.authorize?.(target);
      requests.push({ item, reads });
    }
    this.refuse('create');
    let items = requests.map((r) => r.item);
    if (this.strategy.prepareCreate) items = await this.strategy.prepareCreate(ctx, items);
    const events = await this.db.write(async (tx) => {
      const settleQuota = await opts.checkQuota?.(tx, items);
      const written: WriteEvent[] = [];
      for (const [i, item] of items.entries()) {
        // what the policy check read serves the first run only: a run after a lost race reads anew
        const reads = requests[i]!.reads;
        requests[i]!.reads = {};
        written.push(await this.insertRow(tx, ctx, item, reads, false));
      }
      if (written.length === 1) {
        written[0]!.current = await this.answer(tx, ctx, written[0]!.current);
      } else {
        // a bulk create reads its objects back set-based: one select and one extend for all of them
        const loaded = await this.loadMany(tx, written.map((e) => e.current.id as string), ctx);
        loaded.forEach((item, i) => { written[i]!.current = item; });
      }
      for (const e of written) noteChange(tx, this.table, e.current.id as string, 'created', e.current);
      await settleQuota?.();
      return written;
    });
    await Promise.all(events.map((e) => this.events.committed('after_create', e)));
    return events.map((e) => e.current);
  }

  /** Inserts one object inside a caller's transaction (a router's gateway port) and returns it as the API shows it. */
  async insert(tx: Tx, ctx: RequestContext, input: Item): Promise<Item> {
    const event = await this.insertRow(tx, ctx, input, {}, true);
    event.current = await this.answer(tx, ctx, event.current);
    noteChange(tx, this.table, event.current.id as string, 'created', event.current);
    this.afterCommit(tx, 'after_create', event);
    return event.current;
  }

  /** A created object as the API shows it: built from what was written (strategy.created), or read back. */
  private async answer(tx: Tx, ctx: RequestContext, written: Item): Promise<Item> {
    if (!this.strategy.created) return this.load(tx, written.id as string, ctx);
    // the columns as they read back, the child attributes and the tags as written
    const item = this.fromRow(this.toRow(written));
    for (const attr of this.children.attributes) item[attr] = written[attr] ?? null;
    if (this.isTagged) item.tags = Array.isArray(written.tags) ? [...written.tags as string[]].sort() : [];
    this.strategy.created(item, written);
    // what other modules add to the resource (ctx.events.extend) is not among what was written
    for (const extender of this.events.extendersOf(this.def.name)) await extender(tx, [item], ctx, null);
    return item;
  }

  /** Inserts one object, hooks and subscribers included; its event holds it as they left it. */
  private async insertRow(tx: Tx, ctx: RequestContext, input: Item, reads: Partial<WriteEvent>, nested: boolean): Promise<WriteEvent> {
    const item: Item = { ...input, id: randomUUID() };
    if (this.def.standardAttributes) {
      const now = timestamp();
      Object.assign(item, { created_at: now, updated_at: now, revision_number: 0 });
      item.description ??= '';
    }
    const event: WriteEvent = { ...reads, resource: this.def.name, context: ctx, current: item, nested };
    await this.strategy.beforeCreate?.(tx, event);
    await this.events.publish('before_create', tx, event);
    await insertRows(tx, this.table, [this.toRow(item)]);
    await this.children.insert(tx, item);
    // tags given in the POST, where the definition takes them (a port's: tag-ports-during-bulk-creation)
    if (this.isTagged && this.def.attributes.tags!.allowPost && Array.isArray(item.tags) && item.tags.length) {
      await tx.insertInto('tags').values((item.tags as string[]).map((tag) => ({ resource_type: this.def.name, resource_id: item.id as string, tag }))).execute();
    }
    noteChange(tx, this.table, item.id as string, 'created');
    await this.strategy.afterCreate?.(tx, event);
    await this.events.publish('precommit_create', tx, event);
    return event;
  }

  async update(ctx: RequestContext, id: string, changes: Item, opts: WriteOpts = {}): Promise<Item> {
    this.refuse('update');
    return this.inTurn('after_update', id, async () => {
      const event = await this.db.write(async (tx) => {
        const original = await this.loadForWrite(tx, ctx, id, opts, changes);
        return this.updateRow(tx, ctx, original, changes, false);
      });
      await this.events.committed('after_update', event);
      return event.current;
    });
  }

  /**
   * A write whose subscribers notify after the commit holds the object's turn until they have:
   * the agents hear of the writes of one object in the order they committed.
   */
  private inTurn<T>(event: 'after_update' | 'after_delete', id: string, write: () => Promise<T>): Promise<T> {
    return this.events.hasCommitSubscribers(this.def.name, event) ? this.db.turns.take(`${this.def.name}:${id}`, write) : write();
  }

  /**
   * Updates an object loaded in a caller's transaction (a router moving its ports), hooks and
   * subscribers included; its after_update subscribers run once that transaction commits.
   */
  async modify(tx: Tx, ctx: RequestContext, original: Item, changes: Item): Promise<Item> {
    const event = await this.updateRow(tx, ctx, original, changes, true);
    this.afterCommit(tx, 'after_update', event);
    return event.current;
  }

  private async updateRow(tx: Tx, ctx: RequestContext, original: Item, requested: Item, nested: boolean): Promise<WriteEvent> {
    const id = original.id as string;
    const changes = { ...requested };
    const event: UpdateEvent = { resource: this.def.name, context: ctx, original, changes, current: { ...original, ...changes }, nested };
    await this.strategy.beforeUpdate?.(tx, event);
    await this.events.publish('before_update', tx, event);
    const row = this.toRow(changes);
    if (this.def.standardAttributes) await bumpRevision(tx, this.table, id, row);
    else if (Object.keys(row).length) await dynamic(tx).updateTable(this.table).set(row).where('id', '=', id).execute();
    await this.children.update(tx, original, changes);
    await this.strategy.afterUpdate?.(tx, event);
    event.current = { ...original, ...changes };
    await this.events.publish('precommit_update', tx, event);
    event.current = await this.load(tx, id, ctx);
    noteChange(tx, this.table, id, 'updated', event.current);
    return event;
  }

  async delete(ctx: RequestContext, id: string, opts: WriteOpts = {}): Promise<void> {
    this.refuse('delete');
    await this.inTurn('after_delete', id, async () => {
      const event = await this.db.write(async (tx) => this.deleteRow(tx, ctx, await this.loadForWrite(tx, ctx, id, opts), false));
      await this.events.committed('after_delete', event);
    });
  }

  /** Deletes an object loaded in a caller's transaction; its after_delete subscribers run once that transaction commits. */
  async remove(tx: Tx, ctx: RequestContext, current: Item): Promise<void> {
    this.afterCommit(tx, 'after_delete', await this.deleteRow(tx, ctx, current, true));
  }

  private async deleteRow(tx: Tx, ctx: RequestContext, current: Item, nested: boolean): Promise<WriteEvent> {
    const event: WriteEvent = { resource: this.def.name, context: ctx, current, original: current, nested };
    await this.events.publish('before_delete', tx, event);
    await this.strategy.beforeDelete?.(tx, event);
    if (this.def.taggable) await tx.deleteFrom('tags').where('resource_type', '=', this.def.name).where('resource_id', '=', current.id as string).execute();
    // child attributes go with the row (ON DELETE CASCADE)
    await dynamic(tx).deleteFrom(this.table).where('id', '=', current.id as string).execute();
    noteChange(tx, this.table, current.id as string, 'deleted', current);
    await this.events.publish('precommit_delete', tx, event);
    return event;
  }

  /** The after_ event of a write made in a caller's transaction, once that transaction commits. */
  private afterCommit(tx: Tx, name: `after_${WriteOperation}`, event: WriteEvent): void {
    onCommitted(tx, () => void this.events.committed(name, event));
  }
}

function ownValue<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * A filter or id value that the column cannot hold (PostgreSQL and MariaDB refuse to compare it)
 * matches no row, as on SQLite.
 */
async function noMatchOnDataError<T>(query: Promise<T>, none: T): Promise<T> {
  try {
    return await query;
  } catch (e) {
    if (isDataError(e)) return none;
    throw e;
  }
}

function checkRevision(current: Item, ifMatch: number | null | undefined): void {
  if (ifMatch === undefined || ifMatch === null) return;
  const rev = current.revision_number as number;
  if (rev !== ifMatch) throw new RevisionNumberConstraintFailed({ expected: ifMatch, current: rev });
}
