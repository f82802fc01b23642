import { randomUUID } from 'node:crypto';
import { UNSET } from '../../lib/attributes.js';
import { DEVICE_OWNER_NETWORK_PREFIX } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  PortSecurityAndIPRequiredForSecurityGroups, PortSecurityPortHasSecurityGroup, SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault, SecurityGroupConflict, SecurityGroupInUse, SecurityGroupNotFound, SecurityGroupRuleNotFound,
} from '../../lib/errors.js';
import { noteChange } from '../../db/changes.js';
import { inChunks } from '../../db/chunks.js';
import { forUpdate, timestamp, type Database } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { ListQuery } from '../../registry/handler.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { checkRules, prepareRules } from './security-group-rules.js';
import { securityGroupSharing } from './sharing.js';

export const DEFAULT_SG_DESCRIPTION = 'Default security group';

interface RuleSpec { direction: 'ingress' | 'egress'; ethertype: string; remote_group_id?: string | null }

/** Inserts rules made by the server (a new group's egress rules, the default group's rules). */
async function insertRules(tx: Tx, group: { id: string; project_id: string | null }, specs: RuleSpec[]): Promise<void> {
  const now = timestamp();
  const rules = specs.map((r) => ({
    id: randomUUID(), description: '', created_at: now, updated_at: now, revision_number: 0,
    project_id: group.project_id, security_group_id: group.id, remote_group_id: r.remote_group_id ?? null,
    direction: r.direction, ethertype: r.ethertype, protocol: null, port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, normalized_cidr: null,
  }));
  await tx.insertInto('security_group_rules').values(rules).execute();
  for (const r of rules) noteChange(tx, 'security_group_rules', r.id, 'created');
  await bumpRevision(tx, 'security_groups', group.id);
}

/** Neutron's quota_limit_check of security_group_rule for the rules a new group comes with */
export type RuleQuotaCheck = (tx: Tx, projectId: string, delta: number) => Promise<void>;

const egressRules = (): RuleSpec[] => ['IPv4', 'IPv6'].map((ethertype) => ({ direction: 'egress', ethertype }));

/**
 * The project's default group, created on first need with Neutron's four rules (ingress from the
 * group itself and egress to anywhere, per ethertype). Only the project itself or an admin causes
 * it to be created; the primary key of default_security_groups keeps it to one per project (a
 * concurrent creator's transaction runs again and finds it). Returns null when not allowed.
 */
const defaultGroupOf = prepared<{ projectId: string }>((q, p) => q.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', p.projectId));

export async function ensureDefaultSecurityGroup(tx: Tx, ctx: RequestContext, projectId: unknown, checkRuleQuota?: RuleQuotaCheck): Promise<string | null> {
  if (typeof projectId !== 'string' || !projectId || (projectId !== ctx.projectId && !ctx.isAdmin)) return null;
  const existing = await defaultGroupOf.first(tx, { projectId });
  if (existing) return existing.security_group_id as string;
  await checkRuleQuota?.(tx, projectId, 4);
  const id = randomUUID();
  const now = timestamp();
  await tx.insertInto('security_groups').values({
    id, project_id: projectId, name: 'default', description: DEFAULT_SG_DESCRIPTION, stateful: 1,
    created_at: now, updated_at: now, revision_number: 0,
  }).execute();
  await tx.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: id }).execute();
  noteChange(tx, 'security_groups', id, 'created');
  await insertRules(tx, { id, project_id: projectId }, [
    { direction: 'ingress', ethertype: 'IPv4', remote_group_id: id }, { direction: 'egress', ethertype: 'IPv4' },
    { direction: 'ingress', ethertype: 'IPv6', remote_group_id: id }, { direction: 'egress', ethertype: 'IPv6' },
  ]);
  return id;
}

/** Outside a transaction: a read first, so that the common case writes nothing. */
async function ensureDefault(db: Database, ctx: RequestContext, projectIds: Iterable<unknown>, checkRuleQuota?: RuleQuotaCheck): Promise<void> {
  for (const p of new Set(projectIds)) {
    if (typeof p !== 'string' || !p || (p !== ctx.projectId && !ctx.isAdmin)) continue;
    const known = await db.read((q) => defaultGroupOf.first(q, { projectId: p }));
    if (!known) await db.write((tx) => ensureDefaultSecurityGroup(tx, ctx, p, checkRuleQuota));
  }
}

/** The project a list is about: the project_id/tenant_id filter, else the caller's (as Neutron picks it). */
function listedProject(ctx: RequestContext, query: ListQuery): unknown {
  return (query.filters.get('project_id') ?? query.filters.get('tenant_id'))?.[0] ?? ctx.projectId;
}

async function boundPorts(q: Queryable, groupId: string): Promise<boolean> {
  const row = await q.selectFrom('port_security_group_bindings').select('port_id').where('security_group_id', '=', groupId).limit(1).executeTakeFirst();
  return !!row;
}

/**
 * /v2.0/security-groups and /v2.0/security-group-rules; the groups of ports (ML2's port-security
 * and security-group processing, as before_create and before_update subscribers of ports).
 */
export function createSecurityGroupResources(store: Store, api: ApiModel, checkRuleQuota?: RuleQuotaCheck): { security_groups: SqlResource; security_group_rules: SqlResource } {
  const { db } = store;
  const ruleDef = api.resources.get('security_group_rules')!;
  const ruleVisible = Object.entries(ruleDef.attributes).filter(([, a]) => a.isVisible).map(([n]) => n);

  store.events.subscribe('port', 'before_create', async (tx, { context, current: port }) => {
    port.security_groups = await portSecurityGroups(tx, context, port, port.security_groups ?? UNSET, undefined, checkRuleQuota);
  });
  store.events.subscribe('port', 'before_update', async (tx, { context, original, changes }) => {
    const port = { ...original, ...changes };
    // with port security off, the port's groups are checked on every update (PortSecurityPortHasSecurityGroup)
    if (!('security_groups' in changes) && port.port_security_enabled !== false) return;
    changes.security_groups = await portSecurityGroups(tx, context, port, changes.security_groups ?? UNSET, original.security_groups as string[]);
  });

  const rules: SqlResource = new SqlResource(store, ruleDef, {
    notFound: (id) => new SecurityGroupRuleNotFound({ id }),
    // a project sees its own rules and every rule of its own groups
    scope: (qb, ctx) => qb.where((eb) => eb.or([
      eb('security_group_rules.project_id', '=', ctx.projectId),
      eb('security_group_rules.security_group_id', 'in', eb.selectFrom('security_groups').select('id').where('project_id', '=', ctx.projectId)),
    ])),
    // for rule:sg_owner in the policy of rules (not shown: not an attribute)
    async policyTarget(q, _ctx, rule) {
      if ('security_group:tenant_id' in rule) return rule;
      const group = await q.selectFrom('security_groups').select('project_id').where('id', '=', rule.security_group_id as string).executeTakeFirst();
      return { ...rule, 'security_group:tenant_id': group?.project_id ?? null };
    },
    async extend(q, items) {
      const owners = new Map<string, unknown>();
      await inChunks([...new Set(items.map((r) => r.security_group_id as string))], async (chunk) => {
        for (const g of await q.selectFrom('security_groups').select(['id', 'project_id']).where('id', 'in', chunk).execute()) owners.set(g.id, g.project_id);
      });
      for (const r of items) r['security_group:tenant_id'] = owners.get(r.security_group_id as string) ?? null;
    },
    beforeList: (ctx, query) => ensureDefault(db, ctx, [listedProject(ctx, query)], checkRuleQuota),
    prepareCreate: (_ctx, items) => prepareRules(items),
    async beforeCreate(tx, { context, current: rule }) {
      await checkRules(tx, context, rule);
    },
    async beforeDelete(tx, { current: rule }) {
      await bumpRevision(tx, 'security_groups', rule.security_group_id as string);
    },
    unsupported: ['update'],
  });

  const groups = new SqlResource(store, api.resources.get('security_groups')!, {
    notFound: (id) => new SecurityGroupNotFound({ id }),
    scope: (qb, ctx) => securityGroupSharing.scope(qb, ctx.projectId),
    filters: { shared: (qb, values, ctx) => securityGroupSharing.sharedFilter(qb, values, ctx.projectId) },
    async extend(q, items, ctx) {
      await securityGroupSharing.loadShared(q, items, ctx.projectId);
      const byGroup = new Map<string, Item[]>(items.map((g) => [g.id as string, []]));
      await inChunks([...byGroup.keys()], async (chunk) => {
        const rows = await q.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', chunk).orderBy('created_at').orderBy('id').execute();
        for (const row of rows) {
          const r = rules.fromRow(row);
          byGroup.get(row.security_group_id)!.push(Object.fromEntries(ruleVisible.filter((n) => n in r).map((n) => [n, r[n]])));
        }
      });
      for (const g of items) g.security_group_rules = byGroup.get(g.id as string);
    },
    async beforeList(ctx, query) {
      if (ctx.projectId) await ensureDefault(db, ctx, [listedProject(ctx, query)], checkRuleQuota);
    },
    async prepareCreate(ctx, items) {
      await ensureDefault(db, ctx, items.map((g) => g.project_id), checkRuleQuota);
      return items;
    },
    async beforeCreate(tx, { current: group }) {
      if (typeof group.project_id === 'string') await checkRuleQuota?.(tx, group.project_id, egressRules().length);
    },
    async afterCreate(tx, { current: group }) {
      await insertRules(tx, group as { id: string; project_id: string | null }, egressRules());
    },
    async beforeUpdate(tx, { original: current, changes }) {
      if (current.name === 'default' && 'name' in changes) throw new SecurityGroupCannotUpdateDefault();
      if ('stateful' in changes && changes.stateful !== current.stateful && await boundPorts(tx, current.id as string)) {
        throw new SecurityGroupInUse({ id: current.id as string });
      }
    },
    async beforeDelete(tx, { context, current: group }) {
      if (await boundPorts(tx, group.id as string)) throw new SecurityGroupInUse({ id: group.id as string });
      if (group.name === 'default' && !context.isAdmin) throw new SecurityGroupCannotRemoveDefault();
      await securityGroupSharing.removeEntries(tx, group.id as string);
    },
  });

  return { security_groups: groups, security_group_rules: rules };
}

/**
 * A port's security groups (ML2's port-security and security-group processing), inside the port's
 * transaction. `requested` is what the request gave (UNSET: nothing); `current` the port's groups
 * on an update. Returns the groups to bind:
 * - with port security on, a new port that names none gets its project's default group (created
 *   if needed), except ports of network:* owners, which never get groups;
 * - with port security off, naming groups is refused, and so is keeping the groups it has;
 * - named groups must exist and be the port project's own or shared with it (an admin may use
 *   any), and be all stateful or all stateless. Their rows are locked, so that a group deleted
 *   meanwhile is either seen gone here or sees this port's binding.
 */
async function portSecurityGroups(tx: Tx, ctx: RequestContext, port: Item, requested: unknown, current?: string[], checkRuleQuota?: RuleQuotaCheck): Promise<string[]> {
  const projectId = port.project_id as string;
  const isCreate = current === undefined;
  // Neutron ensures the default group whenever a port is created, whatever its port security
  const defaultId = isCreate ? await ensureDefaultSecurityGroup(tx, ctx, projectId, checkRuleQuota) : null;
  const networkOwned = String(port.device_owner ?? '').startsWith(DEVICE_OWNER_NETWORK_PREFIX);
  if (port.port_security_enabled === false) {
    if (requested !== UNSET && (requested as string[]).length) throw new PortSecurityAndIPRequiredForSecurityGroups();
    if (requested === UNSET && current?.length) throw new PortSecurityPortHasSecurityGroup();
    return [];
  }
  if (requested === UNSET) return current ?? (networkOwned || !defaultId ? [] : [defaultId]);
  const ids = requested as string[];
  if (networkOwned || !ids.length) return [];
  const rows = await forUpdate(tx, tx.selectFrom('security_groups').select(['id', 'project_id', 'stateful']).where('id', 'in', ids)).execute();
  const shared = ctx.isAdmin || !projectId ? new Set<string>() : await securityGroupSharing.sharedWith(tx, ids, projectId);
  const usable = new Set(rows.filter((g) => ctx.isAdmin || !projectId || g.project_id === projectId || shared.has(g.id)).map((g) => g.id as string));
  const missing = ids.filter((id) => !usable.has(id));
  if (missing.length) throw new SecurityGroupNotFound({ id: missing.join(', ') });
  if (new Set(rows.map((g) => g.stateful === true || Number(g.stateful) === 1)).size > 1) {
    throw new SecurityGroupConflict({ reason: 'Cannot apply both stateful and stateless security groups on the same port at the same time' });
  }
  return ids;
}

/** The aliases ML2 serves when [securitygroup] enable_security_group is on. */
export const SECURITY_GROUP_ALIASES = ['security-group', 'stateful-security-group', 'security-groups-normalized-cidr', 'port-security-groups-filtering',
  'rbac-security-groups', 'security-groups-shared-filtering', 'address-group', 'rbac-address-group', 'security-groups-remote-address-group'];
