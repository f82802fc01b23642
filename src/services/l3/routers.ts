import { cidrContains, formatIp, parseCidr, parseIp, toCidr } from '../../lib/address.js';
import { pyRepr, UNSET } from '../../lib/attributes.js';
import { DEVICE_OWNER_ROUTER_GW, ROUTER_INTERFACE_OWNERS, ROUTER_PORT_OWNERS } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  HTTPBadRequest, InvalidRoutes, NetworkNotFound, RouterExternalGatewayInUseByFloatingIp, RouterInUse, RouterNotFound,
  RoutesExhausted,
} from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { WriteOpts } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import { checkAvailabilityZones } from '../../plugins/ml2/agents.js';
import { networkAccess } from '../../plugins/ml2/network-access.js';
import { checkDuplicateRouterSubnets, routerBadRequest, subnetsOf, type FixedIp, type L3Core, type PortRow } from './l3-core.js';
import { addRouterInterface, removeRouterInterface } from './router-interfaces.js';

export interface RouterOptions {
  /** [DEFAULT] enable_snat_by_default */
  enableSnatByDefault: boolean;
  /** [DEFAULT] router_distributed */
  routerDistributed: boolean;
  /** [DEFAULT] l3_ha */
  l3Ha: boolean;
  /** [DEFAULT] max_routes */
  maxRoutes: number;
}

/** What the L3 agents hear after a router's member action (its writes are followed through the event registry). */
export interface RouterNotifier {
  routersUpdated(ctx: RequestContext, routerIds: string[]): void;
}

/** Canonical text of a route, as Neutron stores it (str of AuthenticIPNetwork and IPAddress). */
function canonicalRoute(r: { destination: string; nexthop: string }): { destination: string; nexthop: string } {
  const dest = parseCidr(r.destination)!;
  const hop = parseIp(r.nexthop)!;
  return { destination: `${formatIp(dest.version, dest.ip)}/${dest.prefixlen}`, nexthop: formatIp(hop.version, hop.value) };
}

/** _validate_routes: at most max_routes, each nexthop on a subnet of the router and not one of its own addresses. */
async function validateRoutes(q: Queryable, core: L3Core, opts: RouterOptions, routerId: string, routes: Item[]): Promise<void> {
  if (routes.length > opts.maxRoutes) throw new RoutesExhausted({ router_id: routerId, quota: opts.maxRoutes });
  if (!routes.length) return;
  const ports = await core.ports.byDevice(q, [routerId], ROUTER_PORT_OWNERS);
  const ips = ports.flatMap((p) => p.fixed_ips.map((f) => parseIp(f.ip_address)!));
  const cidrs = (await subnetsOf(q, 'id', ports.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id)))).map((s) => toCidr(s.cidr));
  for (const route of routes) {
    const hop = parseIp(route.nexthop)!;
    if (!cidrs.some((c) => cidrContains(c, hop))) {
      throw new InvalidRoutes({ routes: pyRepr(routes), reason: 'the nexthop is not connected with router' });
    }
    if (ips.some((ip) => ip.version === hop.version && ip.value === hop.value)) {
      throw new InvalidRoutes({ routes: pyRepr(routes), reason: 'the nexthop is used by router' });
    }
  }
}

async function storeRoutes(tx: Tx, routerId: string, routes: Item[]): Promise<void> {
  await tx.deleteFrom('router_routes').where('router_id', '=', routerId).execute();
  const rows = new Map(routes.map((r) => canonicalRoute(r as any)).map((r) => [`${r.destination} ${r.nexthop}`, { router_id: routerId, ...r }]));
  if (rows.size) await tx.insertInto('router_routes').values([...rows.values()]).execute();
}

async function routesOf(q: Queryable, routerId: string): Promise<Array<{ destination: string; nexthop: string }>> {
  return q.selectFrom('router_routes').select(['destination', 'nexthop']).where('router_id', '=', routerId)
    .orderBy('destination').orderBy('nexthop').execute() as Promise<Array<{ destination: string; nexthop: string }>>;
}

/** _check_for_external_ip_change */
function externalIpsChange(gw: PortRow | undefined, extIps: Item[]): boolean {
  if (!extIps.length) return false;
  if (!gw) return true;
  const same = (a: Set<unknown>, b: Set<unknown>) => a.size === b.size && [...a].every((x) => b.has(x));
  if (!same(new Set(gw.fixed_ips.map((f) => f.subnet_id)), new Set(extIps.filter((f) => f.subnet_id).map((f) => f.subnet_id)))) return true;
  return !same(new Set(gw.fixed_ips.map((f) => f.ip_address)), new Set(extIps.filter((f) => f.ip_address).map((f) => f.ip_address)));
}

/**
 * _update_router_gw_info: validate the external network, then either change the gateway port's
 * addresses, or replace the port (refused while floating IPs use the old gateway).
 */
async function updateGateway(tx: Tx, ctx: RequestContext, core: L3Core, router: Item, info: Item | null): Promise<void> {
  const routerId = router.id as string;
  const networkId = info && Object.keys(info).length ? info.network_id as string : null;
  const extIps = (info?.external_fixed_ips ?? []) as Item[];
  const [gw] = await core.ports.byDevice(tx, [routerId], [DEVICE_OWNER_ROUTER_GW]);
  if (networkId) {
    const access = await networkAccess(tx, ctx, networkId);
    if (!access || !access.visible) throw new NetworkNotFound({ net_id: networkId });
    const net = await tx.selectFrom('networks').select('router_external').where('id', '=', networkId).executeTakeFirst();
    if (!(net?.router_external === true || Number(net?.router_external) === 1)) throw routerBadRequest(`Network ${networkId} is not an external network`);
    const gateways = (await tx.selectFrom('subnets').select('gateway_ip').where('network_id', '=', networkId).execute()).map((s) => s.gateway_ip);
    for (const ip of extIps) {
      if (ip.ip_address && gateways.includes(ip.ip_address as string)) throw routerBadRequest(`External IP ${ip.ip_address} is the same as the gateway IP`);
    }
  }
  if (gw && externalIpsChange(gw, extIps) && gw.network_id === networkId) {
    await core.ports.update(tx, gw.id, { fixed_ips: extIps });
    return;
  }
  if (gw && gw.network_id !== networkId) {
    const fip = await tx.selectFrom('floatingips').select('id').where('router_id', '=', routerId).limit(1).executeTakeFirst();
    if (fip) throw new RouterExternalGatewayInUseByFloatingIp({ router_id: routerId, net_id: gw.network_id });
    await core.ports.delete(tx, gw.id);
  }
  if (networkId && (!gw || gw.network_id !== networkId)) {
    await checkDuplicateRouterSubnets(tx, core, routerId, await subnetsOf(tx, 'network_id', [networkId]));
    await core.ports.create(tx, {
      tenant_id: '', network_id: networkId, ...(extIps.length ? { fixed_ips: extIps } : {}),
      device_id: routerId, device_owner: DEVICE_OWNER_ROUTER_GW, admin_state_up: true, name: '',
    });
  }
}

/** /v2.0/routers: the router plugin's routers, with their gateway, routes and interfaces. */
export function createRouterResource(core: L3Core, opts: RouterOptions, notifier: RouterNotifier): SqlResource {
  const { db, api } = core;
  const def = api.resources.get('routers')!;
  const hasSnat = api.hasExtension('ext-gw-mode');
  const has = (attr: string) => attr in def.attributes;

  function enableSnat(info: Item | null): boolean {
    return info && 'enable_snat' in info ? info.enable_snat as boolean : opts.enableSnatByDefault;
  }

  /** A member action on a router the caller may act on, in one transaction that holds the router's row. */
  function onRouter<T>(run: (tx: Tx, ctx: RequestContext, router: Item, body: Item | undefined) => Promise<T>) {
    return async (ctx: RequestContext, id: string, body: Item | undefined, wopts: WriteOpts): Promise<T> => {
      const result = await db.write(async (tx) => {
        const router = await resource.loadForWrite(tx, ctx, id, wopts);
        await bumpRevision(tx, 'routers', id);
        return run(tx, ctx, router, body);
      });
      notifier.routersUpdated(ctx, [id]);
      return result;
    };
  }

  /** add_extraroutes / remove_extraroutes: {"router": {"routes": [...]}} merged into the routes, answered with the router. */
  function extraRoutes(add: boolean) {
    return onRouter(async (tx, ctx, router, body) => {
      const given = (body?.router as Item | undefined)?.routes;
      if (!Array.isArray(given)) throw new HTTPBadRequest("Invalid input for routes. Reason: the request needs {'router': {'routes': [...]}}.");
      const msg = def.attributes.routes?.validate?.(given);
      if (msg) throw new HTTPBadRequest(`Invalid input for routes. Reason: ${msg}.`);
      const key = (r: Item) => { const c = canonicalRoute(r as any); return `${c.destination} ${c.nexthop}`; };
      const current = await routesOf(tx, router.id as string);
      const removing = new Set((given as Item[]).map(key));
      const routes: Item[] = add ? [...current, ...(given as Item[])] : current.filter((r) => !removing.has(key(r)));
      const unique = [...new Map(routes.map((r) => [key(r), canonicalRoute(r as any)])).values()];
      await validateRoutes(tx, core, opts, router.id as string, unique);
      await storeRoutes(tx, router.id as string, unique);
      return { router: await resource.load(tx, router.id as string, ctx) };
    });
  }

  const resource: SqlResource = new SqlResource(core, def, {
    notFound: (id) => new RouterNotFound({ router_id: id }),
    scope: (qb, ctx) => qb.where('routers.project_id', '=', ctx.projectId),

    async extend(q, routers) {
      const ids = routers.map((r) => r.id as string);
      const gateways = new Map((await core.ports.byDevice(q, ids, [DEVICE_OWNER_ROUTER_GW])).map((p) => [p.device_id, p]));
      const snat = new Map<string, boolean>();
      const routes = new Map<string, Item[]>();
      const zones = new Map<string, Set<string>>();
      await inChunks(ids, async (chunk) => {
        if (hasSnat) {
          for (const r of await q.selectFrom('routers').select(['id', 'enable_snat']).where('id', 'in', chunk).execute()) {
            snat.set(r.id, r.enable_snat === true || Number(r.enable_snat) === 1);
          }
        }
        if (has('routes')) {
          const rows = await q.selectFrom('router_routes').selectAll().where('router_id', 'in', chunk).orderBy('destination').orderBy('nexthop').execute();
          for (const r of rows) routes.set(r.router_id, [...(routes.get(r.router_id) ?? []), { destination: r.destination, nexthop: r.nexthop }]);
        }
        if (has('availability_zones')) {
          const rows = await q.selectFrom('router_l3_agent_bindings').innerJoin('agents', 'agents.id', 'router_l3_agent_bindings.l3_agent_id')
            .select(['router_l3_agent_bindings.router_id', 'agents.availability_zone']).where('router_l3_agent_bindings.router_id', 'in', chunk).execute();
          for (const r of rows) if (r.availability_zone) zones.set(r.router_id, (zones.get(r.router_id) ?? new Set()).add(r.availability_zone));
        }
      });
      for (const r of routers) {
        const gw = gateways.get(r.id as string);
        r.external_gateway_info = gw ? {
          network_id: gw.network_id,
          ...(hasSnat ? { enable_snat: snat.get(r.id as string) ?? true } : {}),
          external_fixed_ips: gw.fixed_ips.map((f: FixedIp) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
        } : null;
        if (has('routes')) r.routes = routes.get(r.id as string) ?? [];
        if (has('availability_zones')) r.availability_zones = [...(zones.get(r.id as string) ?? [])].sort();
      }
    },

    async beforeCreate(tx, { current: r }) {
      await checkAvailabilityZones(tx, 'router', r.availability_zone_hints);
      r.status = 'ACTIVE';
      if (has('distributed') && (r.distributed === UNSET || r.distributed === null)) r.distributed = opts.routerDistributed;
      if (has('ha') && (r.ha === UNSET || r.ha === null)) r.ha = opts.l3Ha;
    },

    async afterCreate(tx, { context: ctx, current: r }) {
      const info = r.external_gateway_info as Item | null;
      if (hasSnat) await tx.updateTable('routers').set({ enable_snat: enableSnat(info) ? 1 : 0 }).where('id', '=', r.id as string).execute();
      if (info && Object.keys(info).length) await updateGateway(tx, ctx, core, r, info);
    },

    async beforeUpdate(tx, { context: ctx, original: current, changes }) {
      const adminUp = (changes.admin_state_up ?? current.admin_state_up) as boolean;
      if (has('distributed') && changes.distributed !== undefined && changes.distributed !== null && changes.distributed !== current.distributed
        && (adminUp || current.admin_state_up)) {
        throw routerBadRequest("Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade");
      }
      if (has('ha') && changes.ha !== undefined && changes.ha !== null && changes.ha !== current.ha && adminUp) {
        throw routerBadRequest('Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade');
      }
      for (const k of ['distributed', 'ha']) if (changes[k] === null) delete changes[k];
      if ('external_gateway_info' in changes) {
        const info = changes.external_gateway_info as Item | null;
        if (hasSnat) await tx.updateTable('routers').set({ enable_snat: enableSnat(info) ? 1 : 0 }).where('id', '=', current.id as string).execute();
        await updateGateway(tx, ctx, core, current, info);
      }
      if ('routes' in changes || 'external_gateway_info' in changes) {
        const routes = 'routes' in changes ? changes.routes as Item[] : await routesOf(tx, current.id as string);
        await validateRoutes(tx, core, opts, current.id as string, routes);
        if ('routes' in changes) await storeRoutes(tx, current.id as string, routes);
      }
    },

    async beforeDelete(tx, { current: r }) {
      const routerId = r.id as string;
      const attached = await core.ports.byDevice(tx, [routerId], ROUTER_INTERFACE_OWNERS);
      if (attached.length) throw new RouterInUse({ router_id: routerId, reason: `has ports still attached: ${attached.map((p) => p.id).join(', ')}` });
      const [gw] = await core.ports.byDevice(tx, [routerId], [DEVICE_OWNER_ROUTER_GW]);
      if (gw) {
        const fip = await tx.selectFrom('floatingips').select('id').where('router_id', '=', routerId).limit(1).executeTakeFirst();
        if (fip) throw new RouterExternalGatewayInUseByFloatingIp({ router_id: routerId, net_id: gw.network_id });
        await core.ports.delete(tx, gw.id);
      }
    },

    actions: {
      add_router_interface: onRouter((tx, ctx, router, body) => addRouterInterface(tx, ctx, core, router, body)),
      remove_router_interface: onRouter((tx, ctx, router, body) => removeRouterInterface(tx, ctx, core, router, body)),
      ...(api.hasExtension('extraroute-atomic') ? { add_extraroutes: extraRoutes(true), remove_extraroutes: extraRoutes(false) } : {}),
    },
  });
  return resource;
}
