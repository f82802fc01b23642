import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/**
 * Subnets, subnet pools, address scopes, ports and IPAM. Addresses are stored as text (canonical
 * form); availability ranges hold fixed-width hex so that text order is address order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('address_scopes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .execute();

  await standardColumns(db.schema.createTable('subnetpools'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('default_quota', 'integer')
    .addColumn('address_scope_id', 'varchar(36)')
    // changed by every prefix allocation, so that two allocations from one pool cannot both commit
    .addColumn('hash', 'varchar(36)', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.createIndex('ix_subnetpools_address_scope_id').on('subnetpools').column('address_scope_id').execute();

  await db.schema.createTable('subnetpool_prefixes')
    .addColumn('subnetpool_id', 'varchar(36)', (c) => c.notNull().references('subnetpools.id').onDelete('cascade'))
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnetpool_prefixes', ['subnetpool_id', 'cidr'])
    .execute();

  await standardColumns(db.schema.createTable('subnets'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
    .addColumn('ipv6_ra_mode', 'varchar(16)')
    .addColumn('ipv6_address_mode', 'varchar(16)')
    .addColumn('subnetpool_id', 'varchar(36)')
    .addColumn('segment_id', 'varchar(36)')
    .execute();
  await db.schema.createIndex('ix_subnets_network_id').on('subnets').column('network_id').execute();
  await db.schema.createIndex('ix_subnets_subnetpool_id').on('subnets').column('subnetpool_id').execute();
  await db.schema.createIndex('ix_subnets_project_id').on('subnets').column('project_id').execute();

  // allocation pools as the API shows them, in the order given
  await db.schema.createTable('subnet_allocation_pools')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('pool_index', 'integer', (c) => c.notNull())
    .addColumn('first_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_ip', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnet_allocation_pools', ['subnet_id', 'pool_index'])
    .execute();

  // the free addresses of each pool: split on allocation, merged on release
  await db.schema.createTable('ipam_availability_ranges')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('pool_index', 'integer', (c) => c.notNull())
    .addColumn('first_ip', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_ip', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_ipam_availability_ranges', ['subnet_id', 'first_ip'])
    .execute();
  await db.schema.createIndex('ix_ipam_availability_ranges_pool').on('ipam_availability_ranges')
    .columns(['subnet_id', 'pool_index', 'first_ip']).execute();

  await db.schema.createTable('subnet_dns_nameservers')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('address', 'varchar(128)', (c) => c.notNull())
    .addColumn('order', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnet_dns_nameservers', ['subnet_id', 'address'])
    .execute();

  await db.schema.createTable('subnet_routes')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('destination', 'varchar(64)', (c) => c.notNull())
    .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnet_routes', ['subnet_id', 'destination', 'nexthop'])
    .execute();

  await db.schema.createTable('subnet_service_types')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('service_type', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnet_service_types', ['subnet_id', 'service_type'])
    .execute();

  await standardColumns(db.schema.createTable('ports'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_allocation', 'varchar(16)')
    .addColumn('port_security_enabled', 'boolean')
    .addColumn('dns_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('uniq_ports_network_id_mac_address', ['network_id', 'mac_address'])
    .execute();
  await db.schema.createIndex('ix_ports_project_id').on('ports').column('project_id').execute();
  await db.schema.createIndex('ix_ports_device_id').on('ports').column('device_id').execute();

  // the primary key is what makes an address unique across workers
  await db.schema.createTable('ipallocations')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_ipallocations', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ix_ipallocations_port_id').on('ipallocations').column('port_id').execute();

  // one binding per port and host (several during a live migration)
  await db.schema.createTable('ml2_port_bindings')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('host', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('vif_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('vnic_type', 'varchar(64)', (c) => c.notNull().defaultTo('normal'))
    .addColumn('profile', 'varchar(4095)', (c) => c.notNull().defaultTo('{}'))
    .addColumn('vif_details', 'varchar(4095)', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('ACTIVE'))
    .addPrimaryKeyConstraint('pk_ml2_port_bindings', ['port_id', 'host'])
    .execute();
  await db.schema.createIndex('ix_ml2_port_bindings_host').on('ml2_port_bindings').column('host').execute();

  await db.schema.createTable('port_security_group_bindings')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_port_security_group_bindings', ['port_id', 'security_group_id'])
    .execute();
  await db.schema.createIndex('ix_port_security_group_bindings_sg').on('port_security_group_bindings').column('security_group_id').execute();

  await db.schema.createTable('port_allowed_address_pairs')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_port_allowed_address_pairs', ['port_id', 'mac_address', 'ip_address'])
    .execute();

  await db.schema.createTable('port_extra_dhcp_opts')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('opt_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('opt_value', 'varchar(255)')
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_port_extra_dhcp_opts', ['port_id', 'opt_name', 'ip_version'])
    .execute();

  await db.schema.alterTable('networks').addColumn('dns_domain', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
}
