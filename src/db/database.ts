import { Kysely, type Transaction } from 'kysely';
import { resolve } from 'node:path';
import { SqliteServerDialect } from './sqlite.js';
import { DBConnectionError, HTTPConflict, isNeutronError } from '../api/errors.js';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';
/** Queries run either on the pool or inside a transaction; both are Kysely instances. */
export type Queryable = Kysely<any>;
export type Tx = Transaction<any>;

export interface DatabaseOptions {
  /** `[database] connection` as operators write it (sqlite:///path, postgresql://..., mysql+pymysql://...) */
  url: string;
  maxRetries?: number;
}

/** A parsed `[database] connection` URL. */
export interface ConnectionUrl {
  dialect: Dialect;
  /** file path for SQLite */
  file?: string;
  url: URL | null;
}

export function parseConnectionUrl(text: string): ConnectionUrl {
  const m = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(text.trim());
  if (!m) throw new Error(`Invalid database connection URL: ${text}`);
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'sqlite') {
    // sqlite:///relative/path is relative, sqlite:////abs/path is absolute (SQLAlchemy's rule); sqlite:// is memory
    const rest = m[3]!;
    const path = rest === '' || rest === '/' ? ':memory:' : rest.replace(/^\//, '').split('?')[0]!;
    return { dialect: 'sqlite', file: path === ':memory:' ? path : resolve(path), url: null };
  }
  const url = new URL(text.replace(/^[^:]+:/, 'http:'));
  if (scheme === 'postgresql' || scheme === 'postgres') return { dialect: 'postgres', url };
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', url };
  throw new Error(`Unsupported database dialect '${scheme}' in ${text}`);
}

/** Errors worth retrying the whole transaction for, as oslo.db's wrap_db_retry does. */
function isRetriable(e: any): boolean {
  const code = e?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED'
    || isDuplicateKey(e)
    || code === '40001' || code === '40P01' // PostgreSQL serialization failure, deadlock
    || e?.errno === 1213 || e?.errno === 1205; // MySQL deadlock, lock wait timeout
}

export function isDuplicateKey(e: any): boolean {
  const code = e?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505' || e?.errno === 1062;
}

function isConnectionError(e: any): boolean {
  const code = e?.code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', '57P01', '57P03', 'SQLITE_CANTOPEN'].includes(code)
    || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(String(e?.message));
}

export class Database {
  readonly kysely: Kysely<any>;
  readonly dialect: Dialect;
  private readonly maxRetries: number;

  constructor(opts: DatabaseOptions) {
    const parsed = parseConnectionUrl(opts.url);
    this.dialect = parsed.dialect;
    this.maxRetries = opts.maxRetries ?? 10;
    if (parsed.dialect !== 'sqlite') throw new Error(`The ${parsed.dialect} backend is not available yet`);
    this.kysely = new Kysely<any>({ dialect: new SqliteServerDialect(parsed.file!) });
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
   * One transaction, retried as a whole on deadlocks, serialization failures and duplicate keys
   * (allocation races), a bounded number of times; then 409. `fn` must be safe to re-run.
   */
  async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.kysely.transaction().execute(fn);
      } catch (e) {
        if (isNeutronError(e)) throw e;
        if (isRetriable(e) && attempt < this.maxRetries) {
          await new Promise((r) => setTimeout(r, Math.min(2 ** attempt, 50) * Math.random()));
          continue;
        }
        if (isRetriable(e)) throw new HTTPConflict('The request conflicted with concurrent changes; try again.');
        throw translate(e);
      }
    }
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}

function translate(e: unknown): unknown {
  if (isConnectionError(e)) return new DBConnectionError();
  return e;
}

/** Neutron's timestamp format: whole seconds, UTC, literal Z. */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
