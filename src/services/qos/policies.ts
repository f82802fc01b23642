import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { ACCESS_SHARED } from '../../lib/constants.js';
import { QoSPolicyDefaultAlreadyExists, QosPolicyInUse, QosPolicyNotFound, RbacPolicyInUse } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import { dynamic, type Queryable, type Select, type Tx } from '../../db/schema.js';
import { SqlResource, type Store } from '../../registry/resource.js';
import type { ApiModel } from '../../api/model.js';
import { qosPolicySharing } from '../../plugins/ml2/sharing.js';
import type { RbacObjectTypes } from '../../registry/rbac.js';
import { loadRules } from './rules.js';

/** What a policy may be bound to, in the order Neutron looks for a binding before a delete (QosPolicy.binding_models). */
const BINDINGS = [
  { objectType: 'port', table: 'qos_port_policy_bindings', column: 'port_id' },
  { objectType: 'network', table: 'qos_network_policy_bindings', column: 'network_id' },
  { objectType: 'fip', table: 'qos_fip_policy_bindings', column: 'fip_id' },
  { objectType: 'router', table: 'qos_router_gw_policy_bindings', column: 'router_id' },
] as const;

/** The policies of `ids` that the caller sees (its own, shared with it, or all for an admin). */
export async function visiblePolicy(q: Queryable, ctx: RequestContext, id: string): Promise<boolean> {
  let qb = q.selectFrom('qos_policies').select('qos_policies.id').where('qos_policies.id', '=', id);
  if (!ctx.isAdmin) qb = qosPolicySharing.scope(qb, ctx.projectId);
  return !!(await qb.executeTakeFirst());
}

/** The default policy of a project (qos-default), if it has one. */
export async function defaultPolicyOf(q: Queryable, projectId: string): Promise<string | null> {
  const row = await q.selectFrom('qos_policies_default').select('qos_policy_id').where('project_id', '=', projectId).executeTakeFirst();
  return row?.qos_policy_id ?? null;
}

/** QosPolicy.get_bound_project_ids: the projects of the networks, ports, floating IPs and routers bound to the policy. */
async function boundProjects(tx: Queryable, policyId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const b of BINDINGS) {
    const table = ({ port: 'ports', network: 'networks', fip: 'floatingips', router: 'routers' } as const)[b.objectType];
    const rows = await dynamic(tx).selectFrom(table).select('project_id')
      .where('id', 'in', dynamic(tx).selectFrom(b.table).select(b.column).where('policy_id', '=', policyId)).execute();
    for (const r of rows) if (r.project_id) out.add(r.project_id as string);
  }
  return out;
}

/**
 * rbac_db's _validate_rbac_policy_delete for a QoS policy's access_as_shared entry of
 * `targetProject`: the wildcard one goes only when every project using the policy (the owner
 * included) keeps an entry of its own; a project's own only when no object of that project uses
 * the policy, or a wildcard entry stays: shared=False on a policy (/v2.0/rbac-policies does the same
 * for every type, src/plugins/ml2/rbac-policies.ts).
 */
async function validateQosRbacEntryDelete(tx: Tx, policyId: string, targetProject: string): Promise<void> {
  const entries = await tx.selectFrom('rbac_entries').select('target_project').where('object_type', '=', 'qos_policy')
    .where('object_id', '=', policyId).where('action', '=', ACCESS_SHARED).execute();
  const targets = new Set(entries.map((e) => e.target_project));
  const bound = await boundProjects(tx, policyId);
  const inUse = targetProject === '*' ? [...bound].some((p) => !targets.has(p)) : !targets.has('*') && bound.has(targetProject);
  if (inUse) throw new RbacPolicyInUse({ object_id: policyId, details: `project_id=${targetProject}` });
}

/** qos_policy in /v2.0/rbac-policies: access_as_shared, used by the projects of its bindings. */
export function registerQosRbacType(types: RbacObjectTypes): void {
  types.register({ type: 'qos_policy', table: 'qos_policies', actions: [ACCESS_SHARED], boundProjects: (q, id) => boundProjects(q, id) });
}

/** shared=False: the wildcard entry goes, if nothing depends on it. */
async function unshare(tx: Tx, policyId: string): Promise<void> {
  await validateQosRbacEntryDelete(tx, policyId, '*');
  await qosPolicySharing.unshare(tx, policyId);
}

async function setDefault(tx: Tx, policy: Item): Promise<void> {
  const projectId = policy.project_id as string;
  const current = await defaultPolicyOf(tx, projectId);
  if (current === policy.id) return;
  if (current) throw new QoSPolicyDefaultAlreadyExists({ project_id: projectId });
  await tx.insertInto('qos_policies_default').values({ project_id: projectId, qos_policy_id: policy.id as string }).execute();
}

function isDefaultFilter(qb: Select, values: unknown[]): Select {
  const want = values.map(Boolean);
  if (want.includes(true) && want.includes(false)) return qb;
  return qb.where((eb) => eb('qos_policies.id', want[0] ? 'in' : 'not in', eb.selectFrom('qos_policies_default').select('qos_policy_id')));
}

/** /v2.0/qos/policies: shared through RBAC entries (object type qos_policy), one default per project. */
export function createQosPolicyResource(store: Store, api: ApiModel): SqlResource {
  return new SqlResource(store, api.resources.get('policies')!, {
    notFound: (id) => new QosPolicyNotFound({ policy_id: id }),
    scope: (qb, ctx) => qosPolicySharing.scope(qb, ctx.projectId),
    filters: {
      shared: (qb, values, ctx) => qosPolicySharing.sharedFilter(qb, values, ctx.projectId),
      is_default: isDefaultFilter,
    },
    async extend(q, policies, ctx, wanted) {
      if (!wanted || wanted.has('shared')) await qosPolicySharing.loadShared(q, policies, ctx.projectId);
      if (!wanted || wanted.has('is_default')) {
        const defaults = new Set<string>();
        await inChunks(policies.map((p) => p.id as string), async (chunk) => {
          for (const r of await q.selectFrom('qos_policies_default').select('qos_policy_id').where('qos_policy_id', 'in', chunk).execute()) defaults.add(r.qos_policy_id);
        });
        for (const p of policies) p.is_default = defaults.has(p.id as string);
      }
      if (!wanted || wanted.has('rules')) {
        const rules = await loadRules(q, policies.map((p) => p.id as string));
        for (const p of policies) p.rules = rules.get(p.id as string) ?? [];
      }
    },
    async afterCreate(tx, { current: policy }) {
      if (policy.shared === true) await qosPolicySharing.share(tx, policy);
      if (policy.is_default === true) await setDefault(tx, policy);
    },
    async beforeUpdate(tx, { original: current, changes }) {
      if ('shared' in changes && changes.shared !== current.shared) {
        if (changes.shared) await qosPolicySharing.share(tx, current);
        else await unshare(tx, current.id as string);
      }
      if ('is_default' in changes && changes.is_default !== current.is_default) {
        if (changes.is_default) await setDefault(tx, current);
        else await tx.deleteFrom('qos_policies_default').where('qos_policy_id', '=', current.id as string).execute();
      }
      delete changes.shared;
      delete changes.is_default;
    },
    async beforeDelete(tx, { current: policy }) {
      for (const b of BINDINGS) {
        const row = await dynamic(tx).selectFrom(b.table).select(b.column).where('policy_id', '=', policy.id as string).limit(1).executeTakeFirst();
        if (row) throw new QosPolicyInUse({ policy_id: policy.id as string, object_type: b.objectType, object_id: row[b.column] as string });
      }
      await qosPolicySharing.removeEntries(tx, policy.id as string);
    },
  });
}
