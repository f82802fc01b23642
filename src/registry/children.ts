/**
 * Attributes stored in tables of their own (AttributeDef.child): loaded for a batch of objects
 * with one query per table, written on create and replaced on update with prepared statements.
 */
import type { ChildTable, StorageKind } from '../lib/attributes.js';
import { UNSET } from '../lib/attributes.js';
import type { Item, ResourceDef } from '../lib/definitions.js';
import { inChunks } from '../db/chunks.js';
import { insertRows, preparedWrite, type PreparedWrite } from '../db/prepared.js';
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

  constructor(def: ResourceDef) {
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

  /** Fills the child attributes (those in `wanted`, or all) of a batch of objects: one query per table and chunk. */
  async load(q: Queryable, items: Item[], wanted: ReadonlySet<string> | null): Promise<void> {
    const byId = new Map<unknown, Item>();
    for (const item of items) byId.set(item.id, item);
    for (const group of this.groups) {
      const children = wanted ? group.children.filter((c) => wanted.has(c.attr)) : group.children;
      if (!children.length) continue;
      for (const item of items) for (const c of children) item[c.attr] = group.single ? null : [];
      const order = children.flatMap((c) => c.def.orderBy ?? (c.def.position ? [c.def.position] : []));
      const columns = [...new Set([group.parent, ...children.flatMap((c) => c.columns)])];
      await inChunks([...byId.keys()], async (chunk) => {
        let qb = ofGroup(group, dynamic(q).selectFrom(group.table).select(columns).where(group.parent, 'in', chunk));
        for (const column of order) qb = qb.orderBy(column);
        for (const row of await qb.execute()) {
          const item = byId.get(row[group.parent])!;
          for (const c of children) {
            if (group.single) item[c.attr] = read(c, row);
            else (item[c.attr] as unknown[]).push(read(c, row));
          }
        }
      });
    }
  }

  /** Writes the child attributes `item` has a value for (the object's own row is written). */
  async insert(tx: Tx, item: Item): Promise<void> {
    for (const group of this.groups) {
      const children = group.children.filter((c) => !c.def.readOnly && isValue(group, item[c.attr]));
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

  /** A statement of one shape, prepared once (see db/prepared.ts). */
  private statement(key: string, build: (q: Queryable, p: Record<string, any>) => any): PreparedWrite<Record<string, unknown>> {
    let s = this.statements.get(key);
    if (!s) this.statements.set(key, s = preparedWrite(build));
    return s;
  }
}
