import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/**
 * L3 service plugins' tables: floating IP port forwardings, metering labels and their
 * rules, router conntrack helpers, auto-allocated topologies, flavors and service
 * profiles, local IPs and their port associations, logs, NDP
 * proxies.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Neutron's two unique keys: one forwarding per external port range and protocol on a floating
  // IP, one per internal address, port range and protocol. Both go with the floating IP or the port.
  await db.schema.createTable('portforwardings')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('floatingip_id', 'varchar(36)', (c) => c.notNull().references('floatingips.id').onDelete('cascade'))
    .addColumn('internal_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('protocol', 'varchar(40)', (c) => c.notNull())
    .addColumn('internal_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('internal_port_start', 'integer', (c) => c.notNull())
    .addColumn('internal_port_end', 'integer', (c) => c.notNull())
    .addColumn('external_port_start', 'integer', (c) => c.notNull())
    .addColumn('external_port_end', 'integer', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('uniq_portforwardings_external', ['floatingip_id', 'protocol', 'external_port_start', 'external_port_end'])
    .addUniqueConstraint('uniq_portforwardings_internal', ['protocol', 'internal_port_id', 'internal_ip_address', 'internal_port_start', 'internal_port_end'])
    .execute();
  await db.schema.createIndex('ix_portforwardings_internal_port_id').on('portforwardings').column('internal_port_id').execute();

  await db.schema.createTable('metering_labels')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('shared', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('ix_metering_labels_project_id').on('metering_labels').column('project_id').execute();
  await db.schema.createTable('metering_label_rules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('metering_label_id', 'varchar(36)', (c) => c.notNull().references('metering_labels.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('excluded', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('source_ip_prefix', 'varchar(64)')
    .addColumn('destination_ip_prefix', 'varchar(64)')
    .execute();
  await db.schema.createIndex('ix_metering_label_rules_label').on('metering_label_rules').column('metering_label_id').execute();

  await db.schema.createTable('conntrack_helpers')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('protocol', 'varchar(40)', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('helper', 'varchar(64)', (c) => c.notNull())
    .addUniqueConstraint('uniq_conntrack_helpers', ['router_id', 'protocol', 'port', 'helper'])
    .execute();

  // auto-allocated-topology: the deployment's default external network, and one topology per project
  await db.schema.alterTable('networks').addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema.createTable('auto_allocated_topologies')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('router_id', 'varchar(36)', (c) => c.references('routers.id').onDelete('set null'))
    .execute();

  await db.schema.createTable('flavors')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(1024)')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('service_type', 'varchar(36)')
    .execute();
  await db.schema.createTable('serviceprofiles')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('description', 'varchar(1024)')
    .addColumn('driver', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('metainfo', 'varchar(4096)')
    .execute();
  await db.schema.createTable('flavorserviceprofilebindings')
    .addColumn('service_profile_id', 'varchar(36)', (c) => c.notNull().references('serviceprofiles.id').onDelete('cascade'))
    .addColumn('flavor_id', 'varchar(36)', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pk_flavorserviceprofilebindings', ['service_profile_id', 'flavor_id'])
    .execute();
  // l3-flavors: no foreign key (MariaDB ignores one declared with the column); a flavor in use is checked
  await db.schema.alterTable('routers').addColumn('flavor_id', 'varchar(36)').execute();

  await standardColumns(db.schema.createTable('local_ips'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('local_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id'))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('local_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip_mode', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_local_ips_project_id').on('local_ips').column('project_id').execute();
  await db.schema.createTable('local_ip_associations')
    .addColumn('local_ip_id', 'varchar(36)', (c) => c.notNull().references('local_ips.id'))
    .addColumn('fixed_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('fixed_ip', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_local_ip_associations', ['local_ip_id', 'fixed_port_id'])
    .execute();

  await standardColumns(db.schema.createTable('logs'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('resource_type', 'varchar(36)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(36)')
    .addColumn('event', 'varchar(255)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(36)')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema.createIndex('ix_logs_resource_id').on('logs').column('resource_id').execute();
  await db.schema.createIndex('ix_logs_target_id').on('logs').column('target_id').execute();

  await db.schema.createTable('router_ndp_proxy_state')
    .addColumn('router_id', 'varchar(36)', (c) => c.primaryKey().references('routers.id').onDelete('cascade'))
    .addColumn('enable_ndp_proxy', 'boolean', (c) => c.notNull())
    .execute();
  await standardColumns(db.schema.createTable('ndp_proxies'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addUniqueConstraint('uniq_ndp_proxies_router_ip', ['router_id', 'ip_address'])
    .execute();
}
