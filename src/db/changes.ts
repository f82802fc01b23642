/**
 * The change stream's log (the `changes` table). A write transaction notes which objects it
 * created, changed and deleted; the notes are inserted as its very last statements, right before
 * COMMIT, so that the order of `seq` is the order in which the writes committed, a number is
 * skipped only when a COMMIT itself fails, and one object's changes (which take turns on its row
 * lock) are numbered in the order they happened.
 */
import type { Item } from '../lib/definitions.js';
import { insertRows } from './prepared.js';
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

/** The notes of `tx`, written at `now`: its last statement before COMMIT. */
export async function writeChanges(tx: Tx, now: string): Promise<void> {
  const kept = notes(tx);
  if (!kept?.size) return;
  await insertRows(tx, 'changes', [...kept.values()].map((n) => ({
    table_name: n.table, object_id: n.id, event: n.event, snapshot: n.snapshot && JSON.stringify(n.snapshot), created_at: now,
  })));
}
