import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, onCommitted } from '../../src/db/database.js';

// Two connections to one file stand for two API workers: the second must wait for the first's
// write lock without blocking its event loop (SQLite's own busy handler sleeps inside the call).
test('a write waiting for another connection\'s write lock leaves the event loop running', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-busy-'));
  const url = `sqlite:///${join(dir, 'neutron.db')}`;
  const a = new Database({ url });
  const b = new Database({ url });
  try {
    await a.write((tx) => tx.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).execute());
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const first = a.write(async (tx) => {
      await tx.insertInto('t').values({ id: 1 }).execute();
      locked();
      await held;
    });
    await lockTaken;
    const second = b.write((tx) => tx.insertInto('t').values({ id: 2 }).execute());
    // while `second` waits for the lock (longer than Database.write's own retries would last), timers still fire
    let ticks = 0;
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        if (++ticks === 50) {
          clearInterval(timer);
          done();
        }
      }, 10);
    });
    release();
    await first;
    await second;
    const rows = await a.read((q) => q.selectFrom('t').select('id').orderBy('id').execute());
    assert.deepEqual(rows.map((r) => r.id), [1, 2]);
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Writes queued together share one SQLite transaction (GroupCommit); each must still stand alone.
test('writes committed together: a failing one rolls back alone, the others commit with their after-commit callbacks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-group-'));
  const db = new Database({ url: `sqlite:///${join(dir, 'neutron.db')}` });
  try {
    await db.write((tx) => tx.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).execute());
    const callbacks: number[] = [];
    const writes = Array.from({ length: 20 }, (_, i) => db.write(async (tx) => {
      onCommitted(tx, () => callbacks.push(i));
      await tx.insertInto('t').values({ id: i }).execute();
      if (i % 3 === 0) throw new Error(`write ${i} refused`);
      return i;
    }));
    const outcomes = await Promise.allSettled(writes);
    outcomes.forEach((o, i) => {
      if (i % 3 === 0) assert.deepEqual(o, { status: 'rejected', reason: new Error(`write ${i} refused`) });
      else assert.deepEqual(o, { status: 'fulfilled', value: i });
    });
    const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 !== 0);
    const rows = await db.read((q) => q.selectFrom('t').select('id').orderBy('id').execute());
    assert.deepEqual(rows.map((r) => r.id), expected);
    assert.deepEqual(callbacks.sort((x, y) => x - y), expected);
    // a duplicate key is retried as a whole write (Database.write), alone, and then fails with 409
    await assert.rejects(db.write((tx) => tx.insertInto('t').values({ id: 1 }).execute()), { type: 'HTTPConflict', status: 409 });
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
