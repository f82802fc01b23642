import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeAgent, OVS_STATE } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

const DRIVERS = ['port_security', 'data_plane_status', 'uplink_status_propagation', 'port_device_profile', 'port_numa_affinity_policy', 'tag_ports_during_bulk_creation'];

describe('port extension attributes', () => {
  let s: TestServer;
  let net: any;
  const port = (body: Record<string, unknown>, headers: Record<string, string> = A) => s.request('POST', '/v2.0/ports', { port: { network_id: net.id, ...body } }, headers);
  const update = (id: string, body: Record<string, unknown>, headers: Record<string, string> = A) => s.request('PUT', `/v2.0/ports/${id}`, { port: body }, headers);
  const show = async (id: string, headers: Record<string, string> = A) => (await s.request('GET', `/v2.0/ports/${id}`, undefined, headers)).body.port;

  before(async () => {
    s = await startServer({
      ml2: { extension_drivers: DRIVERS, mechanism_drivers: ['openvswitch'], tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['1001:2000'] },
    });
    await new FakeAgent(s.server.transport).reportState(OVS_STATE('compute1'));
    net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n' } }, A)).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.7.0.0/24', ip_version: 4 } }, A);
  });
  after(() => s.close());

  test('each driver advertises its alias', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, A)).body.extensions.map((e: any) => e.alias);
    for (const a of ['data-plane-status', 'uplink-status-propagation', 'port-device-profile', 'port-numa-affinity-policy', 'tag-ports-during-bulk-creation', 'port-mac-override']) {
      assert.ok(aliases.includes(a), a);
    }
  });

  test('defaults, values given on create, and the same on GET', async () => {
    const plain = (await port({})).body.port;
    assert.equal(plain.data_plane_status, null);
    assert.equal(plain.propagate_uplink_status, true);
    assert.equal(plain.device_profile, null);
    assert.equal(plain.numa_affinity_policy, null);
    assert.deepEqual(plain.tags, []);
    assert.deepEqual(await show(plain.id), plain);

    const res = await port({ propagate_uplink_status: 'false', device_profile: 'gpu-profile', numa_affinity_policy: 'required', tags: ['red', 'blue'] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.port;
    assert.equal(p.propagate_uplink_status, false);
    assert.equal(p.device_profile, 'gpu-profile');
    assert.equal(p.numa_affinity_policy, 'required');
    assert.deepEqual(p.tags, ['blue', 'red']);
    assert.deepEqual(await show(p.id), p);
    const listed = await s.request('GET', `/v2.0/ports?tags=red&fields=id`, undefined, A);
    assert.deepEqual(listed.body.ports, [{ id: p.id }]);
  });

  test('tags in a bulk POST, each port its own', async () => {
    const res = await s.request('POST', '/v2.0/ports', { ports: [{ network_id: net.id, tags: ['bulk-1'] }, { network_id: net.id, tags: ['bulk-2', 'x'] }] }, A);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.ports.map((p: any) => p.tags), [['bulk-1'], ['bulk-2', 'x']]);
    assert.deepEqual((await show(res.body.ports[1].id)).tags, ['bulk-2', 'x']);
    assert.deepEqual(errorOf(await port({ tags: ['a', 'a'] })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await port({ tags: 'a' })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await update(res.body.ports[0].id, { tags: ['b'] })), [400, 'HTTPBadRequest', 'Cannot update read-only attribute tags']);
  });

  test('data_plane_status: set by an admin only, to ACTIVE, DOWN or null', async () => {
    const p = (await port({})).body.port;
    assert.deepEqual(errorOf(await port({ data_plane_status: 'ACTIVE' })), [400, 'HTTPBadRequest', "Attribute 'data_plane_status' not allowed in POST"]);
    const denied = await update(p.id, { data_plane_status: 'DOWN' });
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.deepEqual(errorOf(await update(p.id, { data_plane_status: 'UP' }, ADMIN)),
      [400, 'HTTPBadRequest', "Invalid input for data_plane_status. Reason: UP is not in [None, 'ACTIVE', 'DOWN']."]);
    const down = await update(p.id, { data_plane_status: 'DOWN' }, ADMIN);
    assert.equal(down.status, 200, JSON.stringify(down.body));
    assert.equal(down.body.port.data_plane_status, 'DOWN');
    assert.equal((await show(p.id)).data_plane_status, 'DOWN', 'the owner sees it');
    assert.equal((await update(p.id, { data_plane_status: 'ACTIVE' }, ADMIN)).body.port.data_plane_status, 'ACTIVE');
    assert.equal((await update(p.id, { data_plane_status: null }, ADMIN)).body.port.data_plane_status, null);
    assert.equal((await show(p.id)).data_plane_status, null);
  });

  test("the OVS agent's Port objects carry data_plane_status, numa_affinity_policy and device_profile", async () => {
    const p = (await port({ numa_affinity_policy: 'legacy', device_profile: 'dp-9' })).body.port;
    await update(p.id, { data_plane_status: 'DOWN' }, ADMIN);
    const agent = new FakeAgent(s.server.transport);
    const [o] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Port', version: '1.7', filter_kwargs: { id: [p.id] } });
    const d = o['versioned_object.data'];
    assert.equal(d.numa_affinity_policy, 'legacy');
    assert.equal(d.device_profile, 'dp-9');
    assert.equal(d.data_plane_status['versioned_object.name'], 'PortDataPlaneStatus');
    assert.deepEqual(d.data_plane_status['versioned_object.data'], { port_id: p.id, data_plane_status: 'DOWN' });
    const [plain] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Port', version: '1.7', filter_kwargs: { id: [(await port({})).body.port.id] } });
    assert.deepEqual([plain['versioned_object.data'].data_plane_status, plain['versioned_object.data'].numa_affinity_policy], [null, null]);
  });

  test('propagate_uplink_status and device_profile are set on create only; values are checked', async () => {
    const p = (await port({})).body.port;
    assert.deepEqual(errorOf(await update(p.id, { propagate_uplink_status: false })), [400, 'HTTPBadRequest', 'Cannot update read-only attribute propagate_uplink_status']);
    assert.deepEqual(errorOf(await update(p.id, { device_profile: 'x' })), [400, 'HTTPBadRequest', 'Cannot update read-only attribute device_profile']);
    assert.deepEqual(errorOf(await port({ propagate_uplink_status: 'maybe' })), [400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean."]);
    assert.deepEqual(errorOf(await port({ device_profile: 'x'.repeat(256) })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await port({ numa_affinity_policy: 'socket' })),
      [400, 'HTTPBadRequest', "Invalid input for numa_affinity_policy. Reason: socket is not in ['required', 'preferred', 'legacy', None]."]);
  });

  test('numa_affinity_policy changes while the port is unbound, not once it is bound', async () => {
    const p = (await port({ numa_affinity_policy: 'preferred' })).body.port;
    assert.equal((await update(p.id, { numa_affinity_policy: 'legacy' })).body.port.numa_affinity_policy, 'legacy');
    assert.equal((await update(p.id, { numa_affinity_policy: null })).body.port.numa_affinity_policy, null);
    const bound = await update(p.id, { 'binding:host_id': 'compute1' }, ADMIN);
    assert.equal(bound.body.port['binding:vif_type'], 'ovs', JSON.stringify(bound.body));
    assert.deepEqual(errorOf(await update(p.id, { numa_affinity_policy: 'required' })),
      [409, 'PortBoundNUMAAffinityPolicy', `Unable to complete operation on port ${p.id}, port is already bound to host compute1, numa_affinity_policy value given required.`]);
    assert.equal((await show(p.id)).numa_affinity_policy, null);
  });

  test('port-mac-override: a direct-physical port takes the MAC of its device from the binding profile', async () => {
    const res = await port({ 'binding:vnic_type': 'direct-physical', 'binding:host_id': 'compute1', 'binding:profile': { device_mac_address: 'FA:16:3E:AA:BB:01' } }, ADMIN);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.port;
    assert.equal(p.mac_address, 'fa:16:3e:aa:bb:01');
    assert.equal((await show(p.id, ADMIN)).mac_address, 'fa:16:3e:aa:bb:01');
    // another binding profile (an instance moved to another physical function)
    const moved = await update(p.id, { 'binding:host_id': 'compute2', 'binding:profile': { device_mac_address: 'fa:16:3e:aa:bb:02' } }, ADMIN);
    assert.equal(moved.body.port.mac_address, 'fa:16:3e:aa:bb:02');
    // Nova updating the profile of a bound port (a new physical function)
    const reprofiled = await update(p.id, { 'binding:profile': { device_mac_address: 'fa:16:3e:aa:bb:03' } }, ADMIN);
    assert.equal(reprofiled.body.port.mac_address, 'fa:16:3e:aa:bb:03');
    // unbound, the profile cleared as Nova does: the device's MAC is freed
    const unbound = await update(p.id, { 'binding:host_id': '', 'binding:profile': {} }, ADMIN);
    assert.ok(!unbound.body.port.mac_address.startsWith('fa:16:3e:aa:bb'), unbound.body.port.mac_address);
    // a bound normal port refuses a MAC change
    const normal = (await port({ 'binding:host_id': 'compute1' }, ADMIN)).body.port;
    assert.equal(normal['binding:vif_type'], 'ovs');
    assert.deepEqual(errorOf(await update(normal.id, { mac_address: 'fa:16:3e:00:00:01' }, ADMIN)).slice(0, 2), [409, 'PortBound']);
  });
});

describe('port extension attributes without their drivers', () => {
  test('no attribute, no alias; tags in a POST are accepted and not kept', async () => {
    const s = await startServer({ ml2: { extension_drivers: ['port_security'] } });
    try {
      const aliases = (await s.request('GET', '/v2.0/extensions', undefined, A)).body.extensions.map((e: any) => e.alias);
      for (const a of ['data-plane-status', 'uplink-status-propagation', 'port-device-profile', 'port-numa-affinity-policy', 'tag-ports-during-bulk-creation']) {
        assert.ok(!aliases.includes(a), a);
      }
      const net = (await s.request('POST', '/v2.0/networks', { network: {} }, A)).body.network;
      for (const attr of ['data_plane_status', 'propagate_uplink_status', 'device_profile', 'numa_affinity_policy']) {
        assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, [attr]: null } }, A)),
          [400, 'HTTPBadRequest', `Unrecognized attribute(s) '${attr}'`]);
      }
      const p = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, tags: ['kept-nowhere'] } }, A);
      assert.equal(p.status, 201, JSON.stringify(p.body));
      assert.deepEqual(p.body.port.tags, []);
      assert.equal('data_plane_status' in p.body.port, false);
      assert.deepEqual(errorOf(await s.request('POST', '/v2.0/networks', { network: { tags: ['x'] } }, A)), [400, 'HTTPBadRequest', "Attribute 'tags' not allowed in POST"]);
    } finally {
      await s.close();
    }
  });
});
