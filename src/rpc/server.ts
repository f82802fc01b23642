/**
 * RPC server: consumes `T`, `T.<server>` and the fanout exchange `T_fanout`, dispatches each request
 * to the first endpoint whose namespace matches and whose version is compatible, and replies on the
 * caller's reply queue (oslo_messaging.rpc.dispatcher + amqpdriver's listener).
 */
import type { RequestContext } from '../lib/context.js';
import { fromRpcContext } from './context.js';
import { MessageUndeliverable, NoSuchMethod, serializeFailure, UnsupportedVersion } from './errors.js';
import type { Subscription, Transport } from './transport.js';
import { probes } from '../metrics/probes.js';
import { deserializeMsg, DuplicateFilter, serializeMsg, unpackContext, uuidHex, versionIsCompatible, type Json } from './wire.js';

export interface EndpointTarget {
  /** null (the default) for every core Neutron RPC API */
  namespace?: string | null;
  /** the highest version implemented, "major.minor"; default "1.0" */
  version?: string;
}

/**
 * An endpoint is any object: its public methods (no leading "_") are callable remotely as
 * `method(ctx, kwargs, call)`; the result is sent back as JSON, a thrown error as an oslo failure.
 */
export interface Endpoint {
  readonly target?: EndpointTarget;
}

/** What a method may want to know about the request beyond ctx and kwargs. */
export interface IncomingCall {
  method: string;
  version: string;
  namespace: string | null;
  /** the context dict as sent (`_context_*` keys without the prefix) */
  context: Json;
  /** true for a call (a reply is expected), false for a cast */
  isCall: boolean;
}

export type RpcMethod = (ctx: RequestContext, kwargs: Record<string, any>, call: IncomingCall) => unknown;

export interface ServerTarget {
  topic: string;
  /** the host name (Neutron: cfg.CONF.host) */
  server: string;
  /** default: the transport's control exchange */
  exchange?: string;
}

export interface RpcServerOptions {
  /** requests handled at once (oslo's executor_thread_pool_size); the rest wait in memory */
  maxConcurrency?: number;
  /** answer `oslo_rpc_server_ping` with "pong" (oslo's rpc_ping_enabled) */
  rpcPingEnabled?: boolean;
}

const RESERVED = new Set(['constructor', 'target']);

function findMethod(endpoint: object, name: string): RpcMethod | undefined {
  if (!name || name.startsWith('_') || RESERVED.has(name) || name in Object.prototype) return undefined;
  const fn = (endpoint as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as RpcMethod) : undefined;
}

/** Finds the endpoint method for a request and runs it; throws NoSuchMethod or UnsupportedVersion. */
export async function dispatch(endpoints: readonly Endpoint[], ctx: RequestContext, args: Record<string, unknown>, call: IncomingCall): Promise<unknown> {
  let compatible = false;
  for (const ep of endpoints) {
    const target = ep.target ?? {};
    if ((target.namespace ?? null) !== call.namespace || !versionIsCompatible(target.version ?? '1.0', call.version)) continue;
    const fn = findMethod(ep, call.method);
    if (fn) return await fn.call(ep, ctx, args, call);
    compatible = true;
  }
  throw compatible ? new NoSuchMethod(call.method) : new UnsupportedVersion(call.version, call.method);
}

const PING: Endpoint & { oslo_rpc_server_ping(): string } = { oslo_rpc_server_ping: () => 'pong' };

export class RpcServer {
  private readonly endpoints: Endpoint[];
  private readonly exchange: string;
  private readonly maxConcurrency: number;
  private readonly dups = new DuplicateFilter();
  private subs: Subscription[] = [];
  private waiting: Array<() => Promise<void>> = [];
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private obsoleteReplyQueues = new Map<string, number>();
  private stopping = false;
  /** the name of this server's fanout queue, `<topic>_fanout_<uuid hex>`, once started */
  fanoutQueue?: string;

  constructor(
    private readonly transport: Transport,
    readonly target: ServerTarget,
    endpoints: readonly Endpoint[],
    opts: RpcServerOptions = {},
  ) {
    this.endpoints = [...endpoints];
    if (opts.rpcPingEnabled && !this.endpoints.some((e) => 'oslo_rpc_server_ping' in e)) this.endpoints.push(PING);
    this.exchange = target.exchange ?? transport.controlExchange;
    this.maxConcurrency = opts.maxConcurrency ?? 64;
  }

  /** Declares the three queues and starts consuming; waits for the broker if it is unreachable. */
  async start(): Promise<void> {
    if (this.subs.length) return;
    const { topic, server } = this.target;
    const onMessage = (body: string) => this.onMessage(body);
    this.stopping = false;
    const results = await Promise.allSettled([
      this.transport.subscribe({ kind: 'topic', exchange: this.exchange, routingKey: topic }, onMessage),
      this.transport.subscribe({ kind: 'topic', exchange: this.exchange, routingKey: `${topic}.${server}` }, onMessage),
      this.transport.subscribe({ kind: 'fanout', topic }, onMessage),
    ]);
    const subs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed || this.stopping) {
      // a declaration failed, or stop() was called while waiting for the broker
      await Promise.all(subs.map((s) => s.cancel()));
      if (failed) throw failed.reason;
      return;
    }
    this.subs = subs;
    this.fanoutQueue = subs[2].queue;
  }

  /** Stops consuming (the fanout queue is deleted) and waits for the requests being handled. */
  async stop(): Promise<void> {
    this.stopping = true;
    const subs = this.subs;
    this.subs = [];
    await Promise.all(subs.map((s) => s.cancel()));
    if (this.active || this.waiting.length) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private onMessage(body: string): void {
    const log = this.transport.log;
    let parsed: unknown;
    try {
      parsed = deserializeMsg(body);
    } catch (err) {
      log.error({ err }, 'Failed to process message ... skipping it.');
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      log.error('Failed to process message ... skipping it: not an object');
      return;
    }
    const msg = parsed as Json;
    if (this.dups.seen(msg._unique_id)) {
      log.warn(`ignoring duplicate message ${String(msg._unique_id)}`);
      return;
    }
    delete msg._unique_id;
    this.waiting.push(() => this.handle(msg));
    this.next();
  }

  private next(): void {
    while (this.active < this.maxConcurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.active++;
      void job().finally(() => {
        this.active--;
        this.next();
        if (!this.active && !this.waiting.length) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async handle(msg: Json): Promise<void> {
    const log = this.transport.log;
    const { context, msgId, replyQ, clientTimeout } = unpackContext(msg);
    const call: IncomingCall = {
      method: String(msg.method ?? ''),
      version: typeof msg.version === 'string' ? msg.version : '1.0',
      namespace: typeof msg.namespace === 'string' ? msg.namespace : null,
      context,
      isCall: msgId !== null,
    };
    const args = msg.args && typeof msg.args === 'object' && !Array.isArray(msg.args) ? (msg.args as Record<string, unknown>) : {};
    // Call monitoring: a client that sent _timeout expects a heartbeat reply every _timeout/2 s.
    const monitor = Math.trunc(Number(clientTimeout)) / 2;
    const heartbeat = msgId && replyQ && monitor >= 1
      ? setInterval(() => void this.reply(msgId, replyQ, null, null, false), monitor * 1000)
      : undefined;
    let result: unknown = null;
    let failure: string | null = null;
    const handled = probes.rpcServer?.(call.isCall ? 'call' : 'cast', this.target.topic, call.method);
    try {
      result = await dispatch(this.endpoints, fromRpcContext(context), args, call);
      handled?.();
    } catch (err) {
      handled?.(err);
      if (err instanceof NoSuchMethod && err.method.endsWith('_ignore_errors')) log.debug(`Method ${err.method} not found`);
      else log.error({ err, method: call.method }, 'Exception during message handling');
      failure = serializeFailure(err);
    } finally {
      clearInterval(heartbeat);
    }
    if (msgId && replyQ) await this.reply(msgId, replyQ, result, failure, true);
  }

  private async reply(msgId: string, replyQ: string, result: unknown, failure: string | null, ending: boolean): Promise<void> {
    const log = this.transport.log;
    const gone = this.obsoleteReplyQueues.get(replyQ);
    if (gone !== undefined && gone > Date.now()) {
      log.warn(`${replyQ} doesn't exist, drop reply to ${msgId}`);
      return;
    }
    let body: string;
    try {
      body = serializeMsg({ result: result ?? null, failure, ending, _msg_id: msgId, _unique_id: uuidHex() });
    } catch (err) {
      body = serializeMsg({ result: null, failure: serializeFailure(err), ending, _msg_id: msgId, _unique_id: uuidHex() });
    }
    const retryFor = this.transport.missingConsumerRetryTimeout;
    const deadline = Date.now() + retryFor * 1000;
    for (;;) {
      try {
        await this.transport.publish({ kind: 'direct', queue: replyQ }, body);
        return;
      } catch (err) {
        if (!(err instanceof MessageUndeliverable)) {
          log.error({ err }, 'Can not send reply for message');
          return;
        }
        if (Date.now() >= deadline || this.stopping) {
          // Remember the missing queue for 60 s (oslo's ObsoleteReplyQueuesCache), so that later
          // replies to the same gone client do not each wait again.
          this.obsoleteReplyQueues.set(replyQ, Date.now() + 60_000);
          if (this.obsoleteReplyQueues.size > 200) this.obsoleteReplyQueues.delete(this.obsoleteReplyQueues.keys().next().value!);
          log.error(`The reply ${msgId} failed to send after ${retryFor} seconds due to a missing queue (${replyQ}). Abandoning...`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
