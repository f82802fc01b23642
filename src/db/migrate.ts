import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database.js';
import * as m0001 from './migrations/0001_networks.js';
import * as m0002 from './migrations/0002_agents.js';
import * as m0003 from './migrations/0003_ipam.js';
import * as m0004 from './migrations/0004_rpc.js';
import * as m0005 from './migrations/0005_security_groups_quotas.js';
import * as m0006 from './migrations/0006_l3.js';
import * as m0007 from './migrations/0007_locks.js';
import * as m0008 from './migrations/0008_changes.js';
import * as m0009 from './migrations/0009_rbac_address_groups.js';
import * as m0010 from './migrations/0010_qos.js';
import * as m0011 from './migrations/0011_trunks_segments.js';
import * as m0012 from './migrations/0012_l3_services.js';
import * as m0013 from './migrations/0013_port_attributes.js';

/** Every schema version, in order. A new migration is a new module added at the end. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_networks': m0001,
  '0002_agents': m0002,
  '0003_ipam': m0003,
  '0004_rpc': m0004,
  '0005_security_groups_quotas': m0005,
  '0006_l3': m0006,
  '0007_locks': m0007,
  '0008_changes': m0008,
  '0009_rbac_address_groups': m0009,
  '0010_qos': m0010,
  '0011_trunks_segments': m0011,
  '0012_l3_services': m0012,
  '0013_port_attributes': m0013,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

function migrator(db: Database): Migrator {
  return new Migrator({ db: db.kysely, provider, migrationTableName: 'neutron_ts_migrations', migrationLockTableName: 'neutron_ts_migrations_lock' });
}

/**
 * `neutron-ts db upgrade [revision]`: applies what is missing up to `revision` (a migration's
 * name; default the last); running it again changes nothing.
 */
export async function upgrade(db: Database, revision = 'head'): Promise<string[]> {
  if (db.dialect === 'mysql') await useBinaryCollation(db);
  if (revision !== 'head' && !(revision in MIGRATIONS)) {
    throw new Error(`Unknown revision '${revision}': expected head or one of ${Object.keys(MIGRATIONS).join(', ')}`);
  }
  const m = migrator(db);
  const { error, results } = revision === 'head' ? await m.migrateToLatest() : await m.migrateTo(revision);
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations the database lacks. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

export const HEAD = Object.keys(MIGRATIONS).at(-1)!;

/**
 * MariaDB/MySQL compare strings case-insensitively (and ignoring trailing spaces) under their
 * default collations, so `?name=Net` would find "net" and the tags "a" and "A" would collide.
 * SQLite and PostgreSQL (with C collation) compare code points: the tables we create get a binary,
 * no-pad collation as the database's default.
 */
async function useBinaryCollation(db: Database): Promise<void> {
  const available = await sql<{ name: string }>`SELECT collation_name AS name FROM information_schema.collations
    WHERE collation_name IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin')`.execute(db.kysely);
  const names = available.rows.map((r) => r.name);
  const collation = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'].find((c) => names.includes(c))!;
  const current = await sql<{ name: string }>`SELECT DATABASE() AS name`.execute(db.kysely);
  const database = current.rows[0]!.name;
  await sql`ALTER DATABASE ${sql.id(database)} CHARACTER SET utf8mb4 COLLATE ${sql.raw(collation)}`.execute(db.kysely);
}
