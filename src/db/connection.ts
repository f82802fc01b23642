import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { CompiledQuery, MysqlDialect, PostgresDialect, type DatabaseConnection, type Dialect as KyselyDialect, type MysqlPool } from 'kysely';
import type mysql from 'mysql2';
import type pg from 'pg';
import { expectOneRow, statementNames, unawaitedStatements } from './prepared.js';
import { SqliteServerDialect } from './sqlite.js';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/** A parsed `[database] connection` URL, as SQLAlchemy reads it. */
export interface ConnectionUrl {
  dialect: Dialect;
  /** file path for SQLite (':memory:' for sqlite://) */
  file?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** the query string: driver parameters such as charset, sslmode, ssl_ca */
  params: Record<string, string>;
}

/**
 * Parses the URLs operators have in neutron.conf: `sqlite:///relative`, `sqlite:////absolute`,
 * `mysql[+pymysql]://user:pass@host:port/db?charset=utf8`, `postgresql[+psycopg2]://...`.
 * `extraParams` is oslo.db's [database] connection_parameters, appended to the query string.
 */
export function parseConnectionUrl(text: string, extraParams = ''): ConnectionUrl {
  const m = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/is.exec(text.trim());
  if (!m) throw new Error(`Invalid database connection URL: ${redact(text)}`);
  const scheme = m[1]!.toLowerCase();
  const [rest, query = ''] = splitOnce(m[3]!, '?');
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams([query, extraParams].filter(Boolean).join('&'))) params[k] = v;
  if (scheme === 'sqlite') {
    // sqlite:///relative/path is relative, sqlite:////abs/path is absolute (SQLAlchemy's rule); sqlite:// is memory
    const path = rest === '' || rest === '/' ? ':memory:' : rest.replace(/^\//, '');
    return { dialect: 'sqlite', file: path === ':memory:' ? path : resolve(path), params };
  }
  const dialect: Dialect | null = scheme === 'postgresql' || scheme === 'postgres' ? 'postgres'
    : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : null;
  if (!dialect) throw new Error(`Unsupported database dialect '${scheme}' in ${redact(text)}`);
  // user:password@host:port/database; the password may hold '@' or ':' percent-encoded (or, leniently, not)
  const [authority, database = ''] = splitOnce(rest, '/');
  const at = authority.lastIndexOf('@');
  const credentials = at >= 0 ? authority.slice(0, at) : '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const [user, password] = credentials ? splitOnce(credentials, ':') : [];
  const hp = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(hostPort);
  if (!hp) throw new Error(`Invalid host in database connection URL: ${redact(text)}`);
  return {
    dialect,
    host: decodeURIComponent(hp[1] ?? hp[2] ?? '') || undefined,
    port: hp[3] ? Number(hp[3]) : undefined,
    user: user !== undefined && user !== '' ? decodeURIComponent(user) : undefined,
    password: password !== undefined ? decodeURIComponent(password) : undefined,
    database: database ? decodeURIComponent(database) : undefined,
    params,
  };
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

/** The URL with its password masked, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** oslo.db's pool options ([database] max_pool_size, max_overflow, pool_timeout, connection_recycle_time). */
export interface PoolOptions {
  maxPoolSize: number;
  maxOverflow: number;
  /** seconds to wait for a free connection (and to connect); null = 30, SQLAlchemy's default */
  poolTimeout: number | null;
  /** seconds after which a connection is replaced; <= 0 = never */
  recycleTime: number;
}

export interface SessionOptions {
  /** [database] mysql_sql_mode, set on every MySQL connection as oslo.db does */
  mysqlSqlMode: string | null;
  /** [database] mysql_wsrep_sync_wait (Galera) */
  mysqlWsrepSyncWait: number | null;
}

// The drivers of the database servers are loaded when first used: an embedded server never needs them.
const load = createRequire(import.meta.url);
const pgDriver = (): typeof pg => load('pg');
const mysqlDriver = (): typeof mysql => load('mysql2');

export const DEFAULT_POOL: PoolOptions = { maxPoolSize: 5, maxOverflow: 50, poolTimeout: null, recycleTime: 3600 };

export function createDialect(
  url: ConnectionUrl, pool: PoolOptions, session: SessionOptions, onIdleError: (e: Error) => void,
): KyselyDialect {
  if (url.dialect === 'sqlite') return new SqliteServerDialect(url.file!);
  if (url.dialect === 'postgres') return postgresDialect(url, pool, onIdleError);
  return mysqlDialect(url, pool, session);
}

/*
 * Every connection reads and writes at READ COMMITTED, PostgreSQL's default and what we ask of
 * MariaDB too (whose default is REPEATABLE READ). Correctness under concurrency does not come from
 * the isolation level: allocations (segmentation ids, addresses, MACs, prefixes) are unique keys,
 * and read-modify-write goes through SELECT ... FOR UPDATE or `x = x + 1`; a lost race is a
 * duplicate-key, deadlock or serialization error and the whole transaction is run again; where
 * a long transaction could keep losing, allocators take turns on a row lock (lockNamed, the subnet
 * and subnet-pool rows). READ COMMITTED lets every statement see what was committed before it, so a
 * check made after taking a lock sees the previous holder's work, and it spares InnoDB the gap
 * locks that REPEATABLE READ takes on locking reads and unique checks, a common cause of deadlocks
 * between concurrent inserts. SERIALIZABLE would add serialization failures (more retries) and
 * protect no invariant that the keys and locks do not already protect.
 */
const ISOLATION = 'READ COMMITTED';

const timeoutMs = (p: PoolOptions) => (p.poolTimeout ?? 30) * 1000;

function postgresDialect(url: ConnectionUrl, pool: PoolOptions, onIdleError: (e: Error) => void): KyselyDialect {
  const p = url.params;
  const host = p.host ?? url.host ?? '127.0.0.1';
  const config: pg.PoolConfig = {
    host,
    port: url.port ?? (p.port ? Number(p.port) : undefined) ?? 5432,
    user: p.user ?? url.user,
    password: p.password ?? url.password,
    database: p.dbname ?? url.database,
    ssl: postgresTls(p),
    application_name: p.application_name ?? 'neutron-ts',
    // SQLAlchemy's QueuePool keeps max_pool_size connections and opens up to max_overflow more
    max: Math.max(1, pool.maxPoolSize + pool.maxOverflow),
    min: 0,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: p.connect_timeout ? Number(p.connect_timeout) * 1000 : timeoutMs(pool),
    maxLifetimeSeconds: pool.recycleTime > 0 ? pool.recycleTime : 0,
    keepAlive: true,
    // statements are written without waiting for the answers of those before (see sendWithoutWaiting)
    pipeline: true,
    // int8 (counts, bigint columns) and numeric (sums) as numbers: every value we store fits in 2^53
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        if (oid === 20 || oid === 1700) return (v: string) => Number(v);
        return (pgDriver().types.getTypeParser as any)(oid, format);
      }) as any,
    },
  };
  const created = new (pgDriver().Pool)(config);
  // An idle connection that the server closes (restart, failover, proxy) must not crash the process;
  // a checked-out one reports its error to the query that uses it, and pg-pool drops it on release.
  created.on('error', onIdleError);
  created.on('connect', (client) => {
    client.on('error', () => {});
    sendWithoutWaiting(client);
  });
  return new PostgresDialect({
    pool: created,
    onCreateConnection: (c) => c.executeQuery(CompiledQuery.raw(`SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL ${ISOLATION}`)).then(() => {}),
  });
}

type Send = (...args: unknown[]) => Promise<unknown>;

/**
 * What the client sends, and when its answers are awaited. Prepared queries run as named
 * statements. In a transaction, BEGIN and the unawaited writes (prepared.ts) return at once: the
 * client is in pipeline mode, so they go to the server in order with what follows, and the next
 * statement that is awaited waits for them as well and fails with the first of their errors (a
 * failed statement aborts the transaction, so what came after it failed only because of it). A
 * port create saves six round trips so. The socket is corked meanwhile: one write carries them
 * all (on loopback, each write costs the sender the receiver's TCP work too). ROLLBACK ignores
 * their errors: the transaction is over.
 */
function sendWithoutWaiting(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Send;
  const socket = (client as any).connection.stream as { cork(): void; uncork(): void };
  let inTransaction = false;
  let unanswered: Promise<unknown>[] = [];
  (client as any).query = (text: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || rest.length !== 1) return query(text, ...rest);
    if (text === 'begin') inTransaction = true;
    const unawaited = inTransaction && (text === 'begin' || unawaitedStatements.has(text));
    if (unawaited && !unanswered.length) socket.cork();
    const name = statementNames.get(text);
    const result = name ? query({ name, text, values: rest[0] }) : query(text, rest[0]);
    if (unawaited) {
      const answer = unawaitedStatements.get(text)?.oneRow ? result.then((r: any) => expectOneRow(r.rowCount)) : result;
      answer.catch(() => {});
      unanswered.push(answer);
      return Promise.resolve({ command: null, rowCount: null, rows: [] });
    }
    if (text === 'commit' || text === 'rollback') inTransaction = false;
    if (!unanswered.length) return result;
    socket.uncork();
    const before = unanswered;
    unanswered = [];
    result.catch(() => {});
    return (text === 'rollback' ? Promise.allSettled(before) : Promise.all(before)).then(() => result);
  };
}

/** libpq's sslmode and certificate parameters, as psycopg2 passes them through. */
export function postgresTls(p: Record<string, string>): TlsOptions | false {
  const mode = p.sslmode ?? (p.sslrootcert || p.sslcert ? 'verify-full' : 'disable');
  // prefer/allow fall back to plain text in libpq; node-postgres cannot fall back, so they mean plain text
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const tls: TlsOptions = {
    ca: p.sslrootcert ? readFileSync(p.sslrootcert) : undefined,
    cert: p.sslcert ? readFileSync(p.sslcert) : undefined,
    key: p.sslkey ? readFileSync(p.sslkey) : undefined,
  };
  if (mode === 'require' && !p.sslrootcert) return { ...tls, rejectUnauthorized: false };
  if (mode === 'require' || mode === 'verify-ca') return { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  if (mode === 'verify-full') return { ...tls, rejectUnauthorized: true };
  throw new Error(`Invalid sslmode '${mode}' in [database] connection`);
}

/** PyMySQL's ssl_* parameters (SQLAlchemy passes them through from the query string). */
export function mysqlTls(p: Record<string, string>): TlsOptions | undefined {
  const on = p.ssl_ca || p.ssl_cert || p.ssl_key || /^(1|true|yes)$/i.test(p.ssl ?? '');
  if (!on) return undefined;
  const falsy = (v: string | undefined) => v !== undefined && /^(0|false|no)$/i.test(v);
  return {
    ca: p.ssl_ca ? readFileSync(p.ssl_ca) : undefined,
    cert: p.ssl_cert ? readFileSync(p.ssl_cert) : undefined,
    key: p.ssl_key ? readFileSync(p.ssl_key) : undefined,
    rejectUnauthorized: !falsy(p.ssl_verify_cert),
    ...(falsy(p.ssl_check_hostname) || falsy(p.ssl_verify_identity) ? { checkServerIdentity: () => undefined } : {}),
  };
}

function mysqlDialect(url: ConnectionUrl, pool: PoolOptions, session: SessionOptions): KyselyDialect {
  const p = url.params;
  const raw = mysqlDriver().createPool({
    host: url.host ?? '127.0.0.1',
    port: url.port ?? 3306,
    socketPath: p.unix_socket,
    user: url.user,
    password: url.password,
    database: url.database,
    // charset=utf8 in neutron.conf means MySQL's 3-byte utf8; we always speak utf8mb4 so that any
    // string SQLite stores is stored here too
    charset: 'utf8mb4',
    ssl: mysqlTls(p) as any,
    connectionLimit: Math.max(1, pool.maxPoolSize + pool.maxOverflow),
    // as the PostgreSQL pool: an overflow connection closes once idle for idleTimeout. mysql2 would
    // close those beyond maxIdle within a second, and a busy worker then kept opening new ones
    // (each preparing its statements again)
    maxIdle: Math.max(1, pool.maxPoolSize + pool.maxOverflow),
    idleTimeout: 30_000,
    connectTimeout: p.connect_timeout ? Number(p.connect_timeout) * 1000 : timeoutMs(pool),
    enableKeepAlive: true,
    decimalNumbers: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
  const statements = [`SET SESSION TRANSACTION ISOLATION LEVEL ${ISOLATION}`];
  if (session.mysqlSqlMode) statements.push(`SET SESSION sql_mode = ${mysqlDriver().escape(session.mysqlSqlMode)}`);
  if (session.mysqlWsrepSyncWait !== null) statements.push(`SET SESSION wsrep_sync_wait = ${Number(session.mysqlWsrepSyncWait)}`);
  return new MysqlDialect({
    pool: boundedPool(raw, timeoutMs(pool), pool.recycleTime * 1000),
    onCreateConnection: async (c: DatabaseConnection) => {
      for (const s of statements) await c.executeQuery(CompiledQuery.raw(s));
    },
  });
}

/** Thrown when no pooled connection frees up within pool_timeout. */
export class PoolTimeoutError extends Error {
  readonly code = 'POOL_TIMEOUT';
  constructor(seconds: number) { super(`QueuePool limit reached, connection timed out after ${seconds} s`); }
}

/**
 * mysql2's pool has neither an acquire timeout nor a maximum connection age: pool_timeout and
 * connection_recycle_time are applied here, when a connection is handed out.
 */
function boundedPool(pool: mysql.Pool, acquireTimeoutMs: number, recycleMs: number): MysqlPool {
  const born = new WeakMap<object, number>();
  pool.on('connection', (c) => {
    born.set(c, Date.now());
    // errors of a connection nobody is using: mysql2 drops it from the pool; nothing to crash on
    c.on('error', () => {});
    // prepared queries as server-side prepared statements (mysql2 keeps them per connection)
    const query = c.query.bind(c) as (...args: unknown[]) => unknown;
    (c as any).query = (text: unknown, ...rest: unknown[]) =>
      (typeof text === 'string' && statementNames.has(text) ? (c.execute as any)(text, ...rest) : query(text, ...rest));
  });
  return {
    getConnection(callback) {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        callback(new PoolTimeoutError(acquireTimeoutMs / 1000), undefined as any);
      }, acquireTimeoutMs);
      const take = () => pool.getConnection((err, conn) => {
        if (settled) {
          conn?.release();
          return;
        }
        if (!err && recycleMs > 0 && Date.now() - (born.get(conn) ?? Date.now()) > recycleMs) {
          conn.destroy();
          take();
          return;
        }
        settled = true;
        clearTimeout(timer);
        callback(err, conn as any);
      });
      take();
    },
    end: (callback) => pool.end(callback),
  };
}
