import { MysqlAdapter, sql, type Expression } from 'kysely';
import { ACCESS_EXTERNAL, ACCESS_SHARED, DEVICE_OWNER_ROUTER_GW } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  AddressScopeNotFound, DuplicateRbacPolicy, InvalidActionForType, InvalidInput, InvalidSharedSetting, NetworkNotFound, RbacPolicyInUse,
  RbacPolicyNotFound, SubnetPoolNotFound, type NeutronError,
} from '../../lib/errors.js';
import { pyRepr } from '../../lib/attributes.js';
import { forUpdate, onSqlite } from '../../db/database.js';
import { dynamic, type Queryable, type Tx } from '../../db/schema.js';
import type { EventRegistry } from '../../registry/events.js';
import type { RbacObjectTypeDef, RbacObjectTypes, RbacSharing } from '../../registry/rbac.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { ApiModel } from '../../api/model.js';
import { addressScopeSharing, networkSharing, subnetPoolSharing } from './sharing.js';

const WILDCARD = '*';

interface Entry { id?: string; object_type: string; object_id: string; action: string; target_tenant: string }

/** The registered type of a policy, or Neutron's convert_valid_object_type error. */
function typeOf(types: RbacObjectTypes, objectType: unknown): RbacObjectTypeDef {
  const type = typeof objectType === 'string' ? types.get(objectType) : undefined;
  if (!type) throw new InvalidInput({ error_message: `'${objectType ?? 'None'}' is not a valid RBAC object type` });
  return type;
}

const without = (project: string | null, projects: Set<string>) => {
  if (project !== null) projects.delete(project);
  return projects;
};

/** The projects a set of rows names, as a set. */
async function projectsOf(rows: Promise<Array<{ project_id: string | null }>>): Promise<Set<string>> {
  return new Set((await rows).map((r) => r.project_id).filter((p): p is string => p !== null));
}

/**
 * The object a policy is about, its row locked for the rest of the transaction: a policy change
 * and a use of the object by another project (a port on the network) take turns, so that the one
 * that comes second sees the other. On create and update the caller must see the object and, unless
 * admin, own it (Neutron's validate_rbac_policy_change: a 400, as its callback failure is).
 */
async function lockObject(tx: Tx, ctx: RequestContext, type: RbacObjectTypeDef, objectId: string, ownerOnly: boolean): Promise<{ projectId: string | null }> {
  const row = await forUpdate(tx, dynamic(tx).selectFrom(type.table).select(['id', 'project_id']).where('id', '=', objectId)).executeTakeFirst();
  const projectId = (row?.project_id ?? null) as string | null;
  if (!ownerOnly || ctx.isAdmin) {
    if (!row) throw notFoundInput(type, objectId);
    return { projectId };
  }
  const visible = row && (projectId === ctx.projectId || (await tx.selectFrom('rbac_entries').select('id')
    .where('object_type', '=', type.type).where('object_id', '=', objectId)
    .where('target_project', 'in', [WILDCARD, ctx.projectId ?? WILDCARD]).limit(1).executeTakeFirst()));
  if (!visible) throw notFoundInput(type, objectId);
  if (projectId !== ctx.projectId) {
    const what = type.type === 'network' ? 'networks' : 'objects';
    throw new InvalidInput({ error_message: `Only admins can manipulate policies on ${what} they do not own` });
  }
  return { projectId };
}

function notFoundInput(type: RbacObjectTypeDef, objectId: string) {
  const what = type.type === 'network' ? 'Network' : type.type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  return new InvalidInput({ error_message: `${what} ${objectId} could not be found` });
}

async function checkDuplicate(tx: Tx, entry: Entry): Promise<void> {
  let qb = tx.selectFrom('rbac_entries').select('id').where('object_type', '=', entry.object_type).where('object_id', '=', entry.object_id)
    .where('action', '=', entry.action).where('target_project', '=', entry.target_tenant);
  if (entry.id) qb = qb.where('id', '!=', entry.id);
  if (await qb.limit(1).executeTakeFirst()) throw new DuplicateRbacPolicy();
}

/**
 * Refuses to take `entry`'s access away from its target while that project (or, for `*`, any
 * project no other entry covers) uses the object (RbacNeutronDbObjectMixin._validate_rbac_policy_delete);
 * the object's owner needs no entry.
 */
async function checkRemoval(tx: Tx, type: RbacObjectTypeDef, entry: Entry, ownerId: string | null): Promise<void> {
  const target = entry.target_tenant;
  const refused = await type.removalRefused?.(tx, entry.object_id, target, entry.action);
  if (refused) throw new RbacPolicyInUse({ object_id: entry.object_id, details: refused });
  if (target === ownerId) return;
  let qb = tx.selectFrom('rbac_entries').select('target_project').where('object_type', '=', type.type)
    .where('object_id', '=', entry.object_id).where('action', '=', entry.action);
  if (entry.id) qb = qb.where('id', '!=', entry.id);
  const others = new Set((await qb.execute()).map((r) => r.target_project));
  if (others.has(WILDCARD)) return;
  const bound = await type.boundProjects(tx, entry.object_id, entry.action, ownerId);
  const losing = target === WILDCARD ? [...bound].filter((p) => !others.has(p)) : bound.has(target) ? [target] : [];
  if (losing.length) {
    throw new RbacPolicyInUse({ object_id: entry.object_id, details: type.inUseDetails?.(entry.object_id, target, entry.action) ?? `project_id=${target}` });
  }
}

/** What a change of entries does to its object: a new revision, and what the type derives from its entries. */
async function objectChanged(tx: Tx, type: RbacObjectTypeDef, objectId: string, action: string): Promise<void> {
  if (type.revisions !== false) await bumpRevision(tx, type.table, objectId);
  await type.changed?.(tx, objectId, action);
}

/** /v2.0/rbac-policies over rbac_entries, for the object types the plugins registered (Neutron's RbacPluginMixin). */
export function createRbacPolicyResource(store: Store, api: ApiModel, types: RbacObjectTypes): SqlResource {
  const entryOf = (item: Item): Entry => item as unknown as Entry;
  store.events.subscribe('rbac_policy', 'precommit_delete', async (tx, { current }) => {
    const entry = entryOf(current);
    const type = types.get(entry.object_type);
    if (type) await objectChanged(tx, type, entry.object_id, entry.action);
  });
  return new SqlResource(store, api.resources.get('rbac_policies')!, {
    // an entry of another project is as unknown as one that does not exist
    notFound: (id) => new RbacPolicyNotFound({ id, object_type: 'unknown' }),
    scope: (qb, ctx) => qb.where('rbac_entries.project_id', '=', ctx.projectId),
    async beforeCreate(tx, { context, current }) {
      const entry = entryOf(current);
      const type = typeOf(types, entry.object_type);
      await lockObject(tx, context, type, entry.object_id, true);
      if (!type.actions.includes(entry.action)) {
        throw new InvalidActionForType({ action: entry.action, object_type: type.type, valid_actions: `(${type.actions.map(pyRepr).join(', ')}${type.actions.length === 1 ? ',' : ''})` });
      }
      await checkDuplicate(tx, entry);
    },
    async afterCreate(tx, { current }) {
      const entry = entryOf(current);
      await objectChanged(tx, types.get(entry.object_type)!, entry.object_id, entry.action);
    },
    async beforeUpdate(tx, { context, original, changes }) {
      const entry = entryOf(original);
      if (!('target_tenant' in changes) || changes.target_tenant === entry.target_tenant) return;
      const type = typeOf(types, entry.object_type);
      const { projectId } = await lockObject(tx, context, type, entry.object_id, true);
      // widening to everyone takes nothing away from anyone
      if (changes.target_tenant !== WILDCARD) await checkRemoval(tx, type, entry, projectId);
      await checkDuplicate(tx, { ...entry, target_tenant: changes.target_tenant as string });
    },
    async afterUpdate(tx, { original, changes }) {
      const entry = entryOf(original);
      if ('target_tenant' in changes && changes.target_tenant !== entry.target_tenant) {
        await objectChanged(tx, types.get(entry.object_type)!, entry.object_id, entry.action);
      }
    },
    async beforeDelete(tx, { context, current }) {
      const entry = entryOf(current);
      const type = types.get(entry.object_type);
      if (!type) return;
      const { projectId } = await lockObject(tx, context, type, entry.object_id, false);
      await checkRemoval(tx, type, entry, projectId);
    },
  });
}

// ML2's shareable objects ----------------------------------------------------------------------

const distinctProjects = (q: Queryable, table: 'ports' | 'subnets' | 'subnetpools' | 'routers') => q.selectFrom(table).select(`${table}.project_id`).distinct();

/**
 * Networks (access_as_shared: ports of other projects; access_as_external: their routers'
 * gateways, and router:external follows the access_as_external entries), subnet pools (subnets
 * allocated from them), address scopes (subnet pools in them) and security groups (ports using
 * them), as Neutron's RBAC callbacks and get_bound_project_ids define their users.
 */
export function registerMl2RbacTypes(types: RbacObjectTypes, loaded: ReadonlySet<string>): void {
  types.register({
    type: 'network',
    table: 'networks',
    actions: loaded.has('external-net') ? [ACCESS_SHARED, ACCESS_EXTERNAL] : [ACCESS_SHARED],
    // ensure_no_tenant_ports_on_network and the external-network callback leave the network's owner out
    boundProjects: async (q, id, action, ownerId) => without(ownerId, await projectsOf(action === ACCESS_EXTERNAL
      ? distinctProjects(q, 'routers').where('routers.id', 'in', q.selectFrom('ports').select('device_id')
        .where('network_id', '=', id).where('device_owner', '=', DEVICE_OWNER_ROUTER_GW)).execute()
      : distinctProjects(q, 'ports').where('network_id', '=', id).execute())),
    // external_net_db's RBAC callback: the wildcard stays on the default external network (auto-allocated-topology)
    async removalRefused(q, id, target, action) {
      if (action !== ACCESS_EXTERNAL || target !== WILDCARD) return undefined;
      const row = await q.selectFrom('networks').select('is_default').where('id', '=', id).executeTakeFirst();
      return row && Number(row.is_default) ? 'Default external networks must be shared to everyone.' : undefined;
    },
    inUseDetails: (id, _target, action) => (action === ACCESS_EXTERNAL
      ? 'There are routers attached to this network that depend on this policy for access.'
      : new InvalidSharedSetting({ network: id }).message),
    async changed(tx, id, action) {
      if (action !== ACCESS_EXTERNAL) return;
      const external = await tx.selectFrom('rbac_entries').select('id').where('object_type', '=', 'network').where('object_id', '=', id)
        .where('action', '=', ACCESS_EXTERNAL).limit(1).executeTakeFirst();
      await tx.updateTable('networks').set({ router_external: external ? 1 : 0 }).where('id', '=', id).execute();
    },
  });
  types.register({
    type: 'subnetpool',
    table: 'subnetpools',
    actions: [ACCESS_SHARED],
    boundProjects: (q, id) => projectsOf(distinctProjects(q, 'subnets').where('subnetpool_id', '=', id).execute()),
  });
  if (loaded.has('address-scope')) {
    types.register({
      type: 'address_scope',
      table: 'address_scopes',
      actions: [ACCESS_SHARED],
      revisions: false,
      boundProjects: (q, id) => projectsOf(distinctProjects(q, 'subnetpools').where('address_scope_id', '=', id).execute()),
    });
  }
  if (loaded.has('security-group')) {
    types.register({
      type: 'security_group',
      table: 'security_groups',
      actions: [ACCESS_SHARED],
      boundProjects: (q, id) => projectsOf(distinctProjects(q, 'ports').where('id', 'in', q.selectFrom('port_security_group_bindings')
        .select('port_id').where('security_group_id', '=', id)).execute()),
    });
  }
}

/**
 * A shared lock (MariaDB: LOCK IN SHARE MODE): the uses of one object by other projects (ports on
 * a shared network) do not wait for each other, only for a policy change, which locks FOR UPDATE.
 */
function forShare<QB extends { forShare(): QB; modifyEnd(modifier: Expression<any>): QB }>(q: Queryable, qb: QB): QB {
  if (onSqlite(q)) return qb;
  return q.getExecutor().adapter instanceof MysqlAdapter ? qb.modifyEnd(sql`lock in share mode`) : qb.forShare();
}

/**
 * A write that makes `projectId` use another project's object (a port on its network, a subnet
 * from its pool, a pool in its scope, a router's gateway), inside the write's transaction: the
 * object's row is locked (shared) and its sharing read again, so that a policy deleted meanwhile
 * either waits for this write (and sees its result) or is seen gone here (the object's NotFound,
 * as for one never shared).
 */
async function lockShared(tx: Tx, ctx: RequestContext, sharing: RbacSharing, table: 'networks' | 'subnetpools' | 'address_scopes',
  objectId: unknown, projectId: unknown, notFound: (id: string) => NeutronError, actions: readonly string[] = [ACCESS_SHARED]): Promise<void> {
  if (ctx.isAdmin || ctx.isAdvsvc || typeof objectId !== 'string' || !objectId) return;
  const row = await forShare(tx, tx.selectFrom(table).select(['id', 'project_id']).where('id', '=', objectId)).executeTakeFirst();
  if (!row || row.project_id === projectId) return;
  const entry = await sharing.ids(tx, (projectId as string | null) ?? null, actions).where('object_id', '=', objectId).executeTakeFirst();
  if (!entry) throw notFound(objectId);
}

/** The subscribers that make the uses of shared objects take turns with the policy changes of those objects. */
export function lockSharedOnUse(events: EventRegistry): void {
  // a port on its own project's network needs no RBAC entry (a network's owner never changes)
  events.subscribe('port', 'before_create', (tx, { context, current: port, network }) => (network?.projectId === port.project_id ? undefined
    : lockShared(tx, context, networkSharing, 'networks', port.network_id, port.project_id, (id) => new NetworkNotFound({ net_id: id }))));
  events.subscribe('subnet', 'before_create', (tx, { context, current: subnet }) =>
    lockShared(tx, context, subnetPoolSharing, 'subnetpools', subnet.subnetpool_id, subnet.project_id, (id) => new SubnetPoolNotFound({ subnetpool_id: id })));
  for (const op of ['create', 'update'] as const) {
    // a router's gateway: the external network must still be the router project's to use
    events.subscribe('router', `before_${op}`, (tx, { context, current: router, changes }) => {
      if (changes && !('external_gateway_info' in changes)) return undefined;
      const info = (changes ?? router).external_gateway_info as Item | null | undefined;
      return lockShared(tx, context, networkSharing, 'networks', info && typeof info === 'object' ? info.network_id : undefined, router.project_id,
        (id) => new NetworkNotFound({ net_id: id }), [ACCESS_SHARED, ACCESS_EXTERNAL]);
    });
    events.subscribe('subnetpool', `before_${op}`, (tx, { context, current: pool, changes }) => (changes && !('address_scope_id' in changes) ? undefined
      : lockShared(tx, context, addressScopeSharing, 'address_scopes', changes?.address_scope_id ?? pool.address_scope_id, pool.project_id,
        (id) => new AddressScopeNotFound({ address_scope_id: id }))));
  }
}
