/**
 * The L2 agents' calls on q-plugin (ML2's RpcCallbacks, version 1.9, with the tunnel mixin):
 * device details for the ports an agent finds, device up/down (port status and the L2
 * provisioning block), and tunnel_sync (tunnel endpoints, announced to the other agents).
 */
import type { Logger } from 'pino';
import { parseIp } from '../../../lib/address.js';
import { DEVICE_OWNER_COMPUTE_PREFIX, UNBOUND_VIF_TYPES } from '../../../lib/constants.js';
import type { RequestContext } from '../../../lib/context.js';
import type { Item } from '../../../lib/definitions.js';
import { InvalidInput } from '../../../lib/errors.js';
import type { Database } from '../../../db/database.js';
import { filterQuery } from '../../../registry/handler.js';
import { L2_AGENT_ENTITY, provisioningComplete } from '../../../registry/provisioning-blocks.js';
import { bumpRevision } from '../../../registry/revisions.js';
import type { Endpoint } from '../../../rpc/server.js';
import { wiredPort, type L2Population } from '../mechanism_drivers/l2population.js';
import { boundPorts, type BoundPort } from '../port-binding.js';
import { deviceName, devicesToPortIds } from './devices.js';
import { elevated, type CoreResources } from './dhcp.js';
import type { L2AgentNotifier } from './l2-agent-notifier.js';

const TUNNEL_TYPES = ['vxlan', 'gre', 'geneve'];
const VXLAN_UDP_PORT = 4789;

export interface L2RpcOptions {
  /** the tunnel type drivers loaded ([ml2] type_drivers) */
  tunnelTypes: ReadonlySet<string>;
  /** [ml2] overlay_ip_version */
  overlayIpVersion: number;
  /** binds a port again in a transaction of its own (absent without binding mechanism drivers) */
  rebind?: (portId: string) => Promise<unknown>;
}

type Kw = Record<string, any>;

export class Ml2RpcCallbacks implements Endpoint {
  readonly target = { version: '1.9' };

  constructor(
    private readonly db: Database,
    private readonly core: CoreResources,
    private readonly notifier: L2AgentNotifier,
    private readonly opts: L2RpcOptions,
    private readonly log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
    /** told about ports whose status it changed (the OVO push follows) */
    private readonly portsChanged: (ctx: RequestContext, ids: string[]) => void = () => {},
    /** the l2population driver, when configured */
    private readonly l2pop?: L2Population,
  ) {}

  async get_device_details(ctx: RequestContext, kw: Kw): Promise<Item> {
    const [details] = await this.devicesDetails(ctx, [kw.device], kw.host, kw.agent_id);
    return details!.entry;
  }

  async get_devices_details_list(ctx: RequestContext, kw: Kw): Promise<Item[]> {
    return (await this.devicesDetails(ctx, kw.devices ?? [], kw.host, kw.agent_id)).map((d) => d.entry);
  }

  async get_devices_details_list_and_failed_devices(ctx: RequestContext, kw: Kw): Promise<Item> {
    const devices: unknown[] = kw.devices ?? [];
    try {
      return { devices: (await this.devicesDetails(ctx, devices, kw.host, kw.agent_id)).map((d) => d.entry), failed_devices: [] };
    } catch (err) {
      this.log.error({ err }, 'Failed to get details for devices; all are reported failed');
      return { devices: [], failed_devices: devices };
    }
  }

  async get_network_details(ctx: RequestContext, kw: Kw): Promise<Item> {
    return this.core.networks.get(elevated(ctx), String(kw.network ?? ''));
  }

  async get_ports_by_vnic_type_and_host(ctx: RequestContext, kw: Kw): Promise<Item[]> {
    const ports = await this.core.ports.list(elevated(ctx), filterQuery({ 'binding:host_id': [kw.host] }));
    return ports.filter((p) => p['binding:vnic_type'] === kw.vnic_type);
  }

  async update_device_up(ctx: RequestContext, kw: Kw): Promise<null> {
    const device = deviceName(kw.device);
    const portId = (await this.db.read((q) => devicesToPortIds(q, [device]))).get(device);
    if (!portId) return null;
    const bound = (await this.db.read((q) => boundPorts(q, [portId]))).get(portId);
    if (kw.host && bound?.host !== kw.host) {
      this.log.debug(`Device ${device} not bound to the agent host ${kw.host}`);
      return null;
    }
    if (await provisioningComplete(this.db, portId, L2_AGENT_ENTITY)) this.portsChanged(ctx, [portId]);
    if (this.l2pop && bound) {
      const port = await this.db.read((q) => wiredPort(q, portId));
      if (port) await this.l2pop.portUp(ctx, port, bound.host, bound.segment, !!(kw.refresh_tunnels ?? kw.agent_restarted));
    }
    return null;
  }

  async update_device_down(ctx: RequestContext, kw: Kw): Promise<Item> {
    const device = deviceName(kw.device);
    const portId = (await this.db.read((q) => devicesToPortIds(q, [device]))).get(device);
    if (!portId) return { device, exists: false };
    const bound = (await this.db.read((q) => boundPorts(q, [portId]))).get(portId);
    if (kw.host && bound?.host !== kw.host) {
      this.log.debug(`Device ${device} not bound to the agent host ${kw.host}`);
      return { device, exists: true };
    }
    const port = this.l2pop && bound ? await this.db.read((q) => wiredPort(q, portId)) : null;
    const exists = await this.setStatus(ctx, portId, 'DOWN');
    if (this.l2pop && bound && port) await this.l2pop.portDown(ctx, port, bound.host, bound.segment);
    return { device, exists };
  }

  async update_device_list(ctx: RequestContext, kw: Kw): Promise<Item> {
    const out = { devices_up: [] as unknown[], failed_devices_up: [] as unknown[], devices_down: [] as unknown[], failed_devices_down: [] as unknown[] };
    for (const device of kw.devices_up ?? []) {
      try {
        await this.update_device_up(ctx, { ...kw, device });
        out.devices_up.push(device);
      } catch (err) {
        this.log.error({ err }, `Failed to update device ${String(device)} up`);
        out.failed_devices_up.push(device);
      }
    }
    for (const device of kw.devices_down ?? []) {
      try {
        out.devices_down.push(await this.update_device_down(ctx, { ...kw, device }));
      } catch (err) {
        this.log.error({ err }, `Failed to update device ${String(device)} down`);
        out.failed_devices_down.push(device);
      }
    }
    return out;
  }

  async tunnel_sync(ctx: RequestContext, kw: Kw): Promise<Item> {
    const tunnelIp = kw.tunnel_ip as string | undefined;
    const host = (kw.host ?? null) as string | null;
    if (!tunnelIp) throw new InvalidInput({ error_message: 'Tunnel IP value needed by the ML2 plugin' });
    const ip = parseIp(tunnelIp);
    if (!ip) throw new InvalidInput({ error_message: `${tunnelIp} is not a valid IP address` });
    if (ip.version !== this.opts.overlayIpVersion) {
      throw new InvalidInput({ error_message: `Tunnel IP version does not match ML2 overlay_ip_version: ${this.opts.overlayIpVersion}, host: ${host}, tunnel_ip: ${tunnelIp}` });
    }
    const type = kw.tunnel_type as string | undefined;
    if (!type) throw new InvalidInput({ error_message: 'Network type value needed by the ML2 plugin' });
    if (!TUNNEL_TYPES.includes(type) || !this.opts.tunnelTypes.has(type)) {
      throw new InvalidInput({ error_message: `Network type value ${type} not supported, host: ${host ?? 'legacy mode (no host provided by agent)'} with tunnel IP: ${tunnelIp}` });
    }
    let stale: string | null = null;
    const tunnels = await this.db.write(async (tx) => {
      stale = null;
      const endpoints = tx.selectFrom('ml2_tunnel_endpoints').selectAll().where('tunnel_type', '=', type);
      if (host) {
        const byHost = await endpoints.where('host', '=', host).executeTakeFirst();
        const byIp = await endpoints.where('ip_address', '=', tunnelIp).executeTakeFirst();
        const remove = (ipAddress: string) => tx.deleteFrom('ml2_tunnel_endpoints').where('tunnel_type', '=', type).where('ip_address', '=', ipAddress).execute();
        if (byIp && byIp.host === null && !byHost) {
          await remove(byIp.ip_address);
        } else if (byIp && byIp.host !== host) {
          this.log.info(`Tunnel IP ${tunnelIp} was used by host ${byIp.host} and will be assigned to ${host}`);
          await remove(byIp.ip_address);
          if (byHost) await remove(byHost.ip_address);
        } else if (byHost && byHost.ip_address !== tunnelIp) {
          stale = byHost.ip_address;
          await remove(byHost.ip_address);
        }
      }
      const existing = await tx.selectFrom('ml2_tunnel_endpoints').select('ip_address').where('tunnel_type', '=', type).where('ip_address', '=', tunnelIp).executeTakeFirst();
      if (!existing) {
        await tx.insertInto('ml2_tunnel_endpoints').values({ tunnel_type: type, ip_address: tunnelIp, host, udp_port: type === 'vxlan' ? VXLAN_UDP_PORT : null }).execute();
      }
      const rows = await tx.selectFrom('ml2_tunnel_endpoints').selectAll().where('tunnel_type', '=', type).orderBy('ip_address').execute();
      return rows.map((r) => (type === 'vxlan' ? { ip_address: r.ip_address, udp_port: Number(r.udp_port), host: r.host } : { ip_address: r.ip_address, host: r.host }));
    });
    // the other agents drop the tunnel to a moved host's old address and build one to the new
    if (stale) await this.notifier.tunnelDelete(ctx, stale, type);
    await this.notifier.tunnelUpdate(ctx, tunnelIp, type);
    return { tunnels };
  }

  /**
   * _get_device_details for each device, set-based: one query per table for the whole list. A
   * port bound on this host moves to BUILD (or DOWN when admin-down), as Neutron's _get_new_status.
   */
  private async devicesDetails(ctx: RequestContext, devices: unknown[], host: string | undefined, agentId: string | undefined): Promise<Array<{ entry: Item }>> {
    const names = devices.map(deviceName);
    const resolved = await this.db.read((q) => devicesToPortIds(q, names));
    const ids = names.map((d) => resolved.get(d) ?? null);
    const known = [...new Set(ids.filter((i): i is string => !!i))];
    const admin = elevated(ctx);
    let bindings = await this.db.read((q) => boundPorts(q, known));
    // get_bound_port_context: a port whose binding failed (its agent was down, or not there yet)
    // is bound again when an agent asks for it, and the agents are not told (as in ML2)
    const unbound = known.filter((id) => isUnbound(bindings.get(id)));
    if (unbound.length && this.opts.rebind) {
      for (const id of unbound) await this.opts.rebind(id);
      bindings = await this.db.read((q) => boundPorts(q, known));
    }
    const ports = known.length ? await this.core.ports.list(admin, filterQuery({ id: known })) : [];
    const networkIds = [...new Set(ports.map((p) => p.network_id as string))];
    const networks = networkIds.length ? await this.core.networks.list(admin, filterQuery({ id: networkIds })) : [];
    const portById = new Map(ports.map((p) => [p.id as string, p]));
    const netById = new Map(networks.map((n) => [n.id as string, n]));
    const out: Array<{ entry: Item }> = [];
    for (const [i, device] of names.entries()) {
      const port = ids[i] ? portById.get(ids[i]!) : undefined;
      const bound = ids[i] ? bindings.get(ids[i]!) : undefined;
      if (!port || !bound) {
        this.log.debug(`Device ${device} requested by agent ${agentId} not found in database`);
        out.push({ entry: { device } });
        continue;
      }
      const entry = deviceEntry(device, port, bound, netById.get(port.network_id as string), host);
      out.push({ entry });
      if ('network_id' in entry && (!host || host === bound.host)) {
        const status = port.admin_state_up ? 'BUILD' : 'DOWN';
        if (port.status !== status) await this.setStatus(ctx, port.id as string, status);
      }
    }
    return out;
  }

  /** update_port_status; false if the port is gone. */
  private async setStatus(ctx: RequestContext, portId: string, status: string): Promise<boolean> {
    const result = await this.db.write(async (tx) => {
      const row = await tx.selectFrom('ports').select('status').where('id', '=', portId).executeTakeFirst();
      if (!row) return 'gone';
      if (row.status === status) return 'same';
      await bumpRevision(tx, 'ports', portId, { status });
      return 'changed';
    });
    if (result === 'changed') this.portsChanged(ctx, [portId]);
    return result !== 'gone';
  }
}

const isUnbound = (b: BoundPort | undefined) => !!b && !!b.host && UNBOUND_VIF_TYPES.includes(b.vifType);

function deviceEntry(device: string, port: Item, bound: BoundPort, network: Item | undefined, host: string | undefined): Item {
  if (!bound.segment) return { device };
  if (String(port.device_owner ?? '').startsWith(DEVICE_OWNER_COMPUTE_PREFIX) && port['binding:host_id'] !== host) {
    return { device, no_active_binding: true };
  }
  return {
    device,
    network_id: port.network_id,
    port_id: port.id,
    mac_address: port.mac_address,
    admin_state_up: port.admin_state_up,
    network_type: bound.segment.network_type,
    segmentation_id: bound.segment.segmentation_id,
    physical_network: bound.segment.physical_network,
    mtu: network?.mtu ?? null,
    fixed_ips: port.fixed_ips,
    device_owner: port.device_owner,
    allowed_address_pairs: port.allowed_address_pairs ?? [],
    port_security_enabled: port.port_security_enabled ?? true,
    qos_policy_id: port.qos_policy_id ?? null,
    qos_network_policy_id: network?.qos_policy_id ?? null,
    profile: port['binding:profile'] ?? {},
    propagate_uplink_status: port.propagate_uplink_status ?? false,
  };
}
