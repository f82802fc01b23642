/**
 * Agents at scale: N simulated Linux bridge agents (and a few DHCP agents) on RabbitMQ against one
 * neutron-ts with rpc_workers = 1 and rpc_state_report_workers = 1. A benchmark, not a test.
 *
 *   npm run bench:agents -- --agents 500,1000,2000,5000 --hold 110 --api 20
 *
 * Each simulated agent speaks oslo.messaging's wire format (src/rpc/wire.ts) as the real agent does,
 * without its weight: report_state (a call, timeout = report_interval) every report_interval, first
 * with start_flag; its own fanout queues for port updates, security-group updates and l2population
 * (acknowledged on receipt, before processing, as oslo does); on a port_update for a port bound to
 * its host it asks for the device's details (get_devices_details_list_and_failed_devices) and reports
 * it up (update_device_list). DHCP agents consume dhcp_agent.<host> and answer port_create_end with
 * dhcp_ready_on_ports. Agents share AMQP connections (100 agents each) and a reply queue per connection.
 *
 * For each agent count it holds the agents for --hold seconds (more than agent_down_time), samples
 * /v2.0/agents for dead agents, the CPU of the server's processes and of RabbitMQ, the report_state
 * round trips; then it creates ports at concurrency 10 for --api seconds, each bound to one of the
 * agents, and measures the API latency and the time from the create to the port_update at the agent.
 * Everything listens on and targets 127.0.0.1; the run stops by itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Agent, request } from 'undici';
import { deserializeMsg, packContext, pythonDatetime, serializeMsg, uuidHex, type Json } from '../src/rpc/wire.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Options {
  agents: number[];
  dhcp: number;
  hold: number;
  api: number;
  /** the agent counts at which the port-create load at concurrency `concurrency` runs */
  apiAt: number[];
  /** ports created one by one, `pacedRate` a second, to time create → port_update at the agent */
  paced: number;
  pacedRate: number;
  concurrency: number;
  reportInterval: number;
  agentDownTime: number;
  perConnection: number;
  /** bind the ports created to an agent's host (false: unbound ports, to tell the binding's cost) */
  bind: boolean;
  /** 'own': a RabbitMQ node of the run's own on 127.0.0.1 (the machine's may be restarted by other
   * tests, and its CPU would include theirs); 'shared': a vhost on the machine's broker */
  broker: 'own' | 'shared';
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { agents: [500, 1000, 2000, 5000], dhcp: 3, hold: 110, api: 10, apiAt: [1, 1000], paced: 40, pacedRate: 2, concurrency: 10, reportInterval: 30, agentDownTime: 75, perConnection: 100, bind: true, broker: 'own' };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    switch (k) {
      case '--agents': o.agents = v!.split(',').map(Number); i++; break;
      case '--dhcp': o.dhcp = Number(v); i++; break;
      case '--hold': o.hold = Number(v); i++; break;
      case '--api': o.api = Number(v); i++; break;
      case '--api-at': o.apiAt = v!.split(',').map(Number); i++; break;
      case '--paced': o.paced = Number(v); i++; break;
      case '--paced-rate': o.pacedRate = Number(v); i++; break;
      case '--concurrency': o.concurrency = Number(v); i++; break;
      case '--report-interval': o.reportInterval = Number(v); i++; break;
      case '--agent-down-time': o.agentDownTime = Number(v); i++; break;
      case '--per-connection': o.perConnection = Number(v); i++; break;
      case '--out': o.out = v; i++; break;
      case '--bind': o.bind = v !== 'false'; i++; break;
      case '--broker': o.broker = v === 'shared' ? 'shared' : 'own'; i++; break;
      default: throw new Error(`unknown option ${k}`);
    }
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

// ---- the machine's lock etiquette -------------------------------------------------------------

const BENCH_LOCK = '/tmp/bench.lock';
const HEAVY_LOCK = '/tmp/helper-heavy.lock';

async function takeHeavyLock(): Promise<() => void> {
  // a smoke run of a few agents is no heavy load
  if (process.env.BENCH_AGENTS_NO_LOCK === '1') return () => undefined;
  // never while a benchmark of the project runs; after another heavy run if it ends within the wait
  const maxWait = Number(process.env.BENCH_AGENTS_MAX_WAIT ?? 3600);
  for (let waited = 0; existsSync(BENCH_LOCK) || (existsSync(HEAVY_LOCK) && waited < maxWait); waited += 10) {
    if (waited % 60 === 0) console.log(`waiting: ${existsSync(BENCH_LOCK) ? BENCH_LOCK : HEAVY_LOCK} exists`);
    await sleep(10_000);
  }
  if (existsSync(HEAVY_LOCK)) {
    console.log(`NOTE: another heavy run (${HEAVY_LOCK}) overlaps this one: the CPU figures include its load`);
    return () => undefined;
  }
  writeFileSync(HEAVY_LOCK, `${process.pid} bench/agents.ts\n`);
  const release = () => {
    try {
      if (readFileSync(HEAVY_LOCK, 'utf8').startsWith(`${process.pid} `)) unlinkSync(HEAVY_LOCK);
    } catch { /* gone */ }
  };
  process.once('exit', release);
  return release;
}

// ---- CPU of process trees -----------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ = 100

function procStat(pid: number): { ppid: number; cpuMs: number; comm: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    return { comm: s.slice(s.indexOf('(') + 1, close), ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU ms of `pid` and all its descendants (live ones; the server's workers do not exit in a run). */
function treeCpuMs(rootPid: number): number {
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  const stats = new Map(all.map((p) => [p, procStat(p)] as const));
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, st] of stats) if (st && !inTree.has(p) && inTree.has(st.ppid)) { inTree.add(p); grew = true; }
  }
  let ms = 0;
  for (const p of inTree) ms += stats.get(p)?.cpuMs ?? 0;
  return ms;
}

/** The RabbitMQ node's Erlang VM (not the short-lived ones of rabbitmqctl). */
function brokerPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => {
    if (procStat(p)?.comm !== 'beam.smp') return false;
    try {
      return !/rabbitmqctl|rabbitmq-plugins|rabbitmq-diagnostics/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---- the broker --------------------------------------------------------------------------------

interface Broker { url: string; amqpUrl: string; pid: () => number[]; stop(): Promise<void> }

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((ok) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** A RabbitMQ node of our own (Debian's rabbitmq-server, as the rabbitmq user), listening on 127.0.0.1 only. */
async function ownBroker(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-bench-rabbitmq-'));
  const port = await freePort();
  const dist = await freePort();
  const node = `bench${process.pid}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  await run('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  const env = [`HOME=/var/lib/rabbitmq`, `RABBITMQ_NODENAME=${node}`, `RABBITMQ_DIST_PORT=${dist}`, `RABBITMQ_CONFIG_FILE=${dir}/rabbitmq.conf`,
    `RABBITMQ_MNESIA_BASE=${dir}/mnesia`, `RABBITMQ_LOG_BASE=${dir}/log`, `RABBITMQ_ENABLED_PLUGINS_FILE=${dir}/enabled_plugins`, `RABBITMQ_PID_FILE=${dir}/pid`];
  await run('su', ['rabbitmq', '-s', '/bin/sh', '-c', `cd /var/lib/rabbitmq && ${env.join(' ')} /usr/lib/rabbitmq/bin/rabbitmq-server -detached`], { timeout: 60_000 });
  const stop = async () => {
    await run('rabbitmqctl', ['-q', '-n', node, 'stop'], { timeout: 120_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/`);
      await c.close();
      break;
    } catch {
      if (Date.now() > deadline) { await stop(); throw new Error(`the RabbitMQ node ${node} did not start (${dir}/log)`); }
      await sleep(1000);
    }
  }
  const pid = () => {
    try { return [Number(readFileSync(join(dir, 'pid'), 'utf8').trim())]; } catch { return []; }
  };
  return { url: `rabbit://guest:guest@127.0.0.1:${port}/`, amqpUrl: `amqp://guest:guest@127.0.0.1:${port}/`, pid, stop };
}

/** A vhost of our own on the machine's RabbitMQ. */
async function sharedBroker(): Promise<Broker> {
  const vhost = `neutron-ts-bench-${process.pid}`;
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  return {
    url: `rabbit://guest:guest@127.0.0.1:5672/${vhost}`, amqpUrl: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`,
    pid: brokerPids, stop: () => rabbitmqctl('delete_vhost', vhost).catch(() => undefined),
  };
}

// ---- the server -------------------------------------------------------------------------------

interface Server { url: string; pid: number; dir: string; stop(): Promise<void> }

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args], { timeout: 120_000 });
}

async function startServer(o: Options, broker: Broker): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-bench-agents-'));
  const conf = join(dir, 'neutron.conf');
  writeFileSync(conf, [
    '[DEFAULT]', 'bind_host = 127.0.0.1', 'bind_port = 0', `state_path = ${dir}`, 'auth_strategy = noauth',
    'api_workers = 2', 'rpc_workers = 1', 'rpc_state_report_workers = 1',
    `transport_url = ${broker.url}`,
    `agent_down_time = ${o.agentDownTime}`, 'service_plugins =',
    '[QUOTAS]', 'quota_port = -1', 'quota_network = -1', 'quota_subnet = -1',
    '[ml2]', 'type_drivers = vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
    '[ml2_type_vxlan]', 'vni_ranges = 1:10000',
  ].join('\n'));
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin', 'neutron-ts.js'), 'server', '--config-file', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('the server did not serve within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /serving on (http:\/\/[\d.]+:\d+)/.exec(buf);
      if (m) { clearTimeout(timer); resolveUrl(m[1]!); }
      if (buf.length > 1e6) buf = buf.slice(-1e5);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  child.stdout!.resume();
  return {
    url, pid: child.pid!, dir,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const http = new Agent({ connections: 32, pipelining: 1 });

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(`${url}/v2.0${path}`, {
    method: method as 'GET', dispatcher: http,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

// ---- simulated agents -------------------------------------------------------------------------

const CONTEXT: Json = {
  user: null, project_id: null, system_scope: null, project: null, domain: null, user_domain: null, project_domain: null,
  is_admin: true, read_only: false, show_deleted: false, auth_token: null, global_request_id: null, resource_uuid: null,
  roles: [], user_identity: '- - - - -', is_admin_project: true, user_id: null, tenant_id: null, tenant_name: null,
  project_name: null, user_name: null,
};

interface Stats {
  reports: number; reportFailures: number; revived: number; reportMs: number[];
  portUpdates: number; fanoutMessages: number; deviceCalls: number; deviceFailures: number;
  /** port id → time its port_update reached the agent hosting it (ms, epoch) */
  arrivals: Map<string, number>;
}

const newStats = (): Stats => ({
  reports: 0, reportFailures: 0, revived: 0, reportMs: [], portUpdates: 0, fanoutMessages: 0, deviceCalls: 0, deviceFailures: 0, arrivals: new Map(),
});

/** One AMQP connection shared by up to perConnection agents: a consumer channel, a confirm channel, a reply queue. */
class Link {
  private conn!: amqp.ChannelModel;
  consume!: amqp.Channel;
  private pub!: amqp.ConfirmChannel;
  private replyQ = `reply_${uuidHex()}`;
  private waiting = new Map<string, (r: Json) => void>();

  constructor(private readonly url: string, readonly stats: Stats) {}

  async open(): Promise<void> {
    this.conn = await amqp.connect(this.url, { heartbeat: 60 });
    this.conn.on('error', () => undefined);
    this.consume = await this.conn.createChannel();
    this.pub = await this.conn.createConfirmChannel();
    this.consume.on('error', () => undefined);
    this.pub.on('error', () => undefined);
    await this.consume.assertQueue(this.replyQ, { durable: false, autoDelete: false, arguments: { 'x-expires': 1_800_000 } });
    await this.consume.consume(this.replyQ, (m) => {
      if (!m) return;
      this.consume.ack(m);
      const r = deserializeMsg(m.content.toString('utf8')) as Json;
      const w = this.waiting.get(r._msg_id as string);
      if (w && r.ending !== false) { this.waiting.delete(r._msg_id as string); w(r); }
    });
  }

  /** An oslo call on the control exchange; resolves with the result, rejects on failure or timeout. */
  call(topic: string, method: string, version: string, args: Json, timeoutS: number): Promise<unknown> {
    const msgId = uuidHex();
    const msg: Json = { method, args, version, _msg_id: msgId, _reply_q: this.replyQ, _timeout: null, _unique_id: uuidHex() };
    packContext(msg, { ...CONTEXT, request_id: `req-${crypto.randomUUID()}`, timestamp: pythonDatetime(new Date()) });
    return new Promise((resolveCall, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(msgId); reject(new Error('MessagingTimeout')); }, timeoutS * 1000);
      this.waiting.set(msgId, (r) => {
        clearTimeout(timer);
        if (r.failure) reject(new Error(String(r.failure)));
        else resolveCall(r.result);
      });
      this.pub.publish('neutron', topic, Buffer.from(serializeMsg(msg)), {
        contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0, expiration: String(timeoutS * 1000),
      });
    });
  }

  async close(): Promise<void> {
    await this.conn.close().catch(() => undefined);
  }
}

const FANOUTS = ['q-agent-notifier-port-update', 'q-agent-notifier-security_group-update', 'q-agent-notifier-l2population-update'];

class SimAgent {
  private timer?: NodeJS.Timeout;
  private startFlag = true;
  private stopped = false;

  constructor(readonly host: string, readonly kind: 'lb' | 'dhcp', private readonly link: Link, private readonly o: Options, readonly index: number) {}

  private state(): Json {
    if (this.kind === 'dhcp') {
      return {
        binary: 'neutron-dhcp-agent', host: this.host, availability_zone: 'nova', topic: 'dhcp_agent', agent_type: 'DHCP agent',
        configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 1, subnets: 1, ports: 0 },
        ...(this.startFlag ? { start_flag: true } : {}), uuid: crypto.randomUUID(),
      };
    }
    const ip = `127.${(this.index >> 16) & 255}.${(this.index >> 8) & 255}.${this.index & 255}`;
    return {
      binary: 'neutron-linuxbridge-agent', host: this.host, topic: 'N/A', agent_type: 'Linux bridge agent',
      configurations: { interface_mappings: {}, bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true, devices: 0, extensions: [] },
      ...(this.startFlag ? { start_flag: true, resource_versions: { SecurityGroup: '1.5', SecurityGroupRule: '1.2', Port: '1.7', Network: '1.1', Subnet: '1.1' } } : {}),
      uuid: crypto.randomUUID(),
    };
  }

  /** Declares its queues and starts reporting, the first report after `delayMs` (spread over the interval). */
  async start(delayMs: number): Promise<void> {
    const ch = this.link.consume;
    if (this.kind === 'lb') {
      for (const topic of FANOUTS) {
        const ex = `${topic}_fanout`;
        await ch.assertExchange(ex, 'fanout', { durable: false, autoDelete: true });
        const q = `${topic}_fanout_${uuidHex()}`;
        await ch.assertQueue(q, { durable: false, autoDelete: false, arguments: { 'x-expires': 1_800_000 } });
        await ch.bindQueue(q, ex, topic);
        await ch.consume(q, (m) => {
          if (!m) return;
          ch.ack(m); // oslo acknowledges first, then dispatches
          this.link.stats.fanoutMessages++;
          if (topic === FANOUTS[0]) this.onPortUpdate(m.content.toString('utf8'));
        });
      }
    } else {
      await ch.assertExchange('neutron', 'topic', { durable: false, autoDelete: false });
      for (const q of [`dhcp_agent.${this.host}`]) {
        await ch.assertQueue(q, { durable: false, autoDelete: false });
        await ch.bindQueue(q, 'neutron', q);
        await ch.consume(q, (m) => {
          if (!m) return;
          ch.ack(m);
          const msg = deserializeMsg(m.content.toString('utf8')) as Json;
          if (msg.method === 'port_create_end') {
            const args = msg.args as Json;
            const port = ((args.payload as Json | undefined) ?? args).port as Json;
            void this.link.call('q-plugin', 'dhcp_ready_on_ports', '1.5', { port_ids: [port.id] }, 60).catch(() => undefined);
          }
        });
      }
    }
    this.timer = setTimeout(() => void this.report(), delayMs);
  }

  private async report(): Promise<void> {
    if (this.stopped) return;
    const t0 = performance.now();
    const s = this.link.stats;
    try {
      const r = await this.link.call('q-reports-plugin', 'report_state', '1.2', {
        agent_state: { agent_state: this.state() }, time: pythonDatetime(new Date(), 'T'),
      }, this.o.reportInterval);
      s.reports++;
      s.reportMs.push(performance.now() - t0);
      if (r === 'revived') s.revived++;
      this.startFlag = false;
    } catch {
      s.reportFailures++;
    }
    // oslo's FixedIntervalLoopingCall: the next run report_interval after this one started
    if (!this.stopped) this.timer = setTimeout(() => void this.report(), Math.max(0, this.o.reportInterval * 1000 - (performance.now() - t0)));
  }

  private onPortUpdate(body: string): void {
    // the whole port is in the message; only the agent of its host does anything with it
    if (!body.includes(`\\"${this.host}\\"`)) return;
    const msg = deserializeMsg(body) as Json;
    const port = (msg.args as Json).port as Json;
    if (port['binding:host_id'] !== this.host) return;
    const s = this.link.stats;
    s.portUpdates++;
    const id = port.id as string;
    if (!s.arrivals.has(id)) {
      s.arrivals.set(id, Date.now());
      const device = `tap${id.slice(0, 11)}`;
      s.deviceCalls++;
      void (async () => {
        await this.link.call('q-plugin', 'get_devices_details_list_and_failed_devices', '1.5', { devices: [device], agent_id: this.host, host: this.host }, 60);
        await this.link.call('q-plugin', 'update_device_list', '1.9', { devices_up: [device], devices_down: [], agent_id: this.host, host: this.host, refresh_tunnels: false }, 60);
      })().catch(() => { s.deviceFailures++; });
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

// ---- the run ------------------------------------------------------------------------------------

interface LevelResult {
  agents: number; aliveMin: number; deadMax: number; revived: number; reports: number; reportFailures: number;
  reportP50: number; reportP99: number; serverCpuPct: number; brokerCpuPct: number; generatorCpuPct: number;
  serverCpuMsPerAgentPerMin: number; brokerCpuMsPerAgentPerMin: number;
  api?: { creates: number; errors: number; perSec: number; p50: number; p99: number; updateP50: number; updateP99: number; updatesSeen: number };
  paced?: { creates: number; updateP50: number; updateP99: number; updatesSeen: number };
  /** seconds the broker took to deliver the fanouts of the port-create load, after it ended */
  drainS?: number;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const release = await takeHeavyLock();
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { interrupted = true; console.log(`${sig}: stopping`); });
  const broker = o.broker === 'own' ? await ownBroker() : await sharedBroker();
  let server: Server;
  try {
    server = await startServer(o, broker);
  } catch (e) {
    await broker.stop();
    release();
    throw e;
  }
  const links: Link[] = [];
  const agents: SimAgent[] = [];
  const stats = newStats();
  const results: LevelResult[] = [];
  const amqpUrl = broker.amqpUrl;
  const linkFor = async (i: number) => {
    const li = Math.floor(i / o.perConnection);
    while (links.length <= li) {
      const l = new Link(amqpUrl, stats);
      await l.open();
      links.push(l);
    }
    return links[li]!;
  };
  try {
    console.log(`neutron-ts ${server.url} (pid ${server.pid}), broker ${broker.url} (${o.broker}, pid ${broker.pid().join(',')}); report_interval ${o.reportInterval} s, agent_down_time ${o.agentDownTime} s`);
    // the DHCP agents first: the network is scheduled to one of them
    for (let d = 0; d < o.dhcp; d++) {
      const a = new SimAgent(`bench-dhcp-${d}`, 'dhcp', await linkFor(d), o, d);
      await a.start(0);
      agents.push(a);
    }
    await sleep(2000);
    const net = (await api(server.url, 'POST', '/networks', { network: { name: 'bench-agents' } })).network;
    await api(server.url, 'POST', '/subnets', { subnet: { network_id: net.id, cidr: '10.128.0.0/12', ip_version: 4 } });
    let lb = 0;
    for (const target of o.agents) {
      if (interrupted) break;
      // ramp up: new agents connect, declare their queues and first report within one interval
      const t0 = Date.now();
      const adding: SimAgent[] = [];
      for (; lb < target; lb++) {
        const i = o.dhcp + lb;
        const a = new SimAgent(`bench-lb-${lb}`, 'lb', await linkFor(i), o, lb);
        await a.start(Math.random() * o.reportInterval * 1000);
        adding.push(a);
      }
      agents.push(...adding);
      console.log(`${target} agents: queues declared in ${((Date.now() - t0) / 1000).toFixed(1)} s; holding ${o.hold} s`);
      // let the first reports of the new agents land before measuring the steady state
      await sleep(o.reportInterval * 1000);
      const base = { reports: stats.reports, failures: stats.reportFailures, revived: stats.revived, ms: stats.reportMs.length };
      const cpu0 = { server: treeCpuMs(server.pid), broker: broker.pid().reduce((s, p) => s + (procStat(p)?.cpuMs ?? 0), 0), self: selfCpuMs(), t: Date.now() };
      let aliveMin = Infinity;
      let deadMax = 0;
      const holdEnd = Date.now() + o.hold * 1000;
      while (Date.now() < holdEnd && !interrupted) {
        const list = (await api(server.url, 'GET', '/agents?fields=alive&fields=host')).agents as Array<{ alive: boolean; host: string }>;
        const mine = list.filter((a) => a.host.startsWith('bench-lb-'));
        const alive = mine.filter((a) => a.alive).length;
        aliveMin = Math.min(aliveMin, alive);
        deadMax = Math.max(deadMax, mine.length - alive);
        await sleep(Math.min(10_000, Math.max(0, holdEnd - Date.now())));
      }
      const dt = (Date.now() - cpu0.t) / 1000;
      const serverMs = treeCpuMs(server.pid) - cpu0.server;
      const brokerMs = broker.pid().reduce((s, p) => s + (procStat(p)?.cpuMs ?? 0), 0) - cpu0.broker;
      const reportMs = stats.reportMs.slice(base.ms);
      const r: LevelResult = {
        agents: target, aliveMin, deadMax, revived: stats.revived - base.revived, reports: stats.reports - base.reports,
        reportFailures: stats.reportFailures - base.failures, reportP50: percentile(reportMs, 50), reportP99: percentile(reportMs, 99),
        serverCpuPct: (serverMs / dt / 10), brokerCpuPct: (brokerMs / dt / 10), generatorCpuPct: ((selfCpuMs() - cpu0.self) / dt / 10),
        serverCpuMsPerAgentPerMin: (serverMs / dt) * 60 / target, brokerCpuMsPerAgentPerMin: (brokerMs / dt) * 60 / target,
      };
      if (o.paced > 0) r.paced = await pacedCreates(server.url, net.id, target, o, stats);
      if (o.api > 0 && o.apiAt.includes(target)) {
        r.api = await portLoad(server.url, net.id, target, o, stats);
        r.drainS = await drained(stats, 300);
      }
      results.push(r);
      console.log(JSON.stringify(r));
      if (r.deadMax > 0 || r.reportFailures > 0) console.log(`${target} agents: ${r.deadMax} shown dead, ${r.reportFailures} reports failed`);
    }
  } finally {
    for (const a of agents) a.stop();
    await Promise.all(links.map((l) => l.close()));
    await server.stop();
    await broker.stop();
    release();
    await http.close();
  }
  printTable(results, o);
  if (o.out) writeFileSync(o.out, JSON.stringify({ options: o, results }, null, 2));
}

/** Waits until the agents have received nothing for 5 s (the broker's queues are empty); returns the seconds it took. */
async function drained(stats: Stats, maxS: number): Promise<number> {
  const t0 = Date.now();
  let last = stats.fanoutMessages;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 5000 && Date.now() - t0 < maxS * 1000) {
    await sleep(500);
    if (stats.fanoutMessages !== last) { last = stats.fanoutMessages; quietSince = Date.now(); }
  }
  return Math.max(0, (quietSince - t0) / 1000);
}

/** `o.paced` ports created one at a time, `o.pacedRate` a second, each bound to a random agent: create → port_update at that agent. */
async function pacedCreates(url: string, networkId: string, agents: number, o: Options, stats: Stats): Promise<NonNullable<LevelResult['paced']>> {
  const started = new Map<string, number>();
  for (let i = 0; i < o.paced; i++) {
    const t0 = Date.now();
    const host = `bench-lb-${Math.floor(Math.random() * agents)}`;
    const body = await api(url, 'POST', '/ports', { port: { network_id: networkId, device_owner: 'compute:nova', device_id: `bench-paced-${t0}-${i}`, 'binding:host_id': host } });
    started.set(body.port.id, t0);
    await sleep(Math.max(0, 1000 / o.pacedRate - (Date.now() - t0)));
  }
  await drained(stats, 120);
  const delays = [...started].map(([id, t0]) => (stats.arrivals.get(id) ?? NaN) - t0).filter((d) => Number.isFinite(d));
  return { creates: started.size, updateP50: percentile(delays, 50), updateP99: percentile(delays, 99), updatesSeen: delays.length };
}

/** Ports created at concurrency `o.concurrency` for `o.api` seconds, each bound to one of the agents. */
async function portLoad(url: string, networkId: string, agents: number, o: Options, stats: Stats): Promise<NonNullable<LevelResult['api']>> {
  const latencies: number[] = [];
  const started = new Map<string, number>();
  let errors = 0;
  let n = 0;
  const end = Date.now() + o.api * 1000;
  const loop = async () => {
    while (Date.now() < end) {
      const host = `bench-lb-${Math.floor(Math.random() * agents)}`;
      const t0 = Date.now();
      const p0 = performance.now();
      try {
        const body = await api(url, 'POST', '/ports', { port: {
          network_id: networkId, device_owner: 'compute:nova', device_id: `bench-vm-${n++}`, ...(o.bind ? { 'binding:host_id': host } : {}),
        } });
        latencies.push(performance.now() - p0);
        started.set(body.port.id, t0);
      } catch {
        errors++;
      }
    }
  };
  const t = Date.now();
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const elapsed = (Date.now() - t) / 1000;
  // the last updates may still be on their way: what arrives within 10 s counts
  await sleep(10_000);
  const delays: number[] = [];
  for (const [id, t0] of started) {
    const at = stats.arrivals.get(id);
    if (at !== undefined) delays.push(at - t0);
  }
  return {
    creates: latencies.length, errors, perSec: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    updateP50: percentile(delays, 50), updateP99: percentile(delays, 99), updatesSeen: delays.length,
  };
}

function printTable(results: LevelResult[], o: Options): void {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(`\nreport_interval ${o.reportInterval} s, agent_down_time ${o.agentDownTime} s, rpc_workers = 1, rpc_state_report_workers = 1, hold ${o.hold} s, port creates at concurrency ${o.concurrency} for ${o.api} s`);
  console.log('| agents | min alive | max dead | revived | report failures | report p50/p99 ms | server CPU % | broker CPU % | server CPU ms/agent/min | broker CPU ms/agent/min | paced create→port_update p50/p99 ms (seen) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const p = r.paced;
    console.log(`| ${r.agents} | ${r.aliveMin} | ${r.deadMax} | ${r.revived} | ${r.reportFailures} | ${f(r.reportP50)}/${f(r.reportP99)} | ${f(r.serverCpuPct)} | ${f(r.brokerCpuPct)} | ${f(r.serverCpuMsPerAgentPerMin, 2)} | ${f(r.brokerCpuMsPerAgentPerMin, 2)} | ${p ? `${f(p.updateP50, 0)}/${f(p.updateP99, 0)} (${p.updatesSeen}/${p.creates})` : '-'} |`);
  }
  console.log('\n| agents | creates/s at concurrency 10 | create p50/p99 ms | errors | create→port_update p50/p99 ms (seen within 10 s) | fanouts drained after (s) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    if (!r.api) continue;
    console.log(`| ${r.agents} | ${f(r.api.perSec)} | ${f(r.api.p50)}/${f(r.api.p99)} | ${r.api.errors} | ${f(r.api.updateP50, 0)}/${f(r.api.updateP99, 0)} (${r.api.updatesSeen}/${r.api.creates}) | ${f(r.drainS ?? NaN)} |`);
  }
}

await main();
