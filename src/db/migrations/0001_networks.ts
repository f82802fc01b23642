import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/** Networks, their segments, segmentation-id allocations, RBAC entries and tags. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await standardColumns(db.schema.createTable('networks'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('router_external', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('ix_networks_project_id').on('networks').column('project_id').execute();

  await db.schema.createTable('network_segments')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('segmentation_id', 'bigint')
    .addColumn('segment_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_dynamic', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('ix_network_segments_network_id').on('network_segments').column('network_id').execute();

  // One row per segmentation id in use: the primary key is what makes an id unique across workers.
  // physical_network is '' for tunnel types; segmentation_id is 0 for flat networks.
  await db.schema.createTable('segment_allocations')
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'bigint', (c) => c.notNull())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_segment_allocations', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();

  await db.schema.createTable('rbac_entries')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('target_project', 'varchar(255)', (c) => c.notNull())
    .addColumn('action', 'varchar(255)', (c) => c.notNull())
    .addUniqueConstraint('uniq_rbac_entries', ['object_type', 'object_id', 'action', 'target_project'])
    .execute();
  await db.schema.createIndex('ix_rbac_entries_target').on('rbac_entries').columns(['object_type', 'target_project', 'action']).execute();

  await db.schema.createTable('tags')
    .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('tag', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_tags', ['resource_type', 'resource_id', 'tag'])
    .execute();
}
