import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a', 'member,reader');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;
const TOPOLOGY = '/v2.0/auto-allocated-topology';

describe('auto-allocated topology (auto_allocate service plugin)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router'] } });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const get = (path: string, headers: Record<string, string> = A) => s.request('GET', path, undefined, headers);

  test('with no default external network or pool, Neutron\'s deployment errors', async () => {
    const aliases = (await get('/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('auto-allocated-topology'));
    for (const path of [`${TOPOLOGY}/project-a`, `${TOPOLOGY}/project-a?fields=dry-run`]) {
      const r = await get(path);
      assert.equal(r.status, 409);
      assert.equal(type(r), 'AutoAllocationFailure');
      assert.equal(message(r), 'Deployment error: No default router:external network.');
    }
    const ext = await post('/v2.0/networks', { network: { name: 'public', 'router:external': true, is_default: true } });
    assert.equal(ext.is_default, true);
    await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } });
    const noPool = await get(`${TOPOLOGY}/project-a?fields=dry-run`);
    assert.equal(noPool.status, 409);
    assert.equal(message(noPool), 'Deployment error: No default subnetpools defined.');
    const failed = await get(`${TOPOLOGY}/project-a`);
    assert.equal(message(failed), 'Deployment error: Unable to provide tenant private network.');
    const left = (await get('/v2.0/networks?name=auto_allocated_network', ADMIN)).body.networks;
    assert.deepEqual(left, [], 'a failed build leaves nothing behind');
  });

  test('is_default: one external network at most, admins only, shown on external networks only', async () => {
    const second = await s.request('POST', '/v2.0/networks', { network: { name: 'public2', 'router:external': true, is_default: true } }, ADMIN);
    assert.equal(second.status, 409);
    assert.equal(type(second), 'DefaultExternalNetworkExists');
    assert.match(message(second), /^A default external network already exists: [0-9a-f-]{36}\.$/);
    const internal = await post('/v2.0/networks', { network: { name: 'plain', is_default: true } });
    assert.equal('is_default' in internal, false);
    const refused = await s.request('POST', '/v2.0/networks', { network: { name: 'mine', is_default: true } }, A);
    assert.equal(refused.status, 403);
    assert.equal((await get('/v2.0/networks?is_default=true', ADMIN)).body.networks.length, 1);
  });

  test('GET builds the project\'s topology once: network, subnet from the default pool, router with gateway and interface', async () => {
    await post('/v2.0/subnetpools', { subnetpool: { name: 'default-v4', prefixes: ['10.100.0.0/16'], default_prefixlen: 24, shared: true, is_default: true } });
    const dry = await get(`${TOPOLOGY}/project-a?fields=dry-run`);
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.body.auto_allocated_topology, { id: 'dry-run=pass', tenant_id: 'project-a', project_id: 'project-a' });
    assert.equal(message(await get(`${TOPOLOGY}/project-a?fields=id`)), 'Bad auto_allocate request: Unrecognized field.');

    const first = await get(`${TOPOLOGY}/None`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const topo = first.body.auto_allocated_topology;
    assert.equal(topo.tenant_id, 'project-a');
    const net = (await get(`/v2.0/networks/${topo.id}`)).body.network;
    assert.equal(net.name, 'auto_allocated_network');
    assert.equal(net.admin_state_up, true);
    assert.equal(net.tenant_id, 'project-a');
    const [subnet] = (await get(`/v2.0/subnets?network_id=${topo.id}`)).body.subnets;
    assert.equal(subnet.name, 'auto_allocated_subnet_v4');
    assert.match(subnet.cidr, /^10\.100\.\d+\.0\/24$/);
    const [router] = (await get('/v2.0/routers?name=auto_allocated_router')).body.routers;
    assert.ok(router.external_gateway_info.network_id);
    const ifaces = (await get(`/v2.0/ports?device_id=${router.id}&device_owner=network:router_interface`, ADMIN)).body.ports;
    assert.deepEqual(ifaces.map((p: any) => p.fixed_ips[0].subnet_id), [subnet.id]);

    const again = await get(`${TOPOLOGY}/project-a`);
    assert.equal(again.body.auto_allocated_topology.id, topo.id, 'the same topology');

    const other = await get(`${TOPOLOGY}/project-b`);
    assert.equal(other.status, 403);
    assert.equal(type(other), 'NotAuthorized');
    const forB = await get(`${TOPOLOGY}/project-b`, ADMIN);
    assert.equal(forB.status, 200);
    assert.equal((await get(`/v2.0/networks/${forB.body.auto_allocated_topology.id}`, ADMIN)).body.network.tenant_id, 'project-b');

    assert.equal((await s.request('DELETE', `${TOPOLOGY}/project-a`, undefined, A)).status, 204);
    assert.equal((await get(`/v2.0/networks/${topo.id}`)).status, 404);
    assert.equal((await get(`/v2.0/routers/${router.id}`)).status, 404);
    assert.equal((await s.request('DELETE', `${TOPOLOGY}/project-a`, undefined, A)).status, 204, 'nothing left: still 204');
  });

  test('two concurrent first requests get one topology', async () => {
    const C = asProject('project-c', 'member,reader');
    const [x, y] = await Promise.all([get(`${TOPOLOGY}/project-c`, C), get(`${TOPOLOGY}/project-c`, C)]);
    assert.equal(x.status, 200, JSON.stringify(x.body));
    assert.equal(y.status, 200, JSON.stringify(y.body));
    assert.equal(x.body.auto_allocated_topology.id, y.body.auto_allocated_topology.id);
    assert.equal((await get('/v2.0/networks?name=auto_allocated_network', C)).body.networks.length, 1);
    assert.equal((await get('/v2.0/routers?name=auto_allocated_router', C)).body.routers.length, 1);
  });
});
