/**
 * Routed networks (Neutron's Subnet.find_candidate_subnets with segments): on a network whose
 * subnets are bound to segments, a port gets addresses only from the subnets of the segment its
 * host reaches. A host reaches the segments on the physical networks its agents map
 * (bridge_mappings, interface_mappings, device_mappings: Neutron's segment-host mapping). A port
 * without a host waits for one (deferred allocation).
 */
import { isValidIpForSubnet, parseIp } from '../../lib/address.js';
import type { Item } from '../../lib/definitions.js';
import {
  FixedIpsSubnetsNotOnSameSegment, HostConnectedToMultipleSegments, HostNotConnectedToAnySegment, IpAddressGenerationFailureNoMatchingSubnet,
} from '../../lib/errors.js';
import type { Queryable } from '../../db/schema.js';
import type { SubnetInfo } from './subnets.js';

/** neutron.ipam.exceptions.DeferIpam: the port's addresses wait for its host. */
export class DeferIpam extends Error {}

const MAPPINGS = ['bridge_mappings', 'interface_mappings', 'device_mappings'];

/** The segments among `segmentIds` that an agent on `host` reaches through its physical network mappings. */
export async function hostSegments(q: Queryable, host: string, segmentIds: string[]): Promise<Set<string>> {
  if (!segmentIds.length) return new Set();
  const physnets = new Set<string>();
  for (const a of await q.selectFrom('agents').select('configurations').where('host', '=', host).execute()) {
    const conf = (typeof a.configurations === 'string' ? JSON.parse(a.configurations || '{}') : a.configurations ?? {}) as Record<string, unknown>;
    for (const key of MAPPINGS) {
      const m = conf[key];
      if (m && typeof m === 'object') for (const name of Object.keys(m)) physnets.add(name);
    }
  }
  if (!physnets.size) return new Set();
  const rows = await q.selectFrom('network_segments').select('id').where('id', 'in', segmentIds).where('physical_network', 'in', [...physnets]).execute();
  return new Set(rows.map((r) => r.id));
}

/** _query_filter_by_fixed_ips_segment: the subnets of the one segment the requested addresses are on. */
function bySegmentOfFixedIps(all: SubnetInfo[], fixedIps: Item[]): SubnetInfo[] {
  const segments: Array<string | null> = [];
  for (const fixed of fixedIps) {
    let subnet: SubnetInfo | undefined;
    if ('subnet_id' in fixed) subnet = all.find((s) => s.id === fixed.subnet_id);
    else if ('ip_address' in fixed) {
      const ip = parseIp(fixed.ip_address);
      subnet = ip ? all.find((s) => isValidIpForSubnet(s.cidr, ip, true)) : undefined;
    }
    // an unknown subnet or address: every subnet, and the allocation tells what is wrong
    if (!subnet) return all;
    if (!segments.includes(subnet.segmentId)) segments.push(subnet.segmentId);
    if (segments.length > 1) throw new FixedIpsSubnetsNotOnSameSegment();
  }
  const segment = segments[0] ?? null;
  return all.filter((s) => s.segmentId === segment);
}

/**
 * _ipam_get_subnets: the subnets a port of `host` (or none: '') may get addresses from, in the
 * order to try them; `eligible` keeps those whose service types admit the port. On a routed
 * network with no host known, DeferIpam.
 */
export async function subnetsForHost(
  q: Queryable, all: SubnetInfo[], networkId: string, owner: string, host: string, fixedIps: Item[] | null,
  eligible: (subnets: SubnetInfo[]) => SubnetInfo[],
): Promise<SubnetInfo[]> {
  const routed = all.some((s) => s.segmentId);
  let candidates = all;
  if (routed && !host) {
    candidates = fixedIps ? bySegmentOfFixedIps(all, fixedIps) : all.filter((s) => !s.segmentId);
  } else if (routed) {
    const reachable = await hostSegments(q, host, [...new Set(all.map((s) => s.segmentId).filter((id): id is string => !!id))]);
    candidates = all.filter((s) => !s.segmentId || reachable.has(s.segmentId));
    if (new Set(candidates.map((s) => s.segmentId).filter(Boolean)).size > 1) throw new HostConnectedToMultipleSegments({ host, network_id: networkId });
  }
  const found = eligible(candidates);
  if (found.length) return found;
  // network_has_no_subnet: why there is none
  if (host && routed) throw new HostNotConnectedToAnySegment({ host, network_id: networkId });
  if (!all.length) return [];
  if (eligible(all).length) throw new DeferIpam();
  throw new IpAddressGenerationFailureNoMatchingSubnet({ network_id: networkId, service_type: owner });
}
