/**
 * A port's resource_request (port-resource-request-groups): the Placement resources and traits
 * that the minimum_bandwidth and minimum_packet_rate rules of its policy (its own, or its
 * network's) ask for, one request group per rule type, as QoSPlugin._extend_port_resource_request
 * builds it. The groups' ids are uuid5(port id, the rules' ids joined by ':').
 */
import { createHash } from 'node:crypto';
import type { Item } from '../../lib/definitions.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable } from '../../db/schema.js';
import type { EventRegistry } from '../../registry/events.js';

/** uuid.uuid5: SHA-1 of the namespace's bytes and the name's UTF-8, version 5, RFC 4122 variant. */
export function uuid5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** os_traits.normalize_name: CUSTOM_ and the name upper-cased, runs of other characters as '_'. */
const trait = (name: string) => `CUSTOM_${name.replace(/[^0-9A-Za-z]+/g, '_').toUpperCase()}`;

const BANDWIDTH_CLASSES: Record<string, string> = { ingress: 'NET_BW_IGR_KILOBIT_PER_SEC', egress: 'NET_BW_EGR_KILOBIT_PER_SEC' };
const PACKET_RATE_CLASSES: Record<string, string> = {
  ingress: 'NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC', egress: 'NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC', any: 'NET_PACKET_RATE_KILOPACKET_PER_SEC',
};

interface MinRule { id: string; amount: number; direction: string }

async function byColumn<T>(ids: string[], load: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  await inChunks([...new Set(ids)], async (chunk) => { out.push(...await load(chunk)); });
  return out;
}

function group(portId: string, rules: MinRule[], classes: Record<string, string>, required: string[]): Item | null {
  if (!rules.length || !required.length) return null;
  const resources: Record<string, number> = {};
  for (const r of rules) resources[classes[r.direction]!] = r.amount;
  return { id: uuid5(portId, rules.map((r) => r.id).join(':')), required, resources };
}

/** Fills resource_request on a batch of ports, set-based. */
export function extendResourceRequest(events: EventRegistry): void {
  events.extend('port', async (q: Queryable, ports, _ctx, wanted) => {
    if (wanted && !wanted.has('resource_request')) return;
    const ids = ports.map((p) => p.id as string);
    const own = new Map((await byColumn(ids, (c) => q.selectFrom('qos_port_policy_bindings').select(['port_id', 'policy_id']).where('port_id', 'in', c).execute()))
      .map((r) => [r.port_id, r.policy_id]));
    const rows = await byColumn(ids, (c) => q.selectFrom('ports').leftJoin('ml2_port_bindings', 'ml2_port_bindings.port_id', 'ports.id')
      .select(['ports.id', 'ports.network_id', 'ml2_port_bindings.vnic_type']).where('ports.id', 'in', c).execute());
    const networkIds = rows.map((r) => r.network_id);
    const viaNetwork = new Map((await byColumn(networkIds, (c) => q.selectFrom('qos_network_policy_bindings').select(['network_id', 'policy_id']).where('network_id', 'in', c).execute()))
      .map((r) => [r.network_id, r.policy_id]));
    const policyOf = new Map(rows.map((r) => [r.id, own.get(r.id) ?? viaNetwork.get(r.network_id) ?? null]));
    const policies = [...new Set([...policyOf.values()].filter((p): p is string => !!p))];
    const minBw = new Map<string, MinRule[]>();
    const minPps = new Map<string, MinRule[]>();
    // ordered by id: the order the rules' ids are joined in for the group's id
    for (const r of await byColumn(policies, (c) => q.selectFrom('qos_minimum_bandwidth_rules').selectAll().where('qos_policy_id', 'in', c).orderBy('id').execute())) {
      minBw.set(r.qos_policy_id, [...(minBw.get(r.qos_policy_id) ?? []), { id: r.id, amount: Number(r.min_kbps), direction: r.direction }]);
    }
    for (const r of await byColumn(policies, (c) => q.selectFrom('qos_minimum_packet_rate_rules').selectAll().where('qos_policy_id', 'in', c).orderBy('id').execute())) {
      minPps.set(r.qos_policy_id, [...(minPps.get(r.qos_policy_id) ?? []), { id: r.id, amount: Number(r.min_kpps), direction: r.direction }]);
    }
    const withBw = [...new Set(rows.filter((r) => minBw.has(policyOf.get(r.id)!)).map((r) => r.network_id))];
    const physnet = new Map<string, string | null>();
    for (const s of await byColumn(withBw, (c) => q.selectFrom('network_segments').select(['network_id', 'physical_network', 'segment_index'])
      .where('network_id', 'in', c).orderBy('segment_index').execute())) {
      if (!physnet.has(s.network_id)) physnet.set(s.network_id, s.physical_network);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const port of ports) {
      const row = byId.get(port.id as string);
      const policyId = row && policyOf.get(row.id);
      port.resource_request = null;
      if (!row || !policyId) continue;
      const vnic = trait(`VNIC_TYPE_${row.vnic_type ?? 'normal'}`);
      const net = physnet.get(row.network_id);
      const groups = [
        group(row.id, minBw.get(policyId) ?? [], BANDWIDTH_CLASSES, net ? [trait(`PHYSNET_${net}`), vnic] : []),
        group(row.id, minPps.get(policyId) ?? [], PACKET_RATE_CLASSES, [vnic]),
      ].filter((g): g is Item => !!g);
      if (groups.length) port.resource_request = { request_groups: groups, same_subtree: groups.map((g) => g.id) };
    }
  });
}
