// [database] pool options on a server database: the pool holds max_pool_size + max_overflow
// connections, and a request that waits longer than pool_timeout for one gets 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { DBConnectionError } from '../../src/lib/errors.js';
import { Database } from '../../src/db/database.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../support/databases.js';

const backend = testBackend();

describe('connection pool', { skip: backend === 'sqlite' && 'SQLite has one connection, no pool' }, () => {
  let database: TestDatabase;
  before(async () => {
    if (backend !== 'sqlite') database = await createTestDatabase(backend, { upgraded: false });
  });
  after(() => database?.drop());

  test('max_pool_size + max_overflow connections at most; waiting past pool_timeout is 503', async () => {
    const db = new Database({ url: database.url, pool: { maxPoolSize: 1, maxOverflow: 1, poolTimeout: 1, recycleTime: 3600 } });
    try {
      const connectionId = backend === 'postgresql' ? sql<{ id: number }>`select pg_backend_pid() as id` : sql<{ id: number }>`select connection_id() as id`;
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      let held = 0;
      let bothHeld!: () => void;
      const holding = new Promise<void>((r) => (bothHeld = r));
      const holders = [1, 2].map(() => db.write(async (tx) => {
        await connectionId.execute(tx);
        if (++held === 2) bothHeld();
        await hold;
      }));
      await holding;
      // both connections are taken until `release`: only pool_timeout can end this wait
      await assert.rejects(db.read((q) => connectionId.execute(q)), (e) => e instanceof DBConnectionError && (e as any).status === 503);
      release();
      await Promise.all(holders);
      const ids = new Set<number>();
      for (let i = 0; i < 4; i++) ids.add(Number((await db.read((q) => connectionId.execute(q))).rows[0]!.id));
      assert.ok(ids.size <= 2, `at most two connections, saw ${ids.size}`);
    } finally {
      await db.close();
    }
  });
});
