import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type TransactionSettings,
} from 'kysely';
import { countStatement } from './statement-count.js';

/**
 * Kysely's SQLite dialect, reshaped for a server: prepared statements are cached (preparing is
 * a large part of a small query's cost), and write transactions start with BEGIN IMMEDIATE so that
 * two processes sharing the file queue on the write lock instead of failing on a read-to-write
 * lock upgrade. The queueing is ours, not SQLite's busy_timeout: SQLite's busy handler sleeps
 * inside the call, which would stall the whole worker while another worker commits.
 */
export class SqliteServerDialect implements Dialect {
  constructor(private readonly file: string) {}
  createDriver(): Driver { return new SqliteServerDriver(this.file); }
  createQueryCompiler() { return new SqliteQueryCompiler(); }
  createAdapter() { return new SqliteAdapter(); }
  createIntrospector(db: Kysely<unknown>) { return new SqliteIntrospector(db); }
}

const STATEMENT_CACHE_SIZE = 500;
/** how long a statement waits for another process's write lock before SQLITE_BUSY */
const BUSY_TIMEOUT_MS = 10_000;

class SqliteServerDriver implements Driver {
  private db?: BetterSqlite3.Database;
  private connection?: SqliteConnection;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async init(): Promise<void> {
    if (this.file !== ':memory:') mkdirSync(dirname(this.file), { recursive: true });
    this.db = new BetterSqlite3(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 0');
    this.db.pragma('foreign_keys = ON');
    // not memory-mapped: every page a big list reads would stay in each worker's resident memory
    // (~14 MB with 10,000 ports); reads through the kernel's page cache measured as fast
    this.db.pragma('mmap_size = 0');
    // the savepoint of each write of a group commit journals the pages it changes; past 64 KB that
    // journal went to a temporary file, a write system call per page
    this.db.pragma('temp_store = MEMORY');
    this.connection = new SqliteConnection(this.db);
  }

  /** SQLite is one connection: callers take turns. */
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise((r) => (release = r));
    await previous;
    this.connection!.release = release;
    return this.connection!;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as SqliteConnection).release?.();
  }

  async beginTransaction(c: DatabaseConnection, _s: TransactionSettings): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    if (this.db?.inTransaction) await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async destroy(): Promise<void> {
    this.db?.close();
  }
}

interface Prepared {
  stmt: BetterSqlite3.Statement;
  /** the names of a reader's columns (its rows are read raw) */
  columns: string[] | null;
}

function rowObject(columns: string[], values: unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
  return row;
}

class SqliteConnection implements DatabaseConnection {
  release?: () => void;
  private readonly statements = new Map<string, Prepared>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  private prepare(sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      const stmt = this.db.prepare(sql);
      // Rows come as arrays and become objects here: better-sqlite3 builds each row object through
      // V8's API, one property at a time, which took half the time of a 10,000-port list's reads.
      const columns = stmt.reader ? stmt.raw(true).columns().map((c) => c.name) : null;
      prepared = { stmt, columns };
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    countStatement();
    const { stmt, columns } = this.prepare(q.sql);
    const params = q.parameters as unknown[];
    for (let attempt = 0, deadline = 0; ; attempt++) {
      try {
        if (columns) return { rows: (stmt.all(params) as unknown[][]).map((values) => rowObject(columns, values)) as R[] };
        const { changes } = stmt.run(params);
        return { numAffectedRows: BigInt(changes), rows: [] };
      } catch (e: any) {
        // SQLITE_BUSY: nothing was done; try again once the other process's transaction is over
        if (e?.code !== 'SQLITE_BUSY') throw e;
        if (attempt === 0) deadline = Date.now() + BUSY_TIMEOUT_MS;
        else if (Date.now() > deadline) throw e;
        await new Promise((r) => (attempt < 2 ? setImmediate(r) : setTimeout(r, 1)));
      }
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported');
  }
}
