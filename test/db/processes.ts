// `neutron-ts` as an operator runs it, in processes of its own, against one database.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../src/db/database.js';
import { upgrade } from '../../src/db/migrate.js';
import { createTestDatabase, testBackend, type Backend } from '../support/databases.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

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

/** INI text for a server on `port` against `connection`, plus `extra` sections. */
export function serverConf(dir: string, port: number, connection: string, extra = ''): string {
  return [
    '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${port}`, `state_path = ${join(dir, `state-${port}`)}`, 'api_workers = 0',
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

/** Starts `neutron-ts server --config-file <conf>`; resolves once it answers GET /. */
export async function startCliServer(dir: string, conf: (port: number) => string): Promise<CliServer> {
  const port = await freePort();
  const file = join(dir, `neutron-${port}.conf`);
  writeFileSync(file, conf(port));
  const child = spawn(process.execPath, [...CLI, 'server', '--config-file', file], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const server: CliServer = {
    url, child, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`neutron-ts server exited with ${child.exitCode}:\n${out}`);
    if (await fetch(`${url}/`).then((r) => r.ok, () => false)) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new Error(`neutron-ts server did not answer on ${url} within 60 s:\n${out}`);
}

/** Runs a `neutron-ts` command to its end. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
