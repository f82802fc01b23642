/**
 * The platform's floor under issue 22's targets: what a minimal Node.js server does on this
 * machine with no neutron-ts logic at all,
 *
 *   node --import tsx bench/bare-server.ts --db mysql|postgresql [--concurrency 50] [--duration 5]
 *
 * The primary process makes a scratch database (bench/bare-db.ts's tables, seed and statements),
 * then forks two node:cluster workers sharing one listening socket, as the server's two API
 * workers do (each accepts for itself, UV_TCP_SINGLE_ACCEPT=1). Each worker is a plain node:http
 * server with concurrency/2 database connections: GET, POST, PUT and DELETE /v2.0/ports[/<id>]
 * parse the JSON body, run bare-db's statements for a port show, create, update or delete, and
 * answer the port's row as JSON. The primary loads it with the benchmark's closed-loop load
 * generator and undici pool (bench/load.ts, bench/api.ts) and reports, per request, the workers'
 * CPU (process.cpuUsage over IPC), the database's, the load generator's and the machine's.
 */
import { Command, Option } from 'commander';
import cluster, { type Worker } from 'node:cluster';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { ADMIN, NeutronApi } from './api.js';
import {
  connect, createPort, dbCpu, deletePort, machineBusy, NET, numberPortsFrom, readPort, schema, seed, updatePort, used,
  type Conn, type Kind,
} from './bare-db.js';
import { runLoad, type LoadStats, type Op } from './load.js';
import { createDatabase } from './server.js';

const program = new Command('bare-server')
  .addOption(new Option('--db <kind>').choices(['mysql', 'postgresql']).makeOptionMandatory())
  .option('--concurrency <n>', 'requests in flight (the load generator\'s connections)', Number, 50)
  .option('--duration <seconds>', 'measured time of each scenario (after 1 s of warm-up)', Number, 5)
  .option('--db-server <url>', 'database server to create the scratch database on (default: the local one)');
const opts = program.parse().opts();
const kind = opts.db as Kind;
const WORKERS = 2;
const poolSize = Math.ceil(opts.concurrency / WORKERS);

type ToWorker = { type: 'cpu' } | { type: 'stop' };
type FromWorker = { type: 'ready'; port: number; connectionIds: number[] } | { type: 'cpu'; ms: number; requests: number };

// ---- worker ---------------------------------------------------------------------------------

async function worker(): Promise<void> {
  process.on('SIGINT', () => undefined); // the primary stops us, after dropping its load
  const conns = await Promise.all(Array.from({ length: poolSize }, () => connect(kind, process.env.BARE_DB_URL!)));
  const id = cluster.worker!.id;
  numberPortsFrom(id * 100_000_000);
  // a port delete returns its address to range `n`: one per connection of both workers
  type Slot = { c: Conn; n: number };
  const idle: Slot[] = conns.map((c, i) => ({ c, n: (id - 1) * poolSize + i }));
  const waiting: Array<(s: Slot) => void> = [];
  const withConn = async <T>(fn: (c: Conn, n: number) => Promise<T>): Promise<T> => {
    const s = idle.pop() ?? await new Promise<Slot>((resolve) => waiting.push(resolve));
    try {
      return await fn(s.c, s.n);
    } catch (e) {
      await s.c.run('rollback').catch(() => undefined);
      throw e;
    } finally {
      const next = waiting.shift();
      if (next) next(s);
      else idle.push(s);
    }
  };

  let updates = 0;
  const notFound = (what: string): [number, unknown] => [404, { NeutronError: { type: 'NotFound', message: `${what} could not be found.`, detail: '' } }];
  async function handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const m = /^\/v2\.0\/ports(?:\/([^/]+))?$/.exec(req.url!.split('?')[0]!);
    const port = m?.[1];
    if (!m) return notFound(`The resource ${req.url}`);
    if (req.method === 'GET' && port) {
      const row = await withConn((c) => readPort(c, port));
      return row ? [200, { port: row }] : notFound(`Port ${port}`);
    }
    if (req.method === 'POST' && !port && body?.port) return [201, { port: await withConn((c) => createPort(c)) }];
    if (req.method === 'PUT' && port && body?.port) {
      const row = await withConn((c) => updatePort(c, port, ++updates));
      return row ? [200, { port: row }] : notFound(`Port ${port}`);
    }
    if (req.method === 'DELETE' && port) {
      await withConn((c, n) => deletePort(c, port, n, false)); // no subnet lock, as the server since 2811f3e
      return [204, null];
    }
    return [400, { NeutronError: { type: 'BadRequest', message: `${req.method} ${req.url}: not served here`, detail: '' } }];
  }
  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (body === null) return res.writeHead(status).end();
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  let requests = 0;
  const server = createServer({ keepAlive: true }, (req, res) => {
    requests++;
    handle(req).then(([status, body]) => send(res, status, body), (e: Error) => send(res, 500, {
      NeutronError: { type: 'InternalServerError', message: e.message, detail: '' },
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', async (m: ToWorker) => {
    if (m.type === 'cpu') {
      const cpu = process.cpuUsage();
      process.send!({ type: 'cpu', ms: (cpu.user + cpu.system) / 1000, requests } satisfies FromWorker);
    } else {
      server.closeAllConnections();
      server.close();
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port, connectionIds: conns.map((c) => c.id) } satisfies FromWorker);
}

// ---- primary --------------------------------------------------------------------------------

/** The next message of `type` from `w`; rejects if it exits first. */
function reply<T extends FromWorker['type']>(w: Worker, type: T): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type !== type) return;
      w.off('message', onMessage).off('exit', onExit);
      resolve(m as Extract<FromWorker, { type: T }>);
    };
    const onExit = (code: number) => reject(new Error(`worker ${w.id} exited (${code}) before its ${type} message`));
    w.on('message', onMessage).on('exit', onExit);
  });
}

interface Row {
  scenario: string;
  stats: LoadStats;
  /** per request, ms of CPU: both workers', the database's, the load generator's, the whole machine's busy time */
  workerMs: number;
  dbMs: number;
  clientMs: number;
  busyMs: number;
  /** requests each worker served */
  split: number[];
  load: number;
}

async function primary(): Promise<void> {
  const log = (m: string) => process.stderr.write(`[bare-server] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
  let stopping = false;
  process.once('SIGINT', () => { stopping = true; });
  const scratch = await createDatabase(kind, opts.dbServer, '');
  const workers: Worker[] = [];
  let monitor: Conn | undefined;
  let api: NeutronApi | undefined;
  const rows: Row[] = [];
  try {
    monitor = await connect(kind, scratch.connection);
    for (const sql of schema(kind)) await monitor.run(sql);
    const seeded = await seed(monitor);
    log(`scratch database ${scratch.connection.replace(/\/\/[^@]*@/, '//')}, ${seeded.length} ports seeded`);

    cluster.schedulingPolicy = cluster.SCHED_NONE; // the workers accept on the shared socket themselves
    for (let i = 0; i < WORKERS; i++) workers.push(cluster.fork({ UV_TCP_SINGLE_ACCEPT: '1', BARE_DB_URL: scratch.connection }));
    const ready = await Promise.all(workers.map((w) => reply(w, 'ready')));
    const mine = new Set(ready.flatMap((r) => r.connectionIds));
    log(`${WORKERS} workers with ${poolSize} connections each on 127.0.0.1:${ready[0]!.port}`);
    api = new NeutronApi(`http://127.0.0.1:${ready[0]!.port}`, null, opts.concurrency);

    const sample = async () => {
      const w = await Promise.all(workers.map((x) => { const r = reply(x, 'cpu'); x.send({ type: 'cpu' } satisfies ToWorker); return r; }));
      return { workers: w, db: await dbCpu(kind, monitor!, mine), busy: machineBusy(), client: process.cpuUsage() };
    };
    const created: string[] = [];
    const scenarios: Array<[string, Op]> = [
      ['show', async (i) => { await api!.send(ADMIN, 'GET', `/v2.0/ports/${seeded[(i * 7919) % seeded.length]}`); }],
      ['create', async (i) => {
        const { text } = await api!.send(ADMIN, 'POST', '/v2.0/ports', { port: { network_id: NET, name: `bench-port-${i}` } });
        created.push(JSON.parse(text).port.id);
      }],
      ['update', async (i) => {
        await api!.send(ADMIN, 'PUT', `/v2.0/ports/${created[i % created.length]}`, {
          port: { name: `bench-updated-${i}`, admin_state_up: i % 2 === 0, device_id: `bench-device-${i}` },
        });
      }],
      ['delete', async () => {
        const id = created.pop() ?? seeded.pop(); // the seeded ports are made alike, should the created ones run out
        if (id === undefined) return false;
        await api!.send(ADMIN, 'DELETE', `/v2.0/ports/${id}`);
      }],
    ];
    const load = { concurrency: opts.concurrency, count: 10_000_000 };
    for (const [scenario, op] of scenarios) {
      if (stopping) break;
      await runLoad(op, { ...load, durationMs: 1000 });
      const s0 = await sample();
      const stats = await runLoad(op, { ...load, durationMs: opts.duration * 1000 });
      const s1 = await sample();
      const n = Math.max(1, stats.ops);
      const client = process.cpuUsage(s0.client);
      const row: Row = {
        scenario, stats,
        workerMs: s1.workers.reduce((sum, w, i) => sum + w.ms - s0.workers[i]!.ms, 0) / n,
        dbMs: (1000 * used(s0.db, s1.db)) / n,
        clientMs: (client.user + client.system) / 1000 / n,
        busyMs: (1000 * (s1.busy - s0.busy)) / n,
        split: s1.workers.map((w, i) => w.requests - s0.workers[i]!.requests),
        load: loadavg()[0]!,
      };
      rows.push(row);
      log(`${scenario}: ${stats.opsPerSecond.toFixed(0)}/s, ${stats.errors} errors${stats.errorSamples.map((e) => `\n  error: ${e}`).join('')}`);
    }
  } finally {
    await api?.close();
    await Promise.all(workers.filter((w) => w.isConnected()).map((w) => new Promise((resolve) => {
      w.once('exit', resolve);
      w.send({ type: 'stop' } satisfies ToWorker);
    })));
    await monitor?.close().catch(() => undefined);
    await scratch.drop();
  }
  print(rows);
}

function print(rows: Row[]): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  process.stdout.write(`\nbare Node.js ${process.version} server (node:http, ${WORKERS} cluster workers, ${poolSize} ${kind === 'mysql' ? 'mysql2' : 'pg'} `
    + `connections each), ${kind === 'mysql' ? 'MariaDB' : 'PostgreSQL'}, concurrency ${opts.concurrency}, ${opts.duration} s, ${cpus().length} cores\n`);
  process.stdout.write('| request | req/s | p50 ms | p99 ms | errors | workers CPU ms/req | DB CPU ms/req | load gen CPU ms/req '
    + '| machine busy ms/req | requests per worker | ceiling: 2 cores / (workers + DB) | load avg |\n');
  process.stdout.write(`|${'---|'.repeat(12)}\n`);
  for (const r of rows) {
    const cells = [
      r.scenario, f(r.stats.opsPerSecond), f(r.stats.p50, 1), f(r.stats.p99, 1), String(r.stats.errors),
      f(r.workerMs, 2), f(r.dbMs, 2), f(r.clientMs, 2), f(r.busyMs, 2), r.split.join(' / '), f(2000 / (r.workerMs + r.dbMs)), f(r.load, 1),
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}

await (cluster.isPrimary ? primary() : worker());
