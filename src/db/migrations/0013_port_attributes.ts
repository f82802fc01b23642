import type { Kysely } from 'kysely';

/**
 * The tables of ML2's extension drivers, one row per object at most, as Neutron keeps them: a
 * port's dns_domain (dns_domain_ports), a subnet's dns_publish_fixed_ip, a port's data plane
 * status, uplink status propagation, device profile and NUMA affinity policy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const perPort = (table: string) => db.schema.createTable(table)
    .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'));
  await perPort('portdnses').addColumn('dns_domain', 'varchar(255)', (c) => c.notNull().defaultTo('')).execute();
  await perPort('portdataplanestatuses').addColumn('data_plane_status', 'varchar(16)').execute();
  await perPort('portuplinkstatuspropagation').addColumn('propagate', 'boolean', (c) => c.notNull()).execute();
  await perPort('portdeviceprofiles').addColumn('device_profile', 'varchar(255)').execute();
  await perPort('portnumaaffinitypolicies').addColumn('numa_affinity_policy', 'varchar(16)').execute();
  await db.schema.createTable('subnet_dns_publish_fixed_ips')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.primaryKey().references('subnets.id').onDelete('cascade'))
    .addColumn('dns_publish_fixed_ip', 'boolean', (c) => c.notNull())
    .execute();
}
