import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database.js';
import * as m0001 from './migrations/0001_networks.js';
import * as m0002 from './migrations/0002_agents.js';

/** Every schema version, in order. A new migration is a new module added at the end. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_networks': m0001,
  '0002_agents': m0002,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

function migrator(db: Database): Migrator {
  return new Migrator({ db: db.kysely, provider, migrationTableName: 'neutron_ts_migrations', migrationLockTableName: 'neutron_ts_migrations_lock' });
}

/** `neutron-ts db upgrade`: applies what is missing; running it again changes nothing. */
export async function upgrade(db: Database): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations the database lacks. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

export const HEAD = Object.keys(MIGRATIONS).at(-1)!;
