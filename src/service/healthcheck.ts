import { existsSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Database } from '../db/database.js';

/** One check's answer, as oslo.middleware's HealthcheckResult. */
interface Result {
  available: boolean;
  reason: string;
}

export interface HealthcheckOptions {
  config: Config;
  db: Database;
  log: Logger;
  /** true once this process stops serving (SIGTERM): load balancers should move away */
  draining(): boolean;
}

/** A database that does not answer `select 1` within this time is unreachable. */
const DB_TIMEOUT_MS = 5000;
const OFFERS = ['text/plain', 'text/html', 'application/json'] as const;

/**
 * oslo.middleware's healthcheck app: GET answers 200 "OK" (503 with the reasons), HEAD 204 (503),
 * text/plain unless Accept prefers text/html or application/json. Besides oslo's disable_by_file
 * backends, it always checks that the process is not draining and that the database answers.
 */
export function healthcheck(opts: HealthcheckOptions): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const hc = opts.config.healthcheck;
  const backends = hc.backends.map((name) => backend(name, opts));
  return async (req, reply) => {
    const results = [
      opts.draining() ? { available: false, reason: 'SHUTTING DOWN' } : await database(opts),
      ...backends.map((b) => b(localPort(req))),
    ].filter((r): r is Result => r !== null);
    const healthy = results.every((r) => r.available);
    const shown = healthy ? [{ available: true, reason: 'OK' }] : results.filter((r) => !r.available);
    if (req.method === 'HEAD') return reply.code(healthy ? 204 : 503).type('text/plain; charset=UTF-8').send('');
    reply.code(healthy ? 200 : 503);
    const reasons = shown.map((r) => r.reason);
    switch (negotiate(req.headers.accept)) {
      case 'application/json':
        // a Buffer, so that Fastify adds no charset parameter: oslo's JSON answer has none
        return reply.type('application/json').send(Buffer.from(JSON.stringify({ detailed: false, reasons }, null, 4)));
      case 'text/html':
        return reply.type('text/html; charset=UTF-8').send(html(reasons));
      default:
        return reply.type('text/plain; charset=UTF-8').send(reasons.join('\n'));
    }
  };
}

async function database({ db, log }: HealthcheckOptions): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.read((q) => sql`select 1`.execute(q)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${DB_TIMEOUT_MS} ms`)), DB_TIMEOUT_MS))),
    ]);
    return { available: true, reason: 'OK' };
  } catch (err) {
    log.warn({ err }, 'healthcheck: the database is unreachable');
    return { available: false, reason: 'DATABASE UNREACHABLE' };
  } finally {
    clearTimeout(timer);
  }
}

/** oslo.middleware's disable_by_file and disable_by_files_ports backends. */
function backend(name: string, { config, log }: HealthcheckOptions): (port: number) => Result | null {
  const hc = config.healthcheck;
  if (name === 'disable_by_file') {
    const path = hc.disable_by_file_path;
    if (!path) log.warn('DisableByFile healthcheck middleware enabled without disable_by_file_path set');
    return () => (path && existsSync(path) ? { available: false, reason: 'DISABLED BY FILE' } : { available: true, reason: 'OK' });
  }
  if (name === 'disable_by_files_ports') {
    const byPort = new Map(hc.disable_by_file_paths.map((p) => {
      const at = p.indexOf(':');
      return [Number(p.slice(0, at)), p.slice(at + 1)] as const;
    }));
    return (port) => {
      const path = byPort.get(port);
      return path && existsSync(path) ? { available: false, reason: 'DISABLED BY FILE' } : { available: true, reason: 'OK' };
    };
  }
  log.warn(`healthcheck backend '${name}' is not available in neutron-ts; ignored`);
  return () => null;
}

function localPort(req: FastifyRequest): number {
  return req.socket.localPort ?? 0;
}

/** The offer with the highest quality in Accept (ties: OFFERS' order); text/plain if none is acceptable. */
export function negotiate(accept: string | undefined): (typeof OFFERS)[number] {
  if (!accept) return OFFERS[0];
  const ranges = accept.split(',').map((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { range: range!, q: q ? Number(q.slice(2)) : 1 };
  });
  let best: (typeof OFFERS)[number] = OFFERS[0];
  let bestQ = 0;
  for (const offer of OFFERS) {
    const [type] = offer.split('/');
    // the most specific range that matches decides the offer's quality
    const match = ranges.find((r) => r.range === offer) ?? ranges.find((r) => r.range === `${type}/*`) ?? ranges.find((r) => r.range === '*/*');
    if (match && match.q > bestQ) {
      best = offer;
      bestQ = match.q;
    }
  }
  return best;
}

function html(reasons: string[]): string {
  const rows = reasons.map((r) => `<TR>\n    <TD>${escapeHtml(r)}</TD>\n</TR>`).join('');
  return `<HTML>\n<HEAD><TITLE>Healthcheck Status</TITLE></HEAD>\n<BODY>\n<H2>Result of ${reasons.length} checks:</H2>\n`
    + `<TABLE bgcolor="#ffffff" border="1">\n<TBODY>\n<TR>\n<TH>\nReason\n</TH>\n</TR>\n${rows}\n</TBODY>\n</TABLE>\n<HR></HR>\n</BODY>\n</HTML>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
