import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * NEUTRON_TS_COUNT_SQL=1 (a debugging aid for the benchmark): every API response carries
 * `x-sql-statements`, the number of SQL statements (BEGIN and COMMIT included) run for it.
 */
export const countingStatements = process.env.NEUTRON_TS_COUNT_SQL === '1';

const current = new AsyncLocalStorage<{ statements: number }>();

/** Called by the database drivers for each statement they run. */
export function countStatement(): void {
  if (countingStatements) {
    const c = current.getStore();
    if (c) c.statements++;
  }
}

export interface StatementCounter {
  statements: number;
}

/** Runs `fn` (one request's handler), counting the statements it runs into `counter`. */
export function withStatementCount<T>(counter: StatementCounter, fn: () => Promise<T>): Promise<T> {
  return current.run(counter, fn);
}

/** Runs `fn` outside any request's count: work that follows a request (after-commit notifications) is not its own. */
export function outsideRequestCount<T>(fn: () => T): T {
  return current.exit(fn);
}

/**
 * The dialect with the statements of its connections counted (PostgreSQL, MariaDB: their drivers
 * are Kysely's; the SQLite driver counts its own). The dialect itself when not counting.
 */
export function countingDialect(dialect: Dialect): Dialect {
  if (!countingStatements) return dialect;
  const counted = (connection: DatabaseConnection): DatabaseConnection => ({
    executeQuery: (query) => {
      countStatement();
      return connection.executeQuery(query);
    },
    streamQuery: (query, chunkSize) => {
      countStatement();
      return connection.streamQuery(query, chunkSize);
    },
  });
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const original = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const driverOf = (driver: Driver): Driver => new Proxy(driver, {
    get(target, prop) {
      if (prop === 'acquireConnection') {
        return async () => {
          const c = await target.acquireConnection();
          let w = wrapped.get(c);
          if (!w) {
            wrapped.set(c, (w = counted(c)));
            original.set(w, c);
          }
          return w;
        };
      }
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // BEGIN, COMMIT, ROLLBACK and savepoints are statements the driver runs itself, on its own connection
      const statement = /Transaction$|Savepoint$|^savepoint$/i.test(String(prop));
      return (...args: unknown[]) => {
        if (statement) countStatement();
        return value.apply(target, args.map((a) => original.get(a as DatabaseConnection) ?? a));
      };
    },
  });
  return new Proxy(dialect, {
    get(target, prop, receiver) {
      if (prop !== 'createDriver') return Reflect.get(target, prop, receiver);
      return () => driverOf(target.createDriver());
    },
  });
}
