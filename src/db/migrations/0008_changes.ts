import { MysqlAdapter, PostgresAdapter, type Kysely } from 'kysely';

/**
 * The change stream's log: one row per object created, changed or deleted by a committed write,
 * numbered in the order the writes committed (see db/changes.ts), kept for [change_stream] retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  // a number never given twice, also after the oldest rows are pruned
  const table = adapter instanceof PostgresAdapter
    ? db.schema.createTable('changes').addColumn('seq', 'bigserial', (c) => c.primaryKey())
    : db.schema.createTable('changes').addColumn('seq', adapter instanceof MysqlAdapter ? 'bigint' : 'integer', (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn('table_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('event', 'varchar(16)', (c) => c.notNull())
    // the object's state as the change left it (JSON): always for a deletion (for the policy check of
    // who may see it), while someone watches for a creation or an update (db/changes.ts)
    .addColumn('snapshot', 'text')
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_changes_created_at').on('changes').column('created_at').execute();
  // until when the log keeps the states of created and updated objects: someone watches, or may resume
  await db.schema.createTable('change_watch')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('watched_until', 'varchar(20)', (c) => c.notNull())
    .execute();
  await (db as Kysely<any>).insertInto('change_watch').values({ id: 1, watched_until: '' }).execute();
}
