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
    // the last state of a deleted object (JSON), for the policy check of who may see its deletion
    .addColumn('snapshot', 'text')
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_changes_created_at').on('changes').column('created_at').execute();
}
