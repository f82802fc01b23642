import { cidrsOverlap, toCidr } from '../../lib/address.js';
import { DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, ROUTER_PORT_OWNERS } from '../../lib/constants.js';
import { adminContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { BadRequest } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { SqlResource, Store } from '../../registry/resource.js';
import { prepareCreate, prepareUpdate } from '../../api/body.js';
import type { ApiModel } from '../../api/model.js';

/** The owners of the ports L3 manages itself (l3_db's router_device_owners, with DVR's). */
export const ROUTER_DEVICE_OWNERS: readonly string[] = [...ROUTER_PORT_OWNERS, DEVICE_OWNER_FLOATINGIP];

export interface FixedIp { subnet_id: string; ip_address: string }

/** A port as L3 reads it in bulk. */
export interface PortRow {
  id: string;
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  mac_address: string;
  fixed_ips: FixedIp[];
}

/**
 * The core plugin's ports as the L3 plugin uses them: created, changed and deleted inside the
 * router's or floating IP's transaction, as the server (admin), with ML2's own hooks (addresses,
 * bindings, security groups); their after_ events (binding, notifications) follow that transaction's commit.
 */
export class CorePorts {
  constructor(private readonly ports: SqlResource) {}

  async create(tx: Tx, fields: Item): Promise<Item> {
    const ctx = adminContext();
    return this.ports.insert(tx, ctx, prepareCreate(this.ports.def, fields, ctx));
  }

  async update(tx: Tx, id: string, changes: Item): Promise<Item> {
    const ctx = adminContext();
    const previous = await this.ports.load(tx, id, ctx, true);
    return this.ports.modify(tx, ctx, previous, prepareUpdate(this.ports.def, changes, ctx));
  }

  async delete(tx: Tx, id: string): Promise<void> {
    const ctx = adminContext();
    await this.ports.remove(tx, ctx, await this.ports.load(tx, id, ctx, true));
  }

  /** The ports with `device_id` in `deviceIds` and one of `owners`, with their addresses, set-based. */
  async byDevice(q: Queryable, deviceIds: string[], owners: readonly string[]): Promise<PortRow[]> {
    const out: PortRow[] = [];
    await inChunks(deviceIds, async (chunk) => {
      const rows = await q.selectFrom('ports').select(['id', 'network_id', 'project_id', 'device_id', 'device_owner', 'mac_address'])
        .where('device_id', 'in', chunk).where('device_owner', 'in', owners).orderBy('created_at').orderBy('id').execute();
      out.push(...rows.map((r) => ({ ...r, fixed_ips: [] }) as PortRow));
    });
    await addFixedIps(q, out);
    return out;
  }

  async byId(q: Queryable, ids: string[]): Promise<PortRow[]> {
    const out: PortRow[] = [];
    await inChunks(ids, async (chunk) => {
      const rows = await q.selectFrom('ports').select(['id', 'network_id', 'project_id', 'device_id', 'device_owner', 'mac_address'])
        .where('id', 'in', chunk).execute();
      out.push(...rows.map((r) => ({ ...r, fixed_ips: [] }) as PortRow));
    });
    await addFixedIps(q, out);
    return out;
  }
}

async function addFixedIps(q: Queryable, ports: PortRow[]): Promise<void> {
  const byId = new Map(ports.map((p) => [p.id, p]));
  await inChunks([...byId.keys()], async (chunk) => {
    const rows = await q.selectFrom('ipallocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', chunk).execute();
    for (const r of rows) byId.get(r.port_id)!.fixed_ips.push({ subnet_id: r.subnet_id, ip_address: r.ip_address });
  });
}

/** What the L3 plugin's resources work with: the store, the API model, and the core plugin's resources. */
export interface L3Core extends Store {
  api: ApiModel;
  ports: CorePorts;
  /** ML2's ports and subnets, to load one as the caller may see it */
  portsResource: SqlResource;
  subnets: SqlResource;
}

export const routerBadRequest = (msg: string) => new BadRequest({ resource: 'router', msg });

export interface SubnetCidr { id: string; cidr: string; network_id: string }

export async function subnetsOf(q: Queryable, column: 'id' | 'network_id', values: string[]): Promise<SubnetCidr[]> {
  const out: SubnetCidr[] = [];
  await inChunks([...new Set(values)], async (chunk) => {
    out.push(...await q.selectFrom('subnets').select(['id', 'cidr', 'network_id', 'gateway_ip']).where(column, 'in', chunk).orderBy('created_at').execute() as SubnetCidr[]);
  });
  return out;
}

/**
 * _check_for_dup_router_subnets: a subnet the router already has a port on, or one overlapping
 * the router's other subnets (all subnets of its gateway network count), is refused.
 */
export async function checkDuplicateRouterSubnets(q: Queryable, core: L3Core, routerId: string, newSubnets: SubnetCidr[], exceptPort?: string): Promise<void> {
  const newIds = new Set(newSubnets.map((s) => s.id));
  const ports = (await core.ports.byDevice(q, [routerId], ROUTER_PORT_OWNERS)).filter((p) => p.id !== exceptPort);
  const subnetIds: string[] = [];
  const gatewayNetworks: string[] = [];
  for (const p of ports) {
    for (const ip of p.fixed_ips) {
      if (newIds.has(ip.subnet_id)) throw routerBadRequest(`Router already has a port on subnet ${ip.subnet_id}`);
      if (p.device_owner === DEVICE_OWNER_ROUTER_GW) gatewayNetworks.push(p.network_id);
      else subnetIds.push(ip.subnet_id);
    }
  }
  const existing = [...await subnetsOf(q, 'id', subnetIds), ...await subnetsOf(q, 'network_id', gatewayNetworks)];
  for (const sub of existing) {
    for (const s of newSubnets) {
      if (cidrsOverlap(toCidr(sub.cidr), toCidr(s.cidr))) {
        throw routerBadRequest(`Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${sub.cidr} of subnet ${sub.id}`);
      }
    }
  }
}
