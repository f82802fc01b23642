import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { eventually, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('floating IP port forwarding (port_forwarding service plugin)', () => {
  let s: TestServer;
  let ext: any;
  let router: any;
  let net: any;
  let subnet: any;
  let l3Agent: Recorder;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router', 'port_forwarding'] } });
    l3Agent = new Recorder(s.server.transport, 'neutron-vo-PortForwarding-1.3', 'l3-1', ['push'], '1.1');
    await l3Agent.start();
    ext = await post('/v2.0/networks', { network: { name: 'public', 'router:external': true } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } }, ADMIN);
    net = await post('/v2.0/networks', { network: { name: 'private' } });
    subnet = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    router = await post('/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } });
    const added = await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, A);
    assert.equal(added.status, 200, JSON.stringify(added.body));
  });
  after(async () => {
    await l3Agent.stop();
    await s.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const port = () => post('/v2.0/ports', { port: { network_id: net.id } });
  const fip = () => post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } });
  const pfs = (fipId: string) => `/v2.0/floatingips/${fipId}/port_forwardings`;
  const forward = (p: any, extra: Record<string, unknown> = {}) => ({
    port_forwarding: { internal_port_id: p.id, internal_ip_address: p.fixed_ips[0].ip_address, protocol: 'tcp', ...extra },
  });

  test('the aliases are listed with the plugin, and not without it', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    for (const a of ['floating-ip-port-forwarding', 'expose-port-forwarding-in-fip', 'floating-ip-port-forwarding-description',
      'floating-ip-port-forwarding-port-ranges', 'floating-ip-port-forwarding-detail']) {
      assert.ok(aliases.includes(a), a);
    }
    const plain = await startServer({ DEFAULT: { service_plugins: ['router'] } });
    try {
      const none = (await plain.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
      assert.equal(none.includes('floating-ip-port-forwarding'), false);
      const f = await plain.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: 'x' } }, A);
      assert.equal(f.status, 400);
      assert.equal((await plain.request('GET', `/v2.0/floatingips/${router.id}/port_forwardings`, undefined, A)).status, 404);
    } finally {
      await plain.close();
    }
  });

  test('create, show, list, filter, update and delete; the floating IP shows them and takes the router', async () => {
    const p = await port();
    const f = await fip();
    assert.deepEqual(f.port_forwardings, []);
    assert.equal(f.router_id, null);
    const pf = await post(pfs(f.id), forward(p, { external_port: 2222, internal_port: 22, description: 'ssh' }));
    assert.deepEqual(Object.keys(pf).sort(), ['description', 'external_port', 'external_port_range', 'id', 'internal_ip_address',
      'internal_port', 'internal_port_id', 'internal_port_range', 'protocol']);
    assert.equal(pf.external_port, 2222);
    assert.equal(pf.internal_port, 22);
    assert.equal(pf.external_port_range, '2222:2222');
    assert.equal(pf.internal_port_range, '22:22');
    assert.equal(pf.internal_ip_address, p.fixed_ips[0].ip_address);
    assert.equal(pf.description, 'ssh');

    const shown = await s.request('GET', `${pfs(f.id)}/${pf.id}`, undefined, A);
    assert.deepEqual(shown.body.port_forwarding, pf);
    const withFip = (await s.request('GET', `/v2.0/floatingips/${f.id}`, undefined, A)).body.floatingip;
    assert.equal(withFip.router_id, router.id);
    assert.equal(withFip.port_id, null);
    assert.deepEqual(withFip.port_forwardings, [{
      id: pf.id, internal_ip_address: pf.internal_ip_address, protocol: 'tcp', internal_port: 22, external_port: 2222, internal_port_id: p.id,
    }]);

    const udp = await post(pfs(f.id), forward(p, { external_port: 2222, internal_port: 22, protocol: 'udp' }));
    const listed = await s.request('GET', `${pfs(f.id)}?protocol=udp`, undefined, A);
    assert.deepEqual(listed.body.port_forwardings.map((x: any) => x.id), [udp.id]);
    const byPort = await s.request('GET', `${pfs(f.id)}?external_port=2222&fields=id&sort_key=protocol&sort_dir=asc`, undefined, A);
    assert.deepEqual(byPort.body.port_forwardings, [{ id: pf.id }, { id: udp.id }]);
    assert.equal((await s.request('GET', `${pfs(f.id)}?internal_port=22`, undefined, A)).status, 400, 'internal_port is no filter');

    const updated = await s.request('PUT', `${pfs(f.id)}/${pf.id}`, { port_forwarding: { internal_port: 2022, description: 'moved' } }, A);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.port_forwarding.internal_port, 2022);
    assert.equal(updated.body.port_forwarding.internal_port_range, '2022:2022');
    assert.equal(updated.body.port_forwarding.description, 'moved');
    const clash = await s.request('PUT', `${pfs(f.id)}/${udp.id}`, { port_forwarding: { protocol: 'tcp' } }, A);
    assert.equal(clash.status, 400);
    assert.match(message(clash), /^Bad port_forwarding request: Another port forwarding entry with the same attributes already exists, conflicting values are \{'floating_ip_address': '[\d.]+', 'external_port': 2222\}\.$/);

    assert.equal((await s.request('DELETE', `${pfs(f.id)}/${udp.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('DELETE', `${pfs(f.id)}/${pf.id}`, undefined, A)).status, 204);
    const gone = await s.request('GET', `${pfs(f.id)}/${pf.id}`, undefined, A);
    assert.equal(gone.status, 404);
    assert.equal(type(gone), 'PortForwardingNotFound');
    assert.equal(message(gone), `Port Forwarding ${pf.id} could not be found.`);
    const released = (await s.request('GET', `/v2.0/floatingips/${f.id}`, undefined, A)).body.floatingip;
    assert.equal(released.router_id, null, 'the last forwarding takes the router away');
    assert.deepEqual(released.port_forwardings, []);
  });

  test('port ranges: N-N or 1-N, shown as ranges only', async () => {
    const p = await port();
    const f = await fip();
    const ranged = await post(pfs(f.id), forward(p, { external_port_range: '3000:3010', internal_port_range: '4000:4010' }));
    assert.equal(ranged.external_port_range, '3000:3010');
    assert.equal(ranged.internal_port_range, '4000:4010');
    assert.equal('external_port' in ranged, false);
    assert.equal('internal_port' in ranged, false);
    const oneToMany = await post(pfs(f.id), forward(p, { external_port_range: '5000:5010', internal_port: 80 }));
    assert.equal(oneToMany.internal_port, 80);
    assert.equal(oneToMany.internal_port_range, '80:80');

    const unequal = await s.request('POST', pfs(f.id), forward(p, { external_port_range: '6000:6010', internal_port_range: '7000:7005' }), A);
    assert.equal(unequal.status, 400);
    assert.equal(type(unequal), 'BadRequest');
    assert.equal(message(unequal), 'Bad port_forwarding request: Invalid ranges of internal and/or external ports. The relation between internal and external ports must be N-N or 1-N.');
    const overlap = await s.request('POST', pfs(f.id), forward(p, { external_port: 3005, internal_port: 9000 }), A);
    assert.equal(overlap.status, 400);
    assert.equal(message(overlap), 'Bad port_forwarding request: There is a port collision with the external_port_range. The following ranges collides: 3000:3010 and 3005:3005.');
    const internalOverlap = await s.request('POST', pfs(f.id), forward(p, { external_port: 8000, internal_port_range: '4010' }), A);
    assert.equal(internalOverlap.status, 400);
    assert.equal(message(internalOverlap), 'Bad port_forwarding request: There is a port collision with the internal_port_range. The following ranges collides: 4000:4010 and 4010.');
    const badRange = await s.request('POST', pfs(f.id), forward(p, { external_port_range: '20:10', internal_port_range: '20:10' }), A);
    assert.equal(badRange.status, 400);
    assert.equal(message(badRange), 'Invalid input for external_port_range. Reason: First port in a port range must be lower than the second port.');
    const byRange = await s.request('GET', `${pfs(f.id)}?external_port_range=3000:3010`, undefined, A);
    assert.deepEqual(byRange.body.port_forwardings.map((x: any) => x.id), [ranged.id]);
  });

  test('the conflicts Neutron refuses', async () => {
    const p = await port();
    const f = await fip();
    const other = await post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id }] } });

    const notOnPort = await s.request('POST', pfs(f.id), forward(p, { internal_ip_address: '10.0.0.250', external_port: 1, internal_port: 1 }), A);
    assert.equal(notOnPort.status, 400);
    assert.equal(message(notOnPort), `Bad port_forwarding request: Requested internal IP address 10.0.0.250 is not suitable for internal neutron port ${p.id}, as its fixed_ips are [{'subnet_id': '${subnet.id}', 'ip_address': '${p.fixed_ips[0].ip_address}'}].`);

    const badProtocol = await s.request('POST', pfs(f.id), forward(p, { protocol: 'foo', external_port: 1, internal_port: 1 }), A);
    assert.equal(badProtocol.status, 400);
    assert.equal(type(badProtocol), 'InvalidInput');
    const badPort = await s.request('POST', pfs(f.id), forward(p, { external_port: 70000, internal_port: 1 }), A);
    assert.equal(badPort.status, 400);
    assert.equal(message(badPort), "Invalid input for external_port. Reason: '70000' is too large - must be no larger than '65535'.");

    // a floating IP associated with a port forwards nothing
    const associated = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: other.id } });
    const already = await s.request('POST', pfs(associated.id), forward(p, { external_port: 1, internal_port: 1 }), A);
    assert.equal(already.status, 409);
    assert.equal(type(already), 'FloatingIPPortAlreadyAssociated');
    // a port with a floating IP of its own is no forwarding target
    const bound = await s.request('POST', pfs(f.id), forward(other, { external_port: 1, internal_port: 1 }), A);
    assert.equal(bound.status, 409);
    assert.equal(type(bound), 'PortHasBindingFloatingIP');
    assert.equal(message(bound), `Cannot create port forwarding to floating IP ${associated.floating_ip_address} (${associated.id}) with port ${other.id} using fixed IP ${other.fixed_ips[0].ip_address}, as that port already has a binding floating IP.`);

    // a floating IP with forwardings is neither associated nor deleted
    const pf = await post(pfs(f.id), forward(p, { external_port: 80, internal_port: 8080 }));
    const assoc = await s.request('PUT', `/v2.0/floatingips/${f.id}`, { floatingip: { port_id: p.id } }, A);
    assert.equal(assoc.status, 409);
    assert.equal(type(assoc), 'FipInUseByPortForwarding');
    assert.equal(message(assoc), `Floating IP ${f.id} in use by Port Forwarding resources.`);
    const renamed = await s.request('PUT', `/v2.0/floatingips/${f.id}`, { floatingip: { description: 'web' } }, A);
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.floatingip.router_id, router.id, 'an update keeps the router of the forwardings');
    const del = await s.request('DELETE', `/v2.0/floatingips/${f.id}`, undefined, A);
    assert.equal(del.status, 409);
    assert.equal(type(del), 'FipInUseByPortForwarding');

    // through a distributed router, a forwarded port takes no floating IP of its own
    await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { admin_state_up: false } }, ADMIN);
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { distributed: true } }, ADMIN)).status, 200);
    const viaDvr = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: p.id } }, A);
    assert.equal(viaDvr.status, 400);
    assert.equal(type(viaDvr), 'PortHasPortForwarding');
    assert.equal(message(viaDvr), `Cannot associate floating IP to port ${p.id} because it already has a Port Forwarding binding.`);
    await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { distributed: false } }, ADMIN);
    await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { admin_state_up: true } }, ADMIN);

    // a port with no route to the floating IP's network
    const isolated = await post('/v2.0/networks', { network: { name: 'isolated' } });
    await post('/v2.0/subnets', { subnet: { network_id: isolated.id, cidr: '10.9.0.0/24', ip_version: 4 } });
    const far = await post('/v2.0/ports', { port: { network_id: isolated.id } });
    const f2 = await fip();
    const unreachable = await s.request('POST', pfs(f2.id), forward(far, { external_port: 1, internal_port: 1 }), A);
    assert.equal(unreachable.status, 400);
    assert.match(message(unreachable), new RegExp(`^Bad port_forwarding request: External network ${ext.id} is not reachable from subnet .*\\. Cannot set Port forwarding for port ${far.id} with Floating IP ${f2.id}\\.$`));

    // the forwarding is only found under its own floating IP
    const elsewhere = await s.request('GET', `${pfs(f2.id)}/${pf.id}`, undefined, A);
    assert.equal(elsewhere.status, 404);
    assert.equal(type(elsewhere), 'PortForwardingNotFound');
    const missing = await s.request('DELETE', `${pfs(f2.id)}/${pf.id}`, undefined, A);
    assert.equal(type(missing), 'PortForwardingNotFound');
  });

  test('the floating IP decides who sees its forwardings', async () => {
    const p = await port();
    const f = await fip();
    const pf = await post(pfs(f.id), forward(p, { external_port: 443, internal_port: 443 }));
    for (const [method, path, body] of [
      ['GET', pfs(f.id), undefined], ['GET', `${pfs(f.id)}/${pf.id}`, undefined],
      ['POST', pfs(f.id), forward(p, { external_port: 1, internal_port: 1 })],
      ['PUT', `${pfs(f.id)}/${pf.id}`, { port_forwarding: { description: 'x' } }], ['DELETE', `${pfs(f.id)}/${pf.id}`, undefined],
    ] as const) {
      const r = await s.request(method, path, body, B);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(type(r), 'FloatingIPNotFound');
      assert.equal(message(r), `Floating IP ${f.id} could not be found`);
    }
    const asAdmin = await s.request('GET', pfs(f.id), undefined, ADMIN);
    assert.deepEqual(asAdmin.body.port_forwardings.map((x: any) => x.id), [pf.id]);
    const noParent = await s.request('GET', pfs('00000000-0000-0000-0000-000000000000'), undefined, A);
    assert.equal(type(noParent), 'FloatingIPNotFound');
  });

  test('forwardings follow their internal port: lost addresses and deleted ports take them away', async () => {
    const p = await port();
    const f = await fip();
    const pf = await post(pfs(f.id), forward(p, { external_port: 25, internal_port: 25 }));
    const moved = await s.request('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.200' }] } }, A);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await s.request('GET', `${pfs(f.id)}/${pf.id}`, undefined, A)).status, 404);
    assert.equal((await s.request('GET', `/v2.0/floatingips/${f.id}`, undefined, A)).body.floatingip.router_id, null);

    const again = await post(pfs(f.id), forward({ id: p.id, fixed_ips: [{ ip_address: '10.0.0.200' }] }, { external_port: 25, internal_port: 25 }));
    assert.equal((await s.request('DELETE', `/v2.0/ports/${p.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `${pfs(f.id)}/${again.id}`, undefined, A)).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/floatingips/${f.id}`, undefined, A)).status, 204, 'no forwarding left: the floating IP may go');
  });

  test('L3 agents get every change as PortForwarding 1.3 objects on the push channel', async () => {
    const p = await port();
    const f = await fip();
    const pushed = (id: string, event: string) => eventually(() => l3Agent.of('push')
      .find((m) => m.args.event_type === event && m.args.resource_list.some((o: any) => o['versioned_object.data'].id === id)), 5000, `${event} push`);
    const pf = await post(pfs(f.id), forward(p, { external_port_range: '100:101', internal_port_range: '200:201', description: 'two' }));
    const created = await pushed(pf.id, 'created');
    const [obj] = created.args.resource_list;
    assert.equal(obj['versioned_object.name'], 'PortForwarding');
    assert.equal(obj['versioned_object.version'], '1.3');
    assert.deepEqual(obj['versioned_object.data'], {
      id: pf.id, floatingip_id: f.id, protocol: 'tcp', internal_port_id: p.id, internal_ip_address: p.fixed_ips[0].ip_address,
      external_port_range: '100:101', internal_port_range: '200:201', floating_ip_address: f.floating_ip_address, router_id: router.id,
      description: 'two',
    });
    await s.request('PUT', `${pfs(f.id)}/${pf.id}`, { port_forwarding: { description: 'changed' } }, A);
    assert.equal((await pushed(pf.id, 'updated')).args.resource_list[0]['versioned_object.data'].description, 'changed');
    await s.request('DELETE', `${pfs(f.id)}/${pf.id}`, undefined, A);
    await pushed(pf.id, 'deleted');
    const viaPort = await post(pfs(f.id), forward(p, { external_port: 53, internal_port: 53, protocol: 'udp' }));
    await s.request('DELETE', `/v2.0/ports/${p.id}`, undefined, A);
    const removed = await pushed(viaPort.id, 'deleted');
    assert.equal(removed.args.resource_list[0]['versioned_object.data'].external_port, 53);
  });

  test('the OpenAPI document describes the sub-resource under its parent', async () => {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, A)).body;
    const list = doc.paths['/v2.0/floatingips/{parent_id}/port_forwardings'];
    const one = doc.paths['/v2.0/floatingips/{parent_id}/port_forwardings/{id}'];
    assert.deepEqual(Object.keys(list).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(one).sort(), ['delete', 'get', 'put']);
    for (const op of [list.get, list.post, one.get, one.put, one.delete]) assert.equal(op.parameters[0].name, 'parent_id');
    assert.equal(doc.paths['/v2.0/port_forwardings'], undefined);
    assert.ok(doc.components.schemas.PortForwarding.properties.external_port_range);
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
  });
});
