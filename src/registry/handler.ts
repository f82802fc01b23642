/**
 * The contracts between the generic API controller and whoever serves a resource: what a list
 * request asks, and the handler of each collection (SqlResource for tables, or a plain object).
 */
import type { RequestContext } from '../lib/context.js';
import type { Item } from '../lib/definitions.js';
import { HTTPMethodNotAllowed, HTTPNotFound } from '../lib/errors.js';
import type { Tx } from '../db/schema.js';

export type SortDir = 'asc' | 'desc';

/** A list request, parsed and checked against the resource's attribute map. */
export interface ListQuery {
  /** requested fields, or null for all */
  fields: string[] | null;
  /** attribute → converted values (repeated keys OR together) */
  filters: Map<string, unknown[]>;
  sorts: Array<[string, SortDir]>;
  /** null = no limit */
  limit: number | null;
  marker: string | null;
  pageReverse: boolean;
}

/** A ListQuery with only filters (attribute → values ORed), for reads the server makes itself. */
export function filterQuery(filters: Record<string, unknown[]> = {}): ListQuery {
  return { fields: null, filters: new Map(Object.entries(filters)), sorts: [], limit: null, marker: null, pageReverse: false };
}

/** What the controller hands a create. */
export interface CreateOpts {
  /** the policy check of each item, given its policy target; before the transaction */
  authorize?(target: Item): void | Promise<void>;
  /**
   * The quota check, first thing in the create's transaction; it returns what to run once the
   * items are inserted, before the commit.
   */
  checkQuota?(tx: Tx, items: Item[]): Promise<(() => Promise<void>) | undefined>;
}

/** What the controller hands an update, a delete or a member action. */
export interface WriteOpts {
  /** If-Match: revision_number=N */
  ifMatch?: number | null;
  /** the policy check of the stored object, given its policy target (with `changes` applied), inside the transaction */
  authorize?(target: Item, changes?: Item): void | Promise<void>;
  /** a sub-resource's parent id from the URL: an object of another parent is not found */
  parentId?: string;
}

/** What a plugin provides for each resource it serves (SqlResource implements it). */
export interface ResourceHandler {
  list(ctx: RequestContext, q: ListQuery): Promise<Item[]>;
  /** the same unpaginated list handed over in batches (see SqlResource.listBatches) */
  listBatches?(ctx: RequestContext, q: ListQuery): AsyncIterable<Item[]>;
  /** `parentId`: a sub-resource's parent from the URL (an object of another parent is not found) */
  get(ctx: RequestContext, id: string, parentId?: string): Promise<Item>;
  /** must call opts.authorize for each item, and opts.checkQuota first thing in its transaction */
  create(ctx: RequestContext, items: Item[], opts?: CreateOpts): Promise<Item[]>;
  update(ctx: RequestContext, id: string, changes: Item, opts: WriteOpts): Promise<Item>;
  delete(ctx: RequestContext, id: string, opts: WriteOpts): Promise<void>;
  /** the tags sub-resource (standard-attr-tag) */
  tags?: TagHandler;
  /** member actions, e.g. `add_router_interface`: PUT /v2.0/<collection>/<id>/<action> */
  actions?: Record<string, MemberAction>;
}

/**
 * A member action: it loads the object as the caller sees it (404 when it cannot), calls
 * `opts.authorize` with it, and answers the action's own body.
 */
export type MemberAction = (ctx: RequestContext, id: string, body: Item | undefined, opts: WriteOpts) => Promise<unknown>;

/** /v2.0/<collection>/<id>/tags[/<tag>]; every method first checks that the caller sees the object. */
export interface TagHandler {
  list(ctx: RequestContext, id: string): Promise<string[]>;
  has(ctx: RequestContext, id: string, tag: string): Promise<boolean>;
  replace(ctx: RequestContext, id: string, tags: string[]): Promise<void>;
  add(ctx: RequestContext, id: string, tag: string): Promise<void>;
  /** false when the object has no such tag */
  remove(ctx: RequestContext, id: string, tag: string): Promise<boolean>;
  clear(ctx: RequestContext, id: string): Promise<void>;
}


/** A collection that is not a table of its own (availability zones, IP availability): it can be listed and shown only (405 otherwise). */
export function readOnlyHandler(read: Pick<ResourceHandler, 'list'> & Partial<Pick<ResourceHandler, 'get'>>): ResourceHandler {
  const refuse = async (): Promise<never> => { throw new HTTPMethodNotAllowed(); };
  return {
    list: read.list,
    get: read.get ?? (async () => { throw new HTTPNotFound(); }),
    create: refuse, update: refuse, delete: refuse,
  };
}
