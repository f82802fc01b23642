import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('external networks, routers and floating IPs', () => {
  let s: TestServer;
  let ext: any;
  let extSubnet: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router'], max_routes: 3 } });
    ext = await post('/v2.0/networks', { network: { name: 'public', 'router:external': true } }, ADMIN);
    extSubnet = await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } }, ADMIN);
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const put = (path: string, body: unknown, headers: Record<string, string> = A) => s.request('PUT', path, body, headers);
  async function tenantNetwork(cidr: string, headers = A) {
    const net = await post('/v2.0/networks', { network: { name: `net-${cidr}` } }, headers);
    const subnet = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } }, headers);
    return { net, subnet };
  }
  const routerPorts = async (routerId: string) =>
    (await s.request('GET', `/v2.0/ports?device_id=${routerId}`, undefined, ADMIN)).body.ports;

  test('external networks: admin-only flag, visible to every project, filterable', async () => {
    const refused = await s.request('POST', '/v2.0/networks', { network: { 'router:external': true } }, A);
    assert.equal(refused.status, 403);
    assert.match(message(refused), /router:external/);
    const seen = await s.request('GET', `/v2.0/networks/${ext.id}`, undefined, B);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.network['router:external'], true);
    assert.equal(seen.body.network.shared, false);
    const listed = await s.request('GET', '/v2.0/networks?router:external=true', undefined, B);
    assert.deepEqual(listed.body.networks.map((n: any) => n.id), [ext.id]);
    const notMine = await s.request('PUT', `/v2.0/networks/${ext.id}`, { network: { name: 'x' } }, B);
    assert.equal(notMine.status, 403, 'visible but not writable');
  });

  test('a router with a gateway gets a gateway port on the external network', async () => {
    const exts = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    for (const a of ['router', 'ext-gw-mode', 'extraroute', 'extraroute-atomic', 'dvr', 'l3-ha', 'fip-port-details', 'router_availability_zone']) {
      assert.ok(exts.includes(a), a);
    }
    const r = await post('/v2.0/routers', { router: { name: 'r1', external_gateway_info: { network_id: ext.id } } });
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.admin_state_up, true);
    assert.equal(r.tenant_id, 'project-a');
    assert.deepEqual(r.routes, []);
    assert.deepEqual(r.tags, []);
    assert.equal('distributed' in r, false, 'distributed and ha are admin-only');
    assert.equal('ha' in r, false);
    const gw = r.external_gateway_info;
    assert.equal(gw.network_id, ext.id);
    assert.equal(gw.enable_snat, true, 'enable_snat_by_default');
    assert.equal(gw.external_fixed_ips.length, 1);
    assert.equal(gw.external_fixed_ips[0].subnet_id, extSubnet.id);
    const [port] = await routerPorts(r.id);
    assert.equal(port.device_owner, 'network:router_gateway');
    assert.equal(port.tenant_id, '', 'the gateway port belongs to no project');
    assert.equal(port.network_id, ext.id);
    assert.equal(port.fixed_ips[0].ip_address, gw.external_fixed_ips[0].ip_address);
    const asAdmin = (await s.request('GET', `/v2.0/routers/${r.id}`, undefined, ADMIN)).body.router;
    assert.equal(asAdmin.distributed, false);
    assert.equal(asAdmin.ha, false);

    // the gateway goes with {} and comes back with an address chosen by an admin
    const cleared = await put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.router.external_gateway_info, null);
    assert.deepEqual(await routerPorts(r.id), []);
    const fixed = await put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, enable_snat: false, external_fixed_ips: [{ ip_address: '172.24.4.200' }] } } }, ADMIN);
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.router.external_gateway_info.enable_snat, false);
    assert.deepEqual(fixed.body.router.external_gateway_info.external_fixed_ips, [{ subnet_id: extSubnet.id, ip_address: '172.24.4.200' }]);
    const moved = await put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '172.24.4.201' }] } } }, ADMIN);
    assert.equal(moved.body.router.external_gateway_info.external_fixed_ips[0].ip_address, '172.24.4.201');
    assert.equal((await routerPorts(r.id)).length, 1, 'the same port got the new address');
    assert.equal((await s.request('DELETE', `/v2.0/routers/${r.id}`, undefined, A)).status, 204);
    assert.deepEqual(await routerPorts(r.id), [], 'the gateway port goes with the router');
  });

  test('gateway and admin-only attributes: Neutron\'s errors', async () => {
    const internal = await post('/v2.0/networks', { network: { name: 'not-external' } });
    const notExternal = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: internal.id } } }, A);
    assert.equal(notExternal.status, 400);
    assert.equal(message(notExternal), `Bad router request: Network ${internal.id} is not an external network.`);
    const snat = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } }, A);
    assert.equal(snat.status, 403);
    const ips = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '172.24.4.9' }] } } }, A);
    assert.equal(ips.status, 403);
    const gwIp = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '172.24.4.1' }] } } }, ADMIN);
    assert.equal(gwIp.status, 400);
    assert.equal(message(gwIp), 'Bad router request: External IP 172.24.4.1 is the same as the gateway IP.');
    const bad: Array<[unknown, string]> = [
      [{ enable_snat: true }, "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {'enable_snat'}."],
      [{ network_id: ext.id, colour: 'red' }, 'Invalid input for external_gateway_info. Reason: Unexpected keys supplied: colour.'],
      [{ network_id: 'nope' }, "Invalid input for external_gateway_info. Reason: 'nope' is not a valid UUID."],
      ['x', "Invalid input for external_gateway_info. Reason: 'x' is not a dictionary."],
    ];
    for (const [info, msg] of bad) {
      const r = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: info } }, ADMIN);
      assert.equal(r.status, 400, JSON.stringify(info));
      assert.equal(message(r), msg);
    }
    const missing = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: '7ef3b2a1-0000-4000-8000-000000000000' } } }, A);
    assert.equal(missing.status, 404);
    assert.equal(type(missing), 'NetworkNotFound');

    assert.equal((await s.request('POST', '/v2.0/routers', { router: { distributed: true } }, A)).status, 403);
    assert.equal((await s.request('POST', '/v2.0/routers', { router: { ha: true } }, A)).status, 403);
    const dvr = await post('/v2.0/routers', { router: { name: 'dvr', distributed: true, project_id: 'project-a' } }, ADMIN);
    assert.equal(dvr.distributed, true);
    const active = await put(`/v2.0/routers/${dvr.id}`, { router: { distributed: false } }, ADMIN);
    assert.equal(active.status, 400);
    assert.equal(message(active), "Bad router request: Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade.");
    await put(`/v2.0/routers/${dvr.id}`, { router: { admin_state_up: false } }, ADMIN);
    const migrated = await put(`/v2.0/routers/${dvr.id}`, { router: { distributed: false, ha: true } }, ADMIN);
    assert.equal(migrated.status, 200);
    assert.equal(migrated.body.router.distributed, false);
    assert.equal(migrated.body.router.ha, true);
    const memberView = (await s.request('GET', `/v2.0/routers/${dvr.id}`, undefined, A)).body.router;
    assert.equal('ha' in memberView, false);
    assert.equal((await put(`/v2.0/routers/${dvr.id}`, { router: { ha: false } }, A)).status, 403);
  });

  test('router interfaces by subnet and by port, with Neutron\'s checks', async () => {
    const r = await post('/v2.0/routers', { router: { name: 'ri', external_gateway_info: { network_id: ext.id } } });
    const { net, subnet } = await tenantNetwork('10.1.0.0/24');
    const add = await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: subnet.id });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.deepEqual(Object.keys(add.body).sort(), ['id', 'network_id', 'port_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
    assert.equal(add.body.id, r.id);
    assert.equal(add.body.network_id, net.id);
    assert.deepEqual(add.body.subnet_ids, [subnet.id]);
    const port = (await s.request('GET', `/v2.0/ports/${add.body.port_id}`, undefined, A)).body.port;
    assert.equal(port.device_owner, 'network:router_interface');
    assert.equal(port.device_id, r.id);
    assert.equal(port.tenant_id, 'project-a');
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.1.0.1' }], 'the interface takes the gateway IP');
    const shown = (await s.request('GET', `/v2.0/routers/${r.id}`, undefined, A)).body.router;
    assert.equal(shown.revision_number, r.revision_number + 1, 'an interface revises its router');

    const again = await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: subnet.id });
    assert.equal(again.status, 400);
    assert.equal(message(again), `Bad router request: Router already has a port on subnet ${subnet.id}.`);
    const { subnet: overlap } = await tenantNetwork('10.1.0.0/16');
    const overlapping = await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: overlap.id });
    assert.equal(overlapping.status, 400);
    assert.equal(message(overlapping), `Bad router request: Cidr 10.1.0.0/16 of subnet ${overlap.id} overlaps with cidr 10.1.0.0/24 of subnet ${subnet.id}.`);
    const { subnet: extOverlap } = await tenantNetwork('172.24.4.0/25');
    const withGateway = await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: extOverlap.id });
    assert.equal(withGateway.status, 400, 'the gateway network\'s subnets count');

    const noGwNet = await post('/v2.0/networks', { network: { name: 'nogw' } });
    const noGw = await post('/v2.0/subnets', { subnet: { network_id: noGwNet.id, cidr: '10.9.0.0/24', ip_version: 4, gateway_ip: null } });
    const noGateway = await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: noGw.id });
    assert.equal(message(noGateway), 'Bad router request: Subnet for router interface must have a gateway IP.');

    for (const [body, msg] of [
      [{}, 'Bad router request: Either subnet_id or port_id must be specified.'],
      [{ subnet_id: subnet.id, port_id: port.id }, 'Bad router request: Cannot specify both subnet-id and port-id.'],
      [{ subnet_id: 'nope' }, "Bad router request: 'nope' is not a valid UUID."],
    ] as const) {
      const res = await put(`/v2.0/routers/${r.id}/add_router_interface`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(message(res), msg);
    }

    // by port: a free port with an address joins; one in use does not
    const { net: net2, subnet: subnet2 } = await tenantNetwork('10.2.0.0/24');
    const free = await post('/v2.0/ports', { port: { network_id: net2.id } });
    const byPort = await put(`/v2.0/routers/${r.id}/add_router_interface`, { port_id: free.id });
    assert.equal(byPort.status, 200, JSON.stringify(byPort.body));
    assert.equal(byPort.body.port_id, free.id);
    assert.deepEqual(byPort.body.subnet_ids, [subnet2.id]);
    const used = await post('/v2.0/ports', { port: { network_id: net2.id, device_id: 'vm-1' } });
    const inUse = await put(`/v2.0/routers/${r.id}/add_router_interface`, { port_id: used.id });
    assert.equal(inUse.status, 409);
    assert.equal(type(inUse), 'PortInUse');
    const noIps = await post('/v2.0/ports', { port: { network_id: net2.id, fixed_ips: [] } });
    const empty = await put(`/v2.0/routers/${r.id}/add_router_interface`, { port_id: noIps.id });
    assert.equal(message(empty), 'Bad router request: Router port must have at least one fixed IP.');

    // the ports of a router are not deleted through the ports API, and keep the router in use
    const direct = await s.request('DELETE', `/v2.0/ports/${free.id}`, undefined, A);
    assert.equal(direct.status, 409);
    assert.equal(type(direct), 'ServicePortInUse');
    assert.equal(message(direct), `Port ${free.id} cannot be deleted directly via the port API: has device owner network:router_interface.`);
    const inUseDelete = await s.request('DELETE', `/v2.0/routers/${r.id}`, undefined, A);
    assert.equal(inUseDelete.status, 409);
    assert.equal(type(inUseDelete), 'RouterInUse');
    assert.match(message(inUseDelete), new RegExp(`^Router ${r.id} has ports still attached: `));

    // removal
    const mismatch = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { port_id: free.id, subnet_id: subnet.id });
    assert.equal(mismatch.status, 400);
    assert.equal(type(mismatch), 'SubnetMismatchForPort');
    const removedPort = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { port_id: free.id });
    assert.equal(removedPort.status, 200);
    assert.equal((await s.request('GET', `/v2.0/ports/${free.id}`, undefined, A)).status, 404, 'the port goes');
    const notThere = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { port_id: free.id });
    assert.equal(notThere.status, 404);
    assert.equal(type(notThere), 'RouterInterfaceNotFound');
    const removedSubnet = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: subnet.id });
    assert.equal(removedSubnet.status, 200);
    assert.equal(removedSubnet.body.port_id, add.body.port_id);
    const noSubnet = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: subnet.id });
    assert.equal(noSubnet.status, 404);
    assert.equal(type(noSubnet), 'RouterInterfaceNotFoundForSubnet');
    assert.equal((await s.request('DELETE', `/v2.0/routers/${r.id}`, undefined, A)).status, 204);
  });

  test("a project cannot attach another project's subnet, nor act on another project's router", async () => {
    const mine = await post('/v2.0/routers', { router: { name: 'mine' } });
    const { subnet: theirs } = await tenantNetwork('10.3.0.0/24', B);
    const res = await put(`/v2.0/routers/${mine.id}/add_router_interface`, { subnet_id: theirs.id });
    assert.equal(res.status, 404);
    assert.equal(type(res), 'SubnetNotFound');
    const theirRouter = await post('/v2.0/routers', { router: { name: 'theirs' } }, B);
    const { subnet } = await tenantNetwork('10.4.0.0/24');
    const onTheirs = await put(`/v2.0/routers/${theirRouter.id}/add_router_interface`, { subnet_id: subnet.id });
    assert.equal(onTheirs.status, 404);
    assert.equal(type(onTheirs), 'RouterNotFound');
    assert.equal((await s.request('GET', `/v2.0/routers/${theirRouter.id}`, undefined, A)).status, 404);
    // a network shared with everyone is still not the project's to route (LP#1757482)
    const shared = await post('/v2.0/networks', { network: { name: 'shared', shared: true } }, ADMIN);
    const sharedSubnet = await post('/v2.0/subnets', { subnet: { network_id: shared.id, cidr: '10.5.0.0/24', ip_version: 4 } }, ADMIN);
    const sharedRes = await put(`/v2.0/routers/${mine.id}/add_router_interface`, { subnet_id: sharedSubnet.id });
    assert.equal(sharedRes.status, 400);
    assert.equal(message(sharedRes), `Bad router request: Cannot add interface to router because subnet ${sharedSubnet.id} is not owned by project making the request.`);
  });

  test('extra routes: nexthops on the router\'s subnets, max_routes, atomic add and remove', async () => {
    const r = await post('/v2.0/routers', { router: { name: 'routes' } });
    const { subnet } = await tenantNetwork('10.6.0.0/24');
    await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: subnet.id });
    const ok = await put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '192.168.0.0/24', nexthop: '10.6.0.10' }] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.router.routes, [{ destination: '192.168.0.0/24', nexthop: '10.6.0.10' }]);
    const far = await put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '192.168.1.0/24', nexthop: '10.7.0.1' }] } });
    assert.equal(far.status, 400);
    assert.equal(message(far), "Invalid format for routes: [{'destination': '192.168.1.0/24', 'nexthop': '10.7.0.1'}], the nexthop is not connected with router.");
    const self = await put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: '192.168.1.0/24', nexthop: '10.6.0.1' }] } });
    assert.equal(type(self), 'InvalidRoutes');
    assert.match(message(self), /the nexthop is used by router\.$/);
    const many = Array.from({ length: 4 }, (_, i) => ({ destination: `192.168.${i}.0/24`, nexthop: '10.6.0.10' }));
    const exhausted = await put(`/v2.0/routers/${r.id}`, { router: { routes: many } });
    assert.equal(exhausted.status, 400);
    assert.equal(message(exhausted), `Unable to complete operation for ${r.id}. The number of routes exceeds the maximum 3.`);
    const badFormat = await put(`/v2.0/routers/${r.id}`, { router: { routes: [{ destination: 'x', nexthop: '10.6.0.10' }] } });
    assert.equal(badFormat.status, 400);

    const added = await put(`/v2.0/routers/${r.id}/add_extraroutes`, { router: { routes: [{ destination: '192.168.9.0/24', nexthop: '10.6.0.11' }, { destination: '192.168.0.0/24', nexthop: '10.6.0.10' }] } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.router.routes.length, 2, 'an existing route is not added twice');
    const removed = await put(`/v2.0/routers/${r.id}/remove_extraroutes`, { router: { routes: [{ destination: '192.168.0.0/24', nexthop: '10.6.0.10' }, { destination: '10.99.0.0/16', nexthop: '10.6.0.99' }] } });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.router.routes, [{ destination: '192.168.9.0/24', nexthop: '10.6.0.11' }]);

    const needed = await put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: subnet.id });
    assert.equal(needed.status, 409);
    assert.equal(type(needed), 'RouterInterfaceInUseByRoute');
    await put(`/v2.0/routers/${r.id}`, { router: { routes: null } });
    assert.equal((await put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: subnet.id })).status, 200);
  });

  test('floating IPs: allocate, associate through a router, disassociate, errors', async () => {
    const r = await post('/v2.0/routers', { router: { name: 'fip', external_gateway_info: { network_id: ext.id } } });
    const { net, subnet } = await tenantNetwork('10.8.0.0/24');
    await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: subnet.id });
    const vm = await post('/v2.0/ports', { port: { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm' } });

    const fip = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, description: 'web' } });
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.router_id, null);
    assert.equal(fip.port_id, null);
    assert.equal(fip.fixed_ip_address, null);
    assert.equal(fip.port_details, null);
    assert.equal(fip.description, 'web');
    assert.equal('subnet_id' in fip, false);
    assert.match(fip.floating_ip_address, /^172\.24\.4\.\d+$/);
    const [fipPort] = (await s.request('GET', `/v2.0/ports?device_id=${fip.id}`, undefined, ADMIN)).body.ports;
    assert.equal(fipPort.device_owner, 'network:floatingip');
    assert.equal(fipPort.tenant_id, '');
    assert.equal(fipPort.status, 'N/A');

    const assoc = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm.id } });
    assert.equal(assoc.status, 200, JSON.stringify(assoc.body));
    assert.equal(assoc.body.floatingip.router_id, r.id);
    assert.equal(assoc.body.floatingip.fixed_ip_address, vm.fixed_ips[0].ip_address);
    assert.deepEqual(assoc.body.floatingip.port_details, {
      name: '', network_id: net.id, mac_address: vm.mac_address, admin_state_up: true, status: 'DOWN', device_id: 'vm', device_owner: 'compute:nova',
    });
    const second = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vm.id } }, A);
    assert.equal(second.status, 409);
    assert.equal(type(second), 'FloatingIPPortAlreadyAssociated');
    const byRouter = await s.request('GET', `/v2.0/floatingips?router_id=${r.id}`, undefined, A);
    assert.deepEqual(byRouter.body.floatingips.map((f: any) => f.id), [fip.id]);

    const gwInUse = await put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } });
    assert.equal(gwInUse.status, 409);
    assert.equal(type(gwInUse), 'RouterExternalGatewayInUseByFloatingIp');

    const off = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(off.body.floatingip.port_id, null);
    assert.equal(off.body.floatingip.router_id, null);
    assert.equal(off.body.floatingip.fixed_ip_address, null);

    // an address of a network no router connects to the external network is not reachable
    const { net: lonely } = await tenantNetwork('10.10.0.0/24');
    const lonelyPort = await post('/v2.0/ports', { port: { network_id: lonely.id } });
    const unreachable = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: lonelyPort.id } });
    assert.equal(unreachable.status, 404);
    assert.equal(type(unreachable), 'ExternalGatewayForFloatingIPNotFound');
    assert.equal(message(unreachable), `External network ${ext.id} is not reachable from subnet ${lonelyPort.fixed_ips[0].subnet_id}.  Therefore, cannot associate Port ${lonelyPort.id} with a Floating IP.`);

    // an address of the port's subnet that the port does not have: its own was picked at random
    const notVms = vm.fixed_ips[0].ip_address === '10.8.0.250' ? '10.8.0.251' : '10.8.0.250';
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ fixed_ip_address: '10.8.0.50' }, 400, 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.'],
      [{ port_id: vm.id, fixed_ip_address: notVms }, 400, `Bad floatingip request: Port ${vm.id} does not have fixed ip ${notVms}.`],
    ];
    for (const [body, status, msg] of cases) {
      const res = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: body });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(message(res), msg);
    }
    const otherPort = await post('/v2.0/ports', { port: { network_id: (await tenantNetwork('10.11.0.0/24', B)).net.id } }, B);
    const notVisible = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: otherPort.id } });
    assert.equal(notVisible.status, 404);
    assert.equal(type(notVisible), 'PortNotFound');

    // creation errors
    const internalNet = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: net.id } }, A);
    assert.equal(internalNet.status, 400);
    assert.equal(message(internalNet), `Bad floatingip request: Network ${net.id} is not a valid external network.`);
    // an address no port holds yet: the router's gateway and the first floating IP took theirs at random
    const held = new Set((await s.request('GET', `/v2.0/ports?network_id=${ext.id}`, undefined, ADMIN)).body.ports
      .flatMap((p: any) => p.fixed_ips.map((f: any) => f.ip_address)));
    assert.ok(held.has(fip.floating_ip_address), JSON.stringify([...held]));
    const wanted = ['172.24.4.99', '172.24.4.98', '172.24.4.97'].find((a) => !held.has(a))!;
    const chosen = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, floating_ip_address: wanted } }, A);
    assert.equal(chosen.status, 403, 'choosing the address is admin-only');
    const byAdmin = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, floating_ip_address: wanted, project_id: 'project-a' } }, ADMIN);
    assert.equal(byAdmin.floating_ip_address, wanted);
    const taken = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, floating_ip_address: wanted } }, ADMIN);
    assert.equal(taken.status, 409);
    assert.equal(type(taken), 'IpAddressAlreadyAllocated');
    const inSubnet = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, subnet_id: extSubnet.id, port_id: vm.id } });
    assert.equal(inSubnet.router_id, r.id);

    // deleting the port disassociates; deleting the floating IP frees its address and port
    assert.equal((await s.request('DELETE', `/v2.0/ports/${vm.id}`, undefined, A)).status, 204);
    const after = (await s.request('GET', `/v2.0/floatingips/${inSubnet.id}`, undefined, A)).body.floatingip;
    assert.equal(after.port_id, null);
    assert.equal(after.router_id, null);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${fipPort.id}`, undefined, ADMIN)).status, 409, 'a floating IP\'s port is not deleted directly');
    for (const id of [fip.id, inSubnet.id, byAdmin.id]) assert.equal((await s.request('DELETE', `/v2.0/floatingips/${id}`, undefined, A)).status, 204);
    assert.deepEqual((await s.request('GET', `/v2.0/ports?device_id=${fip.id}`, undefined, ADMIN)).body.ports, []);
    assert.equal((await s.request('GET', `/v2.0/floatingips/${fip.id}`, undefined, A)).status, 404);
    assert.equal(type(await s.request('GET', `/v2.0/floatingips/${fip.id}`, undefined, A)), 'FloatingIPNotFound');
  });

  test('floating IP pools: the IPv4 subnets of external networks a project sees', async () => {
    const v6 = await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '2001:db8:1::/64', ip_version: 6 } }, ADMIN);
    const pools = await s.request('GET', '/v2.0/floatingip_pools', undefined, B);
    assert.equal(pools.status, 200);
    assert.deepEqual(pools.body.floatingip_pools, [{ subnet_id: extSubnet.id, subnet_name: '', network_id: ext.id, cidr: '172.24.4.0/24', project_id: 'admin-project' }]);
    assert.equal((await s.request('POST', '/v2.0/floatingip_pools', { floatingip_pool: {} }, ADMIN)).status, 405);
    assert.equal((await s.request('DELETE', `/v2.0/subnets/${v6.id}`, undefined, ADMIN)).status, 204);
  });

  test('routers and floating IPs are project-scoped, taggable and counted by quotas', async () => {
    const P = asProject('project-q');
    await s.request('PUT', '/v2.0/quotas/project-q', { quota: { router: 1, floatingip: 1 } }, ADMIN);
    const r = await post('/v2.0/routers', { router: { name: 'q1' } }, P);
    const over = await s.request('POST', '/v2.0/routers', { router: { name: 'q2' } }, P);
    assert.equal(over.status, 409);
    assert.equal(message(over), "Quota exceeded for resources: ['router'].");
    const f = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } }, P);
    const overFip = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } }, P);
    assert.equal(type(overFip), 'OverQuota');
    assert.equal((await s.request('PUT', `/v2.0/routers/${r.id}/tags/edge`, undefined, P)).status, 201);
    assert.equal((await s.request('PUT', `/v2.0/floatingips/${f.id}/tags/web`, undefined, P)).status, 201);
    assert.deepEqual((await s.request('GET', '/v2.0/routers?tags=edge', undefined, P)).body.routers.map((x: any) => x.id), [r.id]);
    assert.deepEqual((await s.request('GET', '/v2.0/floatingips?tags=web', undefined, P)).body.floatingips.map((x: any) => x.id), [f.id]);
    assert.equal((await s.request('GET', `/v2.0/floatingips/${f.id}`, undefined, B)).status, 404);
    assert.deepEqual((await s.request('GET', '/v2.0/routers', undefined, B)).body.routers.filter((x: any) => x.id === r.id), []);
  });
});

describe('floating IPs with dns-integration', () => {
  let s: TestServer;
  before(async () => { s = await startServer({ DEFAULT: { service_plugins: ['router'], dns_domain: 'example.org.' }, ml2: { extension_drivers: ['dns'] } }); });
  after(() => s.close());

  test('dns_name and dns_domain are taken on create, lower-cased, and not changed later', async () => {
    const ext = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } }, ADMIN)).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } }, ADMIN);
    const created = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, dns_name: 'WWW', dns_domain: 'Example.ORG.' } }, A);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.floatingip.dns_name, 'www');
    assert.equal(created.body.floatingip.dns_domain, 'example.org.');
    const plain = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } }, A);
    assert.equal(plain.body.floatingip.dns_name, '');
    const update = await s.request('PUT', `/v2.0/floatingips/${created.body.floatingip.id}`, { floatingip: { dns_name: 'x' } }, A);
    assert.equal(update.status, 400);
    assert.equal(message(update), 'Cannot update read-only attribute dns_name');
  });
});
