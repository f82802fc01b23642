/**
 * Notifier (oslo_messaging.Notifier with the messaging/messagingv2 drivers): publishes
 * {message_id, publisher_id, event_type, priority, payload, timestamp} with the sanitized context on
 * `<topic>.<priority>` of the control exchange, e.g. `notifications.info` for `network.create.end`.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../lib/context.js';
import { sanitizeForNotification, toRpcContext } from './context.js';
import type { Transport } from './transport.js';
import { packContext, pythonDatetime, serializeMsg, toJson, uuidHex, type Json } from './wire.js';

export type NotificationPriority = 'audit' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'sample';

export interface NotifierOptions {
  /** e.g. "network.<host>" as Neutron's get_notifier('network') */
  publisherId: string;
  /** [oslo_messaging_notifications] topics; default ["notifications"] */
  topics?: string[];
  /**
   * [oslo_messaging_notifications] driver: "messagingv2" (2.0 envelope), "messaging" (1.0, no
   * envelope) or "noop". oslo's config default is no driver at all, which is "noop".
   */
  driver?: 'messagingv2' | 'messaging' | 'noop';
  /** default: the transport's control exchange */
  exchange?: string;
}

export class Notifier {
  constructor(private readonly transport: Transport, readonly options: NotifierOptions) {}

  prepare(overrides: Partial<NotifierOptions>): Notifier {
    return new Notifier(this.transport, { ...this.options, ...overrides });
  }

  audit(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'audit'); }
  debug(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'debug'); }
  info(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'info'); }
  warn(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'warn'); }
  error(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'error'); }
  critical(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'critical'); }
  sample(ctx: RequestContext, eventType: string, payload: unknown) { return this.notify(ctx, eventType, payload, 'sample'); }

  /** Never rejects: as in oslo, a failed notification is logged, not raised to the caller. */
  async notify(ctx: RequestContext, eventType: string, payload: unknown, priority: NotificationPriority): Promise<void> {
    const driver = this.options.driver ?? 'messagingv2';
    if (driver === 'noop') return;
    const exchange = this.options.exchange ?? this.transport.controlExchange;
    const context = sanitizeForNotification(toRpcContext(ctx));
    await Promise.all((this.options.topics ?? ['notifications']).map(async (topic) => {
      const msg: Json = {
        message_id: randomUUID(),
        publisher_id: this.options.publisherId,
        event_type: eventType,
        priority: priority.toUpperCase(),
        payload,
        timestamp: pythonDatetime(new Date()),
        _unique_id: uuidHex(),
      };
      packContext(msg, context);
      const routingKey = `${topic}.${priority}`;
      try {
        const body = driver === 'messaging' ? toJson(msg) : serializeMsg(msg);
        await this.transport.publish({ kind: 'notify', exchange, routingKey }, body);
      } catch (err) {
        this.transport.log.error({ err, event_type: eventType }, `Could not send notification to ${routingKey}`);
      }
    }));
  }
}
