import type { Kysely } from 'kysely';

/** Agents (filled by report_state) and the DHCP agents hosting each network. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('heartbeat_timestamp', 'varchar(20)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)')
    .addColumn('configurations', 'text', (c) => c.notNull())
    .addColumn('resource_versions', 'text')
    .addColumn('load', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('resources_synced', 'boolean')
    .addUniqueConstraint('uniq_agents_agent_type_host', ['agent_type', 'host'])
    .execute();

  await db.schema.createTable('network_dhcp_agent_bindings')
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('dhcp_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pk_network_dhcp_agent_bindings', ['network_id', 'dhcp_agent_id'])
    .execute();
}
