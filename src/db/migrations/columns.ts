import type { CreateTableBuilder } from 'kysely';

/** id plus Neutron's standard attributes, which every standard-attribute resource's table carries. */
export function standardColumns<T extends string>(t: CreateTableBuilder<T, never>): CreateTableBuilder<T, any> {
  return t
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(20)', (c) => c.notNull())
    .addColumn('revision_number', 'bigint', (c) => c.notNull().defaultTo(0));
}
