/**
 * In-process transport for the embedded mode (no broker) and for unit tests: a tiny broker with the
 * same routing rules as RabbitMQ for what oslo uses (topic exchange with exact routing keys, fanout
 * exchanges, the default exchange with mandatory replies). Delivery is asynchronous, as on a broker.
 */
import { MessageDeliveryFailure, MessageUndeliverable } from './errors.js';
import type { TransportOptions } from './options.js';
import { Transport, type Destination, type PublishOptions, type QueueSpec, type Subscription } from './transport.js';
import { uuidHex } from './wire.js';

type Consumer = (body: string) => void;

interface MemQueue {
  consumers: Consumer[];
  next: number;
  backlog: string[];
}

export class MemoryBroker {
  private readonly queues = new Map<string, MemQueue>();
  /** exchange → queue → routing keys */
  private readonly bindings = new Map<string, Map<string, Set<string>>>();

  declareQueue(name: string): MemQueue {
    let q = this.queues.get(name);
    if (!q) {
      q = { consumers: [], next: 0, backlog: [] };
      this.queues.set(name, q);
    }
    return q;
  }

  bind(queue: string, exchange: string, key: string): void {
    let b = this.bindings.get(exchange);
    if (!b) this.bindings.set(exchange, (b = new Map()));
    let keys = b.get(queue);
    if (!keys) b.set(queue, (keys = new Set()));
    keys.add(key);
  }

  deleteQueue(name: string): void {
    this.queues.delete(name);
    for (const b of this.bindings.values()) b.delete(name);
  }

  consume(queue: string, c: Consumer): () => void {
    const q = this.declareQueue(queue);
    q.consumers.push(c);
    for (const body of q.backlog.splice(0)) this.deliver(q, body);
    return () => {
      const i = q.consumers.indexOf(c);
      if (i >= 0) q.consumers.splice(i, 1);
    };
  }

  /** Whether a message to `exchange` (with `key`, unless fanout) would reach a queue. */
  routes(exchange: string, key: string, fanout: boolean): boolean {
    for (const [name, keys] of this.bindings.get(exchange) ?? []) {
      if (this.queues.has(name) && (fanout || keys.has(key))) return true;
    }
    return false;
  }

  /** Routes a message; returns the number of queues it reached. */
  route(exchange: string, key: string, body: string, fanout: boolean): number {
    if (exchange === '') {
      const q = this.queues.get(key);
      if (q) this.deliver(q, body);
      return q ? 1 : 0;
    }
    let n = 0;
    for (const [name, keys] of this.bindings.get(exchange) ?? []) {
      const q = this.queues.get(name);
      if (q && (fanout || keys.has(key))) {
        this.deliver(q, body);
        n++;
      }
    }
    return n;
  }

  private deliver(q: MemQueue, body: string): void {
    if (!q.consumers.length) {
      q.backlog.push(body);
      return;
    }
    const c = q.consumers[q.next++ % q.consumers.length];
    setImmediate(() => {
      if (q.consumers.includes(c)) c(body);
      else this.deliver(q, body);
    });
  }
}

const brokers = new Map<string, MemoryBroker>();

/** The process-wide broker of a "virtual host", so that several transports of one process can talk. */
export function memoryBroker(vhost = '/'): MemoryBroker {
  let b = brokers.get(vhost);
  if (!b) brokers.set(vhost, (b = new MemoryBroker()));
  return b;
}

export class InProcessTransport extends Transport {
  readonly broker: MemoryBroker;
  private readonly subs = new Set<Subscription>();

  constructor(opts: TransportOptions & { broker?: MemoryBroker } = {}) {
    super({
      controlExchange: opts.control_exchange,
      responseTimeout: opts.rpc_response_timeout,
      missingConsumerRetryTimeout: opts.oslo_messaging_rabbit?.kombu_missing_consumer_retry_timeout,
      log: opts.logger,
    });
    this.broker = opts.broker ?? new MemoryBroker();
  }

  async subscribe(spec: QueueSpec, onMessage: (body: string) => void): Promise<Subscription> {
    if (this.closed) throw new MessageDeliveryFailure('transport is closed');
    const b = this.broker;
    let queue: string;
    if (spec.kind === 'direct') {
      queue = spec.queue;
      b.declareQueue(queue);
    } else if (spec.kind === 'fanout') {
      queue = `${spec.topic}_fanout_${uuidHex()}`;
      b.declareQueue(queue);
      b.bind(queue, `${spec.topic}_fanout`, spec.topic);
    } else {
      queue = spec.queue ?? spec.routingKey;
      b.declareQueue(queue);
      b.bind(queue, spec.exchange, spec.routingKey);
    }
    const stop = b.consume(queue, (body) => {
      try {
        onMessage(body);
      } catch (err) {
        this.log.error({ err }, 'Failed to process message ... skipping it.');
      }
    });
    const sub: Subscription = {
      queue,
      cancel: async () => {
        this.subs.delete(sub);
        stop();
        if (spec.kind === 'fanout') b.deleteQueue(queue);
      },
    };
    this.subs.add(sub);
    return sub;
  }

  override wouldDrop(dest: Destination): boolean {
    if (dest.kind === 'fanout') return !this.broker.routes(`${dest.topic}_fanout`, '', true);
    if (dest.kind === 'topic') return !this.broker.routes(dest.exchange, dest.routingKey, false);
    return false;
  }

  async publish(dest: Destination, body: string, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) throw new MessageDeliveryFailure('transport is closed');
    if (opts.signal?.aborted) throw opts.signal.reason;
    const b = this.broker;
    switch (dest.kind) {
      case 'direct':
        if (!b.route('', dest.queue, body, false)) throw new MessageUndeliverable(`no queue ${dest.queue} for the message`);
        return;
      case 'fanout':
        b.route(`${dest.topic}_fanout`, '', body, true);
        return;
      case 'notify':
        b.declareQueue(dest.routingKey);
        b.bind(dest.routingKey, dest.exchange, dest.routingKey);
        b.route(dest.exchange, dest.routingKey, body, false);
        return;
      case 'topic':
        b.route(dest.exchange, dest.routingKey, body, false);
    }
  }

  protected async shutdown(): Promise<void> {
    await Promise.all([...this.subs].map((s) => s.cancel()));
  }
}
