import type { Kysely, SelectQueryBuilder, Transaction } from 'kysely';

/** Queries run either on the pool or inside a transaction; both are Kysely instances. */
export type Queryable = Kysely<any>;
export type Tx = Transaction<any>;
/** A SELECT being built, as the store's scope and filter hooks refine it. */
export type Select = SelectQueryBuilder<any, any, any>;
