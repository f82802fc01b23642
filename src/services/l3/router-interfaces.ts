import { cidrContains, parseIp, toCidr } from '../../lib/address.js';
import { validateUuid } from '../../lib/attributes.js';
import { ACCESS_SHARED, DEVICE_OWNER_ROUTER_INTF, IPV6_PD_POOL_ID, ROUTER_INTERFACE_OWNERS } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  PortInUse, RouterInterfaceInUseByFloatingIP, RouterInterfaceInUseByRoute, RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet, SubnetMismatchForPort,
} from '../../lib/errors.js';
import type { Tx } from '../../db/schema.js';
import { checkDuplicateRouterSubnets, routerBadRequest, type FixedIp, type L3Core, type PortRow } from './l3-core.js';

/** What add/remove_router_interface answer. */
function interfaceInfo(router: Item, port: Item | PortRow, subnetId: string, subnetIds: string[]): Item {
  return {
    id: router.id, tenant_id: port.project_id, port_id: port.id, network_id: port.network_id,
    subnet_id: subnetId, subnet_ids: subnetIds,
  };
}

/** _validate_interface_info */
function interfaceRequest(body: Item | undefined, forRemoval: boolean): { portId?: string; subnetId?: string } {
  const byPort = !!body && 'port_id' in body;
  const bySubnet = !!body && 'subnet_id' in body;
  if (!byPort && !bySubnet) throw routerBadRequest('Either subnet_id or port_id must be specified');
  for (const key of ['port_id', 'subnet_id']) {
    if (!(key in body!)) continue;
    const msg = validateUuid(body![key]);
    if (msg) throw routerBadRequest(msg);
  }
  if (!forRemoval && byPort && bySubnet) throw routerBadRequest('Cannot specify both subnet-id and port-id');
  return { portId: byPort ? body!.port_id as string : undefined, subnetId: bySubnet ? body!.subnet_id as string : undefined };
}

/** A subnet the caller sees (404 otherwise), as add/remove_router_interface read it. */
async function visibleSubnet(tx: Tx, ctx: RequestContext, core: L3Core, id: string): Promise<Item> {
  return core.subnets.load(tx, id, ctx);
}

/** _validate_subnet_address_mode: IPv6 subnets whose RAs come from an outside router cannot join. */
function checkAddressMode(subnet: Item): void {
  if (Number(subnet.ip_version) === 6 && !subnet.ipv6_ra_mode && subnet.ipv6_address_mode) {
    throw routerBadRequest(`IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router.`);
  }
}

const hasV6 = (ips: FixedIp[]) => ips.some((f) => parseIp(f.ip_address)?.version === 6);

export async function addRouterInterface(tx: Tx, ctx: RequestContext, core: L3Core, router: Item, body: Item | undefined): Promise<Item> {
  const { portId, subnetId } = interfaceRequest(body, false);
  return portId ? addByPort(tx, ctx, core, router, portId) : addBySubnet(tx, ctx, core, router, subnetId!);
}

async function addBySubnet(tx: Tx, ctx: RequestContext, core: L3Core, router: Item, subnetId: string): Promise<Item> {
  const subnet = await visibleSubnet(tx, ctx, core, subnetId);
  if (!subnet.gateway_ip) throw routerBadRequest('Subnet for router interface must have a gateway IP');
  if (subnet.project_id !== ctx.projectId && !ctx.isAdmin) {
    // shared with this very project through RBAC is allowed; shared with everyone is not (LP#1757482)
    const rbac = await tx.selectFrom('rbac_entries').select('id').where('object_type', '=', 'network')
      .where('object_id', '=', subnet.network_id as string).where('action', '=', ACCESS_SHARED)
      .where('target_project', '=', ctx.projectId as string).executeTakeFirst();
    if (!rbac) throw routerBadRequest(`Cannot add interface to router because subnet ${subnetId} is not owned by project making the request`);
  }
  checkAddressMode(subnet);
  await checkDuplicateRouterSubnets(tx, core, router.id as string, [subnet as any]);
  const fixedIp = { ip_address: subnet.gateway_ip as string, subnet_id: subnetId };
  if (Number(subnet.ip_version) === 6 && subnet.subnetpool_id !== IPV6_PD_POOL_ID) {
    // another IPv6 prefix of a network the router already has an IPv6 port on goes onto that port
    const existing = (await core.ports.byDevice(tx, [router.id as string], [DEVICE_OWNER_ROUTER_INTF]))
      .find((p) => p.network_id === subnet.network_id && hasV6(p.fixed_ips));
    if (existing) {
      const port = await core.ports.update(tx, existing.id, { fixed_ips: [...existing.fixed_ips, fixedIp] });
      return interfaceInfo(router, port, subnetId, [subnetId]);
    }
  }
  const port = await core.ports.create(tx, {
    tenant_id: router.project_id, network_id: subnet.network_id, fixed_ips: [fixedIp], admin_state_up: true,
    device_id: router.id, device_owner: DEVICE_OWNER_ROUTER_INTF, name: '',
  });
  return interfaceInfo(router, port, subnetId, [subnetId]);
}

async function addByPort(tx: Tx, ctx: RequestContext, core: L3Core, router: Item, portId: string): Promise<Item> {
  // the caller must see the port (PortNotFound otherwise), and it must be free and addressed
  const port = await core.portsResource.load(tx, portId, ctx, true);
  if (port.device_id) throw new PortInUse({ port_id: portId, net_id: port.network_id as string, device_id: port.device_id as string });
  const fixedIps = port.fixed_ips as FixedIp[];
  if (!fixedIps.length) throw routerBadRequest('Router port must have at least one fixed IP');
  const subnets: Item[] = [];
  for (const f of fixedIps) {
    const s = await tx.selectFrom('subnets').selectAll().where('id', '=', f.subnet_id).executeTakeFirstOrThrow();
    checkAddressMode(s);
    subnets.push(s);
  }
  if (hasV6(fixedIps)) {
    const other = (await core.ports.byDevice(tx, [router.id as string], ROUTER_INTERFACE_OWNERS))
      .find((p) => p.network_id === port.network_id && hasV6(p.fixed_ips));
    if (other) {
      throw routerBadRequest(`Cannot have multiple router ports with the same network id if both contain IPv6 subnets. Existing port ${other.id} has IPv6 subnet(s) and network id ${other.network_id}`);
    }
  }
  await checkDuplicateRouterSubnets(tx, core, router.id as string, subnets as any[], portId);
  if (subnets.filter((s) => Number(s.ip_version) === 4).length > 1) throw routerBadRequest('Cannot have multiple IPv4 subnets on router port');
  if (!ctx.isAdmin) {
    // _validate_port_in_range_or_admin: an address outside the pools of a subnet the caller does not own
    for (const f of fixedIps) {
      const subnet = subnets.find((s) => s.id === f.subnet_id)!;
      if (subnet.project_id === ctx.projectId) continue;
      const ip = parseIp(f.ip_address)!;
      const pools = await tx.selectFrom('subnet_allocation_pools').selectAll().where('subnet_id', '=', f.subnet_id).execute();
      const inPool = pools.some((p) => {
        const [first, last] = [parseIp(p.first_ip)!, parseIp(p.last_ip)!];
        return ip.version === first.version && ip.value >= first.value && ip.value <= last.value;
      });
      if (!inPool) {
        throw routerBadRequest(`Cannot add interface to router because specified port ${portId} has an IP address out of the allocation pool of subnet ${f.subnet_id}, which is not owned by the project making the request`);
      }
    }
  }
  const updated = await core.ports.update(tx, portId, { device_id: router.id, device_owner: DEVICE_OWNER_ROUTER_INTF });
  return interfaceInfo(router, updated, subnets.at(-1)!.id as string, subnets.map((s) => s.id as string));
}

/** _confirm_router_interface_not_in_use: no floating IP reaches the subnet through the router, no route uses it. */
async function checkInterfaceNotInUse(tx: Tx, routerId: string, subnet: Item): Promise<void> {
  const cidr = toCidr(subnet.cidr as string);
  const onSubnet = new Set((await tx.selectFrom('ipallocations').select('port_id').where('subnet_id', '=', subnet.id as string).execute()).map((r) => r.port_id));
  const fips = await tx.selectFrom('floatingips').select(['fixed_ip_address', 'fixed_port_id']).where('router_id', '=', routerId).execute();
  for (const f of fips) {
    const ip = f.fixed_ip_address ? parseIp(f.fixed_ip_address) : null;
    if (ip && f.fixed_port_id && cidrContains(cidr, ip) && onSubnet.has(f.fixed_port_id)) {
      throw new RouterInterfaceInUseByFloatingIP({ router_id: routerId, subnet_id: subnet.id as string });
    }
  }
  const routes = await tx.selectFrom('router_routes').select('nexthop').where('router_id', '=', routerId).execute();
  if (routes.some((r) => { const hop = parseIp(r.nexthop); return !!hop && cidrContains(cidr, hop); })) {
    throw new RouterInterfaceInUseByRoute({ router_id: routerId, subnet_id: subnet.id as string });
  }
}

export async function removeRouterInterface(tx: Tx, ctx: RequestContext, core: L3Core, router: Item, body: Item | undefined): Promise<Item> {
  const { portId, subnetId } = interfaceRequest(body, true);
  const routerId = router.id as string;
  if (portId) {
    const [port] = (await core.ports.byDevice(tx, [routerId], [DEVICE_OWNER_ROUTER_INTF])).filter((p) => p.id === portId);
    if (!port) throw new RouterInterfaceNotFound({ router_id: routerId, port_id: portId });
    const subnetIds = port.fixed_ips.map((f) => f.subnet_id);
    if (subnetId && !subnetIds.includes(subnetId)) throw new SubnetMismatchForPort({ port_id: portId, subnet_id: subnetId });
    const subnets = await tx.selectFrom('subnets').selectAll().where('id', 'in', subnetIds.length ? subnetIds : ['']).execute();
    for (const s of subnets) await checkInterfaceNotInUse(tx, routerId, s);
    await core.ports.delete(tx, portId);
    return interfaceInfo(router, port, subnets[0]?.id as string, subnets.map((s) => s.id as string));
  }
  const subnet = await visibleSubnet(tx, ctx, core, subnetId!);
  const ports = (await core.ports.byDevice(tx, [routerId], [DEVICE_OWNER_ROUTER_INTF])).filter((p) => p.network_id === subnet.network_id);
  if (ports.length) await checkInterfaceNotInUse(tx, routerId, subnet);
  for (const p of ports) {
    const subnetIds = p.fixed_ips.map((f) => f.subnet_id);
    if (!subnetIds.includes(subnetId!)) continue;
    if (subnetIds.length > 1) {
      // a port with several prefixes loses only this one
      await core.ports.update(tx, p.id, { fixed_ips: p.fixed_ips.filter((f) => f.subnet_id !== subnetId) });
    } else {
      await core.ports.delete(tx, p.id);
    }
    return interfaceInfo(router, p, subnetId!, [subnetId!]);
  }
  throw new RouterInterfaceNotFoundForSubnet({ router_id: routerId, subnet_id: subnetId! });
}
