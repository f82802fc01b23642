import type { Kysely } from 'kysely';

/**
 * What the agents' RPC needs: tunnel endpoints registered by tunnel_sync (Neutron's
 * ml2_{vxlan,gre,geneve}_endpoints, one table here), the segment each bound port is bound to
 * (ml2_port_binding_levels), provisioning blocks that keep a port DOWN until
 * the DHCP and L2 agents say it is wired, and a binding index per DHCP binding so that the database
 * refuses more than dhcp_agents_per_network agents for a network even with concurrent schedulers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('ml2_tunnel_endpoints')
    .addColumn('tunnel_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)')
    .addColumn('udp_port', 'integer')
    .addPrimaryKeyConstraint('pk_ml2_tunnel_endpoints', ['tunnel_type', 'ip_address'])
    .addUniqueConstraint('uniq_ml2_tunnel_endpoints0tunnel_type0host', ['tunnel_type', 'host'])
    .execute();

  await db.schema.createTable('ml2_port_binding_levels')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('driver', 'varchar(64)')
    .addColumn('segment_id', 'varchar(36)')
    .addPrimaryKeyConstraint('pk_ml2_port_binding_levels', ['port_id', 'host', 'level'])
    .execute();

  await db.schema.createTable('provisioningblocks')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('entity', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_provisioningblocks', ['port_id', 'entity'])
    .execute();

  await db.schema.alterTable('network_dhcp_agent_bindings')
    .addColumn('binding_index', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('uniq_network_dhcp_agent_binding0network_id0binding_index0')
    .on('network_dhcp_agent_bindings').columns(['network_id', 'binding_index']).unique()
    .execute();
}
