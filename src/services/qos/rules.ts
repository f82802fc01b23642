import { DEVICE_OWNER_COMPUTE_PREFIX } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { HTTPNotFound, NotImplementedErr, QoSRuleParameterConflict, QoSRulesConflict, QosPolicyNotFound, QosRuleNotFound } from '../../lib/errors.js';
import { fromDb } from '../../registry/children.js';
import { inChunks } from '../../db/chunks.js';
import { dynamic, type Queryable, type Select, type Tx } from '../../db/schema.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { bumpRevision } from '../../registry/revisions.js';
import { SqlResource, type ResourceStrategy, type Store } from '../../registry/resource.js';
import type { ApiModel } from '../../api/model.js';
import { qosPolicySharing } from '../../plugins/ml2/sharing.js';

/** What a rule change checks: that the policy still applies where it is bound (QosPolicyValidator). */
interface QosPolicyValidator {
  forBoundObjects(tx: Tx, policyId: string): Promise<void>;
}

/** qos_consts.VALID_RULE_TYPES, in Neutron's order (a policy's `rules` list follows it). */
export const RULE_TYPES = ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** Each rule type's parameters, as its table holds them. */
const PARAMETERS: Record<RuleType, readonly string[]> = {
  bandwidth_limit: ['max_kbps', 'max_burst_kbps', 'direction'],
  dscp_marking: ['dscp_mark'],
  minimum_bandwidth: ['min_kbps', 'direction'],
  packet_rate_limit: ['max_kpps', 'max_burst_kpps', 'direction'],
  minimum_packet_rate: ['min_kpps', 'direction'],
};
/** rule types that ask Placement for resources: a policy with them cannot change under a VM's port */
const PLACEMENT_RULES: readonly RuleType[] = ['minimum_bandwidth', 'minimum_packet_rate'];
const NUMBERS = new Set(['max_kbps', 'max_burst_kbps', 'dscp_mark', 'min_kbps', 'max_kpps', 'max_burst_kpps', 'min_kpps']);

const tableOf = (type: RuleType) => `qos_${type}_rules`;

/** A rule as a policy's `rules` list shows it (QosRule.to_dict): its columns and its type. */
function ruleView(type: RuleType, row: Record<string, unknown>): Item {
  const rule: Item = { id: row.id, qos_policy_id: row.qos_policy_id };
  for (const p of PARAMETERS[type]) rule[p] = NUMBERS.has(p) ? fromDb('int', row[p]) : row[p];
  rule.type = type;
  return rule;
}

/** The rules of a batch of policies, by policy id: one query per rule type and chunk. */
export async function loadRules(q: Queryable, policyIds: string[]): Promise<Map<string, Item[]>> {
  const out = new Map<string, Item[]>();
  for (const type of RULE_TYPES) {
    await inChunks(policyIds, async (chunk) => {
      const rows = await dynamic(q).selectFrom(tableOf(type)).selectAll().where('qos_policy_id', 'in', chunk).orderBy('id').execute();
      for (const row of rows) {
        const id = row.qos_policy_id as string;
        out.set(id, [...(out.get(id) ?? []), ruleView(type, row)]);
      }
    });
  }
  return out;
}

/** Rules are visible where their policy is. */
function scope(qb: Select, ctx: RequestContext, table: string): Select {
  return qb.where((eb) => eb(`${table}.qos_policy_id`, 'in', qosPolicySharing.scope(
    (eb as unknown as Queryable).selectFrom('qos_policies').select('qos_policies.id'), ctx.projectId)));
}

/**
 * Neutron's qos_policy_validator: a bandwidth limit below a minimum of the same policy (and the
 * other way round), 'any' next to a directed minimum packet rate, two rules of one type and direction.
 * `data` is what the request gives, `rule` the rule as it will be.
 */
async function checkConflicts(tx: Tx, type: RuleType, policyId: string, data: Item, rule: Item): Promise<void> {
  const rules = (await loadRules(tx, [policyId])).get(policyId) ?? [];
  for (const other of rules) {
    if (other.type === 'minimum_bandwidth' && 'max_kbps' in data && (other.min_kbps as number) > (data.max_kbps as number)) {
      throw new QoSRuleParameterConflict({ rule_value: data.max_kbps, policy_id: policyId, existing_rule: 'minimum_bandwidth', existing_value: other.min_kbps });
    }
    if (other.type === 'bandwidth_limit' && 'min_kbps' in data && (other.max_kbps as number) < (data.min_kbps as number)) {
      throw new QoSRuleParameterConflict({ rule_value: data.min_kbps, policy_id: policyId, existing_rule: 'bandwidth_limit', existing_value: other.max_kbps });
    }
  }
  if (type === 'minimum_packet_rate') {
    for (const other of rules) {
      if (other.type !== type || other.id === rule.id) continue;
      const mixed = (rule.direction === 'any') !== (other.direction === 'any');
      if (mixed) throw new QoSRuleParameterConflict({ rule_value: rule.direction, policy_id: policyId, existing_rule: type, existing_value: other.direction });
    }
  }
  for (const other of rules) {
    if (other.type !== type || other.id === rule.id) continue;
    if (!PARAMETERS[type].includes('direction') || other.direction === rule.direction) {
      throw new QoSRulesConflict({ new_rule_type: type, rule_id: other.id as string, policy_id: policyId });
    }
  }
}

/**
 * reject_rule_update_for_bound_port: a minimum rule (a Placement allocation) may not change on a
 * policy that a VM's port uses, directly or through its network.
 */
async function rejectForBoundPort(tx: Tx, type: RuleType, policyId: string): Promise<void> {
  if (!PLACEMENT_RULES.includes(type)) return;
  const own = tx.selectFrom('qos_port_policy_bindings').select('port_id').where('policy_id', '=', policyId);
  const viaNetwork = tx.selectFrom('ports').select('ports.id')
    .where('network_id', 'in', tx.selectFrom('qos_network_policy_bindings').select('network_id').where('policy_id', '=', policyId))
    .where('ports.id', 'not in', tx.selectFrom('qos_port_policy_bindings').select('port_id'));
  const port = await tx.selectFrom('ports').select('id')
    .where((eb) => eb.or([eb('id', 'in', own), eb('id', 'in', viaNetwork)]))
    .where('device_owner', 'like', `${DEVICE_OWNER_COMPUTE_PREFIX}%`).limit(1).executeTakeFirst();
  if (port) throw new NotImplementedErr('Cannot update QoS policies/rules backed by resources tracked in Placement');
}

function ruleStrategy(type: RuleType, table: string, validator: QosPolicyValidator): ResourceStrategy {
  return {
    notFound: (id, parentId) => new QosRuleNotFound({ rule_id: id, policy_id: parentId ?? '' }),
    scope: (qb, ctx) => scope(qb, ctx, table),
    // the policy rules of a QoS rule read the project of its QoS policy
    async policyTarget(q, _ctx, rule) {
      const policy = await q.selectFrom('qos_policies').select('project_id').where('id', '=', rule.qos_policy_id as string).executeTakeFirst();
      return { ...rule, project_id: policy?.project_id ?? null, tenant_id: policy?.project_id ?? null };
    },
    async beforeCreate(tx, { current: rule }) {
      await checkConflicts(tx, type, rule.qos_policy_id as string, rule, rule);
    },
    // with the rule written, as create_policy_rule: the ports using the policy, then Placement
    async afterCreate(tx, { current: rule }) {
      const policyId = rule.qos_policy_id as string;
      await validator.forBoundObjects(tx, policyId);
      await rejectForBoundPort(tx, type, policyId);
      await bumpRevision(tx, 'qos_policies', policyId);
    },
    async beforeUpdate(tx, { original, changes, current }) {
      await checkConflicts(tx, type, original.qos_policy_id as string, changes, current);
    },
    async afterUpdate(tx, { original }) {
      const policyId = original.qos_policy_id as string;
      await validator.forBoundObjects(tx, policyId);
      await rejectForBoundPort(tx, type, policyId);
      await bumpRevision(tx, 'qos_policies', policyId);
    },
    async beforeDelete(tx, { current: rule }) {
      const policyId = rule.qos_policy_id as string;
      await rejectForBoundPort(tx, type, policyId);
      await bumpRevision(tx, 'qos_policies', policyId);
    },
  };
}

/** The rules of each loaded rule type, under their policy and (qos-rules-alias) on their own. */
export function createQosRuleResources(store: Store, api: ApiModel, validator: QosPolicyValidator): Record<string, ResourceHandler> {
  const out: Record<string, ResourceHandler> = {};
  for (const type of RULE_TYPES) {
    const def = api.resources.get(`${type}_rules`);
    if (def) out[def.collection] = new SqlResource(store, def, ruleStrategy(type, def.table, validator));
    const alias = api.resources.get(`alias_${type}_rules`);
    if (alias) {
      const rules = new SqlResource(store, alias, { ...ruleStrategy(type, alias.table, validator), unsupported: ['create'] });
      // QoSPlugin._get_policy_id finds any rule; its policy may then be one the caller cannot see
      const policyNotFound = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (e) {
          if (!(e instanceof QosRuleNotFound)) throw e;
          const row = await store.db.read((q) => dynamic(q).selectFrom(alias.table).select('qos_policy_id').where('id', '=', id).executeTakeFirst());
          throw row ? new QosPolicyNotFound({ policy_id: row.qos_policy_id as string }) : e;
        }
      };
      // the alias API reaches one rule: there is no list
      out[alias.collection] = {
        list: async () => { throw new HTTPNotFound(); },
        get: (ctx, id) => policyNotFound(id, () => rules.get(ctx, id)),
        create: (ctx, items, opts) => rules.create(ctx, items, opts),
        update: (ctx, id, changes, opts) => policyNotFound(id, () => rules.update(ctx, id, changes, opts)),
        delete: (ctx, id, opts) => policyNotFound(id, () => rules.delete(ctx, id, opts)),
      };
    }
  }
  return out;
}
