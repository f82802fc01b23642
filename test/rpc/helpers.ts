// Test helpers: is RabbitMQ / the Python oslo.messaging peer available, a private vhost per test
// file, spawned peers, and a TCP proxy to cut the connection to the broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const PYTHON = '/usr/bin/python3';
const BROKER_HOST = process.env.RPC_TEST_BROKER_HOST ?? '127.0.0.1';
const BROKER_PORT = Number(process.env.RPC_TEST_BROKER_PORT ?? 5672);
const run = promisify(execFile);

/** null if RabbitMQ accepts guest/guest on 127.0.0.1:5672, else what is missing. */
export async function brokerMissing(): Promise<string | null> {
  try {
    const c = await amqp.connect({ hostname: BROKER_HOST, port: BROKER_PORT, username: 'guest', password: 'guest' }, { timeout: 2000 });
    await c.close();
    return null;
  } catch (err) {
    return `RabbitMQ is not reachable on ${BROKER_HOST}:${BROKER_PORT} (${(err as Error).message}); start it with \`rabbitmq-server -detached\``;
  }
}

/** null if /usr/bin/python3 can import oslo_messaging. */
export function pythonMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import oslo_messaging'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return `${PYTHON} cannot import oslo_messaging (install python3-oslo.messaging: scripts/ci/install-rpc-deps.sh)`;
}

/**
 * Test options for tests that need something: skipped (with the reason) when it is missing, except
 * under CI, where a missing requirement is a failing test.
 */
export function requires(...missing: Array<string | null>): { skip: string | false } {
  const why = missing.filter((m): m is string => m !== null).join('; ');
  if (!why) return { skip: false };
  if (process.env.CI) {
    test('requirements for the RPC integration tests', () => assert.fail(why));
  }
  return { skip: why };
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

export interface Vhost {
  name: string;
  /** the URL path naming it, e.g. "/neutron-ts-test-1-abc" */
  path: string;
  /** transport_url for this vhost, optionally through another port (a proxy) */
  url(port?: number): string;
  /** true if rabbitmqctl works (private vhost, connections can be closed by the broker) */
  managed: boolean;
  cleanup(): Promise<void>;
}

/** A private vhost (deleted afterwards) so that tests do not see each other's queues; "/" without rabbitmqctl. */
export async function createVhost(): Promise<Vhost> {
  const name = `neutron-ts-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const url = (vhost: string) => (port = BROKER_PORT) => `rabbit://guest:guest@${BROKER_HOST}:${port}/${encodeURIComponent(vhost)}`;
  try {
    await rabbitmqctl('add_vhost', name);
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  } catch {
    return { name: '/', path: '/%2F', url: url('/'), managed: false, cleanup: async () => undefined };
  }
  // Deleting the vhost (and every queue in it) takes rabbitmqctl a second or more: let it finish on its own.
  const cleanup = async () => spawn('rabbitmqctl', ['-q', 'delete_vhost', name], { detached: true, stdio: 'ignore' }).unref();
  return { name, path: `/${encodeURIComponent(name)}`, url: url(name), managed: true, cleanup };
}

export interface Peer {
  proc: ChildProcess;
  /** lines printed after READY */
  lines: string[];
  ready: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves with how it ended */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a process and waits for its "READY ..." line on stdout. */
export async function spawnPeer(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Peer> {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (process.env.RPC_TEST_LOG) process.stderr.write(d);
  });
  const ready = await new Promise<string>((resolve, reject) => {
    let buf = '';
    let isReady = false;
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: no READY after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!isReady && line.startsWith('READY')) {
          isReady = true;
          clearTimeout(timer);
          resolve(line.slice(5).trim());
        } else if (isReady) {
          lines.push(line);
        }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (!isReady) reject(new Error(`${args.join(' ')} exited with ${code}\n${stderr}`));
    });
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    return { code: proc.exitCode, signal: proc.signalCode };
  };
  return { proc, lines, ready, stop };
}

export function spawnTsPeer(url: string, topic: string, host: string, env: Record<string, string> = {}): Promise<Peer> {
  return spawnPeer(process.execPath, ['--import', 'tsx', join(HERE, 'peer.ts'), url, topic, host], env);
}

/** Waits until fn() returns a truthy value (polling), or fails after timeoutMs. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `p`, or a rejection if it has not settled after `ms`. For a call that only a timer ends: `ms` is
 * far above the timer it should use (a loaded machine does not make the test fail) and far below
 * the one it would wait for if that timer were ignored (the test fails instead of waiting it out).
 */
export async function settlesWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP proxy to the broker: cut() drops every connection, refuse() makes the broker look down. */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => {
      if (proxy.refusing) return void client.destroy();
      const upstream = net.connect(BROKER_PORT, BROKER_HOST);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          proxy.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connections(): number {
    return this.sockets.size / 2;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  refuse(on: boolean): void {
    this.refusing = on;
    if (on) this.cut();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
