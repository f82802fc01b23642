import { parseIp } from '../../lib/address.js';
import { DEVICE_OWNER_DHCP, DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, ROUTER_INTERFACE_OWNERS } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  BadRequest, ExternalGatewayForFloatingIPNotFound, ExternalIpAddressExhausted, FloatingIPNotFound,
  FloatingIPPortAlreadyAssociated, NetworkNotFound,
} from '../../lib/errors.js';
import { noteChange } from '../../db/changes.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { SqlResource } from '../../registry/resource.js';
import { networkAccess } from '../../plugins/ml2/network-access.js';
import type { FixedIp, L3Core } from './l3-core.js';

const fipBadRequest = (msg: string) => new BadRequest({ resource: 'floatingip', msg });
const isV4 = (ip: string) => parseIp(ip)?.version === 4;

interface Association { portId: string | null; fixedIp: string | null; routerId: string | null }

/**
 * get_router_for_floatingip: a router with an interface on the internal subnet and its gateway on
 * the floating network; the one whose interface is the subnet's gateway first.
 */
export async function routerForFloatingIp(q: Queryable, port: Item, subnetId: string, externalNetworkId: string): Promise<string> {
  const rows = await q.selectFrom('ports as rp').innerJoin('ipallocations as ia', 'ia.port_id', 'rp.id')
    .innerJoin('ports as gw', 'gw.device_id', 'rp.device_id')
    .select(['rp.device_id as router_id', 'ia.ip_address'])
    .where('rp.network_id', '=', port.network_id as string).where('rp.device_owner', 'in', ROUTER_INTERFACE_OWNERS)
    .where('ia.subnet_id', '=', subnetId)
    .where('gw.network_id', '=', externalNetworkId).where('gw.device_owner', '=', DEVICE_OWNER_ROUTER_GW)
    .orderBy('rp.created_at').execute();
  const subnet = await q.selectFrom('subnets').select('gateway_ip').where('id', '=', subnetId).executeTakeFirst();
  const best = rows.find((r) => r.ip_address === subnet?.gateway_ip) ?? rows[0];
  if (!best) throw new ExternalGatewayForFloatingIPNotFound({ external_network_id: externalNetworkId, subnet_id: subnetId, port_id: port.id as string });
  return best.router_id;
}

/** /v2.0/floatingips: addresses of external networks, each with its own port there, associated with a port through a router. */
export function createFloatingIpResource(core: L3Core): SqlResource {
  const { api } = core;
  const def = api.resources.get('floatingips')!;

  /**
   * _check_and_get_fip_assoc: the internal port (seen by the caller, the floating IP's project's
   * unless admin, not a DHCP port), its IPv4 address (given, or its only one), the router that
   * joins its subnet to the floating network, and no other floating IP on that address.
   */
  async function association(tx: Tx, ctx: RequestContext, fip: Item, portId: unknown, fixedIp: unknown): Promise<Association> {
    if (fixedIp && !portId) throw fipBadRequest('fixed_ip_address cannot be specified without a port_id');
    if (!portId) return { portId: null, fixedIp: null, routerId: null };
    const port = await core.portsResource.load(tx, portId as string, ctx);
    if (port.project_id !== fip.project_id && !ctx.isAdmin) {
      throw fipBadRequest(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`);
    }
    if (port.device_owner === DEVICE_OWNER_DHCP) throw fipBadRequest(`Port ${portId} is unable to be assigned a floating IP`);
    const ips = port.fixed_ips as FixedIp[];
    let chosen: FixedIp | undefined;
    if (fixedIp) {
      if (!isV4(fixedIp as string)) throw fipBadRequest(`Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`);
      chosen = ips.find((i) => i.ip_address === fixedIp);
      if (!chosen) throw fipBadRequest(`Port ${portId} does not have fixed ip ${fixedIp}`);
    } else {
      const v4 = ips.filter((i) => isV4(i.ip_address));
      if (!v4.length) throw fipBadRequest(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      if (v4.length > 1) throw fipBadRequest(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      chosen = v4[0]!;
    }
    const routerId = await routerForFloatingIp(tx, port, chosen.subnet_id, fip.floating_network_id as string);
    if (portId !== fip.port_id) {
      const taken = await tx.selectFrom('floatingips').select('id').where('fixed_port_id', '=', portId as string)
        .where('floating_network_id', '=', fip.floating_network_id as string).where('fixed_ip_address', '=', chosen.ip_address).executeTakeFirst();
      if (taken) {
        throw new FloatingIPPortAlreadyAssociated({
          port_id: portId as string, fip_id: fip.id as string, floating_ip_address: (fip.floating_ip_address as string) ?? null,
          fixed_ip: chosen.ip_address, net_id: fip.floating_network_id as string,
        });
      }
    }
    return { portId: portId as string, fixedIp: chosen.ip_address, routerId };
  }

  return new SqlResource(core, def, {
    notFound: (id) => new FloatingIPNotFound({ floatingip_id: id }),
    scope: (qb, ctx) => qb.where('floatingips.project_id', '=', ctx.projectId),

    async extend(q, fips) {
      if (!('port_details' in def.attributes)) return;
      const ids = [...new Set(fips.map((f) => f.port_id).filter(Boolean) as string[])];
      const ports = new Map<string, Item>();
      await inChunks(ids, async (chunk) => {
        const rows = await q.selectFrom('ports').select(['id', 'name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner'])
          .where('id', 'in', chunk).execute();
        for (const p of rows) {
          ports.set(p.id, {
            name: p.name, network_id: p.network_id, mac_address: p.mac_address, admin_state_up: p.admin_state_up === true || Number(p.admin_state_up) === 1,
            status: p.status, device_id: p.device_id, device_owner: p.device_owner,
          });
        }
      });
      for (const f of fips) f.port_details = f.port_id ? ports.get(f.port_id as string) ?? null : null;
    },

    async beforeCreate(tx, event) {
      const { context: ctx, current: fip } = event;
      const netId = fip.floating_network_id as string;
      const access = await networkAccess(tx, ctx, netId);
      if (!access || !access.visible) throw new NetworkNotFound({ net_id: netId });
      const net = await tx.selectFrom('networks').select('router_external').where('id', '=', netId).executeTakeFirstOrThrow();
      if (!(net.router_external === true || Number(net.router_external) === 1)) throw fipBadRequest(`Network ${netId} is not a valid external network`);
      const v4 = await tx.selectFrom('subnets').select('id').where('network_id', '=', netId).where('ip_version', '=', 4).limit(1).executeTakeFirst();
      if (!v4) throw fipBadRequest(`Network ${netId} does not contain any IPv4 subnet`);
      const fixed: Item = {};
      if (fip.subnet_id) fixed.subnet_id = fip.subnet_id;
      if (fip.floating_ip_address) fixed.ip_address = fip.floating_ip_address;
      const port = await core.ports.create(tx, {
        tenant_id: '', network_id: netId, admin_state_up: true, device_id: fip.id, device_owner: DEVICE_OWNER_FLOATINGIP, name: '',
        ...(Object.keys(fixed).length ? { fixed_ips: [fixed] } : {}),
      });
      await tx.updateTable('ports').set({ status: 'N/A' }).where('id', '=', port.id as string).execute();
      const address = (port.fixed_ips as FixedIp[]).find((i) => isV4(i.ip_address));
      if (!address) throw new ExternalIpAddressExhausted({ net_id: netId });
      fip.floating_ip_address = address.ip_address;
      event.floatingPortId = port.id as string;
      fip.status = 'DOWN';
      const assoc = await association(tx, ctx, { ...fip, port_id: null }, fip.port_id, fip.fixed_ip_address);
      Object.assign(fip, { port_id: assoc.portId, fixed_ip_address: assoc.fixedIp, router_id: assoc.routerId });
    },

    async afterCreate(tx, { current: fip, floatingPortId }) {
      await tx.updateTable('floatingips').set({ floating_port_id: floatingPortId! }).where('id', '=', fip.id as string).execute();
    },

    async beforeUpdate(tx, { context: ctx, original: current, changes }) {
      // without port_id in the request, an associated floating IP is associated again (Neutron's bug #1610045 fix);
      // a blank update ({"floatingip": {}}) disassociates, as it always did in Neutron
      const blank = Object.keys(changes).length === 0;
      const portId = 'port_id' in changes ? changes.port_id : blank ? null : current.port_id;
      const fixedIp = 'fixed_ip_address' in changes ? changes.fixed_ip_address : ('port_id' in changes || blank ? null : current.fixed_ip_address);
      if (changes.fixed_ip_address && !changes.port_id) throw fipBadRequest('fixed_ip_address cannot be specified without a port_id');
      const assoc = await association(tx, ctx, current, portId, fixedIp);
      Object.assign(changes, { port_id: assoc.portId, fixed_ip_address: assoc.fixedIp, router_id: assoc.routerId });
      if (assoc.routerId !== current.router_id) {
        await tx.updateTable('floatingips').set({ last_known_router_id: current.router_id as string | null }).where('id', '=', current.id as string).execute();
      }
    },

    async beforeDelete(tx, { current: fip }) {
      // the floating IP's own port; its row goes with it (ON DELETE CASCADE)
      const row = await tx.selectFrom('floatingips').select('floating_port_id').where('id', '=', fip.id as string).executeTakeFirst();
      if (row?.floating_port_id) await core.ports.delete(tx, row.floating_port_id);
    },
  });
}

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** a port deleted: the routers of the floating IPs it lost (their L3 agents hear about it) */
    floatingIpRouters?: string[];
    /** a floating IP being created: its port on the external network, made before its row */
    floatingPortId?: string;
  }
}

/** When a port goes: its floating IPs are disassociated (ML2's delete_port → disassociate_floatingips). */
export async function disassociatePortFloatingIps(tx: Tx, portId: string): Promise<string[]> {
  const fips = await tx.selectFrom('floatingips').select(['id', 'router_id']).where('fixed_port_id', '=', portId).execute();
  if (!fips.length) return [];
  await tx.updateTable('floatingips').set({ fixed_port_id: null, fixed_ip_address: null, router_id: null }).where('fixed_port_id', '=', portId).execute();
  for (const f of fips) noteChange(tx, 'floatingips', f.id, 'updated');
  return [...new Set(fips.map((f) => f.router_id).filter(Boolean) as string[])];
}
