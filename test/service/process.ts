// A `neutron-ts server` in its own process, as an operator runs it: config file, JSON log on
// stdout (parsed here), real signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(ROOT, 'test', 'service', 'fixtures', 'plugin.ts');

export interface LogEntry {
  level: number;
  pid: number;
  worker: string;
  msg: string;
  [key: string]: any;
}

export interface SpawnOptions {
  /** [DEFAULT] and other sections, as INI text after the generated [DEFAULT] lines */
  conf?: string;
  /** load test/service/fixtures/plugin.ts (service_plugins = ndp_proxy) */
  fixture?: boolean;
  env?: Record<string, string>;
}

export class ServerProcess {
  readonly logs: LogEntry[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  url = '';
  private readonly waiters = new Set<() => void>();
  private output = '';
  /** the exit code or signal, once the process has exited and its output has been read */
  private exitStatus: number | string | null | undefined;

  private constructor(readonly child: ChildProcess, readonly dir: string, readonly confFile: string) {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // 'close': once its output has been read to the end, so that it tells why it exited
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => {
      this.exitStatus = code ?? signal;
      resolve({ code, signal });
      this.wake();
    }));
  }

  /** Starts a server on an ephemeral port with a fresh state directory; resolves once it serves. */
  static async start(opts: SpawnOptions = {}): Promise<ServerProcess> {
    return ServerProcess.serving(ServerProcess.spawn(opts));
  }

  /** Resolves once `server` serves, with its url set from the supervisor's "serving on" line; kills it if it does not. */
  static async serving(server: ServerProcess): Promise<ServerProcess> {
    try {
      const serving = await server.waitFor((e) => e.worker === 'supervisor' && /serving on/.test(e.msg), 90_000);
      server.url = `http://127.0.0.1:${serving.port}`;
      return server;
    } catch (e) {
      server.child.kill('SIGKILL');
      throw e;
    }
  }

  /** Spawns without waiting. */
  static spawn(opts: SpawnOptions = {}): ServerProcess {
    const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-service-'));
    const confFile = join(dir, 'neutron.conf');
    writeFileSync(confFile, ServerProcess.conf(dir, opts.conf ?? ''));
    return ServerProcess.run(dir, [confFile], opts);
  }

  /** `neutron-ts server --config-file ...` with these files, in this order; kill() removes `dir`. */
  static run(dir: string, configFiles: string[], opts: Pick<SpawnOptions, 'fixture' | 'env'> = {}): ServerProcess {
    const args = [
      '--import', 'tsx', ...(opts.fixture ? ['--import', FIXTURE] : []), join(ROOT, 'src', 'cli', 'main.ts'), 'server',
      ...configFiles.flatMap((f) => ['--config-file', f]),
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServerProcess(child, dir, configFiles[0]!);
  }

  static conf(dir: string, extra: string): string {
    return `[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = 0\nstate_path = ${join(dir, 'state')}\ngraceful_shutdown_timeout = 20\n${extra}\n`;
  }

  /** Rewrites the config file (same generated lines) and sends SIGHUP. */
  reload(extra: string): void {
    writeFileSync(this.confFile, ServerProcess.conf(this.dir, extra));
    this.child.kill('SIGHUP');
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    try {
      this.logs.push(JSON.parse(line));
    } catch {
      this.output += `${line}\n`;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The first log entry (from `from` on) that matches; rejects on timeout or exit. */
  waitFor(match: (e: LogEntry) => boolean, timeoutMs = 60_000, from = 0): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.logs.slice(from).find(match);
        if (hit) done(() => resolve(hit));
        else if (this.exitStatus !== undefined) {
          done(() => reject(new Error(`server exited with ${this.exitStatus} before the expected log line\n${this.describe()}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for a log line\n${this.describe()}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Live worker pids of a kind, from the supervisor's start/exit lines. */
  workerPids(desc: string): number[] {
    const live = new Set<number>();
    for (const e of this.logs) {
      if (e.worker !== 'supervisor' || e.child !== desc) continue;
      if (/^started /.test(e.msg)) live.add(e.child_pid);
      else if (/ exited with /.test(e.msg)) live.delete(e.child_pid);
    }
    return [...live];
  }

  describe(): string {
    return [...this.logs.slice(-40).map((e) => JSON.stringify(e)), this.output.slice(-4000)].join('\n');
  }

  /** One request on a connection of its own (no keep-alive), as a load balancer's probe. */
  async fresh(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const res = await request(`${this.url}${path}`, {
      method: method as 'GET', reset: true,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    // the workers notice the supervisor's death and stop on their own
    await new Promise((r) => setTimeout(r, 200));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
