import { UNSET } from '../../lib/attributes.js';
import type { RequestContext } from '../../lib/context.js';
import { PolicyRemoveAuthorizationError, QosPolicyNotFound } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Tx } from '../../db/schema.js';
import type { EventRegistry } from '../../registry/events.js';
import { defaultPolicyOf, visiblePolicy } from './policies.js';
import type { QosPolicyValidator } from './validation.js';

const given = (v: unknown): v is string => typeof v === 'string';

/** get_policy_obj: a policy the caller cannot see does not exist. */
async function checkVisible(tx: Tx, ctx: RequestContext, policyId: string): Promise<void> {
  if (!await visiblePolicy(tx, ctx, policyId)) throw new QosPolicyNotFound({ policy_id: policyId });
}

/** _check_policy_change_permission: only a policy the caller sees may be taken off an object. */
async function checkRemovable(tx: Tx, ctx: RequestContext, oldPolicyId: unknown): Promise<void> {
  if (given(oldPolicyId) && !await visiblePolicy(tx, ctx, oldPolicyId)) throw new PolicyRemoveAuthorizationError({ policy_id: oldPolicyId });
}

/**
 * ML2's `qos` extension driver with the QoS core-resource extension: qos_policy_id of networks
 * and ports (stored in their binding tables by the store), checked against what the caller
 * sees and what the drivers can apply; a network created without one gets its project's
 * default policy; a port shows its network's policy as qos_network_policy_id.
 */
export function subscribeQosBindings(events: EventRegistry, validator: QosPolicyValidator): void {
  events.subscribe('network', 'before_create', async (tx, { context, current: network }) => {
    if (!given(network.qos_policy_id)) {
      network.qos_policy_id = await defaultPolicyOf(tx, network.project_id as string);
      if (!network.qos_policy_id) return;
    }
    await checkVisible(tx, context, network.qos_policy_id as string);
  });
  events.subscribe('network', 'precommit_create', async (tx, { current: network }) => {
    if (given(network.qos_policy_id)) await validator.forNetwork(tx, network.qos_policy_id, network.id as string);
  });
  events.subscribe('network', 'before_update', async (tx, { context, original, changes }) => {
    if (!('qos_policy_id' in changes) || changes.qos_policy_id === UNSET) return;
    await checkRemovable(tx, context, original.qos_policy_id);
    if (given(changes.qos_policy_id)) {
      await checkVisible(tx, context, changes.qos_policy_id);
      if (changes.qos_policy_id !== original.qos_policy_id) await validator.forNetworkUpdate(tx, changes.qos_policy_id, original.id as string);
    }
  });

  events.subscribe('port', 'before_create', async (tx, { context, current: port }) => {
    if (given(port.qos_policy_id)) await checkVisible(tx, context, port.qos_policy_id);
  });
  events.subscribe('port', 'precommit_create', async (tx, { current: port }) => {
    const policyId = given(port.qos_policy_id) ? port.qos_policy_id : await networkPolicyOf(tx, port.network_id as string);
    if (policyId) await validator.forPort(tx, policyId, port);
  });
  events.subscribe('port', 'before_update', async (tx, { context, original, changes, current }) => {
    if (!('qos_policy_id' in changes) || changes.qos_policy_id === UNSET) return;
    await checkRemovable(tx, context, original.qos_policy_id);
    if (given(changes.qos_policy_id)) {
      await checkVisible(tx, context, changes.qos_policy_id);
      await validator.forPort(tx, changes.qos_policy_id, current);
    }
  });

  // qos-fip: a floating IP's own policy
  events.subscribe('floatingip', 'before_create', async (tx, { context, current: fip }) => {
    if (given(fip.qos_policy_id)) await checkVisible(tx, context, fip.qos_policy_id);
  });
  events.subscribe('floatingip', 'before_update', async (tx, { context, original, changes }) => {
    if (!('qos_policy_id' in changes) || changes.qos_policy_id === UNSET) return;
    await checkRemovable(tx, context, original.qos_policy_id);
    if (given(changes.qos_policy_id)) await checkVisible(tx, context, changes.qos_policy_id);
  });

  events.extend('port', async (q, ports, _ctx, wanted) => {
    if (wanted && !wanted.has('qos_network_policy_id')) return;
    const byNetwork = new Map<string, string>();
    await inChunks([...new Set(ports.map((p) => p.network_id as string))], async (chunk) => {
      for (const r of await q.selectFrom('qos_network_policy_bindings').select(['network_id', 'policy_id']).where('network_id', 'in', chunk).execute()) {
        byNetwork.set(r.network_id, r.policy_id);
      }
    });
    for (const p of ports) p.qos_network_policy_id = byNetwork.get(p.network_id as string) ?? null;
  });
}

async function networkPolicyOf(tx: Tx, networkId: string): Promise<string | null> {
  const row = await tx.selectFrom('qos_network_policy_bindings').select('policy_id').where('network_id', '=', networkId).executeTakeFirst();
  return row?.policy_id ?? null;
}

