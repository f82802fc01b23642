/**
 * The supervisor's Prometheus listener ([metrics] bind_host, bind_port): GET /metrics asks every
 * worker for its figures over the cluster channel and answers with the sum of theirs and the
 * supervisor's own (prom-client's aggregation: counters and histograms add up; a few gauges such
 * as the agents take the largest). No authentication, as is the custom for scrape ports: it is
 * bound to 127.0.0.1 unless configured otherwise.
 *
 * A worker that exits takes its counters with it (the sums then drop, which Prometheus's rate()
 * reads as a counter reset); one that does not answer within WORKER_TIMEOUT_MS (stuck) is left
 * out of that scrape; a worker still starting answers with nothing.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { MetricsReply, MetricsRequest, ProcessMetrics } from './metrics.js';

const WORKER_TIMEOUT_MS = 5000;

export class MetricsListener {
  private nextId = 1;
  private readonly pending = new Map<number, { replies: MetricsReply['metrics'][]; waiting: Set<Worker>; done: () => void }>();

  private constructor(private readonly metrics: ProcessMetrics, private readonly server: Server, readonly address: { host: string; port: number }) {
    cluster.on('message', (worker: Worker, m: { type?: string }) => {
      if (m?.type === 'metrics') this.onReply(worker, m as MetricsReply);
    });
    cluster.on('exit', (worker: Worker) => {
      for (const p of this.pending.values()) if (p.waiting.delete(worker) && !p.waiting.size) p.done();
    });
  }

  /** Listens on [metrics] bind_host:bind_port. */
  static async start(config: Config, metrics: ProcessMetrics, log: Logger): Promise<MetricsListener> {
    const { bind_host: host, bind_port: port } = config.metrics;
    let listener: MetricsListener | undefined;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end(path === '/metrics' ? 'Method Not Allowed\n' : 'Not Found\n');
        return;
      }
      listener!.scrape().then(
        ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err) => {
          log.error({ err }, 'metrics scrape failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as { address: string; port: number };
    listener = new MetricsListener(metrics, server, { host: a.address, port: a.port });
    log.info({ metrics_host: a.address, metrics_port: a.port }, `metrics listening on http://${a.address}:${a.port}/metrics`);
    return listener;
  }

  /** The figures of every process, summed, in Prometheus's text format. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    const { prom, registry } = this.metrics;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const id = this.nextId++;
    const replies: MetricsReply['metrics'][] = [];
    await new Promise<void>((resolve) => {
      const waiting = new Set<Worker>();
      const timer = setTimeout(() => done(), WORKER_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve();
      };
      this.pending.set(id, { replies, waiting, done });
      for (const w of workers) {
        try {
          w.send({ type: 'metrics-get', id } satisfies MetricsRequest);
          waiting.add(w);
        } catch {
          // its channel closed: it is exiting
        }
      }
      if (!waiting.size) done();
    });
    replies.push(await this.metrics.snapshot());
    const summed = prom.AggregatorRegistry.aggregate(replies);
    return { body: await summed.metrics(), contentType: registry.contentType };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await closed;
  }

  private onReply(worker: Worker, m: MetricsReply): void {
    const p = this.pending.get(m.id);
    if (!p || !p.waiting.delete(worker)) return;
    p.replies.push(m.metrics);
    if (!p.waiting.size) p.done();
  }
}
