/**
 * The DHCP agent's calls on q-plugin (Neutron's DhcpRpcCallback, version 1.10): the networks it
 * serves with their subnets and ports, its own DHCP ports, and "DHCP is ready on these ports".
 */
import type { Logger } from 'pino';
import { UNSET } from '../../../lib/attributes.js';
import { DEVICE_OWNER_DHCP } from '../../../lib/constants.js';
import { adminContext, type RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import { NetworkNotFound, NeutronError } from '../../../lib/errors.js';
import type { Database } from '../../../db/database.js';
import { filterQuery } from '../../../registry/handler.js';
import { DHCP_ENTITY, provisioningComplete } from '../../../registry/provisioning-blocks.js';
import type { SqlResource } from '../../../registry/resource.js';
import { prepareCreate, prepareUpdate } from '../../../api/body.js';
import type { Endpoint } from '../../../rpc/server.js';
import {
  activeNetworksOnDhcpAgent, autoScheduleNetworks, DEVICE_ID_RESERVED_DHCP_PORT, dhcpAgentDeviceId, dhcpAgentsHostingNetworks, type DhcpSchedulerOptions,
} from '../dhcp-agent-scheduler.js';

/** The core resources the agents' RPC reads and writes, through their generic SQL handlers. */
export interface CoreResources {
  networks: SqlResource;
  subnets: SqlResource;
  ports: SqlResource;
}

/** Keeps only `fields` of each item when fields are asked for (the API's ?fields=). */
export function selectFields(items: Item[], fields: unknown): Item[] {
  if (!Array.isArray(fields) || !fields.length) return items;
  return items.map((i) => Object.fromEntries(fields.filter((f) => f in i).map((f) => [f, i[f]])));
}

/** Filters as agents send them ({attr: [values]} or {attr: value}), for a ListQuery. */
export function rpcFilters(filters: unknown): Record<string, unknown[]> {
  if (!filters || typeof filters !== 'object') return {};
  return Object.fromEntries(Object.entries(filters as Item).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}

export { dhcpAgentDeviceId, uuid5 } from '../dhcp-agent-scheduler.js';

export interface DhcpRpcOptions extends DhcpSchedulerOptions {
  /** [DEFAULT] network_auto_schedule */
  networkAutoSchedule: boolean;
}

export class DhcpRpcCallback implements Endpoint {
  readonly target = { version: '1.10' };

  constructor(
    private readonly db: Database,
    private readonly core: CoreResources,
    private readonly opts: DhcpRpcOptions,
    private readonly log: Pick<Logger, 'debug' | 'warn'>,
    /** told about ports whose status it changed (the OVO push follows) */
    private readonly portsChanged: (ctx: RequestContext, ids: string[]) => void = () => {},
  ) {}

  async get_active_networks_info(ctx: RequestContext, kw: Record<string, any>): Promise<Item[]> {
    const host = String(kw.host ?? '');
    if (this.opts.networkAutoSchedule) await autoScheduleNetworks(this.db, host, this.opts);
    const ids = await this.db.read((q) => activeNetworksOnDhcpAgent(q, host));
    if (!ids.length) return [];
    const admin = elevated(ctx);
    const enableDhcp = (kw.enable_dhcp_filter ?? true) ? true : null;
    const [networks, subnets, ports] = await Promise.all([
      this.core.networks.list(admin, filterQuery({ id: ids })),
      this.core.subnets.list(admin, filterQuery({ network_id: ids })),
      this.core.ports.list(admin, filterQuery({ network_id: ids })),
    ]);
    return networks.map((n) => networkInfo(n, subnets, ports, enableDhcp));
  }

  async get_network_info(ctx: RequestContext, kw: Record<string, any>): Promise<Item | null> {
    const id = String(kw.network_id ?? '');
    this.log.debug(`Network ${id} requested from ${kw.host}`);
    const admin = elevated(ctx);
    const [network] = await this.core.networks.list(admin, filterQuery({ id: [id] }));
    if (!network) return null;
    const [subnets, ports] = await Promise.all([
      this.core.subnets.list(admin, filterQuery({ network_id: [id] })),
      this.core.ports.list(admin, filterQuery({ network_id: [id] })),
    ]);
    return networkInfo(network, subnets, ports, kw.enable_dhcp === undefined ? true : kw.enable_dhcp);
  }

  async create_dhcp_port(ctx: RequestContext, kw: Record<string, any>): Promise<Item | null> {
    const port: Item = { ...(kw.port?.port ?? {}) };
    port.device_owner = DEVICE_OWNER_DHCP;
    port['binding:host_id'] = kw.host;
    if (!('mac_address' in port)) port.mac_address = UNSET;
    const admin = elevated(ctx);
    return this.portAction(admin, port, async () => {
      const [created] = await this.core.ports.create(admin, [prepareCreate(this.core.ports.def, port, admin)]);
      return created!;
    });
  }

  async update_dhcp_port(ctx: RequestContext, kw: Record<string, any>): Promise<Item | null> {
    const host = String(kw.host ?? '');
    const portId = String(kw.port_id ?? '');
    const changes: Item = { ...(kw.port?.port ?? {}), 'binding:host_id': host };
    const networkId = changes.network_id as string;
    const admin = elevated(ctx);
    let old: Item;
    try {
      old = await this.core.ports.get(admin, portId);
    } catch (e) {
      if (e instanceof NeutronError && e.type === 'PortNotFound') return null;
      throw e;
    }
    if (old.device_id !== DEVICE_ID_RESERVED_DHCP_PORT && old.device_id !== dhcpAgentDeviceId(networkId, host)) return null;
    const hosting = await this.db.read((q) => dhcpAgentsHostingNetworks(q, [networkId], [host]));
    if (!hosting.length) {
      this.log.warn(`The DHCP agent on ${host} does not host the network ${networkId}.`);
      throw new NetworkNotFound({ net_id: networkId });
    }
    delete changes.network_id; // read-only; the agent repeats it
    return this.portAction(admin, changes, async () => {
      try {
        return await this.core.ports.update(admin, portId, prepareUpdate(this.core.ports.def, changes, admin));
      } catch (e) {
        if (e instanceof NeutronError && e.type === 'PortNotFound') return null;
        throw e;
      }
    });
  }

  async release_dhcp_port(ctx: RequestContext, kw: Record<string, any>): Promise<null> {
    this.log.debug(`DHCP port deletion for ${kw.network_id} request from ${kw.host}`);
    const admin = elevated(ctx);
    const ports = await this.core.ports.list(admin, filterQuery({ device_id: [kw.device_id], network_id: [kw.network_id] }));
    for (const p of ports) {
      try {
        await this.core.ports.delete(admin, p.id as string);
      } catch (e) {
        if (!(e instanceof NeutronError && e.type === 'PortNotFound')) throw e;
      }
    }
    return null;
  }

  get_dhcp_port(ctx: RequestContext, kw: Record<string, any>): Promise<Item> {
    return this.core.ports.get(elevated(ctx), String(kw.port_id ?? ''));
  }

  async dhcp_ready_on_ports(ctx: RequestContext, kw: Record<string, any>): Promise<null> {
    const activated: string[] = [];
    for (const id of (kw.port_ids ?? []) as string[]) if (await provisioningComplete(this.db, id, DHCP_ENTITY)) activated.push(id);
    if (activated.length) this.portsChanged(ctx, activated);
    return null;
  }

  async get_networks(ctx: RequestContext, kw: Record<string, any>): Promise<Item[]> {
    return selectFields(await this.core.networks.list(elevated(ctx), filterQuery(rpcFilters(kw.filters))), kw.fields);
  }

  /**
   * _port_action: a network or subnet that vanished meanwhile, invalid input, or no address left on
   * a subnet that no longer exists give null; no address left on a subnet that exists is raised.
   */
  private async portAction(ctx: RequestContext, port: Item, action: () => Promise<Item | null>): Promise<Item | null> {
    try {
      return await action();
    } catch (e) {
      if (!(e instanceof NeutronError)) throw e;
      const expected = ['NetworkNotFound', 'SubnetNotFound', 'InvalidInput', 'HTTPBadRequest'];
      if (e.type.startsWith('IpAddressGenerationFailure')) {
        const subnetId = (port.fixed_ips as Item[] | undefined)?.[0]?.subnet_id as string | undefined;
        if (subnetId && await this.subnetExists(ctx, subnetId)) {
          this.log.warn(`Port action for network ${String(port.network_id)} could not complete successfully: ${e.message}`);
          throw e;
        }
        return null;
      }
      if (expected.includes(e.type)) return null;
      throw e;
    }
  }

  private async subnetExists(ctx: RequestContext, id: string): Promise<boolean> {
    try {
      await this.core.subnets.get(ctx, id);
      return true;
    } catch (e) {
      if (e instanceof NeutronError && e.type === 'SubnetNotFound') return false;
      throw e;
    }
  }
}

/** The agent's admin view of everything, keeping the caller's request id. */
export function elevated(ctx: RequestContext): RequestContext {
  return ctx.isAdmin ? ctx : { ...adminContext(ctx.requestId), globalRequestId: ctx.globalRequestId };
}

/** get_network_info's dict: subnets sorted by id (dnsmasq tags follow positions) and every port. */
function networkInfo(network: Item, subnets: Item[], ports: Item[], enableDhcp: boolean | null): Item {
  const own = subnets
    .filter((s) => s.network_id === network.id && (enableDhcp === null || s.enable_dhcp === enableDhcp))
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  return {
    id: network.id,
    project_id: network.project_id,
    tenant_id: network.project_id,
    admin_state_up: network.admin_state_up,
    subnets: own,
    non_local_subnets: [],
    ports: ports.filter((p) => p.network_id === network.id),
    mtu: network.mtu,
  };
}
