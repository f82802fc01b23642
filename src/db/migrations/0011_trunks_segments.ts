import { sql, type Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/**
 * Trunks and their subports (the trunk service plugin). A port is the parent of one trunk at most
 * (unique port_id) and the subport of one trunk at most (port_id is the key); a segmentation
 * (type, id) is used once per trunk. Both go with their port.
 *
 * Segments become a resource of their own (the segments service plugin): a name and the standard
 * attributes; the segments made so far get their network's creation time. Network segment ranges
 * (the network_segment_range plugin) are rows of their own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await standardColumns(db.schema.createTable('trunks'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().unique().references('ports.id').onDelete('cascade'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_trunks_project_id').on('trunks').column('project_id').execute();

  await db.schema.createTable('subports')
    .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
    .addColumn('trunk_id', 'varchar(36)', (c) => c.notNull().references('trunks.id').onDelete('cascade'))
    .addColumn('segmentation_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer', (c) => c.notNull())
    .addUniqueConstraint('uniq_subport0trunk_id0segmentation_type0segmentation_id', ['trunk_id', 'segmentation_type', 'segmentation_id'])
    .execute();

  // segments as a resource (/v2.0/segments): a name and the standard attributes
  await db.schema.alterTable('network_segments').addColumn('name', 'varchar(255)').execute();
  await db.schema.alterTable('network_segments').addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('network_segments').addColumn('created_at', 'varchar(20)').execute();
  await db.schema.alterTable('network_segments').addColumn('updated_at', 'varchar(20)').execute();
  await db.schema.alterTable('network_segments').addColumn('revision_number', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`UPDATE network_segments SET
    created_at = (SELECT created_at FROM networks WHERE networks.id = network_segments.network_id),
    updated_at = (SELECT created_at FROM networks WHERE networks.id = network_segments.network_id)`.execute(db);

  // network segment ranges (the network_segment_range plugin): the defaults mirror the ML2 config
  await standardColumns(db.schema.createTable('network_segment_ranges'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('shared', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('minimum', 'bigint', (c) => c.notNull())
    .addColumn('maximum', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_network_segment_ranges_type').on('network_segment_ranges').columns(['network_type', 'physical_network']).execute();
}
