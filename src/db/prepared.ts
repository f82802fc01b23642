import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import { dynamic, type Queryable } from './schema.js';

/** Where a value given at run time goes in a prepared query's parameters. */
class Slot {
  constructor(readonly name: string) {}
}

const slots = new Proxy({}, { get: (_target, name) => new Slot(String(name)) });

/**
 * The SQL of every prepared query and its statement name. PostgreSQL and MariaDB connections run
 * these as server-side prepared statements (see connection.ts), parsed and planned once per
 * connection rather than on every run.
 */
export const statementNames = new Map<string, string>();

/**
 * The SQL of prepared writes whose result nobody reads (preparedWrite), and whether each must
 * change exactly one row. Inside a transaction on PostgreSQL they go to the server without waiting
 * for the answer, and the transaction's next statement waits for them too (connection.ts): their
 * errors surface there and abort the transaction as they would have at once.
 */
export const unawaitedStatements = new Map<string, { oneRow: boolean }>();

/**
 * A compare-and-set write found no row to change: another transaction changed it first. It
 * carries PostgreSQL's serialization-failure code, which Database.write runs the transaction again for.
 */
export class ConcurrentChange extends Error {
  readonly code = '40001';
  constructor() { super('a row changed concurrently'); }
}

export function expectOneRow(changed: number | bigint | null | undefined): void {
  if (Number(changed) !== 1) throw new ConcurrentChange();
}

interface Compiled {
  sql: string;
  parameters: unknown[];
}

/**
 * A query of a fixed shape, built and compiled once per SQL dialect and then run with new values.
 * Kysely builds and compiles a query on every call, which takes longer than SQLite needs to run a
 * small one; the few queries every port create runs are prepared instead. `build` gets stand-ins
 * for the values (`p.name`), which must be used as values only (not in lists of varying length).
 */
export class PreparedQuery<P extends object, R = any> {
  private readonly compiled = new Map<unknown, Compiled>();

  constructor(private readonly build: (q: Queryable, p: P) => Compilable<R>, private readonly unawaited?: { oneRow: boolean }) {}

  execute(q: Queryable, values: P): Promise<QueryResult<R>> {
    const key = q.getExecutor().adapter.constructor;
    let c = this.compiled.get(key);
    if (!c) {
      const { sql, parameters } = this.build(q, slots as P).compile();
      c = { sql, parameters: [...parameters] };
      if (!statementNames.has(sql)) statementNames.set(sql, `neutron_ts_${statementNames.size + 1}`);
      if (this.unawaited) unawaitedStatements.set(sql, this.unawaited);
      this.compiled.set(key, c);
    }
    const parameters = c.parameters.map((v) => (v instanceof Slot ? (values as Record<string, unknown>)[v.name] : v));
    return q.executeQuery(CompiledQuery.raw(c.sql, parameters)) as Promise<QueryResult<R>>;
  }

  /** For its effect; with `oneRow`, ConcurrentChange unless it changed one row (checked by the connection when unanswered yet). */
  async run(q: Queryable, values: P): Promise<void> {
    const { numAffectedRows } = await this.execute(q, values);
    if (this.unawaited?.oneRow && numAffectedRows !== undefined) expectOneRow(numAffectedRows);
  }

  async rows(q: Queryable, values: P): Promise<R[]> {
    return (await this.execute(q, values)).rows;
  }

  async first(q: Queryable, values: P): Promise<R | undefined> {
    return (await this.execute(q, values)).rows[0];
  }
}

export function prepared<P extends object, R = any>(build: (q: Queryable, p: P) => Compilable<R>): PreparedQuery<P, R> {
  return new PreparedQuery(build);
}

/**
 * A prepared INSERT, UPDATE or DELETE run for its effect only: it may not have reached the
 * database yet when `run` returns (see unawaitedStatements). With `oneRow` it is a compare-and-set
 * that must change exactly one row. Its SQL must not be the SQL of any other prepared query.
 */
export type PreparedWrite<P extends object> = Pick<PreparedQuery<P>, 'run'>;

export function preparedWrite<P extends object>(build: (q: Queryable, p: P) => Compilable<unknown>, opts = { oneRow: false }): PreparedWrite<P> {
  return new PreparedQuery(build, opts);
}

/** inserts of more rows (reads of more ids) than this are not prepared: each count is a statement of its own */
const MAX_PREPARED_ROWS = 16;

/**
 * A read of a fixed shape but for its list of ids (`where x in ids`): prepared for each number
 * of ids up to MAX_PREPARED_ROWS (a GET, the reload of a write), built each time beyond (a list's
 * batches). `build` gets the ids and `p` as stand-ins, as PreparedQuery's does.
 */
export class PreparedIn<P extends object, R = any> {
  private readonly queries = new Map<number, PreparedQuery<Record<string, unknown>, R>>();

  constructor(private readonly build: (q: Queryable, ids: unknown[], p: P) => Compilable<R>) {}

  async rows(q: Queryable, ids: readonly unknown[], values: P): Promise<R[]> {
    if (ids.length > MAX_PREPARED_ROWS) return (await q.executeQuery(this.build(q, [...ids], values).compile())).rows;
    let query = this.queries.get(ids.length);
    if (!query) {
      const names = ids.map((_id, i) => `__in${i}`);
      query = prepared((qb, p: Record<string, unknown>) => this.build(qb, names.map((n) => p[n]), p as P));
      this.queries.set(ids.length, query);
    }
    const params: Record<string, unknown> = { ...values as Record<string, unknown> };
    ids.forEach((id, i) => { params[`__in${i}`] = id; });
    return query.rows(q, params);
  }
}
const inserts = new Map<string, PreparedWrite<Record<string, unknown>>>();

/**
 * Inserts `rows` (all with the same columns) into `table` as one prepared write (see
 * preparedWrite): a statement of each shape is built once.
 */
export async function insertRows(q: Queryable, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (!rows.length) return;
  if (rows.length > MAX_PREPARED_ROWS) {
    await dynamic(q).insertInto(table).values(rows).execute();
    return;
  }
  const names = Object.keys(rows[0]!);
  const key = `${table}:${names}:${rows.length}`;
  let insert = inserts.get(key);
  if (!insert) {
    insert = preparedWrite((qb, p: Record<string, unknown>) => dynamic(qb).insertInto(table)
      .values(rows.map((_r, i) => Object.fromEntries(names.map((n) => [n, p[`${n}${i}`]])))));
    inserts.set(key, insert);
  }
  const params: Record<string, unknown> = {};
  rows.forEach((row, i) => { for (const n of names) params[`${n}${i}`] = row[n]; });
  await insert.run(q, params);
}
