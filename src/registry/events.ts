/**
 * The event registry, as neutron-lib's callbacks registry: every plugin, service and driver that
 * takes part in another resource's life subscribes here, by resource and event, and nowhere else.
 *
 * A write of one object publishes three events, each to the subscribers in order of priority
 * (lower first), all given the same WriteEvent:
 * - `before_<op>`, inside the transaction, before the row is written: checks, and changes to what
 *   will be written (`current` on create, `changes` on update). On delete, the subscribers run
 *   before the resource's own beforeDelete: what depends on an object goes before it.
 * - `precommit_<op>`, inside the transaction, after the row is written: rows of other tables.
 * - `after_<op>`, once the transaction has committed: binding, notifications. An error here is
 *   logged and does not fail the request. For a write made inside another resource's transaction
 *   (`nested`), after_ events wait for that transaction's commit.
 * A subscriber that throws in before_ or precommit_ fails the write, which leaves nothing behind.
 *
 * The registry also gathers extenders (neutron-lib's resource_extend): attributes that another
 * module adds to a resource as it is shown, filled for a batch of objects at a time.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../lib/context.js';
import type { Item } from '../lib/definitions.js';
import type { Queryable, Tx } from '../db/schema.js';
import { outsideRequestCount } from '../db/statement-count.js';

export type WriteOperation = 'create' | 'update' | 'delete';
export type TransactionEvent = `before_${WriteOperation}` | `precommit_${WriteOperation}`;
export type CommitEvent = `after_${WriteOperation}`;

/**
 * One object's write, from its before_ event to its after_ event. Modules add the typed fields
 * that they hand from one phase or subscriber to the next with declaration merging
 * (`declare module '.../registry/events.js' { interface WriteEvent { ... } }`), as ML2 does with
 * the network its policy check read.
 */
export interface WriteEvent {
  /** the resource's member name, e.g. `port` */
  resource: string;
  context: RequestContext;
  /**
   * create: the object being created, its id set (after the commit: as the API answers it);
   * update: the object with the changes (after the commit: as the API answers it);
   * delete: the object deleted
   */
  current: Item;
  /** update and delete: the object before the write */
  original?: Item;
  /** update: what the request changes (resource hooks and before_update subscribers may change it) */
  changes?: Item;
  /** made inside another resource's write, by the server (a router's gateway port), not asked for through the API */
  nested: boolean;
}

/** An update's event, where `original` and `changes` are always there. */
export type UpdateEvent = WriteEvent & { original: Item; changes: Item };
type EventOf<N extends string> = N extends `${string}_update` ? UpdateEvent : WriteEvent;

export type TransactionSubscriber<E extends WriteEvent = WriteEvent> = (tx: Tx, event: E) => Promise<void> | void;
export type CommitSubscriber<E extends WriteEvent = WriteEvent> = (event: E) => Promise<void> | void;
/** Fills attributes on a batch of objects being shown; `wanted` (null: all) names those the caller reads. */
export type Extender = (q: Queryable, items: Item[], ctx: RequestContext, wanted: ReadonlySet<string> | null) => Promise<void>;

/** Subscribers of the same priority run in the order they subscribed. */
export const PRIORITY_DEFAULT = 100;

interface Subscription<F> { fn: F; priority: number }

export class EventRegistry {
  private readonly subscribers = new Map<string, Array<Subscription<TransactionSubscriber<any> | CommitSubscriber<any>>>>();
  private readonly extenders = new Map<string, Extender[]>();

  constructor(private readonly log?: Pick<Logger, 'error'>) {}

  subscribe<N extends TransactionEvent>(resource: string, event: N, fn: TransactionSubscriber<EventOf<N>>, priority?: number): void;
  subscribe<N extends CommitEvent>(resource: string, event: N, fn: CommitSubscriber<EventOf<N>>, priority?: number): void;
  subscribe(resource: string, event: string, fn: TransactionSubscriber<any> | CommitSubscriber<any>, priority = PRIORITY_DEFAULT): void {
    const key = `${resource}/${event}`;
    const list = this.subscribers.get(key) ?? [];
    list.push({ fn, priority });
    list.sort((a, b) => a.priority - b.priority);
    this.subscribers.set(key, list);
  }

  /** Adds attributes to `resource` as it is shown (after the resource's own extend). */
  extend(resource: string, extender: Extender): void {
    this.extenders.set(resource, [...(this.extenders.get(resource) ?? []), extender]);
  }

  /** Runs the subscribers of a before_ or precommit_ event inside the write's transaction; the first error fails the write. */
  async publish(event: TransactionEvent, tx: Tx, payload: WriteEvent): Promise<void> {
    for (const s of this.subscribers.get(`${payload.resource}/${event}`) ?? []) await (s.fn as TransactionSubscriber)(tx, payload);
  }

  /**
   * Runs the subscribers of an after_ event, in order, each awaited; an error is logged and the
   * next one runs. Their statements are not the request's (the x-sql-statements count).
   */
  committed(event: CommitEvent, payload: WriteEvent): Promise<void> {
    const subscribers = this.subscribers.get(`${payload.resource}/${event}`);
    if (!subscribers) return Promise.resolve();
    return outsideRequestCount(async () => {
      for (const s of subscribers) {
        try {
          await (s.fn as CommitSubscriber)(payload);
        } catch (err) {
          this.log?.error({ err, resource: payload.resource, event, id: payload.current.id }, 'after-commit subscriber failed');
        }
      }
    });
  }

  /** Whether anything runs after a write of `resource` commits (its writes then take turns). */
  hasCommitSubscribers(resource: string, event: CommitEvent): boolean {
    return this.subscribers.has(`${resource}/${event}`);
  }

  /** The extenders of `resource`, in the order they were added. */
  extendersOf(resource: string): readonly Extender[] {
    return this.extenders.get(resource) ?? [];
  }
}
