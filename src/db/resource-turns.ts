/**
 * Turns per object, so that the agents hear of two writes of one object in the order the writes
 * committed, also when two workers made them: a write takes its object's turn before its
 * transaction and keeps it until its after_ subscribers have sent their notifications.
 *
 * Within a process, a queue per object. Across processes (once `acrossProcesses` is set: a broker
 * carries the notifications), a session lock of the database server, MariaDB's GET_LOCK or
 * PostgreSQL's advisory lock, tried without waiting (a turn another process holds is tried again
 * a moment later) on one connection of the process's own: a session holds any number of them, and
 * a write waiting for its turn holds no connection at all. On SQLite the turns are per process:
 * its workers share no lock that outlives a transaction; so far on PostgreSQL too (database.ts). If the database cannot give a turn (the
 * connection is lost, or another process kept it for TURN_TIMEOUT), the write goes on without it.
 *
 * A write made while its caller holds a turn (an after_ subscriber writing again) takes none: the
 * turns never nest, so two of them cannot wait for each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Kysely, sql, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';

/** seconds a write tries for another process's turn before it goes on without it */
const TURN_TIMEOUT = 30;
const inTurn = new AsyncLocalStorage<boolean>();

export class ResourceTurns {
  private readonly queues = new Map<string, Promise<void>>();
  private locks?: Kysely<unknown>;

  constructor(private readonly dialect: 'mysql' | 'postgres' | 'sqlite', private readonly log?: Logger) {}

  /** From now on, turns hold across processes, on the connection of `locks` (a pool of one). */
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

  private async serverTurn<T>(locks: Kysely<unknown>, key: string, fn: () => Promise<T>): Promise<T> {
    const { take, release } = this.dialect === 'mysql' ? mysqlLock(key) : postgresLock(key);
    const got = await this.tryFor(locks, take).catch((err: unknown) => {
      this.log?.warn({ err, key }, 'could not take a turn: notifications of this object may overtake each other');
      return true; // nothing to release
    });
    if (!got) this.log?.warn({ key }, `no turn after ${TURN_TIMEOUT} s: notifications of this object may overtake each other`);
    try {
      return await fn();
    } finally {
      if (got) await release.execute(locks).catch((err: unknown) => this.log?.warn({ err, key }, 'could not release a turn'));
    }
  }

  /** Tries the lock until it is ours (true) or TURN_TIMEOUT has passed (false). */
  private async tryFor(locks: Kysely<unknown>, take: RawBuilder<{ got: unknown }>): Promise<boolean> {
    const until = Date.now() + TURN_TIMEOUT * 1000;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      if (Number((await take.execute(locks)).rows[0]?.got) === 1) return true;
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  close(): Promise<void> | undefined {
    return this.locks?.destroy();
  }
}

/** MariaDB's lock names are at most 64 characters. */
function mysqlLock(key: string) {
  const name = key.length <= 64 ? key : createHash('sha1').update(key).digest('hex');
  return {
    take: sql<{ got: number | null }>`select get_lock(${name}, 0) as got`,
    release: sql`do release_lock(${name})`,
  };
}

/** Two keys of the same 64-bit hash share a lock: they only take turns they did not need. */
function postgresLock(key: string) {
  return {
    take: sql<{ got: boolean }>`select case when pg_try_advisory_lock(hashtextextended(${key}, 0)) then 1 else 0 end as got`,
    release: sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`,
  };
}
