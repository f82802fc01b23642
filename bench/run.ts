/**
 * neutron-ts benchmark: `npm run bench -- [options]` (see README.md, "Benchmarks").
 * Starts a server of its own (embedded SQLite by default) or loads a given one on the loopback
 * interface, runs the scenarios at each concurrency, and prints a table and writes JSON.
 */
import { Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { ADMIN, NeutronApi } from './api.js';
import { runLoad, type LoadStats } from './load.js';
import { startProduction, type ProductionSetup } from './production.js';
import { BENCH_PROJECTS, scenarios, unlimitedQuotas, type BenchContext } from './scenarios.js';
import { RssMonitor, startServer, type DbKind, type ProcessUsage, type StartedServer } from './server.js';
import { SideCosts, sidePerOp, type SidePerOp } from './side-costs.js';
import { Watchers } from './watchers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

const program = new Command('bench')
  .description('load neutron-ts with Rally-like Networking API scenarios')
  .option('--scenarios <names>', `comma-separated, from: ${scenarios.map((s) => s.name).join(', ')}`, list, scenarios.map((s) => s.name))
  .option('--concurrency <levels>', 'comma-separated concurrency levels', (v) => list(v).map(Number), [1, 10, 50])
  .option('--duration <seconds>', 'measured time of each scenario at each concurrency', Number, 10)
  .option('--count <n>', 'at most this many operations per scenario and concurrency', Number, 100_000)
  .option('--warmup <seconds>', 'unmeasured load before each measured run', Number, 1)
  .option('--workers <n>', 'api_workers of the server the benchmark starts', Number, 2)
  .addOption(new Option('--profile <name>', 'embedded: noauth, no broker; production: Keystone tokens, RabbitMQ, the install guide\'s ML2, rpc workers, --db mysql unless given, --metrics on, --count-sql on unless --no-count-sql').choices(['embedded', 'production']).default('embedded'))
  .addOption(new Option('--db <kind>', 'database of the server the benchmark starts (default: sqlite; production profile: mysql)').choices(['sqlite', 'postgresql', 'mysql']))
  .option('--db-server <url>', 'database server to create the run\'s database on (default: the local PostgreSQL/MariaDB)')
  .option('--url <url>', 'load this running server (loopback only) instead of starting one')
  .option('--token <token>', 'X-Auth-Token for --url (keystone mode); otherwise noauth project headers are sent')
  .option('--server-pid <pid>', 'with --url: the server\'s pid, to report its memory', Number)
  .option('--admin', 'call as noauth\'s admin instead of as members of bench projects', false)
  .option('--count-sql', 'have the server count SQL statements per request (NEUTRON_TS_COUNT_SQL=1; slightly slower, and lists are not streamed)')
  .option('--no-count-sql', 'no SQL counting, also in the production profile (for the list scenarios)')
  .option('--cpu-prof <dir>', 'run the server under node --cpu-prof, profiles written to <dir>')
  .option('--log-level <level>', 'server log level (its log is <state dir>/server.log)', 'info')
  .option('--keep-state', 'keep the server\'s state directory (database, log)', false)
  .option('--metrics', 'turn the server\'s [metrics] listener on and scrape it every 5 s, as a (busy) Prometheus would', false)
  .option('--watchers <n>', 'clients following a collection\'s change stream (?watch=true) during the runs, as noauth admin', Number, 0)
  .option('--watch <collection>', 'the collection the watchers follow: ports receives every port create; one the scenarios do not change (address-scopes) leaves them idle', 'ports')
  .option('--no-change-stream', 'start the server with [change_stream] enabled = false (to measure what the change log costs)')
  .option('--out <file>', 'JSON results file', join(root, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`));

interface Row {
  scenario: string;
  what: string;
  concurrency: number;
  stats: LoadStats;
  rss: ProcessUsage | null;
  /** the load generator's own CPU seconds */
  clientCpu: number;
  /** the machine's 1-minute load average at the end of the run: other work on a shared machine shows here */
  load: number;
  sqlPerRequest: number | null;
  /** per request, from the server's metrics (with --metrics): broker messages sent, write transactions committed, ms waited for a database connection */
  perRequest: { messages: number; transactions: number; poolWaitMs: number; retries: number } | null;
  /** events the watchers received during the measured run, in all */
  watchEvents: number | null;
  /** production profile: per request, the database's, broker's and Keystone's CPU, fsyncs and lock waits */
  side: SidePerOp | null;
}

async function main(): Promise<void> {
  const opts = program.parse().opts();
  const unknown = (opts.scenarios as string[]).filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  const chosen = scenarios.filter((s) => (opts.scenarios as string[]).includes(s.name));
  const levels = opts.concurrency as number[];
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

  const production: ProductionSetup | null = opts.profile === 'production' && !opts.url ? await startProduction(BENCH_PROJECTS, log) : null;
  if (production) Object.assign(opts, { db: opts.db ?? 'mysql', metrics: true, countSql: opts.countSql ?? true });
  opts.db ??= 'sqlite';
  let server: StartedServer | null = null;
  if (!opts.url) {
    log(`starting neutron-ts (${opts.db}, api_workers=${opts.workers})`);
    server = await startServer({
      extraConfig: production?.config,
      workers: opts.workers, db: opts.db as DbKind, dbServer: opts.dbServer, countSql: opts.countSql === true,
      cpuProfDir: opts.cpuProf, logLevel: opts.logLevel, keepState: opts.keepState, metrics: opts.metrics,
      changeStream: opts.changeStream,
    }).catch(async (e) => {
      await production?.stop();
      throw e;
    });
    log(`${server.description} at ${server.url}, state in ${server.stateDir}`);
  }
  const url = opts.url ?? server!.url;
  const api = new NeutronApi(url, opts.token ?? null, Math.max(...levels, 8));
  const rss = server?.rss ?? (opts.serverPid ? new RssMonitor(opts.serverPid) : null);
  const ctx: BenchContext = {
    api, admin: opts.admin, log, createdPorts: new Map(), nextPortNet: 0, nextSubnet: 0,
    callers: production ? { member: production.member, admin: production.admin } : undefined,
  };
  const rows: Row[] = [];
  const side = production && opts.db !== 'sqlite' ? await SideCosts.open(opts.db as Exclude<DbKind, 'sqlite'>, opts.dbServer) : null;
  const scraper = server?.metricsUrl ? scrapeEvery(server.metricsUrl, 5000, log) : null;
  const watchers = opts.watchers > 0 ? new Watchers(url, opts.token ?? null, ADMIN) : null;
  const stop = async () => {
    scraper?.stop();
    await side?.close();
    await watchers?.close();
    await api.close();
    await server?.stop();
    await production?.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    if (opts.url && !opts.token && !opts.admin) await unlimitedQuotas(ctx);
    if (watchers) {
      await watchers.open(opts.watchers, opts.watch);
      log(`${opts.watchers} watchers following ${opts.watch}`);
    }
    for (const s of chosen) {
      for (const c of levels) {
        const op = await s.setup(ctx, c);
        if (opts.warmup > 0) await runLoad(op, { concurrency: c, durationMs: opts.warmup * 1000, count: opts.count });
        const before = server?.metricsUrl ? await scrape(server.metricsUrl) : null;
        const side0 = await side?.sample();
        rss?.start();
        api.sqlStatements = api.sqlResponses = 0;
        const events0 = watchers?.events ?? 0;
        const cpu0 = process.cpuUsage();
        const stats = await runLoad(op, { concurrency: c, durationMs: opts.duration * 1000, count: opts.count });
        const cpu = process.cpuUsage(cpu0);
        const after = before ? await scrape(server!.metricsUrl!) : null;
        const side1 = await side?.sample();
        const row: Row = {
          scenario: s.name, what: s.what, concurrency: c, stats, rss: rss?.stop() ?? null,
          clientCpu: (cpu.user + cpu.system) / 1e6,
          load: loadavg()[0]!,
          sqlPerRequest: api.sqlResponses ? api.sqlStatements / api.sqlResponses : null,
          watchEvents: watchers ? watchers.events - events0 : null,
          perRequest: before && after && stats.ops ? perRequest(before, after, stats.ops) : null,
          side: side0 && side1 && stats.ops ? sidePerOp(side0, side1, stats.ops) : null,
        };
        rows.push(row);
        log(formatRow(row));
        if (row.watchEvents !== null) log(`  watchers received ${row.watchEvents} events (${(row.watchEvents / Math.max(1, stats.ops)).toFixed(1)} per operation)`);
        for (const e of stats.errorSamples) log(`  error: ${e}`);
      }
    }
  } finally {
    await stop();
  }

  const description = [server?.description ?? url, production?.description].filter(Boolean).join('; ');
  process.stdout.write(`\n${description} — ${machine().cpu}, ${machine().cores} cores\n`);
  process.stdout.write(`${header()}\n${rows.map(formatRow).join('\n')}\n`);
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    date: new Date().toISOString(),
    machine: machine(),
    commit: commit(),
    server: description,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { ...opts, token: opts.token ? '***' : undefined },
    results: rows.map((r) => ({
      scenario: r.scenario, request: r.what, concurrency: r.concurrency,
      ops: r.stats.ops, errors: r.stats.errors, seconds: round(r.stats.seconds),
      ops_per_second: round(r.stats.opsPerSecond),
      latency_ms: { p50: round(r.stats.p50), p95: round(r.stats.p95), p99: round(r.stats.p99), max: round(r.stats.max) },
      server_rss_mb: r.rss && { peak_per_process: round(r.rss.perProcessMb), peak_total: round(r.rss.totalMb), per_run: r.rss.exact },
      server_cpu_ms_per_op: r.rss && r.stats.ops ? round((1000 * r.rss.cpuSeconds) / r.stats.ops) : null,
      client_cpu_ms_per_op: r.stats.ops ? round((1000 * r.clientCpu) / r.stats.ops) : null,
      sql_statements_per_request: r.sqlPerRequest === null ? null : round(r.sqlPerRequest),
      per_request: r.perRequest && {
        broker_messages: round(r.perRequest.messages), transactions: round(r.perRequest.transactions),
        pool_wait_ms: round(r.perRequest.poolWaitMs), retries: round(r.perRequest.retries),
      },
      outside_server_per_request: r.side && {
        database_cpu_ms: round(r.side.databaseCpuMs), broker_cpu_ms: round(r.side.brokerCpuMs), keystone_cpu_ms: round(r.side.keystoneCpuMs),
        fsyncs: round(r.side.fsyncs), row_lock_wait_ms: r.side.lockWaitMs === null ? null : round(r.side.lockWaitMs),
      },
      load_average: round(r.load),
      watch_events: r.watchEvents,
      error_samples: r.stats.errorSamples,
    })),
  }, null, 2)}\n`);
  log(`results written to ${out}`);
}

const COLUMNS: Array<[string, number]> = [
  ['scenario', 22], ['conc', 5], ['ops', 7], ['ops/s', 8], ['p50 ms', 8], ['p95 ms', 8], ['p99 ms', 8],
  ['errors', 7], ['RSS MB', 7], ['RSS all', 8], ['CPU ms/op', 10], ['SQL/req', 8], ['tx/req', 7], ['msgs/req', 9],
  ['wait ms', 8], ['DB ms/op', 9], ['MQ ms/op', 9], ['KS ms/op', 9], ['fsync/req', 10], ['lock ms', 8], ['load', 6],
];

function header(): string {
  return COLUMNS.map(([h, w], i) => (i === 0 ? h.padEnd(w) : h.padStart(w))).join(' ');
}

function formatRow(r: Row): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  const cells = [
    r.scenario, String(r.concurrency), String(r.stats.ops), f(r.stats.opsPerSecond, 0),
    f(r.stats.p50, 2), f(r.stats.p95, 2), f(r.stats.p99, 2), String(r.stats.errors),
    r.rss ? f(r.rss.perProcessMb, 0) : '-', r.rss ? f(r.rss.totalMb, 0) : '-',
    r.rss && r.stats.ops ? f((1000 * r.rss.cpuSeconds) / r.stats.ops, 2) : '-',
    r.sqlPerRequest === null ? '-' : f(r.sqlPerRequest, 1),
    r.perRequest ? f(r.perRequest.transactions, 2) : '-', r.perRequest ? f(r.perRequest.messages, 2) : '-',
    r.perRequest ? f(r.perRequest.poolWaitMs, 2) : '-',
    r.side ? f(r.side.databaseCpuMs, 2) : '-', r.side ? f(r.side.brokerCpuMs, 2) : '-', r.side ? f(r.side.keystoneCpuMs, 2) : '-',
    r.side ? f(r.side.fsyncs, 2) : '-', r.side?.lockWaitMs != null ? f(r.side.lockWaitMs, 2) : '-', f(r.load, 1),
  ];
  return cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1]))).join(' ');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30),
    kernel: release(), node: process.version,
  };
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${head} (src modified)` : head;
  } catch {
    return 'unknown';
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});

/** A scrape's samples summed by metric name (labels dropped). */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await request(url);
  const text = await res.body.text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return sums;
}

function perRequest(before: Map<string, number>, after: Map<string, number>, ops: number): NonNullable<Row['perRequest']> {
  const delta = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / ops;
  return {
    messages: delta('neutron_rpc_client_duration_seconds_count'),
    transactions: delta('neutron_db_transactions_total'),
    poolWaitMs: 1000 * delta('neutron_db_pool_wait_seconds_sum'),
    retries: delta('neutron_db_transaction_retries_total'),
  };
}

/** Scrapes a Prometheus listener every `ms` until stopped; a failed scrape is reported. */
function scrapeEvery(url: string, ms: number, log: (m: string) => void): { stop(): void } {
  const timer = setInterval(() => {
    request(url).then(async (res) => {
      const body = await res.body.text();
      if (res.statusCode !== 200) log(`metrics scrape: ${res.statusCode} ${body.slice(0, 200)}`);
    }, (e: Error) => log(`metrics scrape failed: ${e.message}`));
  }, ms);
  return { stop: () => clearInterval(timer) };
}
