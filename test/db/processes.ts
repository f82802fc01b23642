// `neutron-ts` as an operator runs it, in processes of its own, against one database.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../src/db/database.js';
import { upgrade } from '../../src/db/migrate.js';
import { createTestDatabase, testBackend, type Backend } from '../support/databases.js';
import { ServerProcess } from '../service/process.js';

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
  stop(): Promise<void>;
}

/**
 * Starts `neutron-ts server` with `conf` (INI text, e.g. serverConf's) as its config file; resolves
 * once it serves (ServerProcess reads its port from the log). Rejects with its output if it exits first.
 */
export async function startCliServer(dir: string, conf: string): Promise<CliServer> {
  const own = mkdtempSync(join(dir, 'server-'));
  const file = join(own, 'neutron.conf');
  writeFileSync(file, conf);
  const server = await ServerProcess.serving(ServerProcess.run(own, [file], { env: { NODE_ENV: 'production' } }));
  const { child } = server;
  return {
    url: server.url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await server.exited;
        clearTimeout(killer);
      }
    },
  };
}

/** Runs a `neutron-ts` command to its end. */
export function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
