/**
 * The parent process, as neutron-server's: it loads the configuration and the plugins, prepares the
 * database, binds the API socket and forks the workers of the plan (each API worker listens on that
 * socket and accepts connections itself), respawns those that die, and handles the
 * signals: SIGTERM/SIGINT stop gracefully (a second one at once), SIGHUP reloads the configuration
 * with a rolling restart.
 *
 * Nothing crosses a fork: a cluster worker is a new Node.js process that opens its own database
 * pool and broker connection; the supervisor closes the connection it used for the schema.
 */
import cluster, { type Worker } from 'node:cluster';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { LoadResult } from '../config/index.js';
import { WriteTurnBroker } from '../db/write-turns.js';
import { bindSocket, closeSocket, type HttpFront, type ListeningSocket } from './http.js';
import { createLogger } from './log.js';
import { enableMetrics, processMetrics } from './metrics.js';
import { MetricsListener } from './metrics-listener.js';
import { planWorkers, type WorkerGroup, type WorkerPlan } from './plan.js';
import { loadPlugins } from './plugins.js';
import { gracefulMs, serveApi, stopApi } from './roles.js';
import { buildServer, configDirsOf, prepareDatabase, type NeutronServer } from './server.js';
import type { ToSupervisor, ToWorker } from './worker.js';

/** A worker that exits before it is ready, or sooner than this after, failed quickly. */
const STABLE_MS = 10_000;
/** Quick failures in a row are respawned after 1, 2, 4, ... s, at most 30 s apart. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A worker that fails quickly this many times in a row cannot run: the server stops (exit 1). */
const MAX_QUICK_FAILURES = 6;
/** How long a worker may take to exit after graceful_shutdown_timeout before it is killed. */
const KILL_MARGIN_MS = 5000;

interface Slot {
  group: WorkerGroup;
  index: number;
  loaded: LoadResult;
  /** retired: not respawned when it exits */
  stopping: boolean;
  worker?: Worker;
  readyAt?: number;
  quickFailures: number;
  respawn?: NodeJS.Timeout;
  /** settles the fork's start: ready, or exited before */
  started?: { resolve(): void; reject(err: Error): void };
}

interface Generation {
  loaded: LoadResult;
  plan: WorkerPlan;
  slots: Slot[];
}

export interface SupervisorOptions {
  /** loads the configuration files again (SIGHUP); throws ConfigError on a bad file */
  load(): LoadResult;
}

export class Supervisor {
  private readonly log: Logger;
  private current: Generation;
  private readonly slots = new Set<Slot>();
  /** the workers' turns at the embedded SQLite database's write lock */
  private readonly writeTurns = new WriteTurnBroker<Worker>((w) => w.send({ type: 'write-turn' } satisfies ToWorker));
  /** api_workers = 0: the supervisor serves the API itself */
  private parentApi?: { front: HttpFront; server: NeutronServer };
  /** api_workers > 0: the socket the API workers listen on, kept open while they come and go */
  private socket?: ListeningSocket;
  private address?: { host: string; port: number };
  private metricsListener?: MetricsListener;
  private stopping = false;
  private reloading = false;
  private reloadAgain = false;

  constructor(private readonly opts: SupervisorOptions, loaded: LoadResult) {
    this.log = createLogger(loaded.config, { worker: 'supervisor' });
    this.current = { loaded, plan: planWorkers(loaded.config, plugins(loaded)), slots: [] };
  }

  /** Starts every worker of the plan; exits the process with status 1 if one cannot start. */
  async start(): Promise<void> {
    const { loaded, plan } = this.current;
    const { config } = loaded;
    for (const w of loaded.warnings) this.log.warn(w);
    for (const note of plan.notes) this.log.warn(note);
    process.on('SIGTERM', () => void this.stop('SIGTERM'));
    process.on('SIGINT', () => void this.stop('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
    try {
      if (config.DEFAULT.use_ssl) throw new Error('use_ssl = true: neutron-ts does not terminate TLS; put a TLS proxy in front of it');
      const metrics = enableMetrics(config, 'supervisor');
      if (metrics) this.metricsListener = await MetricsListener.start(config, metrics, this.log);
      await prepareDatabase(config, this.log);
      if (plan.apiWorkers === 0) {
        const { server, front, address } = await serveApi(config, this.log, configDirsOf(loaded.sources));
        this.parentApi = { server, front };
        this.address = address;
      } else {
        const { socket, host, port } = await bindSocket(config.DEFAULT.bind_host, config.DEFAULT.bind_port);
        this.socket = socket;
        this.address = { host, port };
      }
      const here = fileURLToPath(import.meta.url);
      cluster.setupPrimary({ exec: join(dirname(here), `worker${extname(here)}`), args: [], silent: false });
      this.current.slots = await this.startGeneration(loaded, plan);
    } catch (err) {
      if (this.stopping) return;
      this.log.fatal({ err }, 'neutron-ts cannot start');
      return this.stop('start-up failure', 1);
    }
    this.log.info({
      ...this.address, config_files: loaded.sources, api_workers: plan.apiWorkers,
      workers: Object.fromEntries(plan.groups.map((g) => [g.desc, g.count])),
    }, `neutron-ts serving on http://${this.address?.host}:${this.address?.port}`);
  }

  // ---- workers ---------------------------------------------------------------------------------

  private async startGeneration(loaded: LoadResult, plan: WorkerPlan): Promise<Slot[]> {
    const slots: Slot[] = plan.groups.flatMap((group) => Array.from({ length: group.count }, (_, index) => ({
      group, index, loaded, stopping: false, quickFailures: 0,
    })));
    try {
      await Promise.all(slots.map((s) => this.fork(s)));
      return slots;
    } catch (err) {
      await this.retire(slots);
      throw err;
    }
  }

  /** Forks the slot's worker; resolves when it is ready, rejects if it exits before. */
  private fork(slot: Slot): Promise<void> {
    const { group, index, loaded } = slot;
    // V8's young generation grows to two 16 MB semi-spaces in a worker streaming big lists; 8 MB
    // ones keep an API worker ~16 MB smaller at the same speed with list batches of 250
    // (db/resource.ts); the other workers allocate little: 2 MB ones save them ~12 MB each.
    // global.gc: a worker collects once when it goes idle (idle-gc.ts). No --lite-mode: it implies
    // --jitless, which takes WebAssembly away, and Node's own fetch (undici's HTTP parser) needs it
    cluster.setupPrimary({ execArgv: [`--max-semi-space-size=${group.role === 'api' ? 8 : 2}`, '--expose-gc', ...process.execArgv] });
    // libuv then pauses after each connection it accepts, so that a burst of connections is
    // spread over the API workers instead of going to whichever woke up first
    const worker = cluster.fork({ UV_TCP_SINGLE_ACCEPT: '1' });
    const pid = worker.process.pid;
    slot.worker = worker;
    slot.readyAt = undefined;
    this.slots.add(slot);
    this.log.info({ child: group.desc, index, child_pid: pid }, `started ${group.desc} ${index} (pid ${pid})`);
    const started = new Promise<void>((resolve, reject) => (slot.started = { resolve, reject }));
    worker.on('message', (m: ToSupervisor) => {
      if (m.type === 'hello') {
        const setproctitle = loaded.config.DEFAULT.setproctitle;
        const title = setproctitle === 'off' ? '' : `neutron-ts: ${group.desc}${setproctitle === 'brief' ? '' : ` (${process.argv.slice(1).join(' ')})`}`;
        const start: ToWorker = {
          type: 'start', role: group.role, desc: group.desc, index, config: loaded.config,
          configDirs: configDirsOf(loaded.sources), specs: group.role === 'plugin' || index === 0 ? group.specs : undefined, title,
        };
        if (slot.stopping) worker.send({ type: 'stop' } satisfies ToWorker);
        else worker.send(start, group.role === 'api' ? this.socket as never : undefined);
      } else if (m.type === 'ready') {
        slot.readyAt = Date.now();
        slot.started?.resolve();
      } else {
        this.writeTurns.onMessage(worker, m);
      }
    });
    worker.on('exit', (code, signal) => {
      this.writeTurns.gone(worker);
      this.onExit(slot, worker, code, signal);
    });
    // a message to a worker that is exiting fails (EPIPE): its exit is what matters
    worker.on('error', (err) => this.log.debug({ err, child_pid: pid }, 'worker channel error'));
    return started;
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    const { group, index } = slot;
    const pid = worker.process.pid;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    const expected = slot.stopping || this.stopping;
    this.log[expected && code === 0 ? 'info' : 'warn']({ child: group.desc, index, child_pid: pid, code, signal }, `${group.desc} ${index} (pid ${pid}) exited with ${how}`);
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const ready = slot.readyAt !== undefined;
    // while its generation starts, this fails the start (which retires the generation)
    if (!ready) slot.started?.reject(new Error(`${group.desc} ${index} (pid ${pid}) exited with ${how} before it was ready`));
    if (slot.stopping || this.stopping) return;

    const quick = !ready || Date.now() - slot.readyAt! < STABLE_MS;
    slot.quickFailures = quick ? slot.quickFailures + 1 : 0;
    if (slot.quickFailures >= MAX_QUICK_FAILURES) {
      this.log.fatal({ child: group.desc, index, failures: slot.quickFailures }, `${group.desc} keeps failing: stopping the server`);
      void this.stop('a worker cannot run', 1);
      return;
    }
    const delay = quick ? Math.min(FIRST_BACKOFF_MS * 2 ** (slot.quickFailures - 1), MAX_BACKOFF_MS) : 0;
    this.log.warn({ child: group.desc, index, delay_ms: delay, failures: slot.quickFailures }, `respawning ${group.desc} ${index} in ${delay} ms`);
    processMetrics()?.workerRestarts.inc({ worker: group.desc });
    slot.respawn = setTimeout(() => {
      slot.respawn = undefined;
      this.fork(slot).catch(() => {}); // a failure is handled by onExit
    }, delay);
  }

  /** Stops the slots' workers gracefully; those still running after the timeout are killed. */
  private async retire(slots: Slot[]): Promise<void> {
    const exits: Promise<void>[] = [];
    for (const slot of slots) {
      slot.stopping = true;
      clearTimeout(slot.respawn);
      const w = slot.worker;
      if (!w) continue;
      exits.push(new Promise<void>((r) => w.once('exit', () => r())));
      if (w.isConnected()) w.send({ type: 'stop' } satisfies ToWorker);
      else w.process.kill('SIGTERM');
    }
    const limit = gracefulMs(this.current.loaded.config);
    const killer = limit > 0 ? setTimeout(() => {
      for (const slot of slots) {
        if (!slot.worker) continue;
        this.log.warn({ child: slot.group.desc, child_pid: slot.worker.process.pid }, 'worker did not stop in time: killing it');
        slot.worker.process.kill('SIGKILL');
      }
    }, limit + KILL_MARGIN_MS) : undefined;
    await Promise.all(exits);
    clearTimeout(killer);
    for (const slot of slots) this.slots.delete(slot);
  }

  // ---- signals ---------------------------------------------------------------------------------

  /** Graceful stop (status `code`); a second request stops at once. */
  async stop(reason: string, code = 0): Promise<void> {
    if (this.stopping) {
      if (reason !== 'SIGTERM' && reason !== 'SIGINT') return;
      this.log.warn({ reason }, 'stopping at once');
      for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
      return this.exit(1);
    }
    this.stopping = true;
    this.log.info({ reason }, 'stopping: no new connections; requests in flight may finish');
    // the socket closes as the API workers stop listening: new connections are refused, not queued
    if (this.socket) closeSocket(this.socket);
    const api = this.parentApi;
    await Promise.all([
      this.retire([...this.slots]),
      api && stopApi(api, this.current.loaded.config, this.log),
    ]);
    await this.metricsListener?.close();
    this.log.info('stopped');
    this.exit(code);
  }

  private exit(code: number): void {
    this.log.flush(() => process.exit(code));
  }

  /** SIGHUP: reads the files again, starts a new generation of workers, then retires the old one. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      await this.rollOver();
    } catch (err) {
      if (!this.stopping) this.log.error({ err }, 'reload failed: the running workers keep serving');
    } finally {
      this.reloading = false;
    }
    if (this.reloadAgain && !this.stopping) {
      this.reloadAgain = false;
      void this.reload();
    }
  }

  private async rollOver(): Promise<void> {
    this.log.info('SIGHUP: reloading the configuration');
    const old = this.current;
    const loaded = this.keepSocket(old.loaded, this.opts.load());
    for (const w of loaded.warnings) this.log.warn(w);
    const plan = planWorkers(loaded.config, plugins(loaded));
    let api: NeutronServer | undefined;
    if (this.parentApi) {
      api = await buildServer({ config: loaded.config, log: this.log, configDirs: configDirsOf(loaded.sources), schema: 'check' });
      await api.app.ready();
    }
    let slots: Slot[];
    try {
      slots = await this.startGeneration(loaded, plan);
    } catch (err) {
      await api?.close();
      throw err;
    }
    // The new generation listens: the old one may go.
    this.current = { loaded, plan, slots };
    const tasks = [this.retire(old.slots)];
    if (api && this.parentApi) {
      const previous = this.parentApi.server;
      const front = this.parentApi.front;
      api.draining = () => front.isDraining;
      this.parentApi.server = api;
      tasks.push(front.replace(api.app.routing).then(() => previous.close()));
    }
    await Promise.all(tasks);
    this.log.info({ config_files: loaded.sources, workers: Object.fromEntries(plan.groups.map((g) => [g.desc, g.count])) }, 'configuration reloaded');
  }

  /** The listening socket stays: bind_host, bind_port and whether the supervisor serves are kept. */
  private keepSocket(old: LoadResult, fresh: LoadResult): LoadResult {
    const was = old.config.DEFAULT;
    const now = fresh.config.DEFAULT;
    const kept = { bind_host: was.bind_host, bind_port: was.bind_port, api_workers: now.api_workers };
    if (now.bind_host !== was.bind_host || now.bind_port !== was.bind_port) {
      this.log.warn('bind_host and bind_port changes need a restart; the current socket is kept');
    }
    if ((now.api_workers === 0) !== (was.api_workers === 0)) {
      this.log.warn('switching between api_workers = 0 and API worker processes needs a restart; api_workers is kept');
      kept.api_workers = was.api_workers;
    }
    return { ...fresh, config: { ...fresh.config, DEFAULT: { ...now, ...kept } } };
  }
}

function plugins({ config }: LoadResult) {
  const { core, services } = loadPlugins(config);
  return [core, ...services];
}

/** `neutron-ts server`: runs the supervisor until it is stopped. */
export async function runServer(loaded: LoadResult, load: () => LoadResult): Promise<void> {
  await new Supervisor({ load }, loaded).start();
}
