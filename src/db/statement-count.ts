import { AsyncLocalStorage } from 'node:async_hooks';

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
