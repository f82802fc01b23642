/**
 * Attributes stored in tables of their own (AttributeDef.child): loaded for a batch of objects
 * (one query per table on SQLite, one for all the tables on a database server), written on create
 * and replaced on update with prepared statements.
 */
import { PostgresAdapter, sql, type Compilable } from 'kysely';
import type { ChildTable, StorageKind } from '../lib/attributes.js';
import { UNSET } from '../lib/attributes.js';
import type { Item, ResourceDef } from '../lib/definitions.js';
import { inChunks } from '../db/chunks.js';
import { onSqlite } from '../db/database.js';
import { insertRows, PreparedIn, preparedWrite, type PreparedWrite } from '../db/prepared.js';
import { dynamic, type Queryable, type Select, type Tx } from '../db/schema.js';

/** A value as its column stores it: booleans as 0/1 (SQLite has no boolean), dicts and lists as JSON text. */
export function toDb(kind: StorageKind, v: unknown): unknown {
  if (v === undefined || v === UNSET) return null;
  if (kind === 'bool') return v === null ? null : v ? 1 : 0;
  if (kind === 'json') return JSON.stringify(v);
  return v;
}

export function fromDb(kind: StorageKind, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool': return v === true || v === 1 || v === '1';
    case 'int': return Number(v);
    case 'json': return typeof v === 'string' ? JSON.parse(v) : v;
    default: return v;
  }
}

interface Child {
  attr: string;
  def: ChildTable;
  /** [key, column] of a dict value; null for a scalar */
  keys: Array<[string, string]> | null;
  columns: string[];
}

/** The child attributes of one table. */
interface ChildGroup {
  table: string;
  parent: string;
  single: boolean;
  /** ChildTable.where: the rows that are the object's */
  where: Array<[string, string]>;
  children: Child[];
}

function child(attr: string, def: ChildTable): Child {
  const keys = typeof def.value === 'string' ? null : Object.entries(def.value);
  return { attr, def, keys, columns: keys ? keys.map(([, c]) => c) : [def.value as string] };
}

/** A value read from a row. */
function read(c: Child, row: Record<string, unknown>): unknown {
  if (!c.keys) return fromDb(c.def.kind ?? 'string', row[c.columns[0]!]);
  const value: Record<string, unknown> = {};
  for (const [key, column] of c.keys) value[key] = row[column];
  return value;
}

/** A value's columns, to write. */
function columnsOf(c: Child, value: unknown): Record<string, unknown> {
  if (!c.keys) return { [c.columns[0]!]: toDb(c.def.kind ?? 'string', value) };
  const out: Record<string, unknown> = {};
  for (const [key, column] of c.keys) out[column] = (value as Record<string, unknown>)[key] ?? null;
  return out;
}

/** The child tables one load reads: the attributes wanted of a table, its columns and their order. */
interface GroupLoad {
  group: ChildGroup;
  children: Child[];
  order: string[];
  columns: string[];
}

/**
 * One SELECT for the rows of several child tables: UNION ALL of one branch per table, each row as
 * (g: the table's index in `loads`, v: its columns as a JSON object). The order is applied after.
 */
function unionOfRows(q: Queryable, loads: GroupLoad[], ids: unknown[]) {
  const jsonObject = q.getExecutor().adapter instanceof PostgresAdapter ? 'json_build_object' : 'json_object';
  const branch = (load: GroupLoad, i: number) => ofGroup(load.group, dynamic(q).selectFrom(load.group.table).select([
    sql.lit(i).as('g'),
    sql`${sql.raw(jsonObject)}(${sql.join(load.columns.flatMap((c) => [sql.lit(c), sql.ref(c)]))})`.as('v'),
  ]).where(load.group.parent, 'in', ids));
  return loads.slice(1).reduce((qb, load, i) => qb.unionAll(branch(load, i + 1)), branch(loads[0]!, 0));
}

/** What a read of `loads` reads, as a key of the prepared reads. */
const attrsOf = (loads: GroupLoad[]) => loads.map((l) => `${l.group.table}:${l.children.map((c) => c.attr)}`).join(';');

/** Rows compared on `columns` in turn, as ORDER BY would (numbers as numbers, strings by code point). */
function compareBy(columns: string[], a: Record<string, unknown>, b: Record<string, unknown>): number {
  for (const c of columns) {
    const [x, y] = [a[c], b[c]] as [any, any];
    if (x === y) continue;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

const given = (v: unknown) => v !== undefined && v !== UNSET;
/** a value to write: a list for a list attribute */
const isValue = (group: ChildGroup, v: unknown) => (group.single ? given(v) : Array.isArray(v));

/** A statement narrowed to the rows of `group` (ChildTable.where); the values are constants of the definition. */
function ofGroup<Q extends { where(column: string, op: '=', value: unknown): Q }>(group: ChildGroup, qb: Q): Q {
  for (const [column, value] of group.where) qb = qb.where(column, '=', value);
  return qb;
}

export class ChildAttributes {
  private readonly groups: ChildGroup[] = [];
  private readonly byAttr = new Map<string, { group: ChildGroup; child: Child }>();
  private readonly statements = new Map<string, PreparedWrite<Record<string, unknown>>>();
  /** the reads of `load`, by the attributes they read */
  private readonly reads = new Map<string, PreparedIn<object>>();

  /**
   * `tagsOf`: the resource type of a tagged resource, whose `tags` are read with the child tables
   * (one round trip less on a database server); the tags sub-resource writes them (registry/tags.ts).
   */
  constructor(def: ResourceDef, tagsOf?: string) {
    if (tagsOf) {
      const tags: ChildTable = { table: 'tags', parent: 'resource_id', value: 'tag', orderBy: ['tag'], readOnly: true, where: { resource_type: tagsOf } };
      this.groups.push({ table: 'tags', parent: 'resource_id', single: false, where: Object.entries(tags.where!), children: [child('tags', tags)] });
    }
    for (const [attr, a] of Object.entries(def.attributes)) {
      if (!a.child) continue;
      let group = this.groups.find((g) => g.table === a.child!.table);
      if (!group) this.groups.push(group = { table: a.child.table, parent: a.child.parent, single: !!a.child.single, where: Object.entries(a.child.where ?? {}), children: [] });
      const c = child(attr, a.child);
      group.children.push(c);
      this.byAttr.set(attr, { group, child: c });
    }
  }

  get attributes(): string[] {
    return [...this.byAttr.keys()];
  }

  /**
   * Fills the child attributes (those in `wanted`, or all) of a batch of objects: on SQLite one
   * query per table and chunk; on a database server one query per chunk for all the tables
   * (a round trip each: MariaDB's driver has no pipelining).
   */
  async load(q: Queryable, items: Item[], wanted: ReadonlySet<string> | null): Promise<void> {
    const loads: GroupLoad[] = [];
    for (const group of this.groups) {
      const children = wanted ? group.children.filter((c) => wanted.has(c.attr)) : group.children;
      if (!children.length) continue;
      const order = children.flatMap((c) => c.def.orderBy ?? (c.def.position ? [c.def.position] : []));
      loads.push({ group, children, order, columns: [...new Set([group.parent, ...children.flatMap((c) => c.columns), ...order])] });
    }
    if (!loads.length) return;
    const byId = new Map<unknown, Item>();
    for (const item of items) {
      byId.set(item.id, item);
      for (const { group, children } of loads) for (const c of children) item[c.attr] = group.single ? null : [];
    }
    const fill = (load: GroupLoad, row: Record<string, unknown>) => {
      const item = byId.get(row[load.group.parent])!;
      for (const c of load.children) {
        if (load.group.single) item[c.attr] = read(c, row);
        else (item[c.attr] as unknown[]).push(read(c, row));
      }
    };
    const ids = [...byId.keys()];
    if (loads.length === 1 || onSqlite(q)) {
      for (const load of loads) {
        const query = this.query(attrsOf([load]), !wanted, (qb, chunk) => {
          let s = ofGroup(load.group, dynamic(qb).selectFrom(load.group.table).select(load.columns).where(load.group.parent, 'in', chunk));
          for (const column of load.order) s = s.orderBy(column);
          return s;
        });
        await inChunks(ids, async (chunk) => {
          for (const row of await query.rows(q, chunk)) fill(load, row);
        });
      }
      return;
    }
    const rows: Array<Array<Record<string, unknown>>> = loads.map(() => []);
    const query = this.query(`union:${attrsOf(loads)}`, !wanted, (qb, chunk) => unionOfRows(qb, loads, chunk));
    await inChunks(ids, async (chunk) => {
      for (const row of await query.rows(q, chunk)) {
        const i = Number(row.g);
        rows[i]!.push(typeof row.v === 'string' ? JSON.parse(row.v) : row.v as Record<string, unknown>);
      }
    });
    loads.forEach((load, i) => {
      if (load.order.length) rows[i]!.sort((a, b) => compareBy(load.order, a, b));
      for (const row of rows[i]!) fill(load, row);
    });
  }

  /** Writes the child attributes `item` has a value for (the object's own row is written). */
  async insert(tx: Tx, item: Item): Promise<void> {
    for (const group of this.groups) {
      const children = group.children.filter((c) => !c.def.readOnly && isValue(group, item[c.attr]));
      // a one-row table gets its row when one of its values is not null (as on update)
      if (group.single && children.every((c) => item[c.attr] === null)) continue;
      if (children.length) await this.insertRows(tx, group, item.id, children, item);
    }
  }

  /**
   * Writes the child attributes that `changes` names, for the object `original` as it was:
   * a list replaces the rows; in a one-row table the row is changed, added or removed.
   */
  async update(tx: Tx, original: Item, changes: Item): Promise<void> {
    for (const group of this.groups) {
      const children = group.children.filter((c) => !c.def.readOnly && c.attr in changes && isValue(group, changes[c.attr]));
      if (!children.length) continue;
      const id = original.id;
      if (!group.single) {
        await this.statement(`delete:${group.table}`, (q, p) => ofGroup(group, dynamic(q).deleteFrom(group.table).where(group.parent, '=', p.id))).run(tx, { id });
        await this.insertRows(tx, group, id, children, changes);
        continue;
      }
      const next: Item = {};
      for (const c of group.children) next[c.attr] = c.attr in changes ? changes[c.attr] : original[c.attr];
      const hadRow = group.children.some((c) => original[c.attr] !== null && original[c.attr] !== undefined);
      const keepsRow = group.children.some((c) => next[c.attr] !== null && next[c.attr] !== undefined);
      if (hadRow && keepsRow) {
        const set = Object.assign({}, ...children.map((c) => columnsOf(c, changes[c.attr]))) as Record<string, unknown>;
        const names = Object.keys(set);
        await this.statement(`update:${group.table}:${names}`, (q, p) => ofGroup(group, dynamic(q).updateTable(group.table)
          .set(Object.fromEntries(names.map((n) => [n, p[n]]))).where(group.parent, '=', p.__id))).run(tx, { ...set, __id: id });
      } else if (hadRow) {
        await this.statement(`delete:${group.table}`, (q, p) => ofGroup(group, dynamic(q).deleteFrom(group.table).where(group.parent, '=', p.id))).run(tx, { id });
      } else if (keepsRow) {
        await this.insertRows(tx, group, id, group.children.filter((c) => given(next[c.attr])), next);
      }
    }
  }

  /** A filter on a child attribute with scalar values: objects with a row holding one of `values`. */
  filter(attr: string, table: string): ((qb: Select, values: unknown[]) => Select) | undefined {
    const found = this.byAttr.get(attr);
    if (!found || found.child.keys) return undefined;
    const { group, child: c } = found;
    return (qb, values) => qb.where((eb) => eb(`${table}.id`, 'in', eb.selectFrom(group.table).select(group.parent)
      .where(c.columns[0]!, 'in', values.map((v) => toDb(c.def.kind ?? 'string', v)))));
  }

  private async insertRows(tx: Tx, group: ChildGroup, id: unknown, children: Child[], values: Item): Promise<void> {
    const rows: Array<Record<string, unknown>> = [];
    if (group.single) {
      rows.push(Object.assign({ [group.parent]: id }, ...children.map((c) => columnsOf(c, values[c.attr])), Object.fromEntries(group.where)));
    } else {
      for (const c of children) {
        (values[c.attr] as unknown[]).forEach((v, i) => {
          const row = { [group.parent]: id, ...columnsOf(c, v) };
          if (c.def.position) row[c.def.position] = i;
          rows.push(row);
        });
      }
    }
    await insertRows(tx, group.table, rows);
  }

  /**
   * A read of `load`, prepared when it reads every attribute (a GET, a write's object): the
   * attributes a list's fields= picks are too many combinations to keep a statement of each.
   */
  private query(key: string, all: boolean, build: (q: Queryable, ids: unknown[]) => Compilable<any>): { rows(q: Queryable, ids: unknown[]): Promise<any[]> } {
    if (!all) return { rows: async (q, ids) => (await q.executeQuery(build(q, ids).compile())).rows };
    let r = this.reads.get(key);
    if (!r) this.reads.set(key, r = new PreparedIn(build));
    return { rows: (q, ids) => r.rows(q, ids, {}) };
  }

  /** A statement of one shape, prepared once (see db/prepared.ts). */
  private statement(key: string, build: (q: Queryable, p: Record<string, any>) => any): PreparedWrite<Record<string, unknown>> {
    let s = this.statements.get(key);
    if (!s) this.statements.set(key, s = preparedWrite(build));
    return s;
  }
}
