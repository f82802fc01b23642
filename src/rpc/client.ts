/**
 * RPC client (oslo_messaging.RPCClient): cast, fanout cast and call. Calls carry `_msg_id`,
 * `_reply_q` (this transport's `reply_<uuid>` queue) and `_timeout`, and wait for the reply with
 * `ending: true`. The call timeout is a timer started first, so it fires whatever the broker does.
 */
import type { RequestContext } from '../lib/context.js';
import { toRpcContext } from './context.js';
import { deserializeFailure, InvalidTarget, MessagingTimeout } from './errors.js';
import type { Destination, ReplyWaiter, Transport } from './transport.js';
import { packContext, serializeMsg, uuidHex, type Json } from './wire.js';
import { probes } from '../metrics/probes.js';

export interface ClientTarget {
  topic: string;
  /** send to `topic.server` (one host) instead of `topic` */
  server?: string;
  /** cast to every server of the topic (exchange `topic_fanout`); calls cannot be fanout */
  fanout?: boolean;
  /** "major.minor" sent as `version`; omitted if unset (the server then assumes 1.0) */
  version?: string;
  /** sent only if not null; every core Neutron API has none */
  namespace?: string | null;
  /** default: the transport's control exchange */
  exchange?: string;
  /** call timeout in seconds; default: the transport's rpc_response_timeout */
  timeout?: number;
  /** seconds; sent as `_timeout`: the server heartbeats every half of it and the call fails if they stop */
  callMonitorTimeout?: number;
}

export class RpcClient {
  constructor(readonly transport: Transport, readonly target: ClientTarget) {}

  /** A client with some target fields replaced, as oslo's prepare(). */
  prepare(overrides: Partial<ClientTarget>): RpcClient {
    return new RpcClient(this.transport, { ...this.target, ...overrides });
  }

  /** Sends without waiting for a result; resolves once the broker has the message. */
  async cast(ctx: RequestContext, method: string, args: Record<string, unknown> = {}): Promise<void> {
    const dest = this.destination();
    if (this.transport.wouldDrop(dest) && !this.transport.isClosed) return;
    const msg = this.message(method, args);
    msg._unique_id = uuidHex();
    packContext(msg, toRpcContext(ctx));
    const sent = probes.rpcClient?.('cast', this.target.topic, method);
    await this.transport.publish(dest, serializeMsg(msg)).then(() => sent?.(), (err) => { sent?.(err); throw err; });
  }

  /**
   * Calls a remote method and resolves with its result. Rejects with MessagingTimeout after
   * `timeout` seconds (also while the broker is unreachable), or with RemoteError (its `excType` is
   * the remote exception's class name) if the method raised.
   */
  call<T = unknown>(ctx: RequestContext, method: string, args: Record<string, unknown> = {}, opts: { timeout?: number } = {}): Promise<T> {
    if (this.target.fanout) return Promise.reject(new InvalidTarget('A call cannot be used with fanout'));
    let dest: Destination;
    try {
      dest = this.destination();
    } catch (err) {
      return Promise.reject(err);
    }
    const timeout = opts.timeout ?? this.target.timeout ?? this.transport.responseTimeout;
    const monitorTimeout = this.target.callMonitorTimeout;
    const msgId = uuidHex();
    const msg = this.message(method, args);
    const context = toRpcContext(ctx);
    const sent = probes.rpcClient?.('call', this.target.topic, method);

    return new Promise<T>((resolve, reject) => {
      const abort = new AbortController();
      let waiter: ReplyWaiter | undefined;
      let done = false;
      let result: unknown = null;
      let failure: Error | undefined;
      let monitorTimer: NodeJS.Timeout | undefined;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(monitorTimer);
        waiter?.unlisten(msgId);
        abort.abort(err ?? new Error('call finished'));
        sent?.(err);
        if (err) reject(err);
        else resolve(result as T);
      };
      const timedOut = () => finish(new MessagingTimeout(`Timed out waiting for a reply to message ID ${msgId}`));
      const timer = setTimeout(timedOut, timeout * 1000);
      const armMonitor = () => {
        if (!monitorTimeout) return;
        clearTimeout(monitorTimer);
        monitorTimer = setTimeout(timedOut, monitorTimeout * 1000);
      };
      armMonitor();

      (async () => {
        waiter = await this.transport.replyWaiter();
        if (done) return;
        waiter.listen(msgId, {
          onReply: (reply) => {
            if (reply.failure) failure = deserializeFailure(reply.failure);
            else if (reply.result != null) result = reply.result;
            else if (reply.ending === false) armMonitor(); // call-monitor heartbeat
            if (reply.ending) finish(failure);
          },
          onClose: (err) => finish(err),
        });
        Object.assign(msg, { _msg_id: msgId, _reply_q: waiter.queue, _timeout: monitorTimeout ?? null, _unique_id: uuidHex() });
        packContext(msg, context);
        await this.transport.publish(dest, serializeMsg(msg), { expirationMs: Math.round(timeout * 1000), signal: abort.signal });
      })().catch((err: Error) => finish(err));
    });
  }

  private destination(): Destination {
    const t = this.target;
    if (!t.topic) throw new InvalidTarget('A topic is required to send a message');
    if (t.fanout) return { kind: 'fanout', topic: t.topic };
    return { kind: 'topic', exchange: t.exchange ?? this.transport.controlExchange, routingKey: t.server ? `${t.topic}.${t.server}` : t.topic };
  }

  private message(method: string, args: Record<string, unknown>): Json {
    const msg: Json = { method, args };
    if (this.target.namespace != null) msg.namespace = this.target.namespace;
    if (this.target.version != null) msg.version = this.target.version;
    return msg;
  }
}
