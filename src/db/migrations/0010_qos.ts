import type { Kysely } from 'kysely';
import { standardColumns } from './columns.js';

/**
 * QoS: policies, each project's default policy, the rules of each type (one table per type, as
 * Neutron keeps them) and the bindings of policies to networks, ports, floating IPs and router
 * gateways. A binding's policy has no ON DELETE: a bound policy cannot be deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await standardColumns(db.schema.createTable('qos_policies'))
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.createIndex('ix_qos_policies_project_id').on('qos_policies').column('project_id').execute();

  // The primary key is what makes "one default policy per project" hold across workers.
  await db.schema.createTable('qos_policies_default')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('qos_policy_id', 'varchar(36)', (c) => c.notNull().references('qos_policies.id').onDelete('cascade'))
    .execute();

  const policyId = 'qos_policy_id';
  const rules = (name: string) => db.schema.createTable(name)
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn(policyId, 'varchar(36)', (c) => c.notNull().references('qos_policies.id').onDelete('cascade'));
  await rules('qos_bandwidth_limit_rules')
    .addColumn('max_kbps', 'bigint').addColumn('max_burst_kbps', 'bigint')
    .addColumn('direction', 'varchar(16)', (c) => c.notNull().defaultTo('egress'))
    .addUniqueConstraint('uniq_qos_bandwidth_limit_rules0policy0direction', [policyId, 'direction'])
    .execute();
  await rules('qos_dscp_marking_rules')
    .addColumn('dscp_mark', 'integer', (c) => c.notNull())
    .addUniqueConstraint('uniq_qos_dscp_marking_rules0policy', [policyId])
    .execute();
  await rules('qos_minimum_bandwidth_rules')
    .addColumn('min_kbps', 'bigint', (c) => c.notNull())
    .addColumn('direction', 'varchar(16)', (c) => c.notNull().defaultTo('egress'))
    .addUniqueConstraint('uniq_qos_minimum_bandwidth_rules0policy0direction', [policyId, 'direction'])
    .execute();
  await rules('qos_minimum_packet_rate_rules')
    .addColumn('min_kpps', 'bigint', (c) => c.notNull())
    .addColumn('direction', 'varchar(16)', (c) => c.notNull().defaultTo('egress'))
    .addUniqueConstraint('uniq_qos_minimum_packet_rate_rules0policy0direction', [policyId, 'direction'])
    .execute();
  await rules('qos_packet_rate_limit_rules')
    .addColumn('max_kpps', 'bigint', (c) => c.notNull())
    .addColumn('max_burst_kpps', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull().defaultTo('egress'))
    .addUniqueConstraint('uniq_qos_packet_rate_limit_rules0policy0direction', [policyId, 'direction'])
    .execute();

  const binding = (name: string, column: string, table: string) => db.schema.createTable(name)
    .addColumn(column, 'varchar(36)', (c) => c.primaryKey().references(`${table}.id`).onDelete('cascade'))
    .addColumn('policy_id', 'varchar(36)', (c) => c.notNull().references('qos_policies.id'));
  await binding('qos_network_policy_bindings', 'network_id', 'networks').execute();
  await binding('qos_port_policy_bindings', 'port_id', 'ports').execute();
  await binding('qos_fip_policy_bindings', 'fip_id', 'floatingips').execute();
  await binding('qos_router_gw_policy_bindings', 'router_id', 'routers').execute();
  for (const name of ['qos_network_policy_bindings', 'qos_port_policy_bindings', 'qos_fip_policy_bindings', 'qos_router_gw_policy_bindings']) {
    await db.schema.createIndex(`ix_${name}_policy_id`).on(name).column('policy_id').execute();
  }
}
