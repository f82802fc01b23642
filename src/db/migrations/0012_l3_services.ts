import type { Kysely } from 'kysely';

/**
 * L3 service plugins' tables: floating IP port forwardings, router conntrack helpers, metering
 * labels and their rules.
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
}
