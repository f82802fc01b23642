import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

export type DbKind = 'sqlite' | 'postgresql' | 'mysql';

export interface ServerOptions {
  workers: number;
  db: DbKind;
  /** the database server to create the benchmark's database on (postgresql://... or mysql://...) */
  dbServer?: string;
  /** NEUTRON_TS_COUNT_SQL=1: the server reports SQL statements per request */
  countSql: boolean;
  /** directory for node --cpu-prof profiles of the server's processes */
  cpuProfDir?: string;
  /** pino level of the server's log (its log goes to <state>/server.log) */
  logLevel: string;
  keepState: boolean;
  /** turn [metrics] on (a listener on a free loopback port) */
  metrics?: boolean;
  /** false: [change_stream] enabled = false */
  changeStream?: boolean;
  /** a second configuration file's lines (a profile's settings, read after the bench's own) */
  extraConfig?: string[];
}

export interface StartedServer {
  url: string;
  /** the Prometheus listener's /metrics, with `metrics` */
  metricsUrl?: string;
  pid: number;
  stateDir: string;
  description: string;
  rss: RssMonitor;
  stop(): Promise<void>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'neutron-ts.js');

export const DB_SERVERS: Record<Exclude<DbKind, 'sqlite'>, string> = {
  postgresql: 'postgresql://postgres@127.0.0.1:5432/postgres',
  mysql: 'mysql://root@127.0.0.1:3306/',
};

/** Starts `neutron-ts server` from the built tree with a fresh state directory and database. */
export async function startServer(opts: ServerOptions): Promise<StartedServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neutron-ts-bench-'));
  const port = await freePort();
  const metricsPort = opts.metrics ? await freePort() : null;
  const db = await createDatabase(opts.db, opts.dbServer, stateDir);
  const conf = join(stateDir, 'neutron.conf');
  writeFileSync(conf, [
    '[DEFAULT]',
    'bind_host = 127.0.0.1',
    `bind_port = ${port}`,
    `state_path = ${stateDir}`,
    `api_workers = ${opts.workers}`,
    'auth_strategy = noauth',
    // unlimited, as Rally's quotas context sets them
    '[QUOTAS]',
    ...['network', 'subnet', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule', 'rbac_policy'].map((r) => `quota_${r} = -1`),
    '[database]',
    `connection = ${db.connection}`,
    ...(metricsPort ? ['[metrics]', `bind_port = ${metricsPort}`] : []),
    ...(opts.changeStream === false ? ['[change_stream]', 'enabled = false'] : []),
    // at most 30 connections per worker: PostgreSQL's default max_connections is 100
    ...(opts.db === 'sqlite' ? [] : ['max_pool_size = 10', 'max_overflow = 20']),
    '',
  ].join('\n'));
  const confs = ['--config-file', conf];
  if (opts.extraConfig) {
    writeFileSync(join(stateDir, 'profile.conf'), `${opts.extraConfig.join('\n')}\n`);
    confs.push('--config-file', join(stateDir, 'profile.conf'));
  }
  const logFile = join(stateDir, 'server.log');
  const env = { ...process.env, NEUTRON_TS_LOG_LEVEL: opts.logLevel, ...(opts.countSql ? { NEUTRON_TS_COUNT_SQL: '1' } : {}) };
  if (opts.db !== 'sqlite') await runCli(['db', 'upgrade', ...confs], env, logFile);

  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProfDir)}`] : [];
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, cli, 'server', ...confs], { env, stdio: ['ignore', out, out] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, child, logFile);
  } catch (e) {
    child.kill('SIGKILL');
    await db.drop();
    throw e;
  }
  return {
    url, pid: child.pid!, stateDir, metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
    description: `neutron-ts (${opts.db}${opts.db === 'sqlite' ? '' : ` ${db.connection.replace(/\/\/[^@]*@/, '//')}`}, api_workers=${opts.workers}${metricsPort ? ', metrics on' : ''}${opts.changeStream === false ? ', change stream off' : ''})`,
    rss: new RssMonitor(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      await db.drop();
      if (!opts.keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

async function waitUntilServing(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${tail(logFile)}`);
    try {
      const res = await request(`${url}/`);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer within 60 s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

async function runCli(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', out, out] });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`neutron-ts ${args.join(' ')} failed (${code}):\n${tail(logFile)}`);
}

/** A database of its own for this run: a file for SQLite, a fresh database on a PostgreSQL or MariaDB server. */
export async function createDatabase(kind: DbKind, server: string | undefined, stateDir: string): Promise<{ connection: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { connection: `sqlite:///${join(stateDir, 'neutron.db')}`, drop: async () => {} };
  const name = `neutron_bench_${process.pid}_${Date.now() % 100000}`;
  const admin = new URL(server ?? DB_SERVERS[kind]);
  if (kind === 'postgresql') {
    const { default: pg } = await import('pg');
    const run = async (sql: string) => {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    };
    await run(`CREATE DATABASE ${name}`);
    const url = new URL(admin.toString());
    url.pathname = `/${name}`;
    return { connection: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const { default: mysql } = await import('mysql2/promise');
  const run = async (sql: string) => {
    const c = await mysql.createConnection({
      host: admin.hostname, port: Number(admin.port || 3306),
      user: decodeURIComponent(admin.username || 'root'), password: decodeURIComponent(admin.password),
    });
    try { await c.query(sql); } finally { await c.end(); }
  };
  await run(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  const auth = admin.username ? `${admin.username}${admin.password ? `:${admin.password}` : ''}@` : 'root@';
  return {
    connection: `mysql+pymysql://${auth}${admin.hostname}:${admin.port || 3306}/${name}`,
    drop: () => run(`DROP DATABASE IF EXISTS ${name}`),
  };
}

export interface ProcessUsage {
  /** peak resident memory of the largest process and of the whole tree, MB */
  perProcessMb: number;
  totalMb: number;
  /** whether the per-process peak is this run's (VmHWM reset) or the process's lifetime */
  exact: boolean;
  /** CPU seconds (user + system) the tree used during the run */
  cpuSeconds: number;
}

/**
 * Memory and CPU of the server's process tree (the supervisor and its workers), from /proc:
 * VmHWM, the kernel's own peak, reset at the start of each measured run through clear_refs;
 * VmRSS sampled for the tree's total; utime + stime for the CPU a run cost, a figure that other
 * load on a shared machine disturbs less than throughput.
 */
export class RssMonitor {
  private tree: number[] = [];
  private treeAt = 0;
  private totalPeak = 0;
  private timer: NodeJS.Timeout | null = null;
  private hwmReset = true;
  private cpuAtStart = 0;
  private readonly cpuSeen = new Map<number, number>();

  constructor(private readonly rootPid: number) {}

  /** root and its descendants */
  pids(): number[] {
    const now = Date.now();
    if (now - this.treeAt < 1000) return this.tree;
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch { /* gone */ }
    }
    const tree = [this.rootPid];
    for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
    this.tree = tree;
    this.treeAt = now;
    return tree;
  }

  start(): void {
    this.totalPeak = 0;
    for (const pid of this.pids()) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        this.hwmReset = false;
      }
    }
    this.sample();
    this.cpuAtStart = this.cpu();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    let total = 0;
    for (const pid of this.pids()) total += status(pid, 'VmRSS');
    this.totalPeak = Math.max(this.totalPeak, total);
    this.cpu();
  }

  /** CPU seconds of the tree so far (a worker that exited keeps its last reading) */
  private cpu(): number {
    for (const pid of this.pids()) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        this.cpuSeen.set(pid, (Number(f[11]) + Number(f[12])) / 100);
      } catch { /* gone */ }
    }
    let total = 0;
    for (const v of this.cpuSeen.values()) total += v;
    return total;
  }

  /** peaks since start() and the CPU used since then */
  stop(): ProcessUsage {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const perProcess = Math.max(...this.pids().map((pid) => status(pid, 'VmHWM')));
    return { totalMb: this.totalPeak / 1024, perProcessMb: perProcess / 1024, exact: this.hwmReset, cpuSeconds: this.cpu() - this.cpuAtStart };
  }
}

/** a /proc/<pid>/status field in kB (0 when the process is gone) */
function status(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
