import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Database } from '../../src/db/database.js';
import { HEAD, pendingMigrations, upgrade } from '../../src/db/migrate.js';
import { testBackend } from '../support/databases.js';
import { runCli, serverConf, sharedDatabase, startCliServer, type SharedDatabase } from './processes.js';

/** Every table with its columns (name and nullability), as the database describes them. */
async function describeSchema(db: Database): Promise<Record<string, string[]>> {
  const tables = await db.kysely.introspection.getTables();
  const out: Record<string, string[]> = {};
  for (const t of tables.filter((x) => !x.name.startsWith('neutron_ts_migrations'))) {
    // SQLite lets a primary-key column that is not an INTEGER hold NULL (a known quirk); elsewhere it cannot
    const keys = db.dialect === 'sqlite'
      ? new Set((await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${t.name})`.execute(db.kysely)).rows.filter((r) => r.pk > 0).map((r) => r.name))
      : new Set<string>();
    out[t.name] = t.columns.map((c) => `${c.name}${c.isNullable && !keys.has(c.name) ? '' : ' not null'}`).sort();
  }
  return out;
}

describe('schema', () => {
  let shared: SharedDatabase;
  before(async () => { shared = await sharedDatabase({ upgraded: false }); });
  after(() => shared.drop());

  test('neutron-ts db upgrade creates the schema, the same as on SQLite, and is idempotent', async () => {
    const conf = join(shared.dir, 'upgrade.conf');
    writeFileSync(conf, serverConf(shared.dir, shared.url));
    const first = runCli(['db', 'upgrade', '--config-file', conf]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`Applied: 0001_networks.*${HEAD}`));
    const second = runCli(['db', 'upgrade', '--config-file', conf]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /Already at head/);

    const db = new Database({ url: shared.url });
    const reference = new Database({ url: 'sqlite://' });
    try {
      assert.deepEqual(await pendingMigrations(db), []);
      await upgrade(reference);
      assert.deepEqual(await describeSchema(db), await describeSchema(reference));
    } finally {
      await db.close();
      await reference.close();
    }
  });
});

describe('a server on a schema older than its code', () => {
  let shared: SharedDatabase;
  before(async () => {
    shared = await sharedDatabase({ upgraded: false });
    const db = new Database({ url: shared.url });
    try {
      await upgrade(db, '0001_networks');
    } finally {
      await db.close();
    }
  });
  after(() => shared.drop());

  test(testBackend() === 'sqlite'
    ? 'the embedded SQLite database is upgraded at start'
    : 'refuses to serve and says to run neutron-ts db upgrade', async () => {
    if (shared.backend === 'sqlite') {
      const server = await startCliServer(shared.dir, serverConf(shared.dir, shared.url));
      await server.stop();
      const db = new Database({ url: shared.url });
      try {
        assert.deepEqual(await pendingMigrations(db), []);
      } finally {
        await db.close();
      }
      return;
    }
    await assert.rejects(
      startCliServer(shared.dir, serverConf(shared.dir, shared.url)),
      (e: Error) => {
        assert.match(e.message, /exited with [1-9]/);
        assert.match(e.message, /schema is older than this server/);
        assert.match(e.message, /run 'neutron-ts db upgrade'/);
        return true;
      },
    );
  });
});
