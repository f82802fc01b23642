import { parseIp } from '../../lib/address.js';
import { UNSET } from '../../lib/attributes.js';
import { DEVICE_OWNER_ROUTER_GW, ROUTER_INTERFACE_OWNERS } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  AddressScopeConflict, BadRequest, InvalidAddress, NDPProxyNotFound, PortUnreachableRouter, RouterGatewayInUseByNDPProxy,
  RouterGatewayNotValid, RouterInterfaceInUseByNDPProxy, RouterNDPProxyNotEnable,
} from '../../lib/errors.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { inChunks } from '../../db/chunks.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { RpcClient } from '../../rpc/client.js';
import type { FixedIp } from '../l3/l3-core.js';

const NDP_PROXY_VERSION = '1.0';
const isV6 = (ip: string) => parseIp(ip)?.version === 6;
const flag = (v: unknown) => v === true || Number(v) === 1;

/** A network's IPv6 address scope: that of the pool of one of its IPv6 subnets (the address-scope extension's ipv6_address_scope). */
async function ipv6AddressScope(q: Queryable, networkId: string): Promise<string | null> {
  const row = await q.selectFrom('subnets').innerJoin('subnetpools', 'subnetpools.id', 'subnets.subnetpool_id')
    .select('subnetpools.address_scope_id').where('subnets.network_id', '=', networkId).where('subnets.ip_version', '=', 6)
    .where('subnetpools.address_scope_id', 'is not', null).executeTakeFirst();
  return row?.address_scope_id ?? null;
}

/** _check_ext_gw_network: an IPv6 address scope and an IPv6 subnet. */
async function gatewayNetworkSupportsNdp(q: Queryable, networkId: string): Promise<boolean> {
  if (!(await ipv6AddressScope(q, networkId))) return false;
  return !!(await q.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('ip_version', '=', 6).executeTakeFirst());
}

/** The router's gateway port, with its addresses. */
async function gatewayPort(q: Queryable, routerId: string): Promise<{ id: string; network_id: string; fixed_ips: string[] } | null> {
  const port = await q.selectFrom('ports').select(['id', 'network_id']).where('device_id', '=', routerId).where('device_owner', '=', DEVICE_OWNER_ROUTER_GW)
    .executeTakeFirst();
  if (!port) return null;
  const ips = await q.selectFrom('ipallocations').select('ip_address').where('port_id', '=', port.id).execute();
  return { ...port, fixed_ips: ips.map((i) => i.ip_address) };
}

/**
 * Neutron's `ndp_proxy` service plugin: routers' enable_ndp_proxy (only with a gateway on a
 * network with an IPv6 subnet and address scope; [DEFAULT] enable_ndp_proxy_by_default), and
 * /v2.0/ndp_proxies with the plugin's checks; NDPProxy objects pushed to the L3 agents.
 */
export class NdpProxyPlugin implements Plugin {
  readonly name = 'ndp_proxy';
  readonly supportedExtensionAliases = ['l3-ndp-proxy', 'l3-ext-ndp-proxy'];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, events, config, log } = ctx;
    const def = api.resources.get('ndp_proxies');
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!def || !ml2?.resources || !api.hasExtension('l3-ext-ndp-proxy')) return {};
    const ports = ml2.resources.ports;
    const byDefault = config.DEFAULT.enable_ndp_proxy_by_default;

    const setState = async (tx: Tx, routerId: string, state: boolean) => {
      const n = await tx.updateTable('router_ndp_proxy_state').set({ enable_ndp_proxy: state ? 1 : 0 }).where('router_id', '=', routerId).executeTakeFirst();
      if (!Number(n.numUpdatedRows)) await tx.insertInto('router_ndp_proxy_state').values({ router_id: routerId, enable_ndp_proxy: state ? 1 : 0 }).execute();
    };

    // _process_ndp_proxy_state_for_create_router (the gateway port exists by precommit)
    events.subscribe('router', 'precommit_create', async (tx, { current: router }) => {
      let state = router.enable_ndp_proxy as boolean | typeof UNSET | null;
      if (state === null || state === undefined) state = UNSET;
      const gw = await gatewayPort(tx, router.id as string);
      if (!gw && state === true) throw new RouterGatewayNotValid({ router_id: router.id as string, reason: 'The request body not contain external gateway information' });
      if ((state === UNSET && !gw) || (gw && state === false)) return;
      const supported = await gatewayNetworkSupportsNdp(tx, gw!.network_id);
      if (!supported && state === true) {
        throw new RouterGatewayNotValid({
          router_id: router.id as string,
          reason: `The external network ${gw!.network_id} don't support IPv6 ndp proxy, the network has no IPv6 subnets or has no IPv6 address scope`,
        });
      }
      await setState(tx, router.id as string, state === UNSET ? supported && byDefault : state);
    });

    // _process_ndp_proxy_state_for_update_router, and the gateway its proxies hold
    events.subscribe('router', 'precommit_update', async (tx, { original, changes }) => {
      const routerId = original.id as string;
      const gw = await gatewayPort(tx, routerId);
      if (!gw && (await tx.selectFrom('ndp_proxies').select('id').where('router_id', '=', routerId).executeTakeFirst())) {
        throw new RouterGatewayInUseByNDPProxy({ router_id: routerId });
      }
      const supported = !!gw && gw.fixed_ips.some(isV6) && (await gatewayNetworkSupportsNdp(tx, gw.network_id));
      const state = changes.enable_ndp_proxy;
      if (state === true && !supported) {
        throw new RouterGatewayNotValid({
          router_id: routerId, reason: 'The router has no external gateway or the external gateway port has no IPv6 address or IPv6 address scope',
        });
      }
      await setState(tx, routerId, state === undefined || state === UNSET || state === null ? supported : state === true);
    });

    // the router's enable_ndp_proxy: false without a gateway
    events.extend('router', async (q, routers, _rc, wanted) => {
      if (wanted && !wanted.has('enable_ndp_proxy')) return;
      const states = new Map<string, boolean>();
      await inChunks(routers.map((r) => r.id as string), async (chunk) => {
        for (const s of await q.selectFrom('router_ndp_proxy_state').selectAll().where('router_id', 'in', chunk).execute()) states.set(s.router_id, flag(s.enable_ndp_proxy));
      });
      for (const r of routers) r.enable_ndp_proxy = r.external_gateway_info ? states.get(r.id as string) ?? false : false;
    });

    // _check_router_remove_subnet_request: a router interface's subnet that proxied addresses are on stays
    const checkSubnetsKept = async (tx: Tx, port: Item, removed: string[]) => {
      if (!removed.length || !ROUTER_INTERFACE_OWNERS.includes(port.device_owner as string)) return;
      const routerId = port.device_id as string;
      const used = await tx.selectFrom('ndp_proxies').innerJoin('ipallocations', (j) => j.onRef('ipallocations.port_id', '=', 'ndp_proxies.port_id')
        .onRef('ipallocations.ip_address', '=', 'ndp_proxies.ip_address'))
        .select('ipallocations.subnet_id').where('ndp_proxies.router_id', '=', routerId).where('ipallocations.subnet_id', 'in', removed).executeTakeFirst();
      if (used) throw new RouterInterfaceInUseByNDPProxy({ router_id: routerId, subnet_id: used.subnet_id });
    };
    events.subscribe('port', 'before_delete', (tx, { current }) => checkSubnetsKept(tx, current, (current.fixed_ips as FixedIp[] ?? []).map((f) => f.subnet_id)));
    events.subscribe('port', 'before_update', async (tx, { original, changes }) => {
      if (!('fixed_ips' in changes)) return;
      const now = new Set((await tx.selectFrom('ipallocations').select('subnet_id').where('port_id', '=', original.id as string).execute()).map((r) => r.subnet_id));
      await checkSubnetsKept(tx, original, (original.fixed_ips as FixedIp[]).map((f) => f.subnet_id).filter((id) => !now.has(id)));
    });

    const routersOf = async (rc: RequestContext, tx: Tx, routerId: string) => {
      const l3 = ctx.plugins.get('router') as { resources?: { routers: SqlResource } } | undefined;
      return l3!.resources!.routers.load(tx, routerId, rc);
    };

    const proxies = new SqlResource(ctx, def, {
      notFound: (id) => new NDPProxyNotFound({ id }),
      scope: (qb, rc) => qb.where('ndp_proxies.project_id', '=', rc.projectId),
      async beforeCreate(tx, { context: rc, current: proxy }) {
        const routerId = proxy.router_id as string;
        const port = await ports.load(tx, proxy.port_id as string, rc);
        const routerPorts = await tx.selectFrom('ports').innerJoin('ipallocations', 'ipallocations.port_id', 'ports.id')
          .select(['ipallocations.subnet_id', 'ipallocations.ip_address']).where('ports.device_id', '=', routerId)
          .where('ports.network_id', '=', port.network_id as string).execute();
        const routerPortExists = await tx.selectFrom('ports').select('id').where('device_id', '=', routerId).where('network_id', '=', port.network_id as string).executeTakeFirst();
        if (!routerPortExists) throw new PortUnreachableRouter({ router_id: routerId, port_id: port.id as string });
        const router = await routersOf(rc, tx, routerId);
        if (!router.enable_ndp_proxy) throw new RouterNDPProxyNotEnable({ router_id: routerId });
        const gwInfo = router.external_gateway_info as { network_id: string };
        const extScope = await ipv6AddressScope(tx, gwInfo.network_id);
        // _check_port
        const portV6 = (port.fixed_ips as FixedIp[]).filter((f) => isV6(f.ip_address));
        if (!portV6.length) throw new BadRequest({ resource: 'ndp_proxy', msg: `Requested port ${port.id} must allocate one IPv6 address at least` });
        const routerSubnets = new Set(routerPorts.filter((f) => isV6(f.ip_address)).map((f) => f.subnet_id));
        if (!proxy.ip_address) {
          const usable = portV6.find((f) => routerSubnets.has(f.subnet_id));
          if (!usable) throw new PortUnreachableRouter({ port_id: port.id as string, router_id: routerId });
          proxy.ip_address = usable.ip_address;
        } else {
          const wanted = parseIp(proxy.ip_address);
          const match = portV6.find((f) => parseIp(f.ip_address)?.value === wanted?.value && wanted?.version === 6);
          if (!match) throw new InvalidAddress({ address: String(proxy.ip_address), reason: `This address not belong to the port ${port.id}` });
          if (!routerSubnets.has(match.subnet_id)) throw new InvalidAddress({ address: String(proxy.ip_address), reason: `This address cannot reach the router ${routerId}` });
          proxy.ip_address = match.ip_address;
        }
        const internalScope = await ipv6AddressScope(tx, port.network_id as string);
        if (extScope !== internalScope) throw new AddressScopeConflict({ ext_address_scope: extScope, internal_address_scope: internalScope });
      },
    });

    // ResourcesPushRpcApi: created and deleted
    const client = new RpcClient(ctx.transport, { topic: 'neutron-vo', version: '1.1', fanout: true }).prepare({ topic: `neutron-vo-NDPProxy-${NDP_PROXY_VERSION}` });
    const push = async (rc: RequestContext, p: Item, eventType: 'created' | 'deleted') => {
      const data = { id: p.id, project_id: p.project_id, name: p.name, router_id: p.router_id, port_id: p.port_id, ip_address: p.ip_address, description: p.description };
      await client.cast(rc, 'push', {
        resource_list: [{ 'versioned_object.name': 'NDPProxy', 'versioned_object.namespace': 'versionedobjects', 'versioned_object.version': NDP_PROXY_VERSION, 'versioned_object.data': data }],
        event_type: eventType,
      }).catch((err: unknown) => log.error({ err }, 'NDPProxy push failed'));
    };
    events.subscribe('ndp_proxy', 'after_create', (e) => push(e.context, e.current, 'created'));
    events.subscribe('ndp_proxy', 'after_delete', (e) => push(e.context, e.current, 'deleted'));
    return { ndp_proxies: proxies };
  }
}
