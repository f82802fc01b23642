import type { RequestContext } from '../lib/context.js';
import { TagResourceNotFound } from '../lib/errors.js';
import type { Database } from '../db/database.js';
import type { Queryable, Select } from '../db/schema.js';
import type { TagHandler } from './handler.js';
import { bumpRevision } from './revisions.js';

/** `tags=a,b&tags=c` → ['a', 'b', 'c'] (Neutron splits every value on commas). */
function tagList(values: unknown[]): string[] {
  return [...new Set(values.flatMap((v) => String(v).split(',')))];
}

/**
 * The tags, tags-any, not-tags and not-tags-any filters: all of, any of, not all of, none of.
 * Each is an `id [not] in (subquery)`, so an object matching several tags is listed once.
 */
export function tagFilters(table: string, resourceType: string): Record<string, (qb: Select, values: unknown[]) => Select> {
  const tagged = (eb: any, tags: string[]) => eb.selectFrom('tags').select('resource_id')
    .where('resource_type', '=', resourceType).where('tag', 'in', tags);
  const taggedWithAll = (eb: any, tags: string[]) => tagged(eb, tags)
    .groupBy('resource_id').having((h: any) => h.fn.count('tag'), '=', tags.length);
  return {
    tags: (qb, v) => qb.where((eb) => eb(`${table}.id`, 'in', taggedWithAll(eb, tagList(v)))),
    'tags-any': (qb, v) => qb.where((eb) => eb(`${table}.id`, 'in', tagged(eb, tagList(v)))),
    'not-tags': (qb, v) => qb.where((eb) => eb(`${table}.id`, 'not in', taggedWithAll(eb, tagList(v)))),
    'not-tags-any': (qb, v) => qb.where((eb) => eb(`${table}.id`, 'not in', tagged(eb, tagList(v)))),
  };
}

/** What the tags sub-resource needs from the tagged resource. */
export interface TaggedResource {
  readonly db: Database;
  readonly table: string;
  /** `tags.resource_type`: the resource's member name */
  readonly resourceType: string;
  /** names the resource in TagResourceNotFound, as Neutron does */
  readonly collection: string;
  /** whether the caller can see the object (the same scoping as a GET) */
  exists(q: Queryable, id: string, ctx: RequestContext): Promise<boolean>;
}

/**
 * /v2.0/<collection>/<id>/tags for a SQL resource. Every change is one transaction that bumps the
 * parent's revision_number once; the tags table's primary key makes concurrent additions safe.
 */
export class SqlTags implements TagHandler {
  constructor(private readonly res: TaggedResource) {}

  private async visible(q: Queryable, ctx: RequestContext, id: string): Promise<void> {
    if (!(await this.res.exists(q, id, ctx))) throw new TagResourceNotFound({ resource: this.res.collection, resource_id: id });
  }

  private current(q: Queryable, id: string): Promise<string[]> {
    return q.selectFrom('tags').select('tag').where('resource_type', '=', this.res.resourceType)
      .where('resource_id', '=', id).orderBy('tag').execute().then((rows) => rows.map((r) => r.tag as string));
  }

  list(ctx: RequestContext, id: string): Promise<string[]> {
    return this.res.db.read(async (q) => {
      await this.visible(q, ctx, id);
      return this.current(q, id);
    });
  }

  async has(ctx: RequestContext, id: string, tag: string): Promise<boolean> {
    return (await this.list(ctx, id)).includes(tag);
  }

  replace(ctx: RequestContext, id: string, tags: string[]): Promise<void> {
    return this.res.db.write(async (tx) => {
      await this.visible(tx, ctx, id);
      const old = new Set(await this.current(tx, id));
      const wanted = new Set(tags);
      const removed = [...old].filter((t) => !wanted.has(t));
      const added = [...wanted].filter((t) => !old.has(t));
      if (!removed.length && !added.length) return;
      if (removed.length) await this.deleteTags(tx, id, removed);
      if (added.length) {
        await tx.insertInto('tags').values(added.map((tag) => ({ resource_type: this.res.resourceType, resource_id: id, tag }))).execute();
      }
      await bumpRevision(tx, this.res.table, id);
    });
  }

  add(ctx: RequestContext, id: string, tag: string): Promise<void> {
    return this.res.db.write(async (tx) => {
      await this.visible(tx, ctx, id);
      if ((await this.current(tx, id)).includes(tag)) return;
      await tx.insertInto('tags').values({ resource_type: this.res.resourceType, resource_id: id, tag }).execute();
      await bumpRevision(tx, this.res.table, id);
    });
  }

  /** false when the object has no such tag */
  remove(ctx: RequestContext, id: string, tag: string): Promise<boolean> {
    return this.res.db.write(async (tx) => {
      await this.visible(tx, ctx, id);
      const n = await this.deleteTags(tx, id, [tag]);
      if (n) await bumpRevision(tx, this.res.table, id);
      return n > 0;
    });
  }

  clear(ctx: RequestContext, id: string): Promise<void> {
    return this.res.db.write(async (tx) => {
      await this.visible(tx, ctx, id);
      const current = await this.current(tx, id);
      if (!current.length) return;
      await this.deleteTags(tx, id, current);
      await bumpRevision(tx, this.res.table, id);
    });
  }

  private async deleteTags(q: Queryable, id: string, tags: string[]): Promise<number> {
    const r = await q.deleteFrom('tags').where('resource_type', '=', this.res.resourceType)
      .where('resource_id', '=', id).where('tag', 'in', tags).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
