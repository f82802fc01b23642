// `neutron-ts` as an operator runs it, in processes of its own, against one database.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../src/db/database.js';
import { upgrade } from '../../src/db/migrate.js';
import { createTestDatabase, testBackend, type Backend } from '../support/databases.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];

/** A database for the test's processes to share: new, upgraded, on NEUTRON_TS_TEST_DB's backend. */
export interface SharedDatabase {
  backend: Backend;
  url: string;
  dir: string;
  drop(): Promise<void>;
}

export async function sharedDatabase({ upgraded = true } = {}): Promise<SharedDatabase> {
  const backend = testBackend();
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-db-'));
  if (backend === 'sqlite') {
    // several processes on one SQLite file: BEGIN IMMEDIATE queues their writes on the file lock
    const url = `sqlite:///${join(dir, 'neutron.db')}`;
    if (upgraded) {
      const db = new Database({ url });
      await upgrade(db).finally(() => db.close());
    }
    return { backend, url, dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const created = await createTestDatabase(backend, { upgraded });
  return {
    backend, url: created.url, dir,
    drop: async () => {
      await created.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * INI text for a server against `connection`, plus `extra` sections: a state directory of its own
 * under `dir`, and bind_port = 0, so that the kernel picks a free port as it binds (a port chosen
 * before could be taken by another process in between); startCliServer reads which from the log.
 */
export function serverConf(dir: string, connection: string, extra = ''): string {
  return [
    '[DEFAULT]', 'bind_host = 127.0.0.1', 'bind_port = 0', `state_path = ${mkdtempSync(join(dir, 'state-'))}`, 'api_workers = 0',
    '[database]', `connection = ${connection}`,
    extra,
  ].join('\n');
}

export interface CliServer {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `neutron-ts server` with `conf` (INI text, e.g. serverConf's) as its config file; resolves
 * once it serves, on the port its "serving on" log line names. Rejects with its output if it exits
 * first.
 */
export async function startCliServer(dir: string, conf: string): Promise<CliServer> {
  const file = join(mkdtempSync(join(dir, 'server-')), 'neutron.conf');
  writeFileSync(file, conf);
  const child = spawn(process.execPath, [...CLI, 'server', '--config-file', file], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' },
  });
  let out = '';
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const serving = servingPort(child, (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
  };
  let port: number;
  try {
    port = await serving;
  } catch (e) {
    await stop();
    throw new Error(`neutron-ts server ${(e as Error).message}:\n${out}`);
  }
  return { url: `http://127.0.0.1:${port}`, child, output: () => out, stop };
}

/**
 * The port of a `neutron-ts server` child, from the supervisor's "serving on" line in its JSON log
 * on stdout (each chunk of which also goes to `onData`). Rejects "exited with <code>" if the child
 * ends first (once its output is read), "did not serve within 60 s" after that long.
 */
export function servingPort(child: ChildProcess, onData: (chunk: string) => void = () => undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('did not serve within 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onData(text);
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('serving on')) continue;
        let entry: { worker?: unknown; msg?: unknown; port?: unknown };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.worker === 'supervisor' && typeof entry.msg === 'string' && entry.msg.startsWith('neutron-ts serving on') && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      }
    });
    // 'close' comes once stdout has been read to its end, so that the output tells why it exited
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code ?? signal}`));
    });
  });
}

/** Runs a `neutron-ts` command to its end. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
