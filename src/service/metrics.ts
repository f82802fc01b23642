/**
 * Prometheus metrics ([metrics] bind_port). Every process of the server (supervisor and workers)
 * keeps its own prom-client registry; the supervisor's listener (metrics-listener.ts) asks each
 * worker for its figures over the cluster channel at every scrape and serves their sum. With
 * metrics off nothing here is loaded beyond this module: prom-client is required on first use and
 * every probe stays unset.
 *
 * The metrics, all counted where the work happens:
 * - API: request durations by resource, action and status; requests in flight (read, waiting
 *   for their turn or being handled); quota refusals (OverQuota) by resource;
 * - database: connections in use, callers waiting for one and how long they waited; transactions
 *   run again after losing a race, by cause;
 * - RPC: calls and casts sent (client) and handled (server) by topic and method, with durations
 *   and outcomes;
 * - agents alive and dead by type (read from the agents table at each scrape);
 * - worker restarts by kind of worker (supervisor); prom-client's process and Node.js metrics.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type * as Prom from 'prom-client';
import type { Config } from '../config/index.js';
import { isDeadlock, isDuplicateKey, isForeignKeyRace, type Database } from '../db/database.js';
import { probes, type Finish } from '../metrics/probes.js';
import { isAlive } from '../plugins/ml2/agents.js';
import { collectionPath, type ApiModel } from '../api/model.js';
import { MessagingTimeout, RemoteError } from '../rpc/errors.js';

const load = createRequire(import.meta.url);

/** API latencies are well under a millisecond to seconds (a list of 10,000 ports streamed at concurrency 50) */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RPC_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];
const POOL_WAIT_BUCKETS = [0.0001, 0.001, 0.01, 0.1, 1, 10, 30];

/** Something whose requests in flight are counted (the HTTP front of an API process). */
export interface InFlightSource {
  readonly requestsInFlight: number;
}

/** The metrics of this process. */
export class ProcessMetrics {
  readonly prom: typeof Prom;
  readonly registry: Prom.Registry;
  readonly requests: Prom.Histogram<'resource' | 'action' | 'status'>;
  readonly quotaRefusals: Prom.Counter<'resource'>;
  readonly workerRestarts: Prom.Counter<'worker'>;
  private readonly agents: Prom.Gauge<'agent_type' | 'state'>;
  private readonly fronts = new Set<InFlightSource>();
  /** the API servers' databases, for the agents gauge (the newest after a reload) */
  private agentSources: Array<{ db: Database; agentDownTime: number }> = [];

  constructor(readonly role: string) {
    const prom = (this.prom = load('prom-client') as typeof Prom);
    const registry = (this.registry = new prom.Registry());
    prom.collectDefaultMetrics({ register: registry });
    const fronts = this.fronts;
    this.requests = new prom.Histogram({
      name: 'neutron_api_request_duration_seconds',
      help: 'API requests by resource, action and status: time from the request read to the response sent',
      labelNames: ['resource', 'action', 'status'], buckets: REQUEST_BUCKETS, registers: [registry],
    });
    new prom.Gauge({
      name: 'neutron_api_requests_in_flight',
      help: 'API requests read and not yet answered, those waiting for their turn (wsgi_default_pool_size) included',
      registers: [registry],
      collect() {
        let n = 0;
        for (const f of fronts) n += f.requestsInFlight;
        this.set(n);
      },
    });
    this.quotaRefusals = new prom.Counter({
      name: 'neutron_quota_refusals_total',
      help: 'Creates refused with OverQuota, by the resource over its quota',
      labelNames: ['resource'], registers: [registry],
    });
    this.workerRestarts = new prom.Counter({
      name: 'neutron_worker_restarts_total',
      help: 'Worker processes respawned by the supervisor after they exited, by kind of worker',
      labelNames: ['worker'], registers: [registry],
    });
    this.agents = new prom.Gauge({
      name: 'neutron_agents',
      help: 'Agents by type and state: alive (reported within agent_down_time) or dead',
      labelNames: ['agent_type', 'state'], registers: [registry],
      // every API process reads the same table: the largest answer, not the sum
      aggregator: 'max',
    });
    this.installProbes();
  }

  /**
   * This process's figures. The agents table is read first, not while the gauges are collected,
   * so that the pool gauges do not count the scrape's own query.
   */
  async snapshot(): Promise<Prom.MetricObjectWithValues<Prom.MetricValue<string>>[]> {
    await this.refreshAgents();
    return this.registry.getMetricsAsJSON();
  }

  private async refreshAgents(): Promise<void> {
    this.agents.reset();
    const source = this.agentSources.at(-1);
    if (!source) return;
    const counts = new Map<string, { alive: number; dead: number }>();
    try {
      const rows = await source.db.read((q) => q.selectFrom('agents').select(['agent_type', 'heartbeat_timestamp']).execute());
      for (const row of rows) {
        const c = counts.get(row.agent_type) ?? { alive: 0, dead: 0 };
        c[isAlive(row.heartbeat_timestamp, source.agentDownTime) ? 'alive' : 'dead']++;
        counts.set(row.agent_type, c);
      }
    } catch {
      return; // the database is unreachable: no figure rather than a wrong one
    }
    for (const [type, c] of counts) {
      this.agents.set({ agent_type: type, state: 'alive' }, c.alive);
      this.agents.set({ agent_type: type, state: 'dead' }, c.dead);
    }
  }

  /** Counts the requests in flight of an HTTP front. */
  trackInFlight(front: InFlightSource): void {
    this.fronts.add(front);
  }

  /** The requests, quota refusals and agents of an API app (before it is ready). */
  instrumentApi(app: FastifyInstance, api: ApiModel, db: Database, agentDownTime: number): void {
    const observer = this.requestObserver(api);
    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      observer(req.method, req.routeOptions.url, reply.statusCode)(Number(process.hrtime.bigint() - req.startTime) / 1e9);
    });
    app.addHook('onError', async (_req, _reply, err: Error & { type?: string }) => {
      if (err.type !== 'OverQuota') return;
      // "Quota exceeded for resources: ['port']."
      for (const [, resource] of err.message.matchAll(/'([^']+)'/g)) this.quotaRefusals.inc({ resource });
    });
    if (api.hasExtension('agent')) this.agentSources.push({ db, agentDownTime });
  }

  /**
   * The histogram's child for a request's method, route and status, made once: prom-client would
   * otherwise hash the label values of every observation (a few microseconds a request).
   */
  requestObserver(api: ApiModel): (method: string, route: string | undefined, status: number) => (seconds: number) => void {
    const labels = routeLabeller(api);
    const children = new Map<string, (seconds: number) => void>();
    return (method, route, status) => {
      const key = `${status} ${method} ${route}`;
      let observe = children.get(key);
      if (!observe) {
        const { resource, action } = labels(method, route);
        const child = this.requests.labels({ resource, action, status });
        children.set(key, (observe = (seconds) => child.observe(seconds)));
      }
      return observe;
    };
  }

  private installProbes(): void {
    const { prom, registry } = this;
    const rpcClient = new prom.Histogram({
      name: 'neutron_rpc_client_duration_seconds',
      help: 'RPC messages sent, by type (call: until the reply; cast: until the broker took it), topic, method and outcome',
      labelNames: ['type', 'topic', 'method', 'outcome'], buckets: RPC_BUCKETS, registers: [registry],
    });
    const rpcServer = new prom.Histogram({
      name: 'neutron_rpc_server_duration_seconds',
      help: 'RPC requests handled (agents\' calls and casts to the server), by type, topic, method and outcome',
      labelNames: ['type', 'topic', 'method', 'outcome'], buckets: RPC_BUCKETS, registers: [registry],
    });
    const timed = (h: Prom.Histogram<'type' | 'topic' | 'method' | 'outcome'>) => (type: 'call' | 'cast', topic: string, method: string): Finish => {
      const start = performance.now();
      return (error) => h.observe({ type, topic, method, outcome: rpcOutcome(error) }, (performance.now() - start) / 1000);
    };
    probes.rpcClient = timed(rpcClient);
    probes.rpcServer = timed(rpcServer);

    const commits = new prom.Counter({
      name: 'neutron_db_transactions_total', help: 'Write transactions committed', registers: [registry],
    });
    probes.transactionCommitted = () => commits.inc();

    const retries = new prom.Counter({
      name: 'neutron_db_transaction_retries_total',
      help: 'Write transactions run again after losing a race, by cause',
      labelNames: ['cause'], registers: [registry],
    });
    probes.transactionRetry = (e) => retries.inc({ cause: retryCause(e) });

    const wait = new prom.Histogram({
      name: 'neutron_db_pool_wait_seconds',
      help: 'Time taken to get a database connection from the pool, by outcome (timeout: none came in pool_timeout)',
      labelNames: ['outcome'], buckets: POOL_WAIT_BUCKETS, registers: [registry],
    });
    const [waitedOk, waitedError] = [wait.labels({ outcome: 'ok' }), wait.labels({ outcome: 'error' })];
    const use = probes.pool = {
      pools: 0, inUse: 0, waiting: 0,
      waited: (seconds: number, failed: boolean) => (failed ? waitedError : waitedOk).observe(seconds),
    };
    new prom.Gauge({
      name: 'neutron_db_pool_connections_in_use', help: 'Database connections handed out to requests and workers',
      registers: [registry], collect() { this.set(use.inUse); },
    });
    new prom.Gauge({
      name: 'neutron_db_pool_waiting', help: 'Callers waiting for a database connection',
      registers: [registry], collect() { this.set(use.waiting); },
    });
    new prom.Gauge({
      name: 'neutron_db_pools', help: 'Database connection pools open (one per process that uses the database)',
      registers: [registry], collect() { this.set(use.pools); },
    });
  }
}

let current: ProcessMetrics | null = null;

/** This process's metrics, or null when [metrics] is off. */
export function processMetrics(): ProcessMetrics | null {
  return current;
}

/**
 * Turns metrics on in this process if the configuration asks for them ([metrics] bind_port set).
 * Call before the databases are opened, so that their pools are counted.
 */
export function enableMetrics(config: Config, role: string): ProcessMetrics | null {
  if (config.metrics.bind_port === null) return null;
  return (current ??= new ProcessMetrics(role));
}

/** A request's `metrics-get` from the supervisor, and the worker's answer. */
export type MetricsRequest = { type: 'metrics-get'; id: number };
export type MetricsReply = { type: 'metrics'; id: number; metrics: Prom.MetricObjectWithValues<Prom.MetricValue<string>>[] };

/**
 * In a worker, from its start: answers the supervisor's requests for this process's figures, with
 * none while metrics are off or not yet on (so that a scrape never waits for a starting worker).
 */
export function answerMetricsRequests(): void {
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type !== 'metrics-get') return;
    void (current ? current.snapshot() : Promise.resolve([])).then(
      (json) => process.send?.({ type: 'metrics', id: m.id!, metrics: json } satisfies MetricsReply),
      () => process.send?.({ type: 'metrics', id: m.id!, metrics: [] } satisfies MetricsReply),
    );
  });
}

function rpcOutcome(error: unknown): string {
  if (error === undefined) return 'ok';
  if (error instanceof MessagingTimeout) return 'timeout';
  if (error instanceof RemoteError) return 'remote_error';
  return 'error';
}

/** Why a transaction lost its race, from the database's error. */
function retryCause(e: unknown): string {
  if (isDuplicateKey(e)) return 'duplicate_key';
  if (isForeignKeyRace(e)) return 'foreign_key';
  if (isDeadlock(e)) {
    const { code, errno } = e as { code?: string; errno?: number };
    if (code?.startsWith('SQLITE_')) return 'sqlite_busy';
    if (code === '40001') return 'serialization_failure';
    if (code === '55P03' || errno === 1205) return 'lock_timeout';
    return 'deadlock';
  }
  return 'other';
}

/**
 * The resource and action of a request, from its route (never its URL: label values stay few).
 * Actions: list, create, show, update, delete, a member action's name (add_router_interface), or
 * the method and the rest of the route for sub-resources ("PUT tags/:tag", "GET default").
 */
export function routeLabeller(api: ApiModel): (method: string, route: string | undefined) => { resource: string; action: string } {
  const paths = [...api.resources.values()].flatMap((def) => {
    const path = collectionPath(api, def);
    return path === null ? [] : [{ segments: path.split('/'), collection: def.collection }];
  });
  const memberActions = new Set([...api.resources.values()].flatMap((def) => Object.keys(def.memberActions ?? {})));
  const cache = new Map<string, { resource: string; action: string }>();
  const compute = (method: string, route: string | undefined) => {
    if (route === undefined) return { resource: 'none', action: 'not_found' };
    if (route !== '/v2.0' && !route.startsWith('/v2.0/')) return { resource: route === '/' ? 'versions' : route.replace(/^\//, ''), action: method };
    const segments = route.split('/').slice(2);
    if (!segments.length) return { resource: 'resources', action: method };
    let resource = segments[0]!;
    let used = 1;
    for (const p of paths) {
      if (p.segments.length >= used && p.segments.every((s, i) => segments[i] === s)) {
        resource = p.collection;
        used = p.segments.length;
      }
    }
    const rest = segments.slice(used);
    const withId = rest[0]?.startsWith(':') ?? false;
    const sub = withId ? rest.slice(1) : rest;
    let action: string;
    if (!rest.length) action = method === 'GET' ? 'list' : method === 'POST' ? 'create' : method;
    else if (withId && !sub.length) action = ({ GET: 'show', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[method] ?? method;
    else if (withId && sub.length === 1 && memberActions.has(sub[0]!)) action = sub[0]!;
    else action = `${method} ${sub.join('/')}`;
    return { resource, action };
  };
  return (method, route) => {
    const key = `${method} ${route}`;
    let labels = cache.get(key);
    if (!labels) cache.set(key, (labels = compute(method, route)));
    return labels;
  };
}
