import type { Kysely } from 'kysely';

/** Address groups, their addresses, and security group rules that refer to one (remote_address_group_id). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('address_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)')
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    // Neutron's LONG_DESCRIPTION_FIELD_SIZE
    .addColumn('description', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('revision_number', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('ix_address_groups_project_id').on('address_groups').column('project_id').execute();

  await db.schema.createTable('address_associations')
    .addColumn('address_group_id', 'varchar(36)', (c) => c.notNull().references('address_groups.id').onDelete('cascade'))
    // a normalised CIDR (network address/prefix length)
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_address_associations', ['address_group_id', 'address'])
    .execute();

  // no foreign key: SQLite cannot add one to an existing table; a group in use cannot be deleted
  await db.schema.alterTable('security_group_rules').addColumn('remote_address_group_id', 'varchar(36)').execute();
  await db.schema.createIndex('ix_security_group_rules_remote_ag').on('security_group_rules').column('remote_address_group_id').execute();
}
