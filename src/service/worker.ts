/**
 * The entry point of a worker process forked by the supervisor (node:cluster). The worker says
 * hello, receives its role and the configuration the supervisor loaded, starts, says ready, and
 * runs until the supervisor says stop (or goes away).
 */
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { TurnGrant, TurnRequest } from '../db/write-turns.js';
import type { WorkerRole } from '../plugins/plugin.js';
import type { ListeningSocket } from './http.js';
import { collectWhenIdle } from './idle-gc.js';
import { createLogger } from './log.js';
import { answerMetricsRequests, enableMetrics } from './metrics.js';
import { runRole, type Running } from './roles.js';

export type ToWorker =
  | { type: 'start'; role: WorkerRole; desc: string; index: number; config: Config; configDirs: string[]; specs?: string[]; title: string }
  | { type: 'stop' }
  | TurnGrant;

export type ToSupervisor =
  | { type: 'hello' }
  | { type: 'ready'; address?: { host: string; port: number } }
  | TurnRequest;

const send = (m: ToSupervisor) => process.send?.(m);

// V8 lets a heap grow up to 4x what survived its last full collection before the next one: a worker
// that streams big lists (10,000 ports, ~19 MB alive) reached ~200 MB resident. Growing by a fifth
// keeps it near 140 MB; full collections of so small a heap cost little (same list throughput).
setFlagsFromString('--heap-growing-percent=20');

let running: Running | undefined;
let starting = false;
let stopping = false;
let log: Logger | undefined;

function exit(code: number): void {
  if (log) log.flush(() => process.exit(code));
  else process.exit(code);
}

async function start(m: Extract<ToWorker, { type: 'start' }>, socket?: ListeningSocket): Promise<void> {
  starting = true;
  if (m.title) process.title = m.title;
  const logger = (log = createLogger(m.config, { worker: m.desc, index: m.index }));
  const fail = (err: unknown, msg: string) => {
    logger.fatal({ err }, msg);
    exit(1);
  };
  try {
    enableMetrics(m.config, m.desc);
    running = await runRole({
      role: m.role, config: m.config, log, configDirs: m.configDirs, specs: m.specs, socket,
      fatal: (err) => fail(err, `${m.desc} cannot go on`),
    });
  } catch (err) {
    return fail(err, `${m.desc} failed to start`);
  }
  logger.info({ address: running.address }, `${m.desc} started`);
  if (stopping) return void stop();
  send({ type: 'ready', address: running.address });
  collectWhenIdle(running.activity ?? (() => 0));
}

async function stop(): Promise<void> {
  stopping = true;
  if (!running) {
    if (!starting) exit(0); // told to stop before being told to start
    return; // start() stops it once it is up
  }
  const r = running;
  running = undefined;
  log?.info('stopping');
  try {
    await r.stop();
    log?.info('stopped');
    exit(0);
  } catch (err) {
    log?.error({ err }, 'failed to stop cleanly');
    exit(1);
  }
}

// an API worker's start comes with the supervisor's listening socket
process.on('message', (m: ToWorker, socket?: ListeningSocket) => {
  if (m.type === 'start') void start(m, socket);
  else if (m.type === 'stop') void stop();
});
// The supervisor decides: a terminal's Ctrl-C or a SIGHUP reaches the whole process group.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => void stop());
// A supervisor that died leaves no orphan behind.
process.on('disconnect', () => void stop());
answerMetricsRequests();
send({ type: 'hello' });
