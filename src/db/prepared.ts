import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { Queryable } from './database.js';

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

  constructor(private readonly build: (q: Queryable, p: P) => Compilable<R>) {}

  execute(q: Queryable, values: P): Promise<QueryResult<R>> {
    const key = q.getExecutor().adapter.constructor;
    let c = this.compiled.get(key);
    if (!c) {
      const { sql, parameters } = this.build(q, slots as P).compile();
      c = { sql, parameters: [...parameters] };
      if (!statementNames.has(sql)) statementNames.set(sql, `neutron_ts_${statementNames.size + 1}`);
      this.compiled.set(key, c);
    }
    const parameters = c.parameters.map((v) => (v instanceof Slot ? (values as Record<string, unknown>)[v.name] : v));
    return q.executeQuery(CompiledQuery.raw(c.sql, parameters)) as Promise<QueryResult<R>>;
  }

  async rows(q: Queryable, values: P): Promise<R[]> {
    return (await this.execute(q, values)).rows;
  }

  async first(q: Queryable, values: P): Promise<R | undefined> {
    return (await this.execute(q, values)).rows[0];
  }

  /** rows inserted, updated or deleted */
  async changes(q: Queryable, values: P): Promise<number> {
    return Number((await this.execute(q, values)).numAffectedRows ?? 0n);
  }
}

export function prepared<P extends object, R = any>(build: (q: Queryable, p: P) => Compilable<R>): PreparedQuery<P, R> {
  return new PreparedQuery(build);
}
