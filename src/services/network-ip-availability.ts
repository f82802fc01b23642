import { cidrSize, parseIp, toCidr } from '../lib/address.js';
import type { Item } from '../lib/definitions.js';
import { NetworkNotFound } from '../lib/errors.js';
import { inChunks } from '../db/chunks.js';
import type { Database } from '../db/database.js';
import type { Queryable } from '../db/schema.js';
import { readOnlyHandler, type ResourceHandler } from '../registry/handler.js';
import type { Plugin, PluginContext } from '../plugins/plugin.js';

/** A count as JSON shows it: a number, or a BigInt past 2^53 (an IPv6 subnet's size). */
function count(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * total_ips and used_ips per network and subnet (neutron.db.network_ip_availability_db): totals
 * are the sizes of the allocation pools (the whole CIDR for a subnet without pools), used is
 * every allocation. Networks without subnets are listed, unless ip_version is filtered on.
 * A constant number of queries (in chunks) whatever the number of networks.
 */
export async function ipAvailabilities(q: Queryable, filters: Map<string, unknown[]>): Promise<Item[]> {
  let nets = q.selectFrom('networks').select(['id', 'name', 'project_id']);
  const projects = [...(filters.get('tenant_id') ?? []), ...(filters.get('project_id') ?? [])];
  if (filters.has('network_id')) nets = nets.where('id', 'in', filters.get('network_id') as string[]);
  if (filters.has('network_name')) nets = nets.where('name', 'in', filters.get('network_name') as string[]);
  if (projects.length) nets = nets.where('project_id', 'in', projects as string[]);
  const versions = filters.get('ip_version') as number[] | undefined;
  if (versions) nets = nets.where('id', 'in', (eb: any) => eb.selectFrom('subnets').select('network_id').where('ip_version', 'in', versions));
  const networks = await nets.orderBy('id').execute();
  const byNetwork = new Map<string, Item>();
  for (const n of networks) {
    byNetwork.set(n.id, {
      network_id: n.id, network_name: n.name, tenant_id: n.project_id, project_id: n.project_id,
      subnet_ip_availability: [], used_ips: 0n, total_ips: 0n,
    });
  }
  const subnets: any[] = [];
  await inChunks([...byNetwork.keys()], async (chunk) => {
    let qb = q.selectFrom('subnets').select(['id', 'name', 'network_id', 'cidr', 'ip_version']).where('network_id', 'in', chunk);
    if (versions) qb = qb.where('ip_version', 'in', versions);
    subnets.push(...await qb.orderBy('created_at').orderBy('id').execute());
  });
  const totals = new Map<string, bigint>();
  const used = new Map<string, bigint>();
  await inChunks(subnets.map((s) => s.id as string), async (chunk) => {
    for (const p of await q.selectFrom('subnet_allocation_pools').select(['subnet_id', 'first_ip', 'last_ip']).where('subnet_id', 'in', chunk).execute()) {
      totals.set(p.subnet_id, (totals.get(p.subnet_id) ?? 0n) + parseIp(p.last_ip)!.value - parseIp(p.first_ip)!.value + 1n);
    }
    const counts = await q.selectFrom('ipallocations').select(['subnet_id', (eb: any) => eb.fn.countAll().as('n')])
      .where('subnet_id', 'in', chunk).groupBy('subnet_id').execute();
    for (const c of counts) used.set(c.subnet_id, BigInt(c.n as unknown as number));
  });
  for (const s of subnets) {
    const net = byNetwork.get(s.network_id)!;
    const total = totals.get(s.id) ?? cidrSize(toCidr(s.cidr));
    const inUse = used.get(s.id) ?? 0n;
    (net.subnet_ip_availability as Item[]).push({
      subnet_id: s.id, ip_version: Number(s.ip_version), cidr: s.cidr, subnet_name: s.name, used_ips: count(inUse), total_ips: count(total),
    });
    net.total_ips = (net.total_ips as bigint) + total;
    net.used_ips = (net.used_ips as bigint) + inUse;
  }
  for (const net of byNetwork.values()) {
    net.total_ips = count(net.total_ips as bigint);
    net.used_ips = count(net.used_ips as bigint);
  }
  return [...byNetwork.values()];
}

export function createIpAvailabilityResource(db: Database): ResourceHandler {
  return readOnlyHandler({
    list: (_ctx, query) => db.read((q) => ipAvailabilities(q, query.filters)),
    get: async (_ctx, id) => {
      const [found] = await db.read((q) => ipAvailabilities(q, new Map([['network_id', [id]]])));
      if (!found) throw new NetworkNotFound({ net_id: id });
      return found;
    },
  });
}

/** The network_ip_availability service plugin, which Neutron loads by default. */
export class NetworkIpAvailabilityPlugin implements Plugin {
  readonly name = 'network_ip_availability';
  readonly supportedExtensionAliases = ['network-ip-availability'];
  async start({ db }: PluginContext): Promise<Record<string, ResourceHandler>> {
    return { network_ip_availabilities: createIpAvailabilityResource(db) };
  }
}
