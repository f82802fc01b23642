/**
 * The L3 agents' RPC (Neutron's L3RpcCallback, version 1.12, topic q-l3-plugin): which routers an
 * agent hosts, the routers with everything an agent needs to build them (get_sync_data), floating
 * IP statuses. DVR and HA specifics (agent gateway ports, HA interfaces) are not implemented.
 */
import type { Logger } from 'pino';
import { toCidr } from '../../lib/address.js';
import { DEVICE_OWNER_HA_REPLICATED_INT, DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_ROUTER_INTF } from '../../lib/constants.js';
import { adminContext, type RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { noteChange } from '../../db/changes.js';
import { inChunks } from '../../db/chunks.js';
import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/schema.js';
import { filterQuery } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import type { Endpoint } from '../../rpc/server.js';
import { isAlive } from '../../plugins/ml2/agents.js';
import { selectFields } from '../../plugins/ml2/rpc/dhcp.js';
import { autoScheduleRouters, routersOnHost, type L3SchedulerOptions } from './l3-agent-scheduler.js';

export const L3_PLUGIN_TOPIC = 'q-l3-plugin';

/** the interfaces get_sync_data sends (l3_db's _get_sync_interfaces) */
const INTERFACE_OWNERS = [DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_HA_REPLICATED_INT];

export interface L3SyncResources {
  routers: SqlResource;
  floatingips: SqlResource;
  ports: SqlResource;
  networks: SqlResource;
}

export interface L3RpcOptions extends L3SchedulerOptions {
  /** [DEFAULT] router_auto_schedule */
  autoSchedule: boolean;
  /** the service plugin types to report (get_service_plugin_list) */
  servicePlugins: string[];
}

/** _populate_mtu_and_subnets_for_ports: each port's subnets (and its network's others), prefix lengths, MTU. */
async function populatePorts(q: Queryable, ports: Item[]): Promise<void> {
  const networkIds = [...new Set(ports.filter((p) => (p.fixed_ips as unknown[]).length).map((p) => p.network_id as string))];
  const subnets = new Map<string, Item[]>();
  const mtus = new Map<string, number>();
  await inChunks(networkIds, async (chunk) => {
    const rows = await q.selectFrom('subnets').selectAll().where('network_id', 'in', chunk).orderBy('created_at').execute();
    const dns = new Map<string, string[]>();
    if (rows.length) {
      const servers = await q.selectFrom('subnet_dns_nameservers').selectAll().where('subnet_id', 'in', rows.map((r) => r.id)).orderBy('order').execute();
      for (const s of servers) dns.set(s.subnet_id, [...(dns.get(s.subnet_id) ?? []), s.address]);
    }
    for (const r of rows) {
      subnets.set(r.network_id, [...(subnets.get(r.network_id) ?? []), {
        id: r.id, cidr: r.cidr, gateway_ip: r.gateway_ip, dns_nameservers: dns.get(r.id) ?? [],
        ipv6_ra_mode: r.ipv6_ra_mode, subnetpool_id: r.subnetpool_id, address_scope_id: null,
      }]);
    }
    for (const n of await q.selectFrom('networks').select(['id', 'mtu']).where('id', 'in', chunk).execute()) mtus.set(n.id, Number(n.mtu));
  });
  for (const port of ports) {
    const fixedIps = port.fixed_ips as Item[];
    if (!fixedIps.length) continue;
    port.subnets = [];
    port.extra_subnets = [];
    const scopes: Record<string, null> = { 4: null, 6: null };
    for (const s of subnets.get(port.network_id as string) ?? []) {
      const { address_scope_id: _scope, ...info } = s;
      const fixed = fixedIps.find((f) => f.subnet_id === s.id);
      if (fixed) {
        (port.subnets as Item[]).push(info);
        fixed.prefixlen = toCidr(s.cidr as string).prefixlen;
      } else {
        (port.extra_subnets as Item[]).push(info);
      }
    }
    port.address_scopes = scopes;
    port.mtu = mtus.get(port.network_id as string) ?? 0;
  }
}

/** get_sync_data: routers with gw_port, _interfaces and _floatingips, as an L3 agent builds them. */
export async function routerSyncData(db: Database, res: L3SyncResources, routerIds: string[]): Promise<Item[]> {
  if (!routerIds.length) return [];
  const admin = adminContext();
  const routers = await res.routers.list(admin, filterQuery({ id: routerIds, admin_state_up: [true] }));
  if (!routers.length) return [];
  const ids = routers.map((r) => r.id as string);
  const portRows = await db.read(async (q) => {
    const out: Array<{ id: string; device_id: string; device_owner: string }> = [];
    await inChunks(ids, async (chunk) => {
      out.push(...await q.selectFrom('ports').select(['id', 'device_id', 'device_owner']).where('device_id', 'in', chunk)
        .where('device_owner', 'in', [DEVICE_OWNER_ROUTER_GW, ...INTERFACE_OWNERS]).orderBy('created_at').execute());
    });
    return out;
  });
  const ports = portRows.length ? await res.ports.list(admin, filterQuery({ id: portRows.map((p) => p.id) })) : [];
  await db.read((q) => populatePorts(q, ports));
  const fips = await res.floatingips.list(admin, filterQuery({ router_id: ids }));
  for (const r of routers) {
    const gw = ports.find((p) => p.device_id === r.id && p.device_owner === DEVICE_OWNER_ROUTER_GW);
    r.gw_port_id = gw?.id ?? null;
    if (gw) {
      r.gw_port = gw;
      r.enable_snat = (r.external_gateway_info as Item | null)?.enable_snat ?? true;
    }
    r._interfaces = ports.filter((p) => p.device_id === r.id && INTERFACE_OWNERS.includes(p.device_owner as string));
    r._floatingips = fips.filter((f) => f.router_id === r.id).map((f) => ({ ...f, fixed_ip_address_scope: null }));
  }
  return routers;
}

export class L3RpcCallback implements Endpoint {
  readonly target = { version: '1.12' };

  constructor(
    private readonly db: Database,
    private readonly res: L3SyncResources,
    private readonly opts: L3RpcOptions,
    private readonly bindHost: (routers: Item[], host: string) => Promise<boolean>,
    private readonly log: Pick<Logger, 'debug' | 'warn'>,
  ) {}

  /** Auto-schedules unhosted routers to the agent of `host` (router_auto_schedule), then lists its routers. */
  async get_router_ids(_ctx: RequestContext, kw: Record<string, any>): Promise<string[]> {
    if (this.opts.autoSchedule) await autoScheduleRouters(this.db, kw.host, this.opts);
    return (await this.db.read((q) => routersOnHost(q, kw.host))).routerIds;
  }

  /**
   * The agent's active routers (all of them, or those of `router_ids`), after binding their
   * ports to its host; an admin-down or dead agent gets none.
   */
  async sync_routers(_ctx: RequestContext, kw: Record<string, any>): Promise<Item[]> {
    const host = kw.host as string | undefined;
    const wanted = Array.isArray(kw.router_ids) ? kw.router_ids as string[] : null;
    let ids: string[];
    if (host) {
      const { agent, routerIds } = await this.db.read((q) => routersOnHost(q, host));
      if (!agent || !agent.admin_state_up || !isAlive(agent.heartbeat_timestamp, this.opts.agentDownTime)) return [];
      ids = wanted ? routerIds.filter((id) => wanted.includes(id)) : routerIds;
    } else {
      ids = wanted ?? [];
    }
    let routers = await routerSyncData(this.db, this.res, ids);
    if (host && await this.bindHost(routers, host)) routers = await routerSyncData(this.db, this.res, ids);
    this.log.debug({ host, routers: routers.map((r) => r.id) }, 'sync_routers');
    return routers;
  }

  /** Statuses the agent reports; floating IPs it no longer has (disassociated from this router) go DOWN. */
  async update_floatingip_statuses(_ctx: RequestContext, kw: Record<string, any>): Promise<null> {
    const statuses = (kw.fip_statuses ?? {}) as Record<string, string>;
    await this.db.write(async (tx) => {
      for (const [id, status] of Object.entries(statuses)) {
        await tx.updateTable('floatingips').set({ status }).where('id', '=', id).execute();
        noteChange(tx, 'floatingips', id, 'updated');
      }
      const gone = await tx.selectFrom('floatingips').select('id').where('last_known_router_id', '=', kw.router_id)
        .where('router_id', 'is', null).where('status', '!=', 'DOWN').execute();
      for (const { id } of gone) {
        await tx.updateTable('floatingips').set({ status: 'DOWN' }).where('id', '=', id).execute();
        noteChange(tx, 'floatingips', id, 'updated');
      }
    });
    return null;
  }

  get_service_plugin_list(): string[] {
    return this.opts.servicePlugins;
  }

  get_host_ha_router_count(): number {
    return 0;
  }

  update_all_ha_network_port_statuses(): null {
    return null;
  }

  update_ha_routers_states(): null {
    return null;
  }

  process_prefix_update(): unknown[] {
    return [];
  }

  async get_networks(_ctx: RequestContext, kw: Record<string, any>): Promise<Item[]> {
    const filters = Object.fromEntries(Object.entries(kw.filters ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    return selectFields(await this.res.networks.list(adminContext(), filterQuery(filters)), kw.fields);
  }
}
