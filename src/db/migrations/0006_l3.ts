import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/**
 * Routers, their extra routes and L3 agent bindings, floating IPs. A router's gateway and
 * interfaces are its ports (device_id = the router, device_owner network:router_*), not rows here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await standardColumns(db.schema.createTable('routers'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('enable_snat', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('distributed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('ha', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('ix_routers_project_id').on('routers').column('project_id').execute();

  await db.schema.createTable('router_routes')
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('destination', 'varchar(64)', (c) => c.notNull())
    .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_router_routes', ['router_id', 'destination', 'nexthop'])
    .execute();

  // binding_index is unique per router, so that concurrent schedulers cannot both add an agent
  await db.schema.createTable('router_l3_agent_bindings')
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('l3_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('binding_index', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('pk_router_l3_agent_bindings', ['router_id', 'l3_agent_id'])
    .addUniqueConstraint('uniq_router_l3_agent_bindings_index', ['router_id', 'binding_index'])
    .execute();
  await db.schema.createIndex('ix_router_l3_agent_bindings_agent').on('router_l3_agent_bindings').column('l3_agent_id').execute();

  // The floating IP owns a port on the external network (deleting it deletes the floating IP); the
  // unique key keeps one floating IP per fixed address and external network, whoever associates it.
  await standardColumns(db.schema.createTable('floatingips'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('floating_port_id', 'varchar(36)', (c) => c.references('ports.id').onDelete('cascade'))
    .addColumn('fixed_port_id', 'varchar(36)', (c) => c.references('ports.id'))
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'varchar(36)', (c) => c.references('routers.id'))
    .addColumn('last_known_router_id', 'varchar(36)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    // dns-integration (ML2's dns extension drivers)
    .addColumn('dns_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('dns_domain', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('uniq_floatingips_fixed', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('ix_floatingips_project_id').on('floatingips').column('project_id').execute();
  await db.schema.createIndex('ix_floatingips_fixed_port_id').on('floatingips').column('fixed_port_id').execute();
  await db.schema.createIndex('ix_floatingips_router_id').on('floatingips').column('router_id').execute();
}
