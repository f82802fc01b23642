import type { Kysely } from 'kysely';

/**
 * Named locks: a row that transactions lock (SELECT ... FOR UPDATE) to take turns at something
 * that has no row of its own, such as choosing the next free segmentation id of a range.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('locks')
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .execute();
}
