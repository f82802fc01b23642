import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request as undiciRequest } from 'undici';
import { configWith, type Overrides } from '../../src/config/index.js';
import { buildServer, type NeutronServer } from '../../src/service/server.js';
import { createTestDatabase, testBackend, type Backend, type TestDatabase } from './databases.js';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface TestServer {
  url: string;
  server: NeutronServer;
  stateDir: string;
  /** the database backend (NEUTRON_TS_TEST_DB) */
  backend: Backend;
  /** the configuration the server was started with, its database included: start another on the same data */
  overrides: Overrides;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Headers of a non-admin caller in project `project` (noauth mode reads the context from them). */
export function asProject(project: string, roles = 'member'): Record<string, string> {
  return { 'x-project-id': project, 'x-user-id': `user-of-${project}`, 'x-roles': roles };
}

export const ADMIN = { 'x-project-id': 'admin-project', 'x-user-id': 'admin-user', 'x-roles': 'admin' };

/**
 * A real neutron-ts HTTP server on 127.0.0.1 with its own database: a SQLite file in a new state
 * directory, or a new PostgreSQL/MariaDB database (NEUTRON_TS_TEST_DB) dropped on close, unless
 * `overrides` names a [database] connection.
 */
export async function startServer(overrides: Overrides = {}): Promise<TestServer> {
  const backend = testBackend();
  const stateDir = mkdtempSync(join(tmpdir(), 'neutron-ts-test-'));
  let database: TestDatabase | null = null;
  if (backend !== 'sqlite' && !overrides.database?.connection) {
    database = await createTestDatabase(backend);
    overrides = { ...overrides, database: { ...overrides.database, connection: database.url } };
  }
  overrides = { ...overrides, DEFAULT: { state_path: stateDir, ...(overrides.DEFAULT ?? {}) } };
  const config = configWith(overrides);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let server: NeutronServer;
  try {
    server = await buildServer({ config, log });
  } catch (e) {
    await database?.drop();
    throw e;
  }
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url, server, stateDir, backend, overrides,
    async request(method, path, body, headers = {}) {
      const res = await undiciRequest(`${url}${path}`, {
        method: method as any,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      return { status: res.statusCode, headers: res.headers as Response['headers'], body: parsed };
    },
    async close() {
      try {
        await server.close();
      } finally {
        await database?.drop();
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}
