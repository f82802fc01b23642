/**
 * The change stream's log (the `changes` table). A write transaction notes which objects it
 * created, changed and deleted; the notes are inserted as its very last statements, right before
 * COMMIT, so that the order of `seq` is the order in which the writes committed, a number is
 * skipped only when a COMMIT itself fails, and one object's changes (which take turns on its row
 * lock) are numbered in the order they happened.
 */
import { sql, SqliteAdapter } from 'kysely';
import type { Item } from '../lib/definitions.js';
import { insertRows, prepared, preparedWrite, type PreparedWrite } from './prepared.js';
import { perTransaction } from './transaction-state.js';
import type { Tx } from './schema.js';

export type ChangeEvent = 'created' | 'updated' | 'deleted';

interface Note {
  table: string;
  id: string;
  event: ChangeEvent;
  snapshot: Item | null;
}

const NOTES = Symbol('changes');

/** The notes of `tx`, or null when the database does not keep a change log. */
function notes(tx: Tx): Map<string, Note> | null {
  return perTransaction<Map<string, Note> | null>(tx, NOTES, () => null);
}

/** Called by Database.write when the log is kept: this transaction's changes are noted. */
export function keepChanges(tx: Tx): void {
  perTransaction(tx, NOTES, () => new Map<string, Note>());
}

/**
 * Notes a change of an object of `table`, with its state as the API shows it when the writer has
 * it (the store does; a server-side update such as a port's status does not). One note per object
 * and transaction: created or updated, with the last state noted; deleted, with its last state (an
 * object created and deleted by one transaction is not noted).
 */
export function noteChange(tx: Tx, table: string, id: string, event: ChangeEvent, snapshot: Item | null = null): void {
  const kept = notes(tx);
  if (!kept) return;
  const key = `${table}/${id}`;
  const previous = kept.get(key);
  if (!previous || (event === 'deleted' && previous.event !== 'created')) kept.set(key, { table, id, event, snapshot });
  else if (event === 'deleted') kept.delete(key);
  else if (snapshot) previous.snapshot = snapshot;
}

/**
 * The notes of `tx`, written at `now`: its last statement before COMMIT. A deletion keeps the
 * object's last state; a creation or an update keeps it only while someone watches or may still
 * resume (`change_watch`, which ChangeFeed keeps [change_stream] retention ahead of its last
 * watcher): serialising and storing every port's state for nobody cost a write on SQLite ~15%
 * more CPU. Without a state, a watcher is sent the object as it is when the change is read.
 */
export async function writeChanges(tx: Tx, now: string): Promise<void> {
  const kept = notes(tx);
  if (!kept?.size) return;
  const written = [...kept.values()];
  const row = (n: Note, withState: boolean) => ({
    table_name: n.table, object_id: n.id, event: n.event, snapshot: withState && n.snapshot ? JSON.stringify(n.snapshot) : null, created_at: now,
  });
  if (tx.getExecutor().adapter instanceof SqliteAdapter) {
    const watched = (await watchedUntil.first(tx, {}))!.watched_until > now;
    await insertRows(tx, 'changes', written.map((n) => row(n, watched || n.event === 'deleted')));
    return;
  }
  // a server database decides in the INSERT itself: the transaction waits for no answer of its own
  for (let i = 0; i < written.length; i += CHUNK) {
    const chunk = written.slice(i, i + CHUNK).map((n) => row(n, true));
    await insertChanges(chunk.length).run(tx, Object.fromEntries(chunk.flatMap((r, j) => Object.entries(r).map(([k, v]) => [`${k}${j}`, v]))));
  }
}

const watchedUntil = prepared((q) => q.selectFrom('change_watch').select('watched_until').where('id', '=', 1));

/** rows per INSERT on a server database: one prepared statement per count up to it */
const CHUNK = 16;
const insertsByCount = new Map<number, PreparedWrite<Record<string, unknown>>>();

function insertChanges(count: number): PreparedWrite<Record<string, unknown>> {
  let insert = insertsByCount.get(count);
  if (!insert) {
    insert = preparedWrite((q, p: Record<string, any>) => q.insertInto('changes').values(Array.from({ length: count }, (_, i) => ({
      table_name: p[`table_name${i}`], object_id: p[`object_id${i}`], event: p[`event${i}`], created_at: p[`created_at${i}`],
      snapshot: sql<string | null>`case when ${p[`event${i}`]} = 'deleted' or exists (select 1 from change_watch where watched_until > ${p[`created_at${i}`]}) then ${p[`snapshot${i}`]} end`,
    }))));
    insertsByCount.set(count, insert);
  }
  return insert;
}

/** Keeps the states of created and updated objects in the log until `until` (a timestamp), at least. */
export async function keepStatesUntil(tx: Tx, until: string): Promise<void> {
  await tx.updateTable('change_watch').set({ watched_until: until }).where('id', '=', 1).where('watched_until', '<', until).execute();
}
