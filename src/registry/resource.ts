import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { RequestContext } from '../lib/context.js';
import { type AttributeDef, type StorageKind, UNSET } from '../lib/attributes.js';
import type { Item, ResourceDef } from '../lib/definitions.js';
import { RevisionNumberConstraintFailed, type NeutronError } from '../lib/errors.js';
import { isDataError, timestamp, type Database } from '../db/database.js';
import { bumpRevision } from './revisions.js';
import { inChunks } from '../db/chunks.js';
import { preparedWrite, type PreparedWrite } from '../db/prepared.js';
import { loadTags, SqlTags, tagFilters } from './tags.js';
import type { CreateOpts, ListQuery, ResourceHandler } from './handler.js';
import type { Queryable, Select, Tx } from '../db/schema.js';

/** The places where a resource differs from the generic path (a Kubernetes-style strategy). */
export interface ResourceHooks {
  /** rows visible to callers who are neither admin nor advsvc */
  scope?(qb: Select, ctx: RequestContext): Select;
  /** filters on attributes that have no column of their own */
  filters?: Record<string, (qb: Select, values: unknown[], ctx: RequestContext) => Select>;
  /**
   * fills computed attributes for a batch of items, set-based; `wanted` (null: all) names the
   * attributes the caller will read, so that what nobody reads need not be loaded
   */
  extend?(q: Queryable, items: Item[], ctx: RequestContext, wanted: ReadonlySet<string> | null): Promise<void>;
  /**
   * The stored attributes that extend computes each of its attributes from. Declaring it says that
   * extend copes with items holding only the wanted attributes and these, so that a list with
   * fields= reads only those columns.
   */
  sources?: Record<string, readonly string[]>;
  /** before the row is inserted (the item has its id): validation, allocations */
  beforeCreate?(tx: Tx, ctx: RequestContext, item: Item): Promise<void>;
  /** after the row is inserted: rows of other tables that refer to it */
  afterCreate?(tx: Tx, ctx: RequestContext, item: Item): Promise<void>;
  /**
   * Fills the computed attributes of an object just created (`item`: its columns as stored) from
   * what beforeCreate and afterCreate left on `written`, instead of reading them back; without it
   * the object is read back.
   */
  created?(item: Item, written: Item): void;
  /** before the row is updated: may change `changes` */
  beforeUpdate?(tx: Tx, ctx: RequestContext, current: Item, changes: Item): Promise<void>;
  afterUpdate?(tx: Tx, ctx: RequestContext, current: Item, changes: Item): Promise<void>;
  /** before the row is deleted: in-use checks, releases */
  beforeDelete?(tx: Tx, ctx: RequestContext, current: Item): Promise<void>;
  /** checks only a delete through the API makes, not `remove` by another resource (a router's ports) */
  checkDelete?(tx: Tx, ctx: RequestContext, current: Item): Promise<void>;
  /** after the transaction committed: notifications */
  afterCommit?(event: 'create' | 'update' | 'delete', ctx: RequestContext, item: Item, previous?: Item): void;
}

/** A subscriber to a resource's committed writes (agent notifiers); it must not throw. */
export type CommitListener = (event: 'create' | 'update' | 'delete', ctx: RequestContext, item: Item, previous?: Item) => void;

export interface WriteOptions {
  /** If-Match: revision_number=N */
  ifMatch?: number | null;
  /** policy check on the stored object (and the change), inside the transaction */
  authorize?(current: Item, changes?: Item): void | Promise<void>;
}

interface Column { attr: string; column: string; kind: StorageKind }

function toDb(kind: StorageKind, v: unknown): unknown {
  if (v === undefined || v === UNSET) return null;
  if (kind === 'bool') return v === null ? null : v ? 1 : 0;
  if (kind === 'json') return JSON.stringify(v);
  return v;
}

function fromDb(kind: StorageKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool': return v === true || v === 1 || v === '1';
    case 'int': return Number(v);
    case 'json': return typeof v === 'string' ? JSON.parse(v) : v;
    default: return v;
  }
}

/**
 * Items per batch of an unpaginated list: small enough that building one batch stays in V8's young
 * generation (workers have 8 MB semi-spaces, see supervisor.ts) and that a waiting list holds
 * little, large enough that the per-batch queries are few. 100 was slower, 500 no faster.
 */
const LIST_BATCH_SIZE = 250;

/** Generic list/get/create/update/delete of one resource's table, driven by its definition. */
export class SqlResource {
  readonly columns: Column[];
  readonly table: string;
  /** the tags sub-resource, when the resource is taggable and standard-attr-tag is loaded */
  readonly tags?: SqlTags;
  private readonly builtinFilters: Record<string, (qb: Select, values: unknown[], ctx: RequestContext) => Select> = {};
  private readonly commitListeners: CommitListener[] = [];
  private readonly inserts = new Map<string, PreparedWrite<Record<string, unknown>>>();

  constructor(
    readonly db: Database,
    readonly def: ResourceDef,
    readonly hooks: ResourceHooks,
    readonly notFound: (id: string) => NeutronError,
  ) {
    this.table = def.table;
    this.columns = Object.entries(def.attributes)
      .filter((e): e is [string, AttributeDef & { column: string }] => !!e[1].column && e[0] !== 'tenant_id')
      .map(([attr, a]) => ({ attr, column: a.column, kind: a.kind ?? 'string' }));
    if (this.isTagged) {
      this.tags = new SqlTags({ db, table: this.table, resourceType: def.name, collection: def.collection, exists: (q, id, ctx) => this.exists(q, id, ctx) });
      this.builtinFilters = tagFilters(this.table, def.name);
    }
  }

  /** Calls `listener` after each committed create, update and delete, after hooks.afterCommit. */
  onCommit(listener: CommitListener): void {
    this.commitListeners.push(listener);
  }

  private committed(event: 'create' | 'update' | 'delete', ctx: RequestContext, item: Item, previous?: Item): void {
    this.hooks.afterCommit?.(event, ctx, item, previous);
    for (const l of this.commitListeners) l(event, ctx, item, previous);
  }

  private get isTagged(): boolean {
    return !!this.def.taggable && 'tags' in this.def.attributes;
  }

  /** Computed attributes (those in `wanted`, or all): tags, then the resource's own extend hook. */
  private async extend(q: Queryable, items: Item[], ctx: RequestContext, wanted: ReadonlySet<string> | null = null): Promise<void> {
    if (!items.length) return;
    if (this.isTagged && (!wanted || wanted.has('tags'))) await loadTags(q, this.def.name, items);
    await this.hooks.extend?.(q, items, ctx, wanted);
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

  toRow(item: Item): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const c of this.columns) if (c.attr in item) row[c.column] = toDb(c.kind, item[c.attr]);
    return row;
  }

  private base(q: Queryable, ctx: RequestContext | null): Select {
    let qb: Select = q.selectFrom(this.table).selectAll(this.table);
    if (ctx && !ctx.isAdmin && !ctx.isAdvsvc && this.hooks.scope) qb = this.hooks.scope(qb, ctx);
    return qb;
  }

  private applyFilters(qb: Select, filters: Map<string, unknown[]>, ctx: RequestContext): Select {
    for (const [attr, values] of filters) {
      const custom = this.hooks.filters?.[attr] ?? this.builtinFilters[attr];
      if (custom) {
        qb = custom(qb, values, ctx);
        continue;
      }
      const col = this.columns.find((c) => c.attr === attr);
      if (!col) continue;
      // a number we could never have stored matches nothing (and PostgreSQL would refuse to compare it)
      const dbValues = values.map((v) => toDb(col.kind, v))
        .filter((v) => col.kind !== 'int' || v === null || Number.isSafeInteger(typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v));
      qb = dbValues.length ? qb.where(`${this.table}.${col.column}`, 'in', dbValues) : qb.where(sql<boolean>`1 = 0`);
    }
    return qb;
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<Item[]> {
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
    const wanted = query.fields ? new Set(query.fields) : null;
    const columns = wanted && this.hooks.sources ? this.columnsFor(wanted, this.hooks.sources) : this.columns;
    const select = (q: Queryable) => (columns === this.columns ? q.selectFrom(this.table).selectAll(this.table)
      : q.selectFrom(this.table).select(columns.map((c) => `${this.table}.${c.column}`)));
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
  private columnsFor(wanted: ReadonlySet<string>, sources: Record<string, readonly string[]>): Column[] {
    const attrs = new Set(['id', ...wanted]);
    for (const a of wanted) for (const s of sources[a] ?? []) attrs.add(s);
    if (attrs.has('tenant_id')) attrs.add('project_id');
    return this.columns.filter((c) => attrs.has(c.attr));
  }

  private async selectRows(q: Queryable, ctx: RequestContext, query: ListQuery, idsOnly = false): Promise<Array<Record<string, unknown>>> {
    let qb = this.applyFilters(this.base(q, ctx), query.filters, ctx);
    // Only the id is wanted, but with a column that no index holds (created_at), so that the
    // database reads the rows in the same plan, hence the same order, as for all the columns
    // (a covering index would change the order of an unsorted list).
    if (idsOnly && this.def.standardAttributes) qb = qb.clearSelect().select([`${this.table}.id`, `${this.table}.created_at`]);
    const sorts = query.sorts.map(([k, d]) => [this.columns.find((c) => c.attr === k)!.column, d] as [string, 'asc' | 'desc']);
    if (query.limit !== null && !sorts.some(([c]) => c === 'id')) sorts.push(['id', 'asc']);
    const effective = query.pageReverse ? sorts.map(([c, d]) => [c, d === 'asc' ? 'desc' : 'asc'] as [string, 'asc' | 'desc']) : sorts;
    if (query.marker !== null) {
      const marker = await noMatchOnDataError(q.selectFrom(this.table).selectAll().where('id', '=', query.marker).executeTakeFirst(), undefined);
      if (!marker) throw this.notFound(query.marker);
      // rows after the marker in the sort order, where NULL is the smallest value
      const t = this.table;
      const same = (eb: any, c: string) => (marker[c] === null ? eb(`${t}.${c}`, 'is', null) : eb(`${t}.${c}`, '=', marker[c]));
      const after = (eb: any, c: string, dir: 'asc' | 'desc') => {
        const v = marker[c];
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

  /** This resource as the controller calls it; plugins spread it and add or override what differs. */
  handler(): ResourceHandler {
    return {
      list: (ctx, q) => this.list(ctx, q),
      listBatches: (ctx, q) => this.listBatches(ctx, q),
      get: (ctx, id) => this.get(ctx, id),
      create: (ctx, items, opts) => this.create(ctx, items, opts),
      update: (ctx, id, changes, opts) => this.update(ctx, id, changes, opts),
      delete: (ctx, id, opts) => this.delete(ctx, id, opts),
      tags: this.tags,
    };
  }

  /** The object, or the resource's NotFound when it does not exist or the caller may not see it. */
  async get(ctx: RequestContext, id: string): Promise<Item> {
    return this.db.read((q) => this.load(q, id, ctx));
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

  async load(q: Queryable, id: string, ctx: RequestContext, forUpdate = false): Promise<Item> {
    let qb = this.base(q, ctx).where(`${this.table}.id`, '=', id);
    if (forUpdate && this.db.dialect !== 'sqlite') qb = qb.forUpdate();
    const row = await noMatchOnDataError(qb.executeTakeFirst(), undefined);
    if (!row) throw this.notFound(id);
    const item = this.fromRow(row);
    await this.extend(q, [item], ctx);
    return item;
  }

  async create(ctx: RequestContext, items: Item[], opts: CreateOpts = {}): Promise<Item[]> {
    const created = await this.db.write(async (tx) => {
      const settleQuota = await opts.checkQuota?.(tx, items);
      let out: Item[];
      if (items.length === 1) {
        out = [await this.insert(tx, ctx, items[0]!)];
      } else {
        // a bulk create reads its objects back set-based: one select and one extend for all of them
        const ids: string[] = [];
        for (const input of items) ids.push((await this.insertRow(tx, ctx, input)).id as string);
        out = await this.loadMany(tx, ids, ctx);
      }
      await settleQuota?.();
      return out;
    });
    for (const item of created) this.committed('create', ctx, item);
    return created;
  }

  /** Inserts one item inside a caller's transaction and returns it as the API shows it. */
  async insert(tx: Tx, ctx: RequestContext, input: Item): Promise<Item> {
    const written = await this.insertRow(tx, ctx, input);
    if (!this.hooks.created) return this.load(tx, written.id as string, ctx);
    // the columns as they read back, with no tags yet
    const item = this.fromRow(this.toRow(written));
    if (this.isTagged) item.tags = [];
    this.hooks.created(item, written);
    return item;
  }

  /** The INSERT of these columns, prepared once */
  private insertOf(columns: string[]): PreparedWrite<Record<string, unknown>> {
    const key = columns.join();
    let insert = this.inserts.get(key);
    if (!insert) {
      insert = preparedWrite((q, p) => q.insertInto(this.table).values(Object.fromEntries(columns.map((c) => [c, p[c]]))));
      this.inserts.set(key, insert);
    }
    return insert;
  }

  /** Inserts one item (hooks included) inside a caller's transaction; returns it as the hooks left it. */
  private async insertRow(tx: Tx, ctx: RequestContext, input: Item): Promise<Item> {
    const item: Item = { ...input, id: randomUUID() };
    if (this.def.standardAttributes) {
      const now = timestamp();
      Object.assign(item, { created_at: now, updated_at: now, revision_number: 0 });
      item.description ??= '';
    }
    await this.hooks.beforeCreate?.(tx, ctx, item);
    const row = this.toRow(item);
    await this.insertOf(Object.keys(row)).run(tx, row);
    await this.hooks.afterCreate?.(tx, ctx, item);
    return item;
  }

  async update(ctx: RequestContext, id: string, changes: Item, opts: WriteOptions = {}): Promise<Item> {
    let previous!: Item;
    const updated = await this.db.write(async (tx) => {
      previous = await this.load(tx, id, ctx, true);
      await opts.authorize?.(previous, changes);
      checkRevision(previous, opts.ifMatch);
      return this.modify(tx, ctx, previous, changes);
    });
    this.committed('update', ctx, updated, previous);
    return updated;
  }

  /**
   * Updates an object loaded in a caller's transaction (another resource's write: an L3 router
   * moving its ports); the hooks run, and the caller calls `emit` once it has committed.
   */
  async modify(tx: Tx, ctx: RequestContext, previous: Item, changes: Item): Promise<Item> {
    const id = previous.id as string;
    const change = { ...changes };
    await this.hooks.beforeUpdate?.(tx, ctx, previous, change);
    const row = this.toRow(change);
    if (this.def.standardAttributes) await bumpRevision(tx, this.table, id, row);
    else if (Object.keys(row).length) await tx.updateTable(this.table).set(row).where('id', '=', id).execute();
    await this.hooks.afterUpdate?.(tx, ctx, previous, change);
    return this.load(tx, id, ctx);
  }

  async delete(ctx: RequestContext, id: string, opts: WriteOptions = {}): Promise<void> {
    const deleted = await this.db.write(async (tx) => {
      const current = await this.load(tx, id, ctx, true);
      await opts.authorize?.(current);
      checkRevision(current, opts.ifMatch);
      await this.hooks.checkDelete?.(tx, ctx, current);
      await this.remove(tx, ctx, current);
      return current;
    });
    this.committed('delete', ctx, deleted);
  }

  /** Deletes an object loaded in a caller's transaction; the caller calls `emit` once it has committed. */
  async remove(tx: Tx, ctx: RequestContext, current: Item): Promise<void> {
    const id = current.id as string;
    await this.hooks.beforeDelete?.(tx, ctx, current);
    if (this.def.taggable) await tx.deleteFrom('tags').where('resource_type', '=', this.def.name).where('resource_id', '=', id).execute();
    await tx.deleteFrom(this.table).where('id', '=', id).execute();
  }

  /** The after-commit hook and listeners of a write made with insert, modify or remove. */
  emit(event: 'create' | 'update' | 'delete', ctx: RequestContext, item: Item, previous?: Item): void {
    this.committed(event, ctx, item, previous);
  }
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
