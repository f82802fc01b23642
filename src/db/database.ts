import { Kysely, MysqlAdapter, sql, SqliteAdapter, type Dialect as KyselyDialect } from 'kysely';
import type { Logger } from 'pino';
import { DBConnectionError, HTTPConflict, InvalidInput, isNeutronError } from '../lib/errors.js';
import { type Config, databaseUrl } from '../config/index.js';
import { instrumentPool, probes } from '../metrics/probes.js';
import { keepChanges, writeChanges } from './changes.js';
import {
  createDialect, DEFAULT_POOL, parseConnectionUrl, redact, type Dialect, type PoolOptions, type SessionOptions,
} from './connection.js';
export { parseConnectionUrl, redact, type ConnectionUrl, type Dialect } from './connection.js';
import { GroupCommit } from './group-commit.js';
import { ResourceTurns } from './resource-turns.js';
import { countingDialect } from './statement-count.js';
import type { Queryable, Tables, Tx } from './schema.js';
import { perTransaction } from './transaction-state.js';

export interface DatabaseOptions {
  /** `[database] connection` as operators write it (sqlite:///path, postgresql://..., mysql+pymysql://...) */
  url: string;
  /** [database] connection_parameters: more query-string parameters for the driver */
  connectionParameters?: string;
  /** how many times a transaction is run again after a deadlock, serialization failure or duplicate key */
  maxRetries?: number;
  pool?: Partial<PoolOptions>;
  session?: Partial<SessionOptions>;
  log?: Logger;
  /** write transactions note the objects they create, change and delete in `changes` (the change stream) */
  changeLog?: boolean;
}

/** Deadlocks, serialization failures and lock timeouts: the transaction lost a race and may simply run again. */
export function isDeadlock(e: any): boolean {
  const code = e?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED'
    || code === '40001' || code === '40P01' || code === '55P03' // PostgreSQL serialization failure, deadlock, lock not available
    // MariaDB/MySQL: deadlock (also a Galera certification failure), lock wait timeout,
    // record changed since last read, and Galera's "error during COMMIT"
    || [1213, 1205, 1020, 1180, 1181].includes(e?.errno);
}

export function isDuplicateKey(e: any): boolean {
  const code = e?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505' || e?.errno === 1062;
}

/**
 * A row referred to was deleted (or a referring row appeared) by a concurrent transaction. Running
 * the transaction again lets its own checks see that and answer with Neutron's error (NotFound, InUse).
 */
export function isForeignKeyRace(e: any): boolean {
  const code = e?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503' || [1451, 1452, 1216, 1217].includes(e?.errno);
}

/** Errors worth running the whole transaction again for, as neutron-lib's retry_db_errors does. */
export function isRetriable(e: unknown): boolean {
  return isDeadlock(e) || isDuplicateKey(e) || isForeignKeyRace(e);
}

/**
 * A value the column's type cannot hold: a number out of its range, text that is not a number, a
 * NUL character (PostgreSQL). SQLite stores or compares anything, so such a value in a filter or an
 * id simply matches nothing there.
 */
export function isDataError(e: any): boolean {
  return (typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code) && !!e.severity) // PostgreSQL class 22
    || [1264, 1265, 1292, 1366, 1406, 1367].includes(e?.errno); // MariaDB: out of range, truncated, incorrect value, too long
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
  'SQLITE_CANTOPEN', 'POOL_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);

/** The database cannot be reached (or has no connection for us): 503, and the server keeps running. */
export function isConnectionError(e: any): boolean {
  if (!e) return false;
  if (CONNECTION_CODES.has(e.code)) return true;
  // MariaDB: too many connections, server shutdown, Galera node not ready; client: cannot connect, gone away, lost
  if ([1040, 1053, 1047, 2002, 2003, 2006, 2013].includes(e.errno)) return true;
  if (e.fatal === true && typeof e.code === 'string' && !e.sqlState) return true;
  if (e instanceof AggregateError) return e.errors.some(isConnectionError);
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|Can't add new command when connection is in closed state|Pool is closed/i
    .test(String(e.message));
}

export class Database {
  readonly kysely: Kysely<Tables>;
  readonly dialect: Dialect;
  /** the URL with its password masked */
  readonly description: string;
  private readonly maxRetries: number;
  private readonly log?: Logger;
  /** SQLite's write transactions are batched (see GroupCommit) */
  private readonly groupCommit?: GroupCommit;
  private readonly changeLog: boolean;
  /** writes of one object take turns until their notifications are out (resource-turns.ts) */
  readonly turns: ResourceTurns;
  private readonly connect: (pool: PoolOptions) => KyselyDialect;

  constructor(opts: DatabaseOptions) {
    const parsed = parseConnectionUrl(opts.url, opts.connectionParameters);
    this.dialect = parsed.dialect;
    this.description = redact(opts.url);
    this.maxRetries = opts.maxRetries ?? 20;
    this.log = opts.log;
    this.changeLog = opts.changeLog ?? false;
    const session: SessionOptions = { mysqlSqlMode: 'TRADITIONAL', mysqlWsrepSyncWait: null, ...opts.session };
    this.connect = (pool) => countIfServer(parsed.dialect, createDialect(parsed, pool, session, (e) => {
      this.log?.warn({ err: e }, 'database connection lost while idle');
    }));
    this.kysely = new Kysely<Tables>({ dialect: instrumentPool(this.connect({ ...DEFAULT_POOL, ...opts.pool })) });
    if (this.dialect === 'sqlite') this.groupCommit = new GroupCommit(this.kysely);
    this.turns = new ResourceTurns(this.log);
  }

  /**
   * The writes of one object take turns across this database's processes too: when their
   * notifications leave the process (a broker). The turns' locks have a connection of their own.
   */
  takeTurnsAcrossProcesses(): void {
    // PostgreSQL: not yet. At concurrency 50 two API workers' pools (max_pool_size + max_overflow,
    // 55 each) fill its default max_connections (100): the turns' connection, opened on demand,
    // was refused ("too many clients") and port updates went six times slower
    if (this.dialect !== 'mysql') return;
    this.turns.acrossProcesses(new Kysely({ dialect: this.connect({ ...DEFAULT_POOL, maxPoolSize: 1, maxOverflow: 0 }) }));
  }

  /** The database of `[database]` in `config`, with its pool and retry options. */
  static fromConfig(config: Config, log?: Logger): Database {
    const d = config.database;
    return new Database({
      url: databaseUrl(config),
      connectionParameters: d.connection_parameters,
      maxRetries: d.db_max_retries,
      pool: {
        maxPoolSize: d.max_pool_size, maxOverflow: d.max_overflow,
        poolTimeout: d.pool_timeout, recycleTime: d.connection_recycle_time,
      },
      session: { mysqlSqlMode: d.mysql_sql_mode || null, mysqlWsrepSyncWait: d.mysql_wsrep_sync_wait },
      changeLog: config.change_stream.enabled,
      log,
    });
  }

  /**
   * Waits for the database to answer, as oslo.db does at start-up: `retries` more attempts
   * (-1: forever), `intervalSeconds` apart.
   */
  async waitUntilReachable(retries: number, intervalSeconds: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`select 1`.execute(this.kysely);
        return;
      } catch (e) {
        if (!isConnectionError(e) || (retries >= 0 && attempt >= retries)) throw e;
        this.log?.warn({ err: e, database: this.description, attempt: attempt + 1 }, `database unreachable; retrying in ${intervalSeconds} s`);
        await sleep(intervalSeconds * 1000);
      }
    }
  }

  /** Reads outside a transaction. Connection failures become 503. */
  async read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      return await fn(this.kysely);
    } catch (e) {
      throw translate(e);
    }
  }

  /**
   * One transaction, run again as a whole on deadlocks, serialization failures and duplicate keys
   * (allocation races), up to maxRetries times with a growing random pause; then 409. A
   * foreign-key failure is run again once (a concurrent delete), then it is the request's fault: 400. A lost
   * connection is 503 at once: a COMMIT that did not answer may have happened, so it is not re-run.
   * `fn` must be safe to re-run.
   */
  async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const run = this.changeLog ? withChangeLog(fn) : fn;
    let foreignKeyFailures = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const { result, tx } = this.groupCommit
          ? await this.groupCommit.run(run)
          : await this.kysely.transaction().execute(async (tx) => ({ result: await run(tx), tx }));
        probes.transactionCommitted?.();
        for (const f of perTransaction<Array<() => void>>(tx, ON_COMMITTED, () => [])) {
          try {
            f();
          } catch (err) {
            this.log?.error({ err }, 'after-commit callback failed');
          }
        }
        return result;
      } catch (e) {
        if (isNeutronError(e)) throw e;
        if (!isRetriable(e)) throw translate(e);
        // A reference that fails again when the transaction re-ran its checks is no race: the
        // request names a row that never existed (input no check looked up), a client error.
        if (isForeignKeyRace(e) && ++foreignKeyFailures > 1) {
          throw new InvalidInput({ error_message: 'a value refers to an object that does not exist or is in use' });
        }
        if (attempt >= this.maxRetries) {
          this.log?.warn({ err: e, attempts: attempt + 1 }, 'transaction still conflicting after all retries');
          throw new HTTPConflict('The request conflicted with concurrent changes; try again.');
        }
        this.log?.debug({ err: e, attempt: attempt + 1 }, 'transaction lost a race; running it again');
        probes.transactionRetry?.(e);
        await sleep(Math.random() * Math.min(5 * 2 ** attempt, 250));
      }
    }
  }

  async close(): Promise<void> {
    await this.turns.close();
    await this.kysely.destroy();
  }
}

/** SQLite's driver counts its statements itself; a server's are counted around Kysely's driver. */
function countIfServer(dialect: string, d: KyselyDialect): KyselyDialect {
  return dialect === 'sqlite' ? d : countingDialect(d);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `fn` with its changes noted, and written as the transaction's last statements. */
function withChangeLog<T>(fn: (tx: Tx) => Promise<T>): (tx: Tx) => Promise<T> {
  return async (tx) => {
    keepChanges(tx);
    const result = await fn(tx);
    await writeChanges(tx, timestamp());
    return result;
  };
}

const ON_COMMITTED = Symbol('on committed');

/**
 * Runs `fn` once the write transaction `tx` has committed; never if it rolls back. The registry
 * publishes the after_ events of writes made inside another resource's transaction so.
 */
export function onCommitted(tx: Tx, fn: () => void): void {
  perTransaction<Array<() => void>>(tx, ON_COMMITTED, () => []).push(fn);
}

const NAMED_LOCKS = Symbol('named locks');

function translate(e: unknown): unknown {
  if (isConnectionError(e)) return new DBConnectionError();
  if (isDataError(e)) return new InvalidInput({ error_message: 'a value does not fit the field it is meant for' });
  return e;
}

/** Whether `q` runs on SQLite, whose BEGIN IMMEDIATE lets one writer at a time in: no row locks needed. */
export function onSqlite(q: Queryable): boolean {
  return q.getExecutor().adapter instanceof SqliteAdapter;
}

/** The query with FOR UPDATE, unless it runs on SQLite (which has no FOR UPDATE, see onSqlite). */
export function forUpdate<QB extends { forUpdate(): QB }>(q: Queryable, qb: QB): QB {
  return onSqlite(q) ? qb : qb.forUpdate();
}

/**
 * Takes the named lock (a row of `locks`) until the transaction ends, so that transactions doing
 * the same thing take turns instead of racing and starting again. Once per transaction and name;
 * nothing to do on SQLite, where one writer at a time is let in.
 */
export async function lockNamed(tx: Tx, name: string): Promise<void> {
  if (onSqlite(tx)) return;
  const held = perTransaction(tx, NAMED_LOCKS, () => new Set<string>());
  if (held.has(name)) return;
  const take = () => tx.selectFrom('locks').select('name').where('name', '=', name).forUpdate().executeTakeFirst();
  if (!(await take())) {
    // the first use of this name: a concurrent first use waits here for the other's insert to commit
    const insert = tx.insertInto('locks').values({ name });
    await (tx.getExecutor().adapter instanceof MysqlAdapter ? insert.ignore() : insert.onConflict((oc) => oc.doNothing())).execute();
    await take();
  }
  held.add(name);
}

/** Neutron's timestamp format: whole seconds, UTC, literal Z. */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
