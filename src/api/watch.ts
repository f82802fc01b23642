/**
 * The change stream: `GET /v2.0/<collection>?watch=true` answers with Server-Sent Events, one per
 * object created, updated or deleted, read from the `changes` table (db/changes.ts) that every
 * write transaction fills: so it follows the writes of every API worker and of every server on
 * the same database. Each process polls the table once for all its watchers, keeps the newest
 * changes in a ring, and each watcher reads from the ring (or from the table when it is further
 * behind) at its own pace: a watcher that does not read holds one batch, not the stream.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestContext } from '../lib/context.js';
import type { Item } from '../lib/definitions.js';
import { keepStatesUntil, type ChangeEvent } from '../db/changes.js';
import { timestamp, type Database } from '../db/database.js';

/** Emitted on a response that stays open (a watch): the HTTP front stops counting it as a request in its pool. */
export const LONG_LIVED = 'neutron-ts:long-lived';

export interface Change {
  seq: number;
  table_name: string;
  object_id: string;
  event: ChangeEvent;
  snapshot: string | null;
  /** the snapshot parsed, once for all the watchers */
  state?: Item;
}

/** What a watch of one collection needs (Controller.watchTarget). */
export interface WatchTarget {
  table: string;
  /** the member name, the key of each event's object */
  name: string;
  /** the objects of `ids` as they are now, of those the caller may see and the watch's filters match */
  current(ids: string[]): Promise<Map<string, Item>>;
  /** whether the caller may see an object's state as a change noted it, and the filters match */
  admits(state: Item): boolean;
  /** an object as the caller may see it, with the watch's fields */
  view(item: Item): Item;
}

/** how often a process with watchers looks for new changes */
const POLL_MS = 100;
/** changes kept in memory for the watchers that are up to date */
const RING_SIZE = 10_000;
/** changes a watcher reads and sends at a time */
const BATCH = 250;
/**
 * A number missing in the sequence is a transaction between its last statement and its COMMIT
 * (the log is its last statement): the changes after it wait that long for it, then go on without.
 */
const GAP_WAIT_MS = 2000;
const KEEPALIVE_MS = 15_000;
/** how often a process with watchers tells the writers to keep logging states (db/changes.ts) */
const KEEP_STATES_MS = 60_000;
const PRUNE_MS = 60_000;

export class ChangeFeed {
  /** the last change read, in order */
  private head = 0;
  private readonly ring: Change[] = [];
  private started?: Promise<void>;
  private polling?: Promise<void>;
  private gapSince: number | null = null;
  private watchers = 0;
  private waiting: Array<() => void> = [];
  private pollTimer?: NodeJS.Timeout;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly open = new Set<ServerResponse>();
  private closed = false;
  private statesKeptAt = -Infinity;

  constructor(private readonly db: Database, private readonly retentionSeconds: number, private readonly log: Logger) {
    this.pruneTimer = setInterval(() => void this.prune().catch((err: unknown) => log.warn({ err }, 'change log pruning failed')), PRUNE_MS);
    this.pruneTimer.unref();
  }

  /** Streams the changes of `target` after `lastEventId` (null: from now on) to `res` until the client goes away. */
  async watch(ctx: RequestContext, target: WatchTarget, lastEventId: number | null, res: ServerResponse): Promise<void> {
    // before the first change this watcher may be sent: from here on, every change keeps its state
    await this.keepStates();
    await (this.started ??= this.bound('max').then((seq) => { this.head = seq; }, (err) => { this.started = undefined; throw err; }));
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no',
      'x-openstack-request-id': ctx.requestId,
    });
    res.emit(LONG_LIVED);
    this.open.add(res);
    this.watchers++;
    if (this.watchers === 1) this.schedulePoll();
    let gone = false;
    res.once('close', () => {
      gone = true;
      this.open.delete(res);
      this.watchers--;
      this.wake();
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    try {
      let cursor = lastEventId ?? this.head;
      res.write(': watching\n\n');
      while (!gone && !this.closed) {
        const rows = await this.after(cursor);
        if (rows === 'resync') {
          cursor = this.head;
          await send(res, `event: resync\ndata: ${JSON.stringify({ reason: 'the changes after this event id are no longer kept: list the collection again' })}\n\n`);
          continue;
        }
        if (!rows.length) {
          await new Promise<void>((r) => this.waiting.push(r));
          continue;
        }
        const text = await this.events(target, rows);
        cursor = rows.at(-1)!.seq;
        if (text) await send(res, text);
      }
    } catch (err) {
      this.log.error({ err }, 'watch failed');
    } finally {
      clearInterval(keepalive);
      if (!res.writableEnded) res.end();
    }
  }

  /**
   * The SSE text of `rows` that belong to `target` and that the caller may see: each with the
   * object's state the change noted, or (for a server-side change that noted none) as it is now.
   */
  private async events(target: WatchTarget, rows: Change[]): Promise<string> {
    const mine = rows.filter((r) => r.table_name === target.table);
    if (!mine.length) return '';
    const now = await target.current([...new Set(mine.filter((r) => !r.snapshot).map((r) => r.object_id))]);
    let text = '';
    for (const row of mine) {
      const state = row.snapshot ? (row.state ??= JSON.parse(row.snapshot) as Item) : now.get(row.object_id);
      // an object the caller may not see, or (without a noted state) one deleted since
      if (!state || (row.snapshot && !target.admits(state))) continue;
      const data = { [target.name]: target.view(state), revision_number: state.revision_number ?? null };
      text += `id: ${row.seq}\nevent: ${row.event}\ndata: ${JSON.stringify(data)}\n\n`;
    }
    return text;
  }

  /**
   * The changes after `cursor`: from the ring, or from the table when the ring has moved on past
   * it; 'resync' when they are no longer kept (or the id was never given).
   */
  private async after(cursor: number): Promise<Change[] | 'resync'> {
    if (cursor > this.head) {
      // an id another server gave, of changes this one has not read yet
      await this.poll();
      if (cursor > this.head) return cursor > await this.bound('max') ? 'resync' : [];
    }
    if (cursor === this.head) return [];
    const first = this.ring[0];
    if (first && cursor >= first.seq - 1) {
      let start = 0;
      while (this.ring[start]!.seq <= cursor) start++;
      return this.ring.slice(start, start + BATCH);
    }
    if (cursor < await this.bound('min') - 1) return 'resync';
    const rows = await this.db.read((q) => q.selectFrom('changes').select(['seq', 'table_name', 'object_id', 'event', 'snapshot'])
      .where('seq', '>', cursor).where('seq', '<=', this.head).orderBy('seq').limit(BATCH).execute());
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  /** The oldest or newest number the table holds (0 when it is empty). */
  private async bound(which: 'min' | 'max'): Promise<number> {
    const row = await this.db.read((q) => q.selectFrom('changes').select((eb) => eb.fn[which]('seq').as('seq')).executeTakeFirst());
    return Number(row?.seq ?? 0);
  }

  private schedulePoll(): void {
    if (this.closed || !this.watchers) return;
    this.pollTimer = setTimeout(() => void this.poll().catch((err: unknown) => this.log.warn({ err }, 'change log poll failed'))
      .finally(() => this.schedulePoll()), POLL_MS);
  }

  /** Reads the changes after the head, in order: after a missing number, only once it is filled or GAP_WAIT_MS has passed. */
  private poll(): Promise<void> {
    return (this.polling ??= this.readNew().finally(() => { this.polling = undefined; }));
  }

  /**
   * Has the writers log each created and updated object's state until [change_stream] retention
   * after now (and a little more, until the next time): every change a client may resume from.
   */
  private async keepStates(): Promise<void> {
    if (Date.now() - this.statesKeptAt < KEEP_STATES_MS) return;
    const until = timestamp(new Date(Date.now() + this.retentionSeconds * 1000 + 2 * KEEP_STATES_MS));
    await this.db.write((tx) => keepStatesUntil(tx, until));
    this.statesKeptAt = Date.now();
  }

  private async readNew(): Promise<void> {
    await this.keepStates();
    const rows = await this.db.read((q) => q.selectFrom('changes').select(['seq', 'table_name', 'object_id', 'event', 'snapshot'])
      .where('seq', '>', this.head).orderBy('seq').limit(1000).execute());
    const before = this.head;
    for (const r of rows) {
      const change = { ...r, seq: Number(r.seq) };
      if (change.seq !== this.head + 1) {
        this.gapSince ??= Date.now();
        if (Date.now() - this.gapSince < GAP_WAIT_MS) break;
      }
      this.gapSince = null;
      this.ring.push(change);
      this.head = change.seq;
    }
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    if (this.head !== before) this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  /** Deletes the changes older than [change_stream] retention. */
  private async prune(): Promise<void> {
    const cutoff = timestamp(new Date(Date.now() - this.retentionSeconds * 1000));
    await this.db.write((tx) => tx.deleteFrom('changes').where('created_at', '<', cutoff).execute());
  }

  /** The most bytes one watcher's answer holds, written but not yet taken by its socket. */
  get heldBytes(): number {
    let most = 0;
    for (const res of this.open) most = Math.max(most, res.writableLength);
    return most;
  }

  /** Ends every watch (the server is stopping: clients resume elsewhere with Last-Event-ID). */
  close(): void {
    this.closed = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.pruneTimer);
    this.wake();
    for (const res of this.open) res.end();
  }
}

/** Writes `text`; resolves once the socket has taken it (a client that does not read holds one batch). */
function send(res: ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.once('drain', done);
    res.once('close', done);
  });
}
