import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request as undiciRequest } from 'undici';
import { configWith, type Overrides } from '../../src/config/index.js';
import { buildServer, type NeutronServer } from '../../src/service/server.js';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface TestServer {
  url: string;
  server: NeutronServer;
  stateDir: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Headers of a non-admin caller in project `project` (noauth mode reads the context from them). */
export function asProject(project: string, roles = 'member'): Record<string, string> {
  return { 'x-project-id': project, 'x-user-id': `user-of-${project}`, 'x-roles': roles };
}

export const ADMIN = { 'x-project-id': 'admin-project', 'x-user-id': 'admin-user', 'x-roles': 'admin' };

/** A real neutron-ts HTTP server on 127.0.0.1 with its own SQLite database (or `connection`). */
export async function startServer(overrides: Overrides = {}): Promise<TestServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'neutron-ts-test-'));
  const config = configWith({ ...overrides, DEFAULT: { state_path: stateDir, ...(overrides.DEFAULT ?? {}) } });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = await buildServer({ config, log });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url, server, stateDir,
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
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
