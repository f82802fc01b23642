/**
 * What the database alone can do on this machine, the bound under issue 22's targets:
 *
 *   node --import tsx bench/bare-db.ts --db mysql|postgresql [--concurrency 50] [--duration 5]
 *
 * A bare client with the server's drivers (mysql2 with server-side prepared statements, pg with
 * named ones), one connection per request in flight (closed loop; the server's two workers open
 * as many), READ COMMITTED as the server asks, on a scratch database it creates and drops. Its
 * tables are shaped like neutron-ts's (ports: a UUID key, a few indexes, a foreign key to its
 * network; the rows a port create adds). It runs autocommit single-row INSERTs (the commit rate),
 * transactions with the statements the server sends for a port create, update and delete (one
 * commit each; see README "Production profile" and `--count-sql`), and a show's three reads. For
 * each: requests/s, latency, the CPU the database's processes and this client used per request,
 * and the ceiling of the two cores: 2 CPU-seconds / (database CPU + the server's own CPU) per
 * request. The machine's busy CPU is shown too: more than database + client means other work ran.
 */
import { Command, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnectionUrl } from '../src/db/connection.js';
import { createDatabase } from './server.js';

const program = new Command('bare-db')
  .addOption(new Option('--db <kind>').choices(['mysql', 'postgresql']).makeOptionMandatory())
  .option('--concurrency <n>', 'connections, each with one request in flight', Number, 50)
  .option('--duration <seconds>', 'measured time of each test (after 1 s of warm-up)', Number, 5)
  .option('--db-server <url>', 'database server to create the scratch database on (default: the local one)')
  .option('--server-cpu-ms <list>', 'neutron-ts\'s own CPU ms per request (production bench, MariaDB; README)',
    'create=2.05,show=1.19,update=2.63,delete=2.87');

export type Param = string | number | boolean | null;

export type Kind = 'mysql' | 'postgresql';

/** One connection: `run` sends a statement (prepared when it has parameters) and counts it. */
export interface Conn {
  /** the server's id of the connection: MariaDB's connection id, PostgreSQL's backend pid */
  id: number;
  run(sql: string, params?: Param[]): Promise<any[]>;
  close(): Promise<void>;
}

let statements = 0;

export async function connect(kind: Kind, url: string): Promise<Conn> {
  const u = parseConnectionUrl(url);
  if (kind === 'mysql') {
    const c = await mysql.createConnection({ host: u.host, port: u.port, user: u.user, password: u.password, database: u.database, charset: 'utf8mb4' });
    await c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    const [[{ id }]] = await c.query('select connection_id() as id') as any;
    return {
      id,
      async run(sql, params) {
        statements++;
        return (params ? await c.execute(sql, params) : await c.query(sql))[0] as any[];
      },
      close: () => c.end(),
    };
  }
  const c = new pg.Client({ host: u.host, port: u.port, user: u.user, password: u.password, database: u.database });
  await c.connect();
  await c.query('SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED');
  return {
    id: (c as any).processID,
    async run(sql, params) {
      statements++;
      if (!params) return (await c.query(sql)).rows;
      let n = 0;
      return (await c.query({ name: statementName(sql), text: sql.replace(/\?/g, () => `$${++n}`), values: params })).rows;
    },
    close: () => c.end(),
  };
}

const names = new Map<string, string>();
const statementName = (sql: string) => names.get(sql) ?? names.set(sql, `s${names.size}`).get(sql)!;

export const schema = (kind: string) => [
  'create table networks (id varchar(36) primary key, project_id varchar(255), name varchar(255) not null)',
  'create table subnets (id varchar(36) primary key, network_id varchar(36) not null references networks(id), cidr varchar(64) not null)',
  'create table quotas (project_id varchar(255) not null, resource varchar(255) not null, quota_limit integer not null, primary key (project_id, resource))',
  'create table default_security_groups (project_id varchar(255) primary key, security_group_id varchar(36) not null)',
  `create table ports (id varchar(36) primary key, project_id varchar(255), name varchar(255) not null,
    network_id varchar(36) not null references networks(id), mac_address varchar(32) not null, admin_state_up boolean not null,
    status varchar(16) not null, device_id varchar(255) not null, device_owner varchar(255) not null, port_security_enabled boolean,
    description varchar(255) not null, created_at varchar(20) not null, updated_at varchar(20) not null, revision_number bigint not null,
    unique (network_id, mac_address))`,
  'create index ix_ports_project_id on ports (project_id)',
  'create index ix_ports_device_id on ports (device_id)',
  `create table ml2_port_bindings (port_id varchar(36) not null references ports(id) on delete cascade, host varchar(255) not null,
    vif_type varchar(64) not null, vif_details varchar(4095) not null, primary key (port_id, host))`,
  `create table port_security_group_bindings (port_id varchar(36) not null references ports(id) on delete cascade,
    security_group_id varchar(36) not null, primary key (port_id, security_group_id))`,
  `create table ipallocations (subnet_id varchar(36) not null references subnets(id), ip_address varchar(64) not null,
    port_id varchar(36) not null references ports(id) on delete cascade, network_id varchar(36) not null, primary key (subnet_id, ip_address))`,
  'create index ix_ipallocations_port_id on ipallocations (port_id)',
  `create table ipam_availability_ranges (subnet_id varchar(36) not null references subnets(id), pool_index integer not null,
    first_ip varchar(32) not null, last_ip varchar(32) not null, primary key (subnet_id, first_ip))`,
  'create index ix_ipam_availability_ranges_pool on ipam_availability_ranges (subnet_id, pool_index, first_ip)',
  'create table floatingips (id varchar(36) primary key, fixed_port_id varchar(36), router_id varchar(36))',
  'create index ix_floatingips_fixed_port_id on floatingips (fixed_port_id)',
  `create table changes (seq ${kind === 'mysql' ? 'bigint auto_increment' : 'bigserial'} primary key, table_name varchar(64) not null,
    object_id varchar(36) not null, event varchar(16) not null, snapshot text, created_at varchar(20) not null)`,
];

const PROJECT = 'bench-project';
// fixed, as every run has a scratch database of its own, so that bench/bare-server.ts's workers know them
export const NET = '6b1e2c9a-0d4f-4a57-9f1e-3c2b8a7d5e01';
const SUBNET = 'a3f0c6d2-5b8e-4e1a-8c7d-2f9b0e4a6c13';
const SG = 'd8c4b2a1-7e6f-4d3c-9b0a-1e2f3c4d5e26';
const RANGES = 64;
const SEEDED = 20_000;
const now = () => new Date().toISOString().slice(0, 19) + 'Z';
let seq = 0;
/** Where this process numbers its new ports' MAC and IP addresses from (one range per process). */
export const numberPortsFrom = (n: number) => { seq = n; };

const PORT_COLUMNS = ['id', 'project_id', 'name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner',
  'port_security_enabled', 'description', 'created_at', 'updated_at', 'revision_number'];
const INSERT_PORT = `insert into ports (${PORT_COLUMNS.join(', ')}) values (${PORT_COLUMNS.map(() => '?').join(', ')})`;
const portRow = (id: string, n: number) => [id, PROJECT, `port-${n}`, NET, `fa:16:3e:${n.toString(16).padStart(6, '0')}`, true, 'DOWN', '', '', true, '', now(), now(), 0];
const SHOW = [
  'select * from ports where (project_id = ? or network_id in (select id from networks where project_id = ?)) and id = ?',
  `select 0 as g, ip_address as v from ipallocations where port_id = ? union all select 1, host from ml2_port_bindings where port_id = ?
    union all select 2, security_group_id from port_security_group_bindings where port_id = ?`,
  'select id, project_id from networks where id = ?',
];
const CHANGE = 'insert into changes (table_name, object_id, event, created_at) values (?, ?, ?, ?)';

/** The show's three reads, to the port's row; `forUpdate` locks the port, as an update and a delete read it. */
export async function readPort(c: Conn, id: string, forUpdate = false): Promise<Record<string, unknown> | undefined> {
  const [port] = await c.run(SHOW[0] + (forUpdate ? ' for update' : ''), [PROJECT, PROJECT, id]);
  await c.run(SHOW[1]!, [id, id, id]);
  await c.run(SHOW[2]!, [NET]);
  return port;
}

/** 13 statements: a port create's (the network read, then one transaction), to the port's row. */
export async function createPort(c: Conn): Promise<Record<string, Param>> {
  const id = randomUUID();
  const n = ++seq;
  await c.run('select id, project_id from networks where id = ?', [NET]);
  await c.run('begin');
  await c.run('select resource, quota_limit from quotas where project_id = ?', [PROJECT]);
  await c.run('select security_group_id from default_security_groups where project_id = ?', [PROJECT]);
  const row = portRow(id, SEEDED + n);
  await c.run(INSERT_PORT, row);
  await c.run('insert into ml2_port_bindings (port_id, host, vif_type, vif_details) values (?, ?, ?, ?)', [id, '', 'unbound', '{}']);
  await c.run('insert into port_security_group_bindings (port_id, security_group_id) values (?, ?)', [id, SG]);
  await c.run('select id, cidr from subnets where network_id = ?', [NET]);
  const [range] = await c.run(`select first_ip, last_ip from ipam_availability_ranges where subnet_id = ?
    order by pool_index, first_ip limit 1 for update skip locked`, [SUBNET]);
  await c.run('update ipam_availability_ranges set last_ip = ? where subnet_id = ? and first_ip = ?', [`x${n}`, SUBNET, range.first_ip]);
  await c.run('insert into ipallocations (subnet_id, ip_address, port_id, network_id) values (?, ?, ?, ?)', [SUBNET, `ip-${SEEDED + n}`, id, NET]);
  await c.run(CHANGE, ['ports', id, 'created', now()]);
  await c.run('commit');
  return Object.fromEntries(PORT_COLUMNS.map((k, j) => [k, row[j]!]));
}

/** 10 statements: a port update's (the port read before and after its UPDATE), to the port's row. */
export async function updatePort(c: Conn, id: string, n: number): Promise<Record<string, unknown> | undefined> {
  await c.run('begin');
  await readPort(c, id, true);
  await c.run('update ports set name = ?, admin_state_up = ?, device_id = ?, updated_at = ?, revision_number = revision_number + 1 where id = ?',
    [`updated-${n}`, n % 2 === 0, `device-${n}`, now(), id]);
  const port = await readPort(c, id);
  await c.run(CHANGE, ['ports', id, 'updated', now()]);
  await c.run('commit');
  return port;
}

/**
 * 15 statements: a port delete's. The server locks the subnet's row to give its address back, so
 * concurrent deletes on one subnet take turns; `lockSubnet` false reads the row without the lock.
 */
export async function deletePort(c: Conn, id: string, worker: number, lockSubnet: boolean): Promise<void> {
  await c.run('begin');
  await readPort(c, id, true);
  await c.run('select id, router_id from floatingips where fixed_port_id = ?', [id]);
  const allocations = await c.run('select subnet_id, ip_address from ipallocations where port_id = ?', [id]);
  await c.run(`select id from subnets where id = ?${lockSubnet ? ' for update' : ''}`, [SUBNET]);
  await c.run('delete from ipallocations where subnet_id = ? and ip_address = ?', [SUBNET, allocations[0].ip_address]);
  await c.run('select id, cidr from subnets where id = ?', [SUBNET]);
  const first = `r${String(worker % RANGES).padStart(3, '0')}`;
  await c.run('select * from ipam_availability_ranges where subnet_id = ? and pool_index = ? and first_ip = ? for update', [SUBNET, 0, first]);
  await c.run('update ipam_availability_ranges set last_ip = ? where subnet_id = ? and first_ip = ?', [allocations[0].ip_address, SUBNET, first]);
  await c.run('delete from port_security_group_bindings where port_id = ?', [id]);
  await c.run('delete from ports where id = ?', [id]);
  await c.run(CHANGE, ['ports', id, 'deleted', now()]);
  await c.run('commit');
}

/** The network, subnet, quotas, ranges and SEEDED ports with their bindings and addresses. */
export async function seed(c: Conn): Promise<string[]> {
  await c.run('insert into networks (id, project_id, name) values (?, ?, ?)', [NET, PROJECT, 'bench']);
  await c.run('insert into subnets (id, network_id, cidr) values (?, ?, ?)', [SUBNET, NET, '10.0.0.0/8']);
  for (const r of ['network', 'subnet', 'port']) await c.run('insert into quotas (project_id, resource, quota_limit) values (?, ?, ?)', [PROJECT, r, -1]);
  await c.run('insert into default_security_groups (project_id, security_group_id) values (?, ?)', [PROJECT, SG]);
  for (let i = 0; i < RANGES; i++) {
    const first = `r${String(i).padStart(3, '0')}`;
    await c.run('insert into ipam_availability_ranges (subnet_id, pool_index, first_ip, last_ip) values (?, ?, ?, ?)', [SUBNET, 0, first, first]);
  }
  const ids = Array.from({ length: SEEDED }, () => randomUUID());
  const batch = 500;
  for (let i = 0; i < SEEDED; i += batch) {
    const rows = ids.slice(i, i + batch);
    const values = (cols: number) => rows.map(() => `(${Array(cols).fill('?').join(', ')})`).join(', ');
    await c.run('begin');
    await c.run(INSERT_PORT.replace(/values \(.*\)$/, `values ${values(14)}`), rows.flatMap((id, j) => portRow(id, i + j)));
    await c.run(`insert into ml2_port_bindings (port_id, host, vif_type, vif_details) values ${values(4)}`, rows.flatMap((id) => [id, '', 'unbound', '{}']));
    await c.run(`insert into port_security_group_bindings (port_id, security_group_id) values ${values(2)}`, rows.flatMap((id) => [id, SG]));
    await c.run(`insert into ipallocations (subnet_id, ip_address, port_id, network_id) values ${values(4)}`, rows.flatMap((id, j) => [SUBNET, `ip-${i + j}`, id, NET]));
    await c.run('commit');
  }
  return ids;
}

/** CPU seconds (user + system) of a process or thread, from its /proc stat (clock ticks of 1/100 s). */
function taskCpu(stat: string): number {
  const f = readFileSync(stat, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const pidsNamed = (...names: string[]) => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
  try { return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()); } catch { return false; }
});

/**
 * CPU seconds of the database server so far, by process (PostgreSQL) or thread (MariaDB): its own
 * work (WAL writer, checkpoints, purge) and that of `mine`, our connections (backend pids or
 * connection ids), not that of other clients of the machine's servers.
 */
export async function dbCpu(kind: Kind, monitor: Conn, mine: Set<number>): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  const read = (id: string, stat: string) => { try { cpu.set(Number(id), taskCpu(stat)); } catch { /* exited */ } };
  if (kind === 'postgresql') {
    for (const pid of pidsNamed('postgres')) {
      let client = true;
      try { client = /\(\d+\)|\[local\]/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')); } catch { /* exited */ }
      if (!client || mine.has(Number(pid))) read(pid, `/proc/${pid}/stat`);
    }
    return cpu;
  }
  const others = new Set((await monitor.run('select ID as id, TID as tid from information_schema.PROCESSLIST'))
    .filter((r) => !mine.has(Number(r.id))).map((r) => String(r.tid)));
  for (const pid of pidsNamed('mariadbd', 'mysqld')) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) if (!others.has(tid)) read(tid, `/proc/${pid}/task/${tid}/stat`);
  }
  return cpu;
}

/**
 * CPU seconds from `before` to `after`, of what both hold: a thread counted in one only served
 * another client then (MariaDB keeps the threads of closed connections for new ones).
 */
export const used = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [id, v]) => sum + (before.has(id) ? v - before.get(id)! : 0), 0);

/** CPU seconds the whole machine spent busy (neither idle nor waiting for I/O). */
export function machineBusy(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

interface Result {
  test: string;
  requests: number;
  errors: number;
  seconds: number;
  statementsPerRequest: number;
  p50: number;
  p99: number;
  dbCpuMs: number;
  clientCpuMs: number;
  busyMs: number;
}

type Op = (c: Conn, i: number, worker: number) => Promise<unknown>;

/** Each connection runs `op` in a loop: 1 s unmeasured, then `seconds` measured. */
async function measure(test: string, conns: Conn[], seconds: number, db: () => Promise<Map<number, number>>, op: Op): Promise<Result> {
  let i = 0;
  let errors = 0;
  const latencies: number[] = [];
  const loop = async (ms: number, record: boolean) => {
    const end = Date.now() + ms;
    await Promise.all(conns.map(async (c, worker) => {
      while (Date.now() < end && !stopping) {
        const t = performance.now();
        try {
          await op(c, i++, worker);
          if (record) latencies.push(performance.now() - t);
        } catch (e) {
          if (record) errors++;
          if (errors === 1) process.stderr.write(`[bare-db] ${test}: ${(e as Error).message}\n`);
          await c.run('rollback').catch(() => undefined);
        }
      }
    }));
  };
  await loop(1000, false);
  const db0 = await db();
  const [busy0, cpu0, n0, t0] = [machineBusy(), process.cpuUsage(), statements, performance.now()];
  await loop(seconds * 1000, true);
  const [busy1, cpu, n1, t1] = [machineBusy(), process.cpuUsage(cpu0), statements, performance.now()];
  const db1 = await db();
  latencies.sort((a, b) => a - b);
  const requests = Math.max(1, latencies.length);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    test, requests: latencies.length, errors, seconds: (t1 - t0) / 1000,
    statementsPerRequest: (n1 - n0) / (latencies.length + errors || 1),
    p50: pct(0.5), p99: pct(0.99),
    dbCpuMs: (1000 * used(db0, db1)) / requests,
    clientCpuMs: (cpu.user + cpu.system) / 1000 / requests,
    busyMs: (1000 * (busy1 - busy0)) / requests,
  };
}

let stopping = false;

async function main(): Promise<void> {
  const opts = program.parse().opts();
  const kind = opts.db as Kind;
  const serverCpu = Object.fromEntries((opts.serverCpuMs as string).split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  process.once('SIGINT', () => { stopping = true; });
  const log = (m: string) => process.stderr.write(`[bare-db] ${new Date().toISOString().slice(11, 19)} ${m}\n`);

  const scratch = await createDatabase(kind, opts.dbServer, '');
  const conns: Conn[] = [];
  const results: Result[] = [];
  try {
    log(`scratch database ${scratch.connection.replace(/\/\/[^@]*@/, '//')}`);
    conns.push(await connect(kind, scratch.connection));
    for (const sql of schema(kind)) await conns[0]!.run(sql);
    const seeded = await seed(conns[0]!);
    while (conns.length < opts.concurrency) conns.push(await connect(kind, scratch.connection));
    const workers = [...conns];
    const mine = new Set(workers.map((c) => c.id));
    const monitor = await connect(kind, scratch.connection);
    conns.push(monitor);
    const db = () => dbCpu(kind, monitor, mine);
    log(`${SEEDED} ports seeded, ${workers.length} connections`);

    const created: string[] = [];
    const nextToDelete = () => created.pop() ?? seeded.pop()!;
    const tests: Array<[string, Op]> = [
      ['autocommit INSERT', (c) => c.run(INSERT_PORT, portRow(randomUUID(), 10_000_000 + ++seq))],
      ['port create', async (c) => created.push((await createPort(c)).id as string)],
      ['port show (3 reads)', (c, i) => readPort(c, seeded[(i * 7919) % seeded.length]!)],
      ['port update', (c, i) => updatePort(c, seeded[i % seeded.length]!, i)],
      ['port delete', (c, _i, worker) => deletePort(c, nextToDelete(), worker, true)],
      ['port delete, no subnet lock', (c, _i, worker) => deletePort(c, nextToDelete(), worker, false)],
    ];
    for (const [test, op] of tests) {
      if (stopping) break;
      const r = await measure(test, workers, opts.duration, db, op);
      results.push(r);
      log(`${test}: ${(r.requests / r.seconds).toFixed(0)}/s`);
    }
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await scratch.drop();
  }
  print(kind, opts.concurrency, results, serverCpu);
}

function print(kind: string, concurrency: number, results: Result[], serverCpu: Record<string, number>): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  process.stdout.write(`\n${kind === 'mysql' ? 'MariaDB' : 'PostgreSQL'}, bare client (${kind === 'mysql' ? 'mysql2' : 'pg'}), concurrency ${concurrency}, `
    + `${cpus().length} cores, load average ${f(loadavg()[0]!, 1)}\n`);
  process.stdout.write('| test | SQL/req | req/s | p50 ms | p99 ms | errors | DB CPU ms/req | DB CPU µs/stmt | client CPU ms/req '
    + '| machine busy ms/req | ceiling: DB alone | server CPU ms/req | ceiling: DB + server |\n');
  process.stdout.write(`|${'---|'.repeat(13)}\n`);
  for (const r of results) {
    const server = serverCpu[r.test.split(/[ ,]/)[1] ?? ''];
    const cells = [
      r.test, f(r.statementsPerRequest, 1), f(r.requests / r.seconds), f(r.p50, 1), f(r.p99, 1), String(r.errors),
      f(r.dbCpuMs, 2), f((1000 * r.dbCpuMs) / r.statementsPerRequest), f(r.clientCpuMs, 2), f(r.busyMs, 2),
      f(2000 / r.dbCpuMs), server === undefined ? '-' : f(server, 2), server === undefined ? '-' : f(2000 / (r.dbCpuMs + server)),
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
