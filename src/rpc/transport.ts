/**
 * What the RPC client, server and notifier need from a message bus: declare-and-consume a queue,
 * publish to an exchange. Two implementations: RabbitTransport (AMQP 0-9-1) and InProcessTransport.
 * Bodies are the JSON text that goes on the wire, so both behave the same down to encoding.
 */
import { pino } from 'pino';
import { MessageDeliveryFailure } from './errors.js';
import type { RpcLogger } from './options.js';
import { deserializeMsg, uuidHex, type Json } from './wire.js';

export type QueueSpec =
  /** queue `queue ?? routingKey` bound to the topic exchange with routingKey (RPC topics, notifications) */
  | { kind: 'topic'; exchange: string; routingKey: string; queue?: string }
  /** queue `<topic>_fanout_<uuid hex>` bound to the fanout exchange `<topic>_fanout` */
  | { kind: 'fanout'; topic: string }
  /** a queue on the default exchange (reply queues) */
  | { kind: 'direct'; queue: string };

export type Destination =
  | { kind: 'topic'; exchange: string; routingKey: string }
  | { kind: 'fanout'; topic: string }
  /** default exchange, mandatory: rejects with MessageUndeliverable if the queue does not exist */
  | { kind: 'direct'; queue: string }
  /** topic exchange; also declares a queue named routingKey so that notifications wait for a listener */
  | { kind: 'notify'; exchange: string; routingKey: string };

export interface PublishOptions {
  /** AMQP expiration of the message (calls); the time spent waiting for the broker is deducted */
  expirationMs?: number;
  /** aborting drops the message if it has not been handed to the broker yet */
  signal?: AbortSignal;
}

export interface Subscription {
  readonly queue: string;
  /** Stops consuming; a fanout queue is deleted, as oslo does when its connection closes. */
  cancel(): Promise<void>;
}

export interface TransportBase {
  controlExchange: string;
  /** default call timeout, seconds */
  responseTimeout: number;
  missingConsumerRetryTimeout: number;
  log: RpcLogger;
}

export abstract class Transport {
  readonly controlExchange: string;
  readonly responseTimeout: number;
  readonly missingConsumerRetryTimeout: number;
  readonly log: RpcLogger;
  protected closed = false;
  private waiter?: Promise<ReplyWaiter>;
  private liveWaiter?: ReplyWaiter;

  constructor(base: Partial<TransportBase>) {
    this.controlExchange = base.controlExchange ?? 'neutron';
    this.responseTimeout = base.responseTimeout ?? 60;
    this.missingConsumerRetryTimeout = base.missingConsumerRetryTimeout ?? 60;
    this.log = base.log ?? pino({ name: 'neutron-ts.rpc' });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Declares the queue (with its exchange and binding) and consumes it, again after every reconnect. */
  abstract subscribe(spec: QueueSpec, onMessage: (body: string) => void): Promise<Subscription>;

  /** Resolves once the broker has confirmed the message; while disconnected it waits in memory. */
  abstract publish(dest: Destination, body: string, opts?: PublishOptions): Promise<void>;

  /** Whether a cast to `dest` would reach no queue now (so need not be built); a broker cannot tell. */
  wouldDrop(_dest: Destination): boolean {
    return false;
  }

  protected abstract shutdown(): Promise<void>;

  /** The reply queue of this transport (one per process, as oslo's driver), declared on first use. */
  replyWaiter(): Promise<ReplyWaiter> {
    if (this.closed) return Promise.reject(new MessageDeliveryFailure('transport is closed'));
    if (!this.waiter) {
      const w = new ReplyWaiter(this);
      const p = w.start().then(() => {
        this.liveWaiter = w;
        return w;
      });
      p.catch(() => {
        if (this.waiter === p) this.waiter = undefined;
      });
      this.waiter = p;
    }
    return this.waiter;
  }

  /** Delivers queued messages (bounded wait), stops consumers, closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.liveWaiter?.close();
    await this.shutdown();
  }
}

export interface ReplyListener {
  onReply(reply: Json): void;
  onClose(err: Error): void;
}

/** Receives replies on `reply_<uuid>` and hands each to the call waiting for its `_msg_id`. */
export class ReplyWaiter {
  readonly queue = `reply_${uuidHex()}`;
  private listeners = new Map<string, ReplyListener>();

  constructor(private readonly transport: Transport) {}

  async start(): Promise<void> {
    await this.transport.subscribe({ kind: 'direct', queue: this.queue }, (body) => this.onMessage(body));
  }

  private onMessage(body: string): void {
    let reply: unknown;
    try {
      reply = deserializeMsg(body);
    } catch (err) {
      this.transport.log.error({ err }, 'Failed to process reply message ... skipping it.');
      return;
    }
    if (!reply || typeof reply !== 'object') return;
    const r = reply as Json;
    const msgId = r._msg_id;
    delete r._msg_id;
    delete r._unique_id;
    const l = typeof msgId === 'string' ? this.listeners.get(msgId) : undefined;
    if (l) l.onReply(r);
    else this.transport.log.info(`No calling threads waiting for msg_id : ${String(msgId)}`);
  }

  listen(msgId: string, l: ReplyListener): void {
    this.listeners.set(msgId, l);
  }

  unlisten(msgId: string): void {
    this.listeners.delete(msgId);
  }

  close(): void {
    const err = new MessageDeliveryFailure('transport closed while waiting for a reply');
    for (const l of this.listeners.values()) l.onClose(err);
    this.listeners.clear();
  }
}
