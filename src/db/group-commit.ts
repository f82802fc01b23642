import { sql, type Kysely } from 'kysely';
import type { Tables, Tx } from './schema.js';
import { workerWriteTurns, type WriteTurns } from './write-turns.js';

/** at most this many writes share one SQLite transaction, so that none waits long for the batch */
const MAX_BATCH = 32;

interface Job {
  fn(tx: Tx): Promise<unknown>;
  resolve(value: { result: unknown; tx: Tx }): void;
  reject(error: unknown): void;
}

/**
 * Group commit for SQLite. One writer at a time holds the database file (across all worker
 * processes), and taking that lock and committing cost more than a small write itself. So the
 * writes that queue up while one batch runs go in together: one BEGIN IMMEDIATE, each write in a
 * savepoint of its own (one that fails rolls back alone and gets its own error), one COMMIT, and
 * only then is any of them answered. Worker processes take turns at the lock (see WriteTurns).
 * Each write gets a Kysely instance of its own, so per-transaction bookkeeping kept on `tx`
 * (after-commit callbacks, revision bumps, locks) stays per write.
 */
export class GroupCommit {
  private readonly queue: Job[] = [];
  private running = false;

  constructor(private readonly kysely: Kysely<Tables>, private readonly turns: WriteTurns | null = workerWriteTurns()) {}

  /** Runs `fn` in the next batch; resolves once that batch has committed. */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<{ result: T; tx: Tx }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as Job['resolve'], reject });
      if (!this.running) {
        this.running = true;
        // after the requests that are ready now have queued their writes too
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        await this.turns?.take();
        try {
          await this.kysely.connection().execute((conn) => this.runBatch(conn)).catch((e) => {
            // the connection could not be had at all: nothing ran
            for (const job of this.queue.splice(0)) job.reject(e);
          });
        } finally {
          this.turns?.release();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(conn: Kysely<Tables>): Promise<void> {
    // waiting here for the lock lets more writes join the batch
    await sql`begin immediate`.execute(conn);
    const batch = this.queue.splice(0, MAX_BATCH);
    const outcomes: Array<{ result: unknown; tx: Tx } | { error: unknown }> = [];
    let broken: unknown = null;
    try {
      for (const job of batch) {
        await sql`savepoint w`.execute(conn);
        const tx = conn.withoutPlugins() as unknown as Tx;
        try {
          const result = await job.fn(tx);
          await sql`release w`.execute(conn);
          outcomes.push({ result, tx });
        } catch (error) {
          outcomes.push({ error });
          await sql`rollback to w`.execute(conn);
          await sql`release w`.execute(conn);
        }
      }
      if (outcomes.some((o) => 'tx' in o)) await sql`commit`.execute(conn);
      else await sql`rollback`.execute(conn);
    } catch (e) {
      // the transaction itself failed (SQLite rolls back on some errors, or the commit failed)
      broken = e;
      await sql`rollback`.execute(conn).catch(() => undefined);
    }
    outcomes.forEach((o, i) => {
      const job = batch[i]!;
      if ('error' in o) job.reject(o.error);
      else if (broken) job.reject(broken);
      else job.resolve(o);
    });
    // writes not reached because the batch broke off go into the next one
    this.queue.unshift(...batch.slice(outcomes.length));
  }
}
