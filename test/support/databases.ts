/**
 * The database backends the API suite runs on. NEUTRON_TS_TEST_DB=sqlite|postgresql|mysql picks one
 * (sqlite by default); a PostgreSQL or MariaDB test database is created per test server and dropped
 * when it closes. The servers are found at NEUTRON_TS_TEST_POSTGRESQL_URL and NEUTRON_TS_TEST_MYSQL_URL
 * (defaults: the machine's local servers, trust auth / root without password).
 *
 * Run as a script (`node --import tsx test/support/databases.ts <backend>`) it checks that the
 * backend answers and drops test databases left behind by test processes that no longer run.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Database } from '../../src/db/database.js';
import { upgrade } from '../../src/db/migrate.js';

export type Backend = 'sqlite' | 'postgresql' | 'mysql';
export const BACKENDS: Backend[] = ['sqlite', 'postgresql', 'mysql'];

export function testBackend(): Backend {
  const value = (process.env.NEUTRON_TS_TEST_DB ?? 'sqlite').toLowerCase();
  const aliases: Record<string, Backend> = { sqlite: 'sqlite', postgresql: 'postgresql', postgres: 'postgresql', mysql: 'mysql', mariadb: 'mysql' };
  const backend = aliases[value];
  if (!backend) throw new Error(`NEUTRON_TS_TEST_DB=${value}: expected one of ${BACKENDS.join(', ')}`);
  return backend;
}

/** Where the database server is, as a connection URL to its maintenance database. */
export function serverUrl(backend: Exclude<Backend, 'sqlite'>): string {
  return backend === 'postgresql'
    ? process.env.NEUTRON_TS_TEST_POSTGRESQL_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
    : process.env.NEUTRON_TS_TEST_MYSQL_URL ?? 'mysql+pymysql://root@127.0.0.1:3306/';
}

const PREFIX = 'neutron_ts_test_';

function withDatabase(url: string, database: string): string {
  const q = url.indexOf('?');
  const [base, query] = q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
  return base.replace(/^([^:]+:\/\/[^/]*)(\/.*)?$/, `$1/${database}`) + query;
}

/** A connection to the server's maintenance database, for CREATE/DROP DATABASE. */
async function admin<T>(backend: Exclude<Backend, 'sqlite'>, fn: (run: (sql: string) => Promise<any[]>) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl(backend).replace(/^[^:]+:/, 'http:'));
  const user = decodeURIComponent(url.username) || undefined;
  const password = decodeURIComponent(url.password) || undefined;
  if (backend === 'postgresql') {
    const client = new pg.Client({
      host: url.hostname, port: Number(url.port || 5432), user, password,
      database: url.pathname.slice(1) || 'postgres', connectionTimeoutMillis: 5000,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(async (sql) => (await client.query(sql)).rows);
    } finally {
      await client.end();
    }
  }
  const conn = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user, password, connectTimeout: 5000 });
  conn.on('error', () => {});
  try {
    return await fn(async (sql) => (await conn.query(sql))[0] as any[]);
  } finally {
    await conn.end();
  }
}

export interface TestDatabase {
  backend: Backend;
  /** the [database] connection of the new database */
  url: string;
  drop(): Promise<void>;
}

/**
 * A new empty database on the backend's server, named after this process so that a later run can
 * tell it was left behind. With `upgraded`, the schema is created as `neutron-ts db upgrade` does.
 */
export async function createTestDatabase(backend: Exclude<Backend, 'sqlite'>, { upgraded = true } = {}): Promise<TestDatabase> {
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(backend, (run) => run(backend === 'postgresql'
    // C collation: strings sort and compare by code point, as on SQLite
    ? `CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`
    : `CREATE DATABASE ${name}`));
  const url = withDatabase(serverUrl(backend), name);
  const drop = () => dropDatabase(backend, name);
  if (upgraded) {
    const db = new Database({ url });
    try {
      await upgrade(db);
    } catch (e) {
      await db.close();
      await drop();
      throw e;
    } finally {
      await db.close().catch(() => {});
    }
  }
  return { backend, url, drop };
}

async function dropDatabase(backend: Exclude<Backend, 'sqlite'>, name: string): Promise<void> {
  await admin(backend, (run) => run(backend === 'postgresql'
    ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`
    : `DROP DATABASE IF EXISTS ${name}`));
}

/** Drops the test databases of processes that have ended (a test run that was killed). */
async function dropLeftovers(backend: Exclude<Backend, 'sqlite'>): Promise<string[]> {
  const names: string[] = await admin(backend, async (run) => {
    const rows = await run(backend === 'postgresql'
      ? `SELECT datname AS name FROM pg_database WHERE datname LIKE '${PREFIX}%'`
      : `SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE '${PREFIX}%'`);
    return rows.map((r) => r.name ?? r.NAME ?? r.SCHEMA_NAME);
  });
  const stale = names.filter((n) => {
    const pid = Number(/^neutron_ts_test_(\d+)_/.exec(n)?.[1]);
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  for (const n of stale) await dropDatabase(backend, n);
  return stale;
}

/** null when the backend's server answers, else why not. */
export async function unavailableReason(backend: Exclude<Backend, 'sqlite'>): Promise<string | null> {
  try {
    await admin(backend, (run) => run('SELECT 1'));
    return null;
  } catch (e: any) {
    return `${backend} at ${serverUrl(backend).replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')} does not answer (${e?.code ?? e?.message ?? e})`;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const backend = process.argv[2] as Exclude<Backend, 'sqlite'>;
  const reason = await unavailableReason(backend);
  if (reason) {
    process.stdout.write(`${reason}\n`);
    process.exit(1);
  }
  const dropped = await dropLeftovers(backend);
  if (dropped.length) process.stdout.write(`dropped ${dropped.length} test database(s) left behind on ${backend}\n`);
}
