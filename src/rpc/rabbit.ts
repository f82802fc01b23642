/**
 * AMQP 0-9-1 transport declaring exchanges and queues exactly as oslo.messaging's rabbit driver.
 *
 * One connection per transport: a confirm channel for publishing and one channel per consumed queue
 * (so a 406 on one declaration does not take the others down). The connection is re-opened with
 * oslo's linear back-off, failing over between hosts; consumers are re-declared afterwards.
 * Messages published while disconnected wait in memory (bounded) and are sent after reconnecting;
 * messages unconfirmed when the channel died are sent again (receivers drop duplicates by _unique_id).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type amqplib from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { MessageDeliveryFailure, MessageUndeliverable } from './errors.js';
import { queueArguments, resolveRabbitOptions, type BrokerHost, type RabbitOptions, type TransportOptions, type TransportUrl } from './options.js';
import { Transport, type Destination, type PublishOptions, type QueueSpec, type Subscription } from './transport.js';
import { uuidHex } from './wire.js';

interface Pending {
  dest: Destination;
  body: Buffer;
  expirationMs?: number;
  queuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve(): void;
  reject(err: Error): void;
  attempts: number;
  returned: boolean;
}

/** Channel-level errors caused by the operation itself; anything else is a lost channel/connection. */
const OPERATION_ERRORS = new Set([403, 404, 405, 406]);
const isOperationError = (err: unknown) => OPERATION_ERRORS.has((err as { code?: unknown })?.code as number);
const REFUSED = new Set([403, 405, 406]);
const MAX_ATTEMPTS = 5;
const CLOSE_FLUSH_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;

export class RabbitTransport extends Transport {
  readonly options: RabbitOptions;
  private readonly hosts: BrokerHost[];
  private readonly vhost: string;
  private readonly maxQueued: number;
  private readonly tls?: ConnectionOptions;
  private readonly connectionName = `${basename(process.argv[1] ?? 'node')}:${process.pid}:${randomUUID()}`;
  private hostIndex = 0;
  private failures = 0;
  private conn?: ChannelModel;
  private pub?: ConfirmChannel;
  private connecting = false;
  private stopping = false;
  private pumping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** @internal */
  readonly subs = new Set<RabbitSubscription>();
  private queue: Pending[] = [];
  private retry: Pending[] = [];
  private readonly inflight = new Set<Pending>();
  private declared = new Map<string, Promise<void>>();
  private idleWaiters: Array<() => void> = [];

  constructor(url: TransportUrl, opts: TransportOptions = {}) {
    const log = opts.logger;
    const options = resolveRabbitOptions(opts.oslo_messaging_rabbit, url.query, log);
    super({
      controlExchange: opts.control_exchange,
      responseTimeout: opts.rpc_response_timeout,
      missingConsumerRetryTimeout: options.kombu_missing_consumer_retry_timeout,
      log,
    });
    this.options = options;
    this.hosts = url.hosts.length ? [...url.hosts] : [{ hostname: 'localhost', port: 5672, username: null, password: null }];
    // oslo shuffles the hosts once, then fails over round-robin.
    for (let i = this.hosts.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [this.hosts[i], this.hosts[j]] = [this.hosts[j], this.hosts[i]];
    }
    this.vhost = url.virtualHost || '/';
    this.maxQueued = opts.maxQueuedMessages ?? 10_000;
    this.tls = options.ssl ? tlsOptions(options) : undefined;
  }

  /** queues and the topic exchange are durable if amqp_durable_queues or quorum queues are on */
  get durable(): boolean {
    return this.options.amqp_durable_queues || this.options.rabbit_quorum_queue;
  }

  get connected(): boolean {
    return this.conn !== undefined;
  }

  // ---- connection -------------------------------------------------------------------------

  /** @internal a timer that close() clears */
  schedule(seconds: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, seconds * 1000));
    this.timers.add(t);
  }

  private retryDelay(n: number): number {
    const o = this.options;
    return Math.max(0.05, Math.min(o.rabbit_retry_interval + n * o.rabbit_retry_backoff, o.rabbit_interval_max));
  }

  private connect(): void {
    if (this.closed || this.conn || this.connecting) return;
    this.connecting = true;
    const host = this.hosts[this.hostIndex % this.hosts.length];
    this.open(host).then(
      () => {
        this.connecting = false;
        this.failures = 0;
      },
      (err: Error) => {
        this.connecting = false;
        if (this.closed) return;
        const delay = this.retryDelay(this.failures++);
        this.hostIndex = this.options.kombu_failover_strategy === 'shuffle'
          ? Math.floor(Math.random() * this.hosts.length)
          : this.hostIndex + 1;
        this.log.error(`AMQP server on ${host.hostname}:${host.port} is unreachable: ${err.message}. Trying again in ${delay} seconds.`);
        this.schedule(delay, () => this.connect());
      },
    );
  }

  private async open(host: BrokerHost): Promise<void> {
    const o = this.options;
    const username = host.username ?? 'guest';
    const password = host.password ?? 'guest';
    // loaded on first use: the embedded mode never needs it
    const amqp: typeof amqplib = (await import('amqplib')).default;
    const credentials = o.rabbit_login_method === 'PLAIN' ? amqp.credentials.plain(username, password)
      : o.rabbit_login_method === 'EXTERNAL' ? amqp.credentials.external()
      : amqp.credentials.amqplain(username, password);
    const conn = await amqp.connect(
      {
        protocol: o.ssl ? 'amqps' : 'amqp',
        hostname: host.hostname,
        port: host.port,
        username,
        password,
        // amqplib unescapes the vhost once more
        vhost: encodeURIComponent(this.vhost),
        heartbeat: o.heartbeat_timeout_threshold,
      },
      {
        credentials,
        clientProperties: { connection_name: this.connectionName },
        timeout: CONNECT_TIMEOUT_MS,
        noDelay: true,
        ...this.tls, // amqplib sets servername (SNI, and the name verified) to the host name
      },
    );
    let lost = false;
    conn.on('error', (err: Error) => this.log.warn({ err }, 'AMQP connection error'));
    conn.on('blocked', (reason: string) => this.log.error(`The broker has blocked the connection: ${reason}`));
    conn.on('unblocked', () => this.log.info('The broker has unblocked the connection'));
    conn.on('close', () => {
      lost = true;
      this.onConnectionLost(conn);
    });
    if (this.closed) {
      await conn.close().catch(() => undefined);
      return;
    }
    let ch: ConfirmChannel;
    try {
      ch = await conn.createConfirmChannel();
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
    if (lost) throw new Error('connection closed while opening');
    this.conn = conn;
    this.setPublisher(ch);
    this.log.info(`Connected to AMQP server on ${host.hostname}:${host.port} (vhost ${this.vhost})`);
    for (const s of this.subs) void s.start();
    void this.pump();
  }

  private onConnectionLost(conn: ChannelModel): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.pub = undefined;
    this.declared = new Map();
    if (this.closed) return;
    this.log.error(`AMQP connection to ${this.hosts.map((h) => `${h.hostname}:${h.port}`).join(',')} lost; reconnecting`);
    this.connect();
  }

  /** @internal the current connection, for consumers (re)starting their channel */
  channelModel(): ChannelModel | undefined {
    return this.conn;
  }

  // ---- publishing ---------------------------------------------------------------------------

  private setPublisher(ch: ConfirmChannel): void {
    ch.on('error', (err: Error) => this.log.warn({ err }, 'AMQP publisher channel error'));
    ch.on('return', (msg: ConsumeMessage) => this.onReturn(msg));
    ch.on('close', () => this.dropPublisher(ch));
    this.pub = ch;
  }

  /** The publisher channel is closed or unusable: stop using it and open another one. */
  private dropPublisher(ch: ConfirmChannel): void {
    if (this.pub !== ch) return;
    this.pub = undefined;
    this.declared = new Map();
    void ch.close().catch(() => undefined);
    // Let a connection 'close' event run first; then re-open only the channel.
    this.schedule(0, () => {
      const conn = this.conn;
      if (!conn || this.pub) return;
      conn.createConfirmChannel().then(
        (fresh) => {
          if (this.conn !== conn || this.pub) return void fresh.close().catch(() => undefined);
          this.setPublisher(fresh);
          void this.pump();
        },
        (err: Error) => this.log.warn({ err }, 'could not re-open the AMQP publisher channel'),
      );
    });
  }

  publish(dest: Destination, body: string, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new MessageDeliveryFailure('transport is closed'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new MessageDeliveryFailure(`${this.queue.length} messages already wait for the broker; message dropped`));
    }
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        dest, body: Buffer.from(body, 'utf8'), expirationMs: opts.expirationMs, queuedAt: Date.now(), signal: opts.signal,
        resolve, reject, attempts: 0, returned: false,
      };
      if (opts.signal) {
        if (opts.signal.aborted) return reject(opts.signal.reason as Error);
        p.onAbort = () => {
          const i = this.queue.indexOf(p);
          if (i >= 0) this.queue.splice(i, 1);
          const j = this.retry.indexOf(p);
          if (j >= 0) this.retry.splice(j, 1);
          if (i >= 0 || j >= 0) this.settle(p, opts.signal!.reason as Error);
        };
        opts.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      if (this.pub) void this.pump();
      else this.connect();
    });
  }

  private settle(p: Pending, err?: Error): void {
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pub) {
        if (this.retry.length) this.queue.unshift(...this.retry.splice(0));
        const p = this.queue.shift();
        if (!p) break;
        const ch = this.pub;
        try {
          await this.declareFor(ch, p.dest);
        } catch (err) {
          // The broker closes a channel on any error; a refused declaration fails only this message.
          if (isOperationError(err) && this.conn) this.settle(p, err as Error);
          else this.queue.unshift(p);
          this.dropPublisher(ch);
          continue;
        }
        if (ch !== this.pub) {
          this.queue.unshift(p);
          continue;
        }
        this.send(ch, p);
      }
    } finally {
      this.pumping = false;
      this.checkIdle();
    }
  }

  private send(ch: ConfirmChannel, p: Pending): void {
    const d = p.dest;
    const exchange = d.kind === 'direct' ? '' : d.kind === 'fanout' ? `${d.topic}_fanout` : d.exchange;
    const routingKey = d.kind === 'direct' ? d.queue : d.kind === 'fanout' ? '' : d.routingKey;
    const props: Options.Publish = {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      headers: {},
      mandatory: d.kind === 'direct' && this.options.direct_mandatory_flag,
    };
    if (p.expirationMs !== undefined) {
      props.expiration = String(Math.max(1, Math.floor(p.expirationMs - (Date.now() - p.queuedAt))));
    }
    const attempt = ++p.attempts;
    p.returned = false;
    this.inflight.add(p);
    try {
      ch.publish(exchange, routingKey, p.body, props, (err: unknown) => this.confirmed(p, attempt, err));
    } catch {
      // the channel is closing: send again on the next one
      this.inflight.delete(p);
      this.retry.push(p);
      this.dropPublisher(ch);
    }
  }

  private confirmed(p: Pending, attempt: number, err: unknown): void {
    if (p.attempts !== attempt || !this.inflight.delete(p)) return;
    if (!err) {
      if (p.returned) this.settle(p, new MessageUndeliverable(`no queue ${p.dest.kind === 'direct' ? p.dest.queue : ''} for the message`));
      else this.settle(p);
    } else if (err instanceof Error && err.message === 'message nacked') {
      this.settle(p, new MessageDeliveryFailure('the broker refused the message (nack)'));
    } else if (this.stopping || p.attempts >= MAX_ATTEMPTS) {
      this.settle(p, new MessageDeliveryFailure(`message not confirmed by the broker: ${String(err)}`));
    } else {
      this.retry.push(p);
      if (this.pub) void this.pump();
    }
    this.checkIdle();
  }

  /** basic.return of a mandatory message; returns come in publish order, before that message's ack. */
  private onReturn(msg: ConsumeMessage): void {
    for (const p of this.inflight) {
      if (!p.returned && p.dest.kind === 'direct' && p.dest.queue === msg.fields.routingKey) {
        p.returned = true;
        return;
      }
    }
  }

  /** Exchanges (and the notification queue) are declared once per channel, before the first publish. */
  private declareFor(ch: ConfirmChannel, dest: Destination): Promise<void> {
    if (dest.kind === 'direct') return Promise.resolve();
    const o = this.options;
    const key = dest.kind === 'notify' ? `q:${dest.exchange}:${dest.routingKey}` : `x:${dest.kind === 'fanout' ? `${dest.topic}_fanout` : dest.exchange}`;
    let p = this.declared.get(key);
    if (!p) {
      const declared = this.declared;
      p = (async () => {
        if (dest.kind === 'fanout') {
          await ch.assertExchange(`${dest.topic}_fanout`, 'fanout', { durable: false, autoDelete: true });
          return;
        }
        await ch.assertExchange(dest.exchange, 'topic', { durable: this.durable, autoDelete: o.amqp_auto_delete });
        if (dest.kind === 'notify') {
          await ch.assertQueue(dest.routingKey, {
            durable: this.durable, autoDelete: o.amqp_auto_delete, arguments: queueArguments(o, 0, true),
          });
          await ch.bindQueue(dest.routingKey, dest.exchange, dest.routingKey);
        }
      })();
      p.catch(() => {
        if (declared.get(key) === p) declared.delete(key);
      });
      declared.set(key, p);
    }
    return p;
  }

  private checkIdle(): void {
    if (this.queue.length || this.retry.length || this.inflight.size) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---- consuming ----------------------------------------------------------------------------

  subscribe(spec: QueueSpec, onMessage: (body: string) => void): Promise<Subscription> {
    if (this.closed) return Promise.reject(new MessageDeliveryFailure('transport is closed'));
    const s = new RabbitSubscription(this, spec, onMessage);
    this.subs.add(s);
    if (this.conn) void s.start();
    else this.connect();
    return s.ready.then(() => s);
  }

  // ---- closing ------------------------------------------------------------------------------

  protected async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.conn && (this.queue.length || this.retry.length || this.inflight.size)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(timer);
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const err = new MessageDeliveryFailure('transport closed before the message was sent');
    for (const p of [...this.queue.splice(0), ...this.retry.splice(0), ...this.inflight]) this.settle(p, err);
    this.inflight.clear();
    await Promise.all([...this.subs].map((s) => s.cancel()));
    const conn = this.conn;
    this.conn = undefined;
    this.pub = undefined;
    if (conn) await conn.close().catch(() => undefined);
  }

  /** @internal */
  queueArgs(ttl: number, quorum: boolean): Record<string, unknown> {
    return queueArguments(this.options, ttl, quorum);
  }
}

/** TLS as oslo: the certificate is verified only with a CA file, the host name only on request. */
function tlsOptions(o: RabbitOptions): ConnectionOptions {
  const tls: ConnectionOptions = { rejectUnauthorized: Boolean(o.ssl_ca_file) };
  if (o.ssl_ca_file) tls.ca = [readFileSync(o.ssl_ca_file)];
  if (o.ssl_cert_file) tls.cert = readFileSync(o.ssl_cert_file);
  if (o.ssl_key_file) tls.key = readFileSync(o.ssl_key_file);
  if (!o.ssl_enforce_hostname_verification) tls.checkServerIdentity = () => undefined;
  const v = o.ssl_version.toLowerCase();
  const versions: Record<string, ConnectionOptions['minVersion']> = { tlsv1: 'TLSv1', tlsv1_1: 'TLSv1.1', tlsv1_2: 'TLSv1.2' };
  if (versions[v]) tls.minVersion = tls.maxVersion = versions[v];
  else if (v && v !== 'sslv23') throw new Error(`Invalid value for option ssl_version: ${o.ssl_version}`);
  return tls;
}

/** One consumed queue on its own channel; re-declared and re-consumed whenever its channel is lost. */
class RabbitSubscription implements Subscription {
  readonly queue: string;
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private started = false;
  private starting = false;
  private cancelled = false;
  private failures = 0;
  private ch?: Channel;
  private tag?: string;

  constructor(private readonly t: RabbitTransport, private readonly spec: QueueSpec, private readonly onMessage: (body: string) => void) {
    this.queue = spec.kind === 'fanout' ? `${spec.topic}_fanout_${uuidHex()}`
      : spec.kind === 'direct' ? spec.queue
      : spec.queue ?? spec.routingKey;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
  }

  async start(): Promise<void> {
    const conn = this.t.channelModel();
    if (!conn || this.cancelled || this.ch || this.starting) return;
    this.starting = true;
    let ch: Channel | undefined;
    try {
      ch = await conn.createChannel();
      const mine = ch;
      ch.on('error', (err: Error) => this.t.log.warn({ err, queue: this.queue }, 'AMQP consumer channel error'));
      ch.on('close', () => this.onClosed(mine));
      const prefetch = this.t.options.rabbit_qos_prefetch_count;
      if (prefetch > 0) await ch.prefetch(prefetch, false);
      await this.declare(ch);
      const consumeArgs = this.t.options.enable_cancel_on_failover ? { 'x-cancel-on-ha-failover': true } : undefined;
      const { consumerTag } = await ch.consume(this.queue, (m) => this.deliver(mine, m), { noAck: false, arguments: consumeArgs });
      if (this.cancelled) {
        await ch.close().catch(() => undefined);
        return;
      }
      this.ch = ch;
      this.tag = consumerTag;
      this.failures = 0;
      if (!this.started) {
        this.started = true;
        this.resolveReady();
      } else {
        this.t.log.info(`consumer for ${this.queue} re-declared`);
      }
    } catch (err) {
      void ch?.close().catch(() => undefined);
      if (!this.started && REFUSED.has((err as { code?: number }).code ?? 0)) {
        // A declaration the broker refuses (406: flags differ from the existing queue) fails fast;
        // 404 is not in the list: a fanout exchange may vanish (auto-delete) between declare and bind.
        this.cancelled = true;
        this.t.subs.delete(this);
        this.rejectReady(err as Error);
      } else if (this.t.channelModel() && !this.t.isClosed) {
        // (also when the connection was replaced meanwhile: its start() call found this one busy)
        const o = this.t.options;
        const delay = Math.min(o.kombu_reconnect_delay + this.failures++ * o.rabbit_retry_backoff, o.rabbit_interval_max);
        this.t.log.error({ err }, `Failed to declare consumer for ${this.queue}; retrying in ${delay} seconds`);
        this.t.schedule(delay, () => void this.start());
      }
      // otherwise there is no connection, and the reconnect starts this subscription again
    } finally {
      this.starting = false;
    }
  }

  private async declare(ch: Channel): Promise<void> {
    const t = this.t;
    const o = t.options;
    const spec = this.spec;
    const assertQueue = (opts: Options.AssertQueue) => ch.assertQueue(this.queue, opts);
    if (spec.kind === 'direct') {
      await assertQueue({ durable: false, autoDelete: false, exclusive: false, arguments: t.queueArgs(o.rabbit_transient_queues_ttl, false) });
    } else if (spec.kind === 'fanout') {
      const exchange = `${spec.topic}_fanout`;
      await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
      await assertQueue({ durable: false, autoDelete: false, exclusive: false, arguments: t.queueArgs(o.rabbit_transient_queues_ttl, false) });
      await ch.bindQueue(this.queue, exchange, spec.topic);
    } else {
      await ch.assertExchange(spec.exchange, 'topic', { durable: t.durable, autoDelete: o.amqp_auto_delete });
      await assertQueue({ durable: t.durable, autoDelete: o.amqp_auto_delete, exclusive: false, arguments: t.queueArgs(0, true) });
      await ch.bindQueue(this.queue, spec.exchange, spec.routingKey);
    }
  }

  private deliver(ch: Channel, m: ConsumeMessage | null): void {
    if (!m) {
      // The broker cancelled the consumer (queue deleted, failover): re-declare on a new channel.
      this.t.log.warn(`consumer for ${this.queue} cancelled by the broker`);
      void ch.close().catch(() => undefined);
      return;
    }
    try {
      ch.ack(m); // before processing, as oslo's RPC listener: a crash loses the request, never repeats it
    } catch {
      return;
    }
    try {
      this.onMessage(m.content.toString('utf8'));
    } catch (err) {
      this.t.log.error({ err }, 'Failed to process message ... skipping it.');
    }
  }

  private onClosed(ch: Channel): void {
    if (ch !== this.ch) return;
    this.ch = undefined;
    this.tag = undefined;
    if (this.cancelled || this.t.isClosed) return;
    this.t.schedule(this.t.options.kombu_reconnect_delay, () => void this.start());
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.t.subs.delete(this);
    this.rejectReady(new MessageDeliveryFailure('subscription cancelled'));
    const ch = this.ch;
    this.ch = undefined;
    if (!ch) return;
    try {
      if (this.tag) await ch.cancel(this.tag);
      if (this.spec.kind === 'fanout') await ch.deleteQueue(this.queue);
      await ch.close();
    } catch {
      // the channel or connection is already gone
    }
  }
}
