/**
 * Turns per object, so that the agents hear of two writes of one object in the order the writes
 * committed, also when two workers made them: a write takes its object's turn before its
 * transaction and keeps it until its after_ subscribers have sent their notifications.
 *
 * Within a process, a queue per object. Across processes (once `acrossProcesses` is set: a broker
 * carries the notifications, and the database is MariaDB, see Database.takeTurnsAcrossProcesses),
 * a GET_LOCK tried without waiting (a turn another process holds is tried again a moment later)
 * on one connection of the process's own: a session holds any number of user locks, and a write
 * waiting for its turn holds no connection at all. If the database cannot give a turn (the
 * connection is refused or lost, or another process kept it for TURN_TIMEOUT), the write goes on
 * without it. On SQLite and PostgreSQL the turns are per process so far.
 *
 * A write made while its caller holds a turn (an after_ subscriber writing again) takes none: the
 * turns never nest, so two of them cannot wait for each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Kysely, sql } from 'kysely';
import type { Logger } from 'pino';

/** seconds a write tries for another process's turn before it goes on without it */
const TURN_TIMEOUT = 30;
const inTurn = new AsyncLocalStorage<boolean>();

export class ResourceTurns {
  private readonly queues = new Map<string, Promise<void>>();
  private locks?: Kysely<unknown>;

  constructor(private readonly log?: Logger) {}

  /** From now on, turns hold across processes, on the connection of `locks` (a pool of one). */
  acrossProcesses(locks: Kysely<unknown>): void {
    this.locks = locks;
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
    // MariaDB's lock names are at most 64 characters
    const name = key.length <= 64 ? key : createHash('sha1').update(key).digest('hex');
    const held = await this.tryFor(locks, name).catch((err: unknown) => {
      this.log?.warn({ err, key }, 'could not take a turn: notifications of this object may overtake each other');
      return false;
    });
    try {
      return await fn();
    } finally {
      if (held) await sql`do release_lock(${name})`.execute(locks).catch((err: unknown) => this.log?.warn({ err, key }, 'could not release a turn'));
    }
  }

  /** Tries the lock until it is ours (true) or TURN_TIMEOUT has passed (false). */
  private async tryFor(locks: Kysely<unknown>, name: string): Promise<boolean> {
    const until = Date.now() + TURN_TIMEOUT * 1000;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const { rows } = await sql<{ got: number | null }>`select get_lock(${name}, 0) as got`.execute(locks);
      if (Number(rows[0]?.got) === 1) return true;
      if (Date.now() > until) {
        this.log?.warn({ key: name }, `no turn after ${TURN_TIMEOUT} s: notifications of this object may overtake each other`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  close(): Promise<void> | undefined {
    return this.locks?.destroy();
  }
}
