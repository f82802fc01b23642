import { adminContext } from '../../auth/context.js';
import { prepareCreate, prepareUpdate, type Item } from '../../api/body.js';
import type { ResourceDef } from '../../api/definitions/types.js';
import { inChunks } from '../../db/chunks.js';
import { onCommitted, type Queryable, type Tx } from '../../db/database.js';
import type { SqlResource } from '../../db/resource.js';

export const DEVICE_OWNER_ROUTER_GW = 'network:router_gateway';
export const DEVICE_OWNER_ROUTER_INTF = 'network:router_interface';
export const DEVICE_OWNER_FLOATINGIP = 'network:floatingip';
/** The owners of the ports L3 manages itself (Neutron's router_device_owners). */
export const ROUTER_PORT_OWNERS = [
  DEVICE_OWNER_ROUTER_INTF, 'network:router_interface_distributed', 'network:ha_router_replicated_interface',
  'network:router_centralized_snat', DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_FLOATINGIP,
];

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
 * bindings, security groups); their notifications go out after that transaction commits.
 */
export class CorePorts {
  constructor(private readonly ports: SqlResource, private readonly def: ResourceDef) {}

  async create(tx: Tx, fields: Item): Promise<Item> {
    const ctx = adminContext();
    const port = await this.ports.insert(tx, ctx, prepareCreate(this.def, fields, ctx));
    onCommitted(tx, () => this.ports.emit('create', ctx, port));
    return port;
  }

  async update(tx: Tx, id: string, changes: Item): Promise<Item> {
    const ctx = adminContext();
    const previous = await this.ports.load(tx, id, ctx, true);
    const port = await this.ports.modify(tx, ctx, previous, prepareUpdate(this.def, changes, ctx));
    onCommitted(tx, () => this.ports.emit('update', ctx, port, previous));
    return port;
  }

  async delete(tx: Tx, id: string): Promise<void> {
    const ctx = adminContext();
    const port = await this.ports.load(tx, id, ctx, true);
    await this.ports.remove(tx, ctx, port);
    onCommitted(tx, () => this.ports.emit('delete', ctx, port));
  }

  /** The ports with `device_id` in `deviceIds` and one of `owners`, with their addresses, set-based. */
  async byDevice(q: Queryable, deviceIds: string[], owners: string[]): Promise<PortRow[]> {
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
