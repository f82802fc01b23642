import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

describe('l3-port-ip-change-not-allowed', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router'] } });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }

  test("a router interface's IPv4 address is not changed through the port API; other ports' are", async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('l3-port-ip-change-not-allowed'));
    const net = await post('/v2.0/networks', { network: { name: 'n' } });
    const subnet = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    const router = await post('/v2.0/routers', { router: { name: 'r' } });
    const added = await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, A);
    assert.equal(added.status, 200);
    const portId = added.body.port_id;

    const refused = await s.request('PUT', `/v2.0/ports/${portId}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.9' }] } }, ADMIN);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.NeutronError.type, 'IPAddressChangeNotAllowed');
    assert.equal(refused.body.NeutronError.message, `IP updates for port ${portId} are not allowed`);
    const port = (await s.request('GET', `/v2.0/ports/${portId}`, undefined, ADMIN)).body.port;
    assert.deepEqual(port.fixed_ips.map((i: any) => i.ip_address), ['10.0.0.1'], 'nothing changed');
    const same = await s.request('PUT', `/v2.0/ports/${portId}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.1' }], name: 'kept' } }, ADMIN);
    assert.equal(same.status, 200, 'the same addresses are no change');

    const vm = await post('/v2.0/ports', { port: { network_id: net.id } });
    const moved = await s.request('PUT', `/v2.0/ports/${vm.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.77' }] } }, A);
    assert.equal(moved.status, 200);
    // a port that only claims to be a router's is no router port
    const fake = await post('/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:router_interface', device_id: 'not-a-router' } }, ADMIN);
    const fakeMoved = await s.request('PUT', `/v2.0/ports/${fake.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.78' }] } }, ADMIN);
    assert.equal(fakeMoved.status, 200);
  });
});
