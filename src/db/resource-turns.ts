/**
 * Turns per object, so that the agents hear of two writes of one object in the order the writes
 * committed, also when two workers made them: a write takes its object's turn before its
 * transaction and keeps it until its after_ subscribers have sent their notifications.
 *
 * Within a process, a queue per object. Across processes (once `acrossProcesses` is set: a broker
 * carries the notifications), a session lock of the database server, MariaDB's GET_LOCK or
 * PostgreSQL's pg_advisory_lock, held on a connection of a small pool of its own: a write waiting
 * for its turn then never holds a connection that the turn's holder needs to finish. On SQLite the
 * turns are per process: its workers share no lock that outlives a transaction.
 *
 * A write made while its caller holds a turn (an after_ subscriber writing again) takes none: the
 * turns never nest, so two of them cannot wait for each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { Logger } from 'pino';

/** seconds a write waits for another process's turn before it goes on without it */
const TURN_TIMEOUT = 30;
const inTurn = new AsyncLocalStorage<boolean>();

export class ResourceTurns {
  private readonly queues = new Map<string, Promise<void>>();
  private locks?: Kysely<unknown>;

  constructor(private readonly dialect: 'mysql' | 'postgres' | 'sqlite', private readonly log?: Logger) {}

  /** From now on, turns hold across processes, on connections of `locks` (a pool of their own). */
  acrossProcesses(locks: Kysely<unknown>): void {
    if (this.dialect !== 'sqlite') this.locks = locks;
  }

  async take<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (inTurn.getStore()) return fn();
    const before = this.queues.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => { done = resolve; });
    const last = before ? before.then(() => mine) : mine;
    this.queues.set(key, last);
    try {
      await before;
      return await inTurn.run(true, () => (this.locks ? this.serverTurn(this.locks, key, fn) : fn()));
    } finally {
      done();
      if (this.queues.get(key) === last) this.queues.delete(key);
    }
  }

  private serverTurn<T>(locks: Kysely<unknown>, key: string, fn: () => Promise<T>): Promise<T> {
    return locks.connection().execute(async (conn) => {
      const { take, release } = this.dialect === 'mysql' ? mysqlLock(key) : postgresLock(key);
      const got = await take.execute(conn).then((r) => Number(r.rows[0]?.got) === 1, (err: unknown) => {
        if ((err as { code?: string }).code !== '55P03') throw err; // PostgreSQL's lock_timeout
        return false;
      });
      if (!got) this.log?.warn({ key }, `no turn after ${TURN_TIMEOUT} s: notifications of this object may overtake each other`);
      try {
        return await fn();
      } finally {
        await release.execute(conn).catch((err: unknown) => this.log?.warn({ err, key }, 'could not release a turn'));
      }
    });
  }

  close(): Promise<void> | undefined {
    return this.locks?.destroy();
  }
}

/** MariaDB's lock names are at most 64 characters. */
function mysqlLock(key: string) {
  const name = key.length <= 64 ? key : createHash('sha1').update(key).digest('hex');
  return {
    take: sql<{ got: number | null }>`select get_lock(${name}, ${TURN_TIMEOUT}) as got`,
    release: sql`do release_lock(${name})`,
  };
}

/** Two keys of the same 64-bit hash share a lock: they only take turns they did not need. */
function postgresLock(key: string) {
  return {
    // lock_timeout is set first, in the subquery, for this connection of the turns' pool
    take: sql<{ got: number }>`select 1 as got, pg_advisory_lock(hashtextextended(${key}, 0))
      from (select set_config('lock_timeout', ${`${TURN_TIMEOUT}s`}, false)) as t`,
    release: sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`,
  };
}
