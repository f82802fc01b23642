import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a', 'member,reader');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('NDP proxies (ndp_proxy service plugin)', () => {
  let s: TestServer;
  let agent: Recorder;
  let ext: any;
  let pool: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router', 'ndp_proxy'] } });
    agent = new Recorder(s.server.transport, 'neutron-vo-NDPProxy-1.0', 'l3-1', ['push'], '1.1');
    await agent.start();
    const scope = await post('/v2.0/address-scopes', { address_scope: { name: 'v6', ip_version: 6, shared: true } }, ADMIN);
    pool = await post('/v2.0/subnetpools', { subnetpool: { name: 'v6', prefixes: ['2001:db8::/48'], default_prefixlen: 64, address_scope_id: scope.id, shared: true } }, ADMIN);
    ext = await post('/v2.0/networks', { network: { name: 'public', 'router:external': true } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: ext.id, ip_version: 6, subnetpool_id: pool.id } }, ADMIN);
  });
  after(async () => {
    await agent.stop();
    await s.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  async function internal(name: string, fromPool = true) {
    const net = await post('/v2.0/networks', { network: { name } });
    const subnet = await post('/v2.0/subnets', {
      subnet: fromPool ? { network_id: net.id, ip_version: 6, subnetpool_id: pool.id } : { network_id: net.id, ip_version: 6, cidr: 'fd00:1::/64' },
    });
    return { net, subnet };
  }

  test('enable_ndp_proxy needs a gateway on a network with an IPv6 subnet and address scope', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('l3-ndp-proxy') && aliases.includes('l3-ext-ndp-proxy'));
    const plain = await post('/v2.0/routers', { router: { name: 'plain' } });
    assert.equal(plain.enable_ndp_proxy, false);
    const noGw = await s.request('POST', '/v2.0/routers', { router: { name: 'x', enable_ndp_proxy: true } }, A);
    assert.equal(noGw.status, 409);
    assert.equal(type(noGw), 'RouterGatewayNotValid');
    assert.match(message(noGw), /^Can not enable ndp proxy on router [0-9a-f-]{36}, The request body not contain external gateway information\.$/);
    const v4only = await post('/v2.0/networks', { network: { name: 'public4', 'router:external': true } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: v4only.id, cidr: '172.25.4.0/24', ip_version: 4 } }, ADMIN);
    const unsupported = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: v4only.id }, enable_ndp_proxy: true } }, A);
    assert.equal(type(unsupported), 'RouterGatewayNotValid');
    assert.match(message(unsupported), /The external network .* don't support IPv6 ndp proxy/);
    const defaulted = await post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id } } });
    assert.equal(defaulted.enable_ndp_proxy, false, 'enable_ndp_proxy_by_default is false');
    const enabled = await s.request('PUT', `/v2.0/routers/${defaulted.id}`, { router: { enable_ndp_proxy: true } }, A);
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    assert.equal(enabled.body.router.enable_ndp_proxy, true);
    const refused = await s.request('PUT', `/v2.0/routers/${plain.id}`, { router: { enable_ndp_proxy: true } }, A);
    assert.equal(refused.status, 409);
    assert.match(message(refused), /The router has no external gateway or the external gateway port has no IPv6 address or IPv6 address scope\.$/);
  });

  test('NDP proxies: the address of a port on a router subnet in the gateway\'s address scope', async () => {
    const router = await post('/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id }, enable_ndp_proxy: true } });
    assert.equal(router.enable_ndp_proxy, true);
    const { net, subnet } = await internal('inside');
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, A)).status, 200);
    const vm = await post('/v2.0/ports', { port: { network_id: net.id } });
    const proxy = await post('/v2.0/ndp_proxies', { ndp_proxy: { name: 'web', router_id: router.id, port_id: vm.id } });
    assert.equal(proxy.ip_address, vm.fixed_ips[0].ip_address);
    assert.equal(proxy.project_id, 'project-a');
    assert.equal(proxy.description, '');
    const created = await eventually(() => agent.of('push').find((m) => m.args.event_type === 'created'), 5000, 'push');
    assert.equal(created.args.resource_list[0]['versioned_object.data'].id, proxy.id);

    const notOnPort = await s.request('POST', '/v2.0/ndp_proxies', { ndp_proxy: { router_id: router.id, port_id: vm.id, ip_address: '2001:db8:ffff::1' } }, A);
    assert.equal(notOnPort.status, 400);
    assert.equal(message(notOnPort), `The address 2001:db8:ffff::1 is invalid, reason: This address not belong to the port ${vm.id}.`);
    const elsewhere = await internal('elsewhere');
    const far = await post('/v2.0/ports', { port: { network_id: elsewhere.net.id } });
    const unreachable = await s.request('POST', '/v2.0/ndp_proxies', { ndp_proxy: { router_id: router.id, port_id: far.id } }, A);
    assert.equal(unreachable.status, 409);
    assert.equal(message(unreachable), `The port ${far.id} cannot reach the router ${router.id} by IPv6 subnet.`);
    const unscoped = await internal('unscoped', false);
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: unscoped.subnet.id }, A)).status, 200);
    const plainPort = await post('/v2.0/ports', { port: { network_id: unscoped.net.id } });
    const conflict = await s.request('POST', '/v2.0/ndp_proxies', { ndp_proxy: { router_id: router.id, port_id: plainPort.id } }, A);
    assert.equal(conflict.status, 409);
    assert.equal(type(conflict), 'AddressScopeConflict');
    const v4net = await post('/v2.0/networks', { network: { name: 'v4' } });
    const v4sub = await post('/v2.0/subnets', { subnet: { network_id: v4net.id, cidr: '10.8.0.0/24', ip_version: 4 } });
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: v4sub.id }, A)).status, 200);
    const v4port = await post('/v2.0/ports', { port: { network_id: v4net.id } });
    const noV6 = await s.request('POST', '/v2.0/ndp_proxies', { ndp_proxy: { router_id: router.id, port_id: v4port.id } }, A);
    assert.equal(message(noV6), `Bad ndp_proxy request: Requested port ${v4port.id} must allocate one IPv6 address at least.`);

    const off = await post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id }, enable_ndp_proxy: false } });
    const offNet = await internal('off');
    await s.request('PUT', `/v2.0/routers/${off.id}/add_router_interface`, { subnet_id: offNet.subnet.id }, A);
    const offPort = await post('/v2.0/ports', { port: { network_id: offNet.net.id } });
    const disabled = await s.request('POST', '/v2.0/ndp_proxies', { ndp_proxy: { router_id: off.id, port_id: offPort.id } }, A);
    assert.equal(type(disabled), 'RouterNDPProxyNotEnable');

    const iface = await s.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: subnet.id }, A);
    assert.equal(iface.status, 409);
    assert.equal(message(iface), `Unable to remove subnet ${subnet.id} from router ${router.id}, There are one or more ndp proxies still in use on the subnet.`);
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: unscoped.subnet.id }, A)).status, 200,
      'a subnet no proxy uses goes');
    const held = await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { external_gateway_info: {} } }, A);
    assert.equal(held.status, 409);
    assert.equal(type(held), 'RouterGatewayInUseByNDPProxy');
    const renamed = await s.request('PUT', `/v2.0/ndp_proxies/${proxy.id}`, { ndp_proxy: { name: 'renamed', description: 'd' } }, A);
    assert.equal(renamed.body.ndp_proxy.name, 'renamed');
    assert.equal((await s.request('GET', `/v2.0/ndp_proxies/${proxy.id}`, undefined, asProject('project-b', 'member,reader'))).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/ndp_proxies/${proxy.id}`, undefined, A)).status, 204);
    await eventually(() => agent.of('push').find((m) => m.args.event_type === 'deleted'), 5000, 'deleted push');
    const gone = await s.request('GET', `/v2.0/ndp_proxies/${proxy.id}`, undefined, A);
    assert.equal(message(gone), `Ndp proxy ${proxy.id} could not be found.`);
  });
});
