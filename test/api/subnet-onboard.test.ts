import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DHCP_STATE, FakeAgent } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('subnet_onboard, availability_zone_filter, agent-resources-synced', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const onboard = (poolId: string, body: unknown, headers: Record<string, string> = A) =>
    s.request('PUT', `/v2.0/subnetpools/${poolId}/onboard_network_subnets`, body, headers);

  test('advertised', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, A)).body.extensions.map((e: any) => e.alias);
    for (const a of ['subnet_onboard', 'availability_zone_filter', 'agent-resources-synced']) assert.ok(aliases.includes(a), a);
  });

  test("a network's subnets join a pool: its prefixes grow, the subnets name it", async () => {
    const pool = await post('/v2.0/subnetpools', { subnetpool: { name: 'p', prefixes: ['10.100.0.0/16'], default_prefixlen: 24 } });
    const net = await post('/v2.0/networks', { network: {} });
    const v4a = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '192.168.10.0/24', ip_version: 4 } });
    const v4b = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '192.168.11.0/24', ip_version: 4 } });
    const v6 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '2001:db8:5::/64', ip_version: 6 } });
    const res = await onboard(pool.id, { network_id: net.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([...res.body].sort((x: any, y: any) => x.cidr.localeCompare(y.cidr)), [{ id: v4a.id, cidr: '192.168.10.0/24' }, { id: v4b.id, cidr: '192.168.11.0/24' }]);
    const after = (await s.request('GET', `/v2.0/subnetpools/${pool.id}`, undefined, A)).body.subnetpool;
    assert.deepEqual(after.prefixes, ['10.100.0.0/16', '192.168.10.0/23']);
    assert.equal(after.revision_number, pool.revision_number + 1);
    for (const sub of [v4a, v4b]) {
      const shown = (await s.request('GET', `/v2.0/subnets/${sub.id}`, undefined, A)).body.subnet;
      assert.equal(shown.subnetpool_id, pool.id);
      assert.ok(shown.revision_number > sub.revision_number);
    }
    assert.equal((await s.request('GET', `/v2.0/subnets/${v6.id}`, undefined, A)).body.subnet.subnetpool_id, null, 'another IP version stays');
    // onboarded again: their CIDRs are allocated in the pool now
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: net.id })).slice(0, 2), [400, 'IllegalSubnetPoolUpdate']);
    // the pool allocates around them
    const next = await post('/v2.0/subnets', { subnet: { network_id: net.id, subnetpool_id: pool.id, ip_version: 4, prefixlen: 23 } });
    assert.ok(!next.cidr.startsWith('192.168.10.'), next.cidr);
  });

  test('failures: no network_id, unknown or foreign network, foreign pool, conflicts', async () => {
    const pool = await post('/v2.0/subnetpools', { subnetpool: { name: 'q', prefixes: ['10.101.0.0/16'] } });
    assert.deepEqual(errorOf(await onboard(pool.id, {})), [400, 'InvalidInput', 'Invalid input for operation: network_id must be specified..']); // sic, as Neutron
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: '00000000-0000-0000-0000-000000000000' })).slice(0, 2), [404, 'NetworkNotFound']);
    const shared = await post('/v2.0/networks', { network: { shared: true } }, ADMIN);
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: shared.id })), [403, 'NotAuthorized', 'Not authorized.']);
    const theirs = await post('/v2.0/networks', { network: {} }, B);
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: theirs.id })).slice(0, 2), [404, 'NetworkNotFound']);
    const own = await post('/v2.0/networks', { network: {} });
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: own.id }, B)).slice(0, 2), [404, 'SubnetPoolNotFound']);
    // a subnet overlapping one the pool allocated
    const net = await post('/v2.0/networks', { network: {} });
    const fromPool = await post('/v2.0/subnets', { subnet: { network_id: net.id, subnetpool_id: pool.id, ip_version: 4, prefixlen: 24 } });
    const other = await post('/v2.0/networks', { network: {} });
    const clash = await post('/v2.0/subnets', { subnet: { network_id: other.id, cidr: fromPool.cidr, ip_version: 4 } });
    assert.deepEqual(errorOf(await onboard(pool.id, { network_id: other.id })),
      [400, 'IllegalSubnetPoolUpdate', `Illegal subnetpool update : Onboarding subnet ${clash.id}: ${clash.cidr} conflicts with allocated prefixes in subnet pool ${pool.id}.`]);
    assert.equal((await s.request('GET', `/v2.0/subnets/${clash.id}`, undefined, A)).body.subnet.subnetpool_id, null, 'nothing changed');
  });

  test('availability zones filter by name, resource and state; agents show resources_synced', async () => {
    const agent = new FakeAgent(s.server.transport);
    await agent.reportState(DHCP_STATE('net1', { availability_zone: 'az1' }));
    await agent.reportState(DHCP_STATE('net2', { availability_zone: 'az2' }));
    await agent.reportState({ ...DHCP_STATE('net3'), binary: 'neutron-l3-agent', topic: 'l3_agent', agent_type: 'L3 agent', availability_zone: 'az1', configurations: { agent_mode: 'legacy' } });
    const agents = (await s.request('GET', '/v2.0/agents', undefined, ADMIN)).body.agents;
    const az2 = agents.find((a: any) => a.host === 'net2');
    assert.equal(az2.resources_synced, null, 'no sync to Placement ran');
    assert.equal((await s.request('PUT', `/v2.0/agents/${az2.id}`, { agent: { admin_state_up: false } }, ADMIN)).status, 200);
    const zones = async (q: string) => (await s.request('GET', `/v2.0/availability_zones${q}`, undefined, A)).body.availability_zones
      .map((z: any) => `${z.name}/${z.resource}/${z.state}`).sort();
    assert.deepEqual(await zones(''), ['az1/network/available', 'az1/router/available', 'az2/network/unavailable']);
    assert.deepEqual(await zones('?resource=network'), ['az1/network/available', 'az2/network/unavailable']);
    assert.deepEqual(await zones('?state=available&resource=router'), ['az1/router/available']);
    assert.deepEqual(await zones('?name=az2'), ['az2/network/unavailable']);
    assert.deepEqual(await zones('?state=unavailable&name=az1'), []);
  });
});
