import { Pool } from 'undici';

export interface Caller {
  /** extra headers: X-Project-Id/X-Roles in noauth mode, nothing with a token */
  headers: Record<string, string>;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly method: string, readonly path: string, body: string) {
    super(`${method} ${path} → ${status}: ${body.slice(0, 300)}`);
  }
}

/**
 * The Networking API over one undici keep-alive pool. `token` is sent as X-Auth-Token; without
 * one, callers name their project in noauth headers.
 */
export class NeutronApi {
  readonly pool: Pool;
  /** SQL statements reported by the server (x-sql-statements, NEUTRON_TS_COUNT_SQL=1) */
  sqlStatements = 0;
  sqlResponses = 0;

  constructor(readonly url: string, private readonly token: string | null, connections: number) {
    const u = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.')) {
      throw new Error(`the benchmark targets the loopback interface only, not ${u.hostname}`);
    }
    this.pool = new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    this.base = u.pathname.replace(/\/$/, '');
  }

  private readonly base: string;

  /** One request; the body is read in full (that is part of the latency) and returned as text. */
  async send(caller: Caller, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', ...caller.headers };
    if (this.token) headers['x-auth-token'] = this.token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.pool.request({
      method: method as 'GET', path: `${this.base}${path}`, headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const sql = res.headers['x-sql-statements'];
    if (typeof sql === 'string') {
      this.sqlStatements += Number(sql);
      this.sqlResponses++;
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new HttpError(res.statusCode, method, path, text);
    return { status: res.statusCode, text };
  }

  async json(caller: Caller, method: string, path: string, body?: unknown): Promise<any> {
    const { text } = await this.send(caller, method, path, body);
    return text ? JSON.parse(text) : null;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** A non-admin member of `project` (noauth headers; ignored by a keystone-mode server that reads the token). */
export function member(project: string): Caller {
  return { headers: { 'x-project-id': project, 'x-user-id': `bench-user-${project}`, 'x-roles': 'member' } };
}

/** Noauth's admin: no project header. */
export const ADMIN: Caller = { headers: {} };
