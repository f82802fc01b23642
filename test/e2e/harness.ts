// The machinery of the end-to-end suite: an Open vSwitch of its own (userspace datapath), the real
// Debian Neutron agents as background processes, "VMs" as network namespaces plugged into br-int,
// a private RabbitMQ vhost whose every publish is traced (the RPC methods the agents call), and a
// clean-up list that runs however a step ends, so that nothing is left on the machine.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { request } from 'undici';

const run = promisify(execFile);

export const AGENT_BINARIES = {
  ovs: '/usr/bin/neutron-openvswitch-agent',
  dhcp: '/usr/bin/neutron-dhcp-agent',
  l3: '/usr/bin/neutron-l3-agent',
} as const;
const TOOLS = ['/usr/sbin/ovsdb-server', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovs-vsctl', '/usr/bin/ovs-appctl', '/usr/bin/ovsdb-tool',
  '/usr/sbin/dhclient', '/usr/sbin/dnsmasq', '/usr/sbin/rabbitmqctl', '/usr/bin/ping'];
export const OVS_RUNDIR = '/var/run/openvswitch';
export const OVS_DB_SOCK = `${OVS_RUNDIR}/db.sock`;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a command (no shell) and returns its stdout; fails with its stderr. */
export async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** true if the command exits 0 */
export async function succeeds(cmd: string, args: string[], timeoutMs = 30_000): Promise<boolean> {
  return sh(cmd, args, timeoutMs).then(() => true, () => false);
}

/** Waits until fn() returns a truthy value, polling every `everyMs`; fails after timeoutMs with the last error. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string, everyMs = 250): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Where the agents' packages are not installed (they could not be), or not root: the suite is skipped. */
export function packagesMissing(): string | null {
  if (process.platform !== 'linux') return 'the end-to-end suite needs Linux';
  if (process.getuid?.() !== 0) return 'the end-to-end suite needs root (network namespaces, Open vSwitch)';
  const absent = [...Object.values(AGENT_BINARIES), ...TOOLS].filter((f) => !existsSync(f));
  if (absent.length) return `not installed: ${absent.join(', ')} (scripts/ci/install-agents.sh installs them)`;
  return null;
}

/** Why the suite cannot run on a machine that has the packages (null: it can). */
export async function e2eMissing(): Promise<string | null> {
  const probe = `e2e-probe-${process.pid}`;
  if (!(await succeeds('ip', ['netns', 'add', probe]))) return 'network namespaces cannot be created here (`ip netns add` failed)';
  await succeeds('ip', ['netns', 'delete', probe]);
  if (existsSync(OVS_DB_SOCK) && (await succeeds('ovs-vsctl', ['--timeout=2', 'show']))) {
    return `an Open vSwitch already runs on this machine (${OVS_DB_SOCK}); the suite starts and removes its own`;
  }
  try {
    const c = await amqp.connect('amqp://guest:guest@127.0.0.1:5672', { timeout: 3000 });
    await c.close();
  } catch (err) {
    return `RabbitMQ does not answer on 127.0.0.1:5672 (${(err as Error).message})`;
  }
  if (!(await succeeds('rabbitmqctl', ['-q', 'list_vhosts'], 60_000))) return 'rabbitmqctl does not work (the suite needs a private vhost)';
  return null;
}

/** Clean-up actions, run last-in first-out; each runs even if another fails; the failures are returned. */
export class Cleanup {
  private readonly actions: Array<{ what: string; fn: () => Promise<unknown> | unknown }> = [];

  add(what: string, fn: () => Promise<unknown> | unknown): void {
    this.actions.push({ what, fn });
  }

  async run(): Promise<string[]> {
    const failures: string[] = [];
    while (this.actions.length) {
      const { what, fn } = this.actions.pop()!;
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}

/** The pids of the processes whose command line contains `needle` (our own temp directory). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the pids, then SIGKILL what is still there after graceMs. */
export async function stopPids(pids: number[], graceMs = 5000): Promise<void> {
  for (const p of pids) try { process.kill(p, 'SIGTERM'); } catch { /* gone */ }
  const end = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < end) await sleep(100);
  for (const p of pids.filter(alive)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
}

export async function netnsList(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

export async function linkNames(): Promise<string[]> {
  const out = await sh('ip', ['-o', 'link', 'show']);
  return out.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter(Boolean);
}

/** Removes a namespace with every process in it. */
export async function removeNetns(ns: string): Promise<void> {
  if (!(await netnsList()).includes(ns)) return;
  const pids = (await sh('ip', ['netns', 'pids', ns]).catch(() => '')).split('\n').filter(Boolean).map(Number);
  await stopPids(pids, 2000);
  await sh('ip', ['netns', 'delete', ns]);
}

/**
 * ovsdb-server and ovs-vswitchd of our own, with the database in `dir` and the sockets where the
 * agents and ovs-vsctl look for them. Bridges are `datapath_type=netdev` (no kernel module here).
 */
export class OpenVSwitch {
  private vswitchdPid = 0;
  private ovsdbPid = 0;
  private readonly linksBefore: string[];

  private constructor(readonly dir: string, linksBefore: string[]) {
    this.linksBefore = linksBefore;
  }

  static async start(dir: string): Promise<OpenVSwitch> {
    mkdirSync(dir, { recursive: true });
    mkdirSync(OVS_RUNDIR, { recursive: true });
    const ovs = new OpenVSwitch(dir, await linkNames());
    const db = join(dir, 'conf.db');
    await sh('ovsdb-tool', ['create', db, '/usr/share/openvswitch/vswitch.ovsschema']);
    await sh('ovsdb-server', [db, `--remote=punix:${OVS_DB_SOCK}`, `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
      `--unixctl=${join(dir, 'ovsdb-server.ctl')}`, '--detach', `--log-file=${join(dir, 'ovsdb-server.log')}`]);
    ovs.ovsdbPid = Number(readFileSync(join(dir, 'ovsdb-server.pid'), 'utf8').trim());
    await sh('ovs-vsctl', ['--no-wait', 'init']);
    await sh('ovs-vswitchd', [`unix:${OVS_DB_SOCK}`, `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
      `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`, '--detach', `--log-file=${join(dir, 'ovs-vswitchd.log')}`]);
    ovs.vswitchdPid = Number(readFileSync(join(dir, 'ovs-vswitchd.pid'), 'utf8').trim());
    return ovs;
  }

  vsctl(...args: string[]): Promise<string> {
    return sh('ovs-vsctl', ['--timeout=20', ...args]);
  }

  async addBridge(name: string): Promise<void> {
    await this.vsctl('--may-exist', 'add-br', name, '--', 'set', 'Bridge', name, 'datapath_type=netdev');
  }

  /** Deletes every bridge (so that ovs-vswitchd removes their tap devices), stops both daemons, removes leftovers. */
  async stop(): Promise<void> {
    if (this.vswitchdPid && alive(this.vswitchdPid)) {
      const bridges = (await this.vsctl('list-br').catch(() => '')).split('\n').filter(Boolean);
      for (const b of bridges) await this.vsctl('--if-exists', 'del-br', b).catch(() => undefined);
      await sh('ovs-appctl', ['-t', join(this.dir, 'ovs-vswitchd.ctl'), 'exit', '--cleanup']).catch(() => undefined);
      await stopPids([this.vswitchdPid], 5000);
    }
    if (this.ovsdbPid && alive(this.ovsdbPid)) await stopPids([this.ovsdbPid], 5000);
    // the netdev datapath's tap devices (ovs-netdev, bridges' internal ports) outlive a daemon that died
    for (const link of await linkNames()) {
      if (!this.linksBefore.includes(link)) await sh('ip', ['link', 'delete', link]).catch(() => undefined);
    }
    for (const f of ['db.sock']) rmSync(join(OVS_RUNDIR, f), { force: true });
  }
}

/** A Neutron agent as a background process in its own process group, stopped by pid. */
export class AgentProcess {
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  /** the parts of the log written while it ran, [from, to) in bytes: lines after a stop began are shut-down noise */
  private readonly spans: Array<[number, number | null]> = [];
  private stderr = '';

  constructor(readonly name: string, readonly binary: string, readonly configFiles: string[], readonly logFile: string) {}

  private logSize(): number {
    return existsSync(this.logFile) ? statSync(this.logFile).size : 0;
  }

  start(): void {
    this.spans.push([this.logSize(), null]);
    const args = [...this.configFiles.flatMap((f) => ['--config-file', f]), '--log-file', this.logFile];
    const proc = spawn(this.binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.exited = new Promise((r) => proc.once('exit', () => r()));
    this.proc = proc;
  }

  describeExit(): string {
    return this.stderr;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private endSpan(): void {
    const last = this.spans[this.spans.length - 1];
    if (last && last[1] === null) last[1] = this.logSize();
  }

  /** SIGTERM to the agent alone (it stops its own helpers), SIGKILL to its whole group after graceMs. */
  async stop(graceMs = 15_000): Promise<void> {
    this.endSpan();
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.kill('SIGTERM');
    const timer = sleep(graceMs).then(() => 'late');
    if ((await Promise.race([this.exited!.then(() => 'exited'), timer])) === 'late') {
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ }
      await this.exited;
    }
    // helpers left in its group (ovsdb-client monitor, ip monitor)
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* none */ }
  }

  /** SIGKILL to the whole group, as a crash: the agent does not say goodbye. */
  async kill(): Promise<void> {
    this.endSpan();
    if (!this.proc || !this.running) return;
    try { process.kill(-this.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    await this.exited;
  }

  /** Waits for a line matching `re` in the log of the current run. */
  async waitForLog(re: RegExp, timeoutMs: number, what: string): Promise<void> {
    const from = this.spans[this.spans.length - 1]?.[0] ?? 0;
    await eventually(() => {
      if (!this.running) throw new Error(`the ${this.name} agent exited: ${this.describeExit()}`);
      return existsSync(this.logFile) && re.test(readFileSync(this.logFile).subarray(from).toString('utf8'));
    }, timeoutMs, what, 500);
  }

  /** The log written while the agent ran (each run up to the moment it was asked to stop). */
  log(): string {
    if (!existsSync(this.logFile)) return '';
    const text = readFileSync(this.logFile);
    return this.spans.map(([from, to]) => text.subarray(from, to ?? text.length).toString('utf8')).join('\n');
  }
}

/**
 * Log lines that show the server failing the agent: a remote error, an unknown method or version,
 * a call that timed out, or any ERROR/CRITICAL record while it ran (a traceback follows its record; privsep's
 * DEBUG tracebacks of expected failures do not count).
 */
export const AGENT_LOG_FAILURE = /^[\d-]+ [\d:.]+ \d+ (ERROR|CRITICAL) |RemoteError|Remote error|NoSuchMethod|UnsupportedVersion|does not support RPC|MessagingTimeout|Timed out waiting for a reply/;

export interface Allowance {
  /** the first line of the record */
  re: RegExp;
  /** only within one of these [from, to] times (ms); always if absent */
  windows?: Array<[number, number]>;
}

/**
 * The records of an agent log (a record is its first line and the lines with the same
 * "date time pid LEVEL logger" prefix after it: a traceback) that show a failure and that no
 * allowance covers. Returns the first line of each.
 */
export function failureLines(log: string, allow: Allowance[] = []): string[] {
  const bad: string[] = [];
  let prefix = '';
  let skipping = false;
  for (const line of log.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\d) ([\d:.]+) (\d+) ([A-Z]+) (\S+)/.exec(line);
    const p = m ? m.slice(1, 6).join(' ') : '';
    if (p && p === prefix) continue; // the rest of a record (a traceback)
    prefix = p;
    // log_opt_values: the configuration dump at start-up (logging_exception_prefix = ... ERROR ...)
    if (!AGENT_LOG_FAILURE.test(line) || / log_opt_values /.test(line)) continue;
    // the agents log in local time
    const at = m ? new Date(`${m[1]}T${m[2]}`).getTime() : NaN;
    skipping = allow.some((a) => a.re.test(line) && (!a.windows || a.windows.some(([from, to]) => at >= from && at <= to)));
    if (!skipping) bad.push(line);
  }
  return bad;
}

/** A private vhost on the local RabbitMQ with the firehose on: every publish is seen by `trace`. */
export class TracedVhost {
  readonly calls = new Map<string, number>();
  readonly casts = new Map<string, number>();
  readonly failures: Array<{ failure: string }> = [];
  private conn?: amqp.ChannelModel;

  private constructor(readonly name: string) {}

  url(): string {
    return `rabbit://guest:guest@127.0.0.1:5672/${encodeURIComponent(this.name)}`;
  }

  static async create(name: string): Promise<TracedVhost> {
    const v = new TracedVhost(name);
    await sh('rabbitmqctl', ['-q', 'add_vhost', name], 60_000);
    await sh('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], 60_000);
    await v.trace();
    return v;
  }

  /** Turns the firehose on and listens to it (again after a broker restart, which turns it off). */
  async trace(): Promise<void> {
    await this.conn?.close().catch(() => undefined);
    await sh('rabbitmqctl', ['-q', 'trace_on', '-p', this.name], 60_000);
    await this.listen();
  }

  private async listen(): Promise<void> {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(this.name)}`);
    conn.on('error', () => undefined);
    this.conn = conn;
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, 'amq.rabbitmq.trace', 'publish.#');
    await ch.consume(queue, (m) => {
      if (!m) return;
      try {
        this.onPublish(m.fields.routingKey.slice('publish.'.length), (m.properties.headers?.routing_keys as string[] | undefined)?.[0] ?? '', m.content.toString('utf8'));
      } catch { /* not an oslo message */ }
    }, { noAck: true });
  }

  /** Counts `exchange routing-key method` of every RPC request, and keeps every failure reply. */
  private onPublish(exchange: string, routingKey: string, body: string): void {
    const env = JSON.parse(body);
    const msg = typeof env['oslo.message'] === 'string' ? JSON.parse(env['oslo.message']) : env;
    if (exchange === '') {
      if (msg.failure) this.failures.push({ failure: String(msg.failure) });
      return;
    }
    if (typeof msg.method !== 'string') return;
    const where = exchange.endsWith('_fanout') ? `${exchange.slice(0, -'_fanout'.length)} (fanout)` : routingKey;
    const key = `${where} ${msg.method}${msg.version ? ` ${msg.version}` : ''}`;
    const table = msg._msg_id ? this.calls : this.casts;
    table.set(key, (table.get(key) ?? 0) + 1);
  }

  async destroy(): Promise<void> {
    await this.conn?.close().catch(() => undefined);
    await sh('rabbitmqctl', ['-q', 'trace_off', '-p', this.name], 60_000).catch(() => undefined);
    await sh('rabbitmqctl', ['-q', 'delete_vhost', this.name], 120_000);
  }
}

/** The admin's (noauth) API client. */
export class Api {
  constructor(public url: string) {}

  async req(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await request(`${this.url}/v2.0${path}`, {
      method: method as 'GET',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 60_000, bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : null };
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.req(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async create(collection: string, body: Record<string, unknown>): Promise<any> {
    return (await this.ok('POST', `/${collection.replace(/_/g, '-')}s`, { [collection]: body }))[collection];
  }

  async show(collection: string, id: string): Promise<any> {
    return (await this.ok('GET', `/${collection.replace(/_/g, '-')}s/${id}`))[collection];
  }
}

/** A "VM": a namespace whose eth0 is a veth whose peer is plugged into br-int as os-vif plugs a VIF. */
export class Vm {
  readonly hostDev: string;
  private readonly nsDev: string;
  private readonly leaseFile: string;
  private readonly pidFile: string;

  constructor(readonly ns: string, readonly port: { id: string; mac_address: string; device_id: string }, private readonly ovs: OpenVSwitch, dir: string) {
    this.hostDev = `tap${port.id.slice(0, 11)}`;
    this.nsDev = `e2ev${port.id.slice(0, 8)}`;
    this.leaseFile = join(dir, `${ns}.leases`);
    this.pidFile = join(dir, `${ns}.dhclient.pid`);
  }

  exec(...args: string[]): Promise<string> {
    return sh('ip', ['netns', 'exec', this.ns, ...args]);
  }

  async create(): Promise<void> {
    await sh('ip', ['netns', 'add', this.ns]);
    await sh('ip', ['link', 'add', this.hostDev, 'type', 'veth', 'peer', 'name', this.nsDev]);
    await sh('ip', ['link', 'set', this.nsDev, 'netns', this.ns]);
    await this.exec('ip', 'link', 'set', this.nsDev, 'name', 'eth0');
    await this.exec('ip', 'link', 'set', 'eth0', 'address', this.port.mac_address);
    await this.exec('ip', 'link', 'set', 'lo', 'up');
    await this.exec('ip', 'link', 'set', 'eth0', 'up');
    await sh('ip', ['link', 'set', this.hostDev, 'up']);
  }

  /** What Nova's os-vif does for an OVS VIF: the port on br-int with the external_ids the agent looks for. */
  async plug(): Promise<void> {
    await this.ovs.vsctl('--may-exist', 'add-port', 'br-int', this.hostDev, '--', 'set', 'Interface', this.hostDev,
      `external_ids:iface-id=${this.port.id}`, 'external_ids:iface-status=active',
      `external_ids:attached-mac=${this.port.mac_address}`, `external_ids:vm-uuid=${this.port.device_id}`);
  }

  async unplug(): Promise<void> {
    await this.ovs.vsctl('--if-exists', 'del-port', 'br-int', this.hostDev);
  }

  /** One DHCP exchange with dhclient; returns the lease's fixed address and interface MTU (nothing is configured). */
  async dhcp(timeoutS = 60): Promise<{ address: string; mtu: number | null; routers: string | null }> {
    rmSync(this.leaseFile, { force: true });
    try {
      await sh('ip', ['netns', 'exec', this.ns, 'timeout', String(timeoutS), 'dhclient', '-1', '-4', '-pf', this.pidFile, '-lf', this.leaseFile,
        '-sf', '/bin/true', 'eth0'], (timeoutS + 10) * 1000);
    } finally {
      await this.stopDhclient();
    }
    const lease = readFileSync(this.leaseFile, 'utf8');
    const address = /fixed-address ([\d.]+);/.exec(lease)?.[1];
    if (!address) throw new Error(`no address in the lease:\n${lease}`);
    const mtu = /option interface-mtu (\d+);/.exec(lease)?.[1];
    const routers = /option routers ([\d.]+);/.exec(lease)?.[1] ?? null;
    return { address, mtu: mtu ? Number(mtu) : null, routers };
  }

  private async stopDhclient(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    if (pid) await stopPids([pid], 2000);
    rmSync(this.pidFile, { force: true });
  }

  async configure(address: string, prefixLen: number, mtu: number, gateway?: string): Promise<void> {
    await this.exec('ip', 'link', 'set', 'eth0', 'mtu', String(mtu));
    await this.exec('ip', 'addr', 'add', `${address}/${prefixLen}`, 'dev', 'eth0');
    if (gateway) await this.exec('ip', 'route', 'add', 'default', 'via', gateway);
  }

  async destroy(): Promise<void> {
    await this.stopDhclient();
    await this.unplug().catch(() => undefined);
    await removeNetns(this.ns);
    await sh('ip', ['link', 'delete', this.hostDev]).catch(() => undefined);
  }
}

/** true if `count` pings from namespace `ns` to `ip` get at least one answer. */
export function pings(ns: string, ip: string, count = 3): Promise<boolean> {
  return succeeds('ip', ['netns', 'exec', ns, 'ping', '-n', '-q', '-c', String(count), '-i', '0.3', '-W', '1', ip], 30_000);
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeConf(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Free TCP port on 127.0.0.1 (for the OVS agent's OpenFlow controller, which cannot bind port 0). */
export function freePort(): number {
  const r = spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}
