import { sql } from 'kysely';
import { noteChange } from '../db/changes.js';
import { timestamp } from '../db/database.js';
import { dynamic, type Tx } from '../db/schema.js';
import { perTransaction } from '../db/transaction-state.js';

const BUMPED = Symbol('revisions bumped');

/**
 * One revision per transaction and object, as Neutron's revision plugin counts them: a child's
 * change (a subnet on its network, an address on its port) bumps the parent too. `set` are more
 * columns of the same row to change.
 */
export async function bumpRevision(tx: Tx, table: string, id: string, set: Record<string, unknown> = {}): Promise<void> {
  const bumped = perTransaction(tx, BUMPED, () => new Set<string>());
  const key = `${table}:${id}`;
  const values: Record<string, unknown> = { ...set, updated_at: timestamp() };
  if (!bumped.has(key)) {
    bumped.add(key);
    values.revision_number = sql`revision_number + 1`;
  }
  await dynamic(tx).updateTable(table).set(values).where('id', '=', id).execute();
  noteChange(tx, table, id, 'updated');
}
