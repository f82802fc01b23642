import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/** Security groups and their rules, each project's default group, quota limits and quota locks. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await standardColumns(db.schema.createTable('security_groups'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('stateful', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema.createIndex('ix_security_groups_project_id').on('security_groups').column('project_id').execute();

  await standardColumns(db.schema.createTable('security_group_rules'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('remote_group_id', 'varchar(36)', (c) => c.references('security_groups.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(40)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(255)')
    // remote_ip_prefix with the host bits masked, stored so that it can be filtered and sorted on
    .addColumn('normalized_cidr', 'varchar(255)')
    .execute();
  await db.schema.createIndex('ix_security_group_rules_sg').on('security_group_rules').column('security_group_id').execute();
  await db.schema.createIndex('ix_security_group_rules_remote_sg').on('security_group_rules').column('remote_group_id').execute();
  await db.schema.createIndex('ix_security_group_rules_project_id').on('security_group_rules').column('project_id').execute();

  // The primary key is what makes "one default group per project" hold across workers.
  await db.schema.createTable('default_security_groups')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .execute();

  // Per-project limits set through the quotas API (the others are [quotas] defaults).
  await db.schema.createTable('quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_quotas', ['project_id', 'resource'])
    .execute();

  // One row per project and resource that a create transaction writes first: concurrent creates of
  // the same resource in one project queue on it, so each counts what the previous ones committed.
  await db.schema.createTable('quota_locks')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('generation', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('pk_quota_locks', ['project_id', 'resource'])
    .execute();
}
