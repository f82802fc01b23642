import { parseIp } from '../../lib/address.js';
import {
  DEVICE_OWNER_DVR_INTERFACE, DEVICE_OWNER_HA_REPLICATED_INT, DEVICE_OWNER_ROUTER_HA_INTF, DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_SNAT,
} from '../../lib/constants.js';
import { IPAddressChangeNotAllowed } from '../../lib/errors.js';
import type { EventRegistry } from '../../registry/events.js';
import type { FixedIp } from './l3-core.js';

/** L3RouterPlugin.IP_UPDATE_NOT_ALLOWED_LIST */
const IP_UPDATE_NOT_ALLOWED: readonly string[] = [
  DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_HA_INTF, DEVICE_OWNER_HA_REPLICATED_INT, DEVICE_OWNER_ROUTER_SNAT, DEVICE_OWNER_DVR_INTERFACE,
];

const v4 = (ips: readonly FixedIp[]) => new Set(ips.filter((i) => parseIp(i.ip_address)?.version === 4).map((i) => i.ip_address));

/**
 * l3-port-ip-change-not-allowed (IPAM's _update_ips_for_port): the IPv4 addresses of a router's
 * interface ports are the router's to change, through its interfaces, not the port API's.
 */
export function preventRouterPortIpChange(events: EventRegistry): void {
  events.subscribe('port', 'before_update', async (tx, { original, changes, nested }) => {
    if (nested || !('fixed_ips' in changes) || !IP_UPDATE_NOT_ALLOWED.includes(original.device_owner as string)) return;
    const router = await tx.selectFrom('routers').select('id').where('id', '=', original.device_id as string).executeTakeFirst();
    if (!router) return;
    // the port's addresses are already updated in this transaction: compare them with the original ones
    const now = v4(await tx.selectFrom('ipallocations').select(['subnet_id', 'ip_address']).where('port_id', '=', original.id as string).execute());
    const before = v4(original.fixed_ips as FixedIp[]);
    if (now.size !== before.size || [...now].some((ip) => !before.has(ip))) throw new IPAddressChangeNotAllowed({ port_id: original.id as string });
  });
}
