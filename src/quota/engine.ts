import { sql } from 'kysely';
import type { Item } from '../lib/definitions.js';
import { OverQuota, TenantQuotaNotFound } from '../lib/errors.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/database.js';
import { prepared, type PreparedQuery } from '../db/prepared.js';
import { dynamic, type Queryable, type Tx } from '../db/schema.js';
import type { ApiModel } from '../api/model.js';

/** The resources Neutron counts, in the order its quota API lists them, with their collections. */
const COUNTED: Array<[name: string, collection: string]> = [
  ['network', 'networks'], ['subnet', 'subnets'], ['subnetpool', 'subnetpools'], ['port', 'ports'],
  ['router', 'routers'], ['floatingip', 'floatingips'],
  ['security_group', 'security_groups'], ['security_group_rule', 'security_group_rules'],
  ['rbac_policy', 'rbac_policies'], ['trunk', 'trunks'],
];

const projectLimits = prepared<{ projectId: string }>((q, p) => q.selectFrom('quotas').select(['resource', 'limit']).where('project_id', '=', p.projectId));

export interface QuotaResource {
  name: string;
  /** the table whose rows of a project are its usage */
  table: string;
  /** [quotas] quota_<name>, else [quotas] default_quota; -1 is unlimited */
  default: number;
}

export type Limits = Record<string, number>;
export interface Usage { limit: number; used: number; reserved: number }

/**
 * The quota engine: limits per project (overrides in `quotas`, else the [quotas] defaults), usage
 * counted from the resources' own tables, and enforcement inside the create transaction.
 *
 * Why a lock row and no reservations: Neutron checks quota in one transaction and creates in
 * another, so it must record reservations in between. Here the check runs in the create's own
 * transaction: at its start (the usage as committed, for Neutron's order of errors) and, on
 * PostgreSQL and MariaDB, again at its end after writing the (project, resource) row of
 * `quota_locks`: concurrent creates of the same resource in one project wait for each other there
 * (a row lock — a write, so a Galera cluster certifies it too), and each one counts, at READ
 * COMMITTED, its own rows and those the previous ones committed. On SQLite one writer at a time
 * is let in, so the first count is exact. A limit can never be overshot, there is nothing to
 * expire, and `reserved` is always 0.
 */
export class QuotaEngine {
  readonly resources: Map<string, QuotaResource>;
  /** by resource: its limit for a project and, unless unlimited, the project's usage (see usage) */
  private readonly usageQueries = new Map<string, PreparedQuery<{ projectId: string }>>();
  private readonly countQueries = new Map<string, PreparedQuery<{ projectId: string }>>();

  constructor(private readonly db: Database, config: Config, api: ApiModel) {
    const q = config.quotas as Record<string, unknown>;
    this.resources = new Map();
    for (const [name, collection] of COUNTED) {
      const def = api.resources.get(collection);
      if (!def) continue;
      const option = q[`quota_${name}`];
      this.resources.set(name, { name, table: def.table, default: typeof option === 'number' ? option : config.quotas.default_quota });
    }
  }

  defaults(): Limits {
    return Object.fromEntries([...this.resources.values()].map((r) => [r.name, r.default]));
  }

  async limits(q: Queryable, projectId: string): Promise<Limits> {
    const limits = this.defaults();
    const rows = await projectLimits.rows(q, { projectId });
    for (const r of rows) if (r.resource in limits) limits[r.resource] = Number(r.limit);
    return limits;
  }

  get(projectId: string): Promise<Limits> {
    return this.db.read((q) => this.limits(q, projectId));
  }

  /** Projects that have overrides, each with all its limits (GET /v2.0/quotas). */
  all(): Promise<Array<Record<string, unknown>>> {
    return this.db.read(async (q) => {
      const rows = await q.selectFrom('quotas').select(['project_id', 'resource', 'limit']).orderBy('project_id').execute();
      const byProject = new Map<string, Record<string, unknown>>();
      for (const r of rows) {
        let entry = byProject.get(r.project_id);
        if (!entry) byProject.set(r.project_id, entry = { ...this.defaults(), project_id: r.project_id, tenant_id: r.project_id });
        if (this.resources.has(r.resource)) entry[r.resource] = Number(r.limit);
      }
      return [...byProject.values()];
    });
  }

  async count(q: Queryable, projectId: string, resource: string): Promise<number> {
    let query = this.countQueries.get(resource);
    if (!query) {
      const r = this.resources.get(resource)!;
      query = prepared((qb, p) => dynamic(qb).selectFrom(r.table).select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', p.projectId));
      this.countQueries.set(resource, query);
    }
    return Number((await query.first(q, { projectId }))!.n);
  }

  details(projectId: string): Promise<Record<string, Usage>> {
    return this.db.read(async (q) => {
      const limits = await this.limits(q, projectId);
      const out: Record<string, Usage> = {};
      for (const name of this.resources.keys()) {
        out[name] = { limit: limits[name]!, used: await this.count(q, projectId, name), reserved: 0 };
      }
      return out;
    });
  }

  /** Sets limits; with checkLimit a limit below the current usage is refused (reported by `tooLow`). */
  update(projectId: string, limits: Limits, checkLimit: boolean, tooLow: (resource: string, limit: number, used: number) => Error): Promise<Limits> {
    return this.db.write(async (tx) => {
      for (const [resource, limit] of Object.entries(limits)) {
        if (checkLimit && limit >= 0) {
          const used = await this.count(tx, projectId, resource);
          if (used > limit) throw tooLow(resource, limit, used);
        }
        const r = await tx.updateTable('quotas').set({ limit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) await tx.insertInto('quotas').values({ project_id: projectId, resource, limit }).execute();
      }
      return this.limits(tx, projectId);
    });
  }

  /** Back to the defaults; TenantQuotaNotFound when the project had no overrides. */
  reset(projectId: string): Promise<void> {
    return this.db.write(async (tx) => {
      const r = await tx.deleteFrom('quotas').where('project_id', '=', projectId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new TenantQuotaNotFound({ tenant_id: projectId });
    });
  }

  /**
   * Inside the create transaction, before anything is inserted: OverQuota unless each project's
   * usage plus the items it creates stays within its limit, as Neutron checks before creating.
   * Returns what must run once the items are inserted, just before the commit: on PostgreSQL and
   * MariaDB, the same check again under the lock (see the class comment), so that the lock is held
   * for a moment instead of the whole create.
   */
  async enforce(tx: Tx, resource: string, items: Item[]): Promise<(() => Promise<void>) | undefined> {
    if (!this.resources.has(resource)) return undefined;
    const wanted = new Map<string, number>();
    for (const item of items) {
      const project = item.project_id;
      if (typeof project === 'string' && project) wanted.set(project, (wanted.get(project) ?? 0) + 1);
    }
    const limited: Array<[project: string, limit: number]> = [];
    // a fixed order, so that two bulk requests for the same projects cannot deadlock on the locks
    for (const project of [...wanted.keys()].sort()) {
      const { limit, used } = await this.usage(tx, project, resource);
      if (limit < 0) continue;
      if (used + wanted.get(project)! > limit) throw new OverQuota({ overs: [resource] });
      limited.push([project, limit]);
    }
    // SQLite lets one writer in at a time: what it counted is what there is
    if (!limited.length || this.db.dialect === 'sqlite') return undefined;
    return async () => {
      for (const [project, limit] of limited) {
        await this.lock(tx, project, resource);
        // the items are inserted by now: they are counted too
        if ((await this.count(tx, project, resource)) > limit) throw new OverQuota({ overs: [resource] });
      }
    };
  }

  /**
   * quota_limit_check: OverQuota unless the project's usage plus `delta` stays within its limit,
   * for objects the server adds along with another (a new security group's rules).
   */
  async limitCheck(tx: Tx, projectId: string, resource: string, delta: number): Promise<void> {
    if (!this.resources.has(resource)) return;
    const limit = (await this.limits(tx, projectId))[resource]!;
    if (limit >= 0 && (await this.count(tx, projectId, resource)) + delta > limit) throw new OverQuota({ overs: [resource] });
  }

  /** limits() and count() of one resource in one statement; the usage is not counted (0) when unlimited. */
  private async usage(q: Queryable, projectId: string, resource: string): Promise<{ limit: number; used: number }> {
    const r = this.resources.get(resource)!;
    let query = this.usageQueries.get(resource);
    if (!query) {
      query = prepared((qb, p) => dynamic(qb).selectNoFrom((eb) => {
        const limit = eb.selectFrom('quotas').select('limit').where('project_id', '=', p.projectId).where('resource', '=', resource);
        const used = eb.selectFrom(r.table).select(eb.fn.countAll().as('n')).where('project_id', '=', p.projectId);
        return [limit.as('limit'), sql<number>`case when coalesce(${limit}, ${r.default}) < 0 then 0 else ${used} end`.as('used')];
      }));
      this.usageQueries.set(resource, query);
    }
    const row = (await query.first(q, { projectId }))!;
    return { limit: row.limit === null ? r.default : Number(row.limit), used: Number(row.used) };
  }

  private async lock(tx: Tx, projectId: string, resource: string): Promise<void> {
    const r = await tx.updateTable('quota_locks').set({ generation: sql`generation + 1` })
      .where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
    // two first creates may both insert: the duplicate key makes one transaction run again
    if (Number(r.numUpdatedRows) === 0) await tx.insertInto('quota_locks').values({ project_id: projectId, resource, generation: 1 }).execute();
  }
}
