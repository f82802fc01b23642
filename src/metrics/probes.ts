/**
 * The points where the lower layers (database, RPC) report what the Prometheus metrics count.
 * src/service/metrics.ts sets them when a process has metrics on; unset, a probe costs one
 * property read. Nothing here knows Prometheus: the layers below only say what happened.
 */
import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/** Called once when what a probe was told about ends: with the error, if it failed. */
export type Finish = (error?: unknown) => void;

/** What the wrapped connection pools of this process are doing. */
export interface PoolUse {
  /** databases open (each with its own pool) */
  pools: number;
  /** connections handed out and not yet given back */
  inUse: number;
  /** callers waiting for a connection */
  waiting: number;
  /** how long a caller waited for its connection (failed: no connection came, e.g. pool_timeout) */
  waited(seconds: number, failed: boolean): void;
}

export interface Probes {
  /** an RPC client sends a call or a cast; Finish when the reply came (call) or the broker took it (cast) */
  rpcClient?(type: 'call' | 'cast', topic: string, method: string): Finish;
  /** an RPC server starts handling a request of its topic; Finish when the method returned */
  rpcServer?(type: 'call' | 'cast', topic: string, method: string): Finish;
  /** a write transaction committed (on SQLite, one of a group commit's) */
  transactionCommitted?(): void;
  /** a write transaction lost a race (deadlock, duplicate key, ...) and runs again */
  transactionRetry?(error: unknown): void;
  /** set before databases are opened: their pools are then counted (instrumentPool) */
  pool?: PoolUse;
}

export const probes: Probes = {};

/**
 * The dialect with its driver's connection hand-outs counted in `probes.pool`, or the dialect
 * itself when nothing counts them. Works for any Kysely driver (SQLite's one queued connection
 * as well as the PostgreSQL and MariaDB pools).
 */
export function instrumentPool(dialect: Dialect): Dialect {
  const use = probes.pool;
  if (!use) return dialect;
  return new Proxy(dialect, {
    get(target, prop, receiver) {
      if (prop !== 'createDriver') return Reflect.get(target, prop, receiver);
      return () => countingDriver(target.createDriver(), use);
    },
  });
}

function countingDriver(driver: Driver, use: PoolUse): Driver {
  const overrides: Partial<Driver> = {
    async init() {
      await driver.init();
      use.pools++;
    },
    async acquireConnection(): Promise<DatabaseConnection> {
      const start = performance.now();
      use.waiting++;
      try {
        const connection = await driver.acquireConnection();
        use.inUse++;
        use.waited((performance.now() - start) / 1000, false);
        return connection;
      } catch (e) {
        use.waited((performance.now() - start) / 1000, true);
        throw e;
      } finally {
        use.waiting--;
      }
    },
    async releaseConnection(connection) {
      use.inUse--;
      await driver.releaseConnection(connection);
    },
    async destroy() {
      use.pools--;
      await driver.destroy();
    },
  };
  // the driver's own methods run on the driver itself (Kysely's drivers keep #private fields)
  return new Proxy(driver, {
    get(target, prop) {
      const own = (overrides as Record<PropertyKey, unknown>)[prop];
      if (own) return own;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
