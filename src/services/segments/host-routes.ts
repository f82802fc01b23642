/**
 * segments-peer-subnet-host-routes (Neutron's SegmentHostRoutes): each subnet of a routed network
 * gets a host route, through its own gateway, to every subnet of the other segments of the same
 * IP version, unless a route the user gave covers it; the routes follow subnets made, changed and
 * deleted.
 */
import { cidrContainsCidr, parseCidr, toCidr } from '../../lib/address.js';
import { adminContext } from '../../lib/context.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { EventRegistry } from '../../registry/events.js';
import type { SqlResource } from '../../registry/resource.js';

interface Route { destination: string; nexthop: string }

interface Peer { id: string; cidr: string; ipVersion: number; segmentId: string | null }

async function networkSubnets(q: Queryable, networkId: string): Promise<Peer[]> {
  const rows = await q.selectFrom('subnets').select(['id', 'cidr', 'ip_version', 'segment_id']).where('network_id', '=', networkId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, cidr: r.cidr, ipVersion: Number(r.ip_version), segmentId: r.segment_id }));
}

const same = (a: Route, b: Route) => a.destination === b.destination && a.nexthop === b.nexthop;
const key = (r: Route) => `${r.destination} ${r.nexthop}`;

/** _calculate_routed_network_host_routes */
function calculate(peers: Peer[], subnet: { id?: string; ipVersion: number; segmentId: string | null; gateway: string | null },
  given: Route[], opts: { oldGateway?: string | null; deletedCidr?: string } = {}): Route[] {
  let routes = [...given];
  const destinations = () => routes.map((r) => parseCidr(r.destination)).filter((c) => c !== null);
  if (opts.deletedCidr && subnet.gateway) routes = routes.filter((r) => !same(r, { destination: opts.deletedCidr!, nexthop: subnet.gateway! }));
  for (const peer of peers) {
    if (peer.id === subnet.id || peer.segmentId === subnet.segmentId || peer.ipVersion !== subnet.ipVersion) continue;
    if (opts.oldGateway) routes = routes.filter((r) => !same(r, { destination: peer.cidr, nexthop: opts.oldGateway! }));
    const net = toCidr(peer.cidr);
    if (subnet.gateway && !destinations().some((d) => cidrContainsCidr(d, net))) routes.push({ destination: peer.cidr, nexthop: subnet.gateway });
  }
  return routes;
}

function differ(a: Route[], b: Route[]): boolean {
  const x = new Set(a.map(key));
  const y = new Set(b.map(key));
  return x.size !== y.size || [...x].some((k) => !y.has(k));
}

const routesOf = (v: unknown): Route[] => (Array.isArray(v) ? v as Route[] : []);

/** Subscribes the routes' upkeep to the subnets' writes. */
export function peerSubnetHostRoutes(events: EventRegistry, subnets: SqlResource): void {
  /** _update_routed_network_host_routes: the other subnets' routes, changed through the subnet store in this transaction */
  async function updatePeers(tx: Tx, networkId: string, deletedCidr?: string): Promise<void> {
    const ctx = adminContext();
    const peers = await networkSubnets(tx, networkId);
    for (const peer of peers) {
      const subnet = await subnets.load(tx, peer.id, ctx);
      const current = routesOf(subnet.host_routes);
      const routes = calculate(peers, { id: peer.id, ipVersion: peer.ipVersion, segmentId: peer.segmentId, gateway: subnet.gateway_ip as string | null }, current, { deletedCidr });
      if (differ(current, routes)) await subnets.modify(tx, ctx, subnet, { host_routes: routes });
    }
  }

  events.subscribe('subnet', 'before_create', async (tx, { current: s }) => {
    const segmentId = s.segment_id as string | null;
    if (!segmentId || typeof s.gateway_ip !== 'string') return;
    const given = routesOf(s.host_routes);
    const routes = calculate(await networkSubnets(tx, s.network_id as string), { ipVersion: Number(s.ip_version), segmentId, gateway: s.gateway_ip }, given);
    if (!given.length || differ(given, routes)) s.host_routes = routes;
  });

  events.subscribe('subnet', 'precommit_create', async (tx, { current: s }) => {
    if (!s.segment_id) return;
    const count = await tx.selectFrom('subnets').select((eb) => eb.fn.countAll().as('n')).where('network_id', '=', s.network_id as string).executeTakeFirst();
    if (Number(count?.n ?? 0) > 1) await updatePeers(tx, s.network_id as string);
  });

  events.subscribe('subnet', 'before_update', async (tx, { original, changes }) => {
    const segmentId = ('segment_id' in changes ? changes.segment_id : original.segment_id) as string | null;
    const gateway = ('gateway_ip' in changes ? changes.gateway_ip : original.gateway_ip) as string | null;
    const given = routesOf('host_routes' in changes ? changes.host_routes : original.host_routes);
    const routesChanged = 'host_routes' in changes && differ(given, routesOf(original.host_routes));
    if (!segmentId || (!routesChanged && gateway === original.gateway_ip)) return;
    const routes = calculate(await networkSubnets(tx, original.network_id as string),
      { id: original.id as string, ipVersion: Number(original.ip_version), segmentId, gateway },
      given, { oldGateway: gateway !== original.gateway_ip ? original.gateway_ip as string | null : null });
    if (differ(given, routes)) changes.host_routes = routes;
  });

  events.subscribe('subnet', 'precommit_delete', async (tx, { current: s, nested }) => {
    if (nested || !s.segment_id) return;
    await updatePeers(tx, s.network_id as string, s.cidr as string);
  });
}

