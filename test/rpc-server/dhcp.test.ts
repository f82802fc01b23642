// DHCP agents: scheduling, the DHCP agent's calls on q-plugin, and the casts it is sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dhcpAgentDeviceId, uuid5 } from '../../src/plugins/ml2/rpc/dhcp.js';
import { startServer, type TestServer } from '../support/server.js';
import { createThrough, DHCP_STATE, eventually, FakeAgent, Recorder } from './support.js';

const EVENTS = ['network_create_end', 'network_update_end', 'network_delete_end', 'subnet_create_end', 'subnet_update_end',
  'subnet_delete_end', 'port_create_end', 'port_update_end', 'port_delete_end', 'agent_updated'];

let ts: TestServer;
let agent: FakeAgent;
let net1: Recorder;
let net2: Recorder;

before(async () => {
  ts = await startServer({ DEFAULT: { dhcp_agents_per_network: 1 } });
  agent = new FakeAgent(ts.server.transport);
  net1 = new Recorder(ts.server.transport, 'dhcp_agent', 'net1', EVENTS, '1.0');
  net2 = new Recorder(ts.server.transport, 'dhcp_agent', 'net2', EVENTS, '1.0');
  await Promise.all([net1.start(), net2.start()]);
});
after(async () => {
  await Promise.all([net1.stop(), net2.stop()]);
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>) => createThrough(ts, collection, body);

const hostOf = (networkId: string) => [net1, net2].find((r) => r.of('network_create_end').some((m) => m.args.payload.network.id === networkId));

test('uuid5 and the DHCP device id match Python', () => {
  // values of Python's uuid.uuid5(uuid.NAMESPACE_DNS, name)
  assert.equal(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  assert.equal(dhcpAgentDeviceId('N', 'net1.example.org'), 'dhcp04771cbe-437e-5f2c-860d-465c2ee070fb-N');
});

test('a subnet schedules its network to one alive DHCP agent, which gets network_create_end then subnet_create_end', async () => {
  assert.equal(await agent.reportState(DHCP_STATE('net1')), 'new');
  assert.equal(await agent.reportState(DHCP_STATE('net2', { availability_zone: 'az2' })), 'new');
  const net = await create('network', { name: 'n1' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(net1.received.length + net2.received.length, 0, 'a network alone is not scheduled');

  const subnet = await create('subnet', { network_id: net.id, cidr: '10.1.0.0/24', ip_version: 4 });
  const host = await eventually(() => hostOf(net.id), 5000, 'network_create_end');
  const sub = await eventually(() => host.of('subnet_create_end')[0], 5000, 'subnet_create_end');
  assert.deepEqual(host.received.map((m) => m.method), ['network_create_end', 'subnet_create_end']);
  assert.deepEqual(host.of('network_create_end')[0]!.args, { payload: { network: { id: net.id }, priority: 0 } });
  assert.equal(sub.version, '1.0');
  assert.equal(sub.args.payload.priority, 3);
  assert.equal(sub.args.payload.subnet.id, subnet.id);
  assert.equal(sub.args.payload.subnet.cidr, '10.1.0.0/24');
  const other = host === net1 ? net2 : net1;
  assert.equal(other.received.length, 0, 'dhcp_agents_per_network = 1');

  const shown = await ts.request('GET', `/v2.0/networks/${net.id}`);
  assert.deepEqual(shown.body.network.availability_zones, [host === net1 ? 'nova' : 'az2']);
});

test('get_active_networks_info and get_network_info answer from the database; a port create casts port_create_end', async () => {
  const net = await create('network', { name: 'n2' });
  const subnet = await create('subnet', { network_id: net.id, cidr: '10.2.0.0/24', ip_version: 4 });
  const noDhcp = await create('subnet', { network_id: net.id, cidr: '10.3.0.0/24', ip_version: 4, enable_dhcp: false });
  const host = await eventually(() => hostOf(net.id), 5000, 'scheduling');
  const hostName = host === net1 ? 'net1' : 'net2';
  const port = await create('port', { network_id: net.id, name: 'vm' });
  const created = await eventually(() => host.of('port_create_end').find((m) => m.args.payload.port.id === port.id), 5000, 'port_create_end');
  assert.equal(created.args.payload.priority, 5, 'the one hosting agent gets the high-priority copy');
  assert.deepEqual(created.args.payload.port.fixed_ips, port.fixed_ips);

  const infos = await agent.call<any[]>('get_active_networks_info', '1.1', { host: hostName, enable_dhcp_filter: false });
  const info = infos.find((i) => i.id === net.id);
  assert.ok(info, 'the network is served by this host');
  assert.deepEqual(Object.keys(info).sort(), ['admin_state_up', 'id', 'mtu', 'non_local_subnets', 'ports', 'project_id', 'subnets', 'tenant_id']);
  assert.equal(info.mtu, 1500);
  assert.deepEqual(info.subnets.map((s: any) => s.id), [subnet.id, noDhcp.id].sort(), 'no enable_dhcp filter: every subnet, sorted by id');
  assert.deepEqual(info.ports.map((p: any) => p.id), [port.id]);
  assert.equal(info.ports[0].mac_address, port.mac_address);

  const one = await agent.call<any>('get_network_info', '1.0', { network_id: net.id, host: hostName });
  assert.deepEqual(one.subnets.map((s: any) => s.id), [subnet.id], 'get_network_info keeps DHCP-enabled subnets');
  assert.equal(await agent.call('get_network_info', '1.0', { network_id: '00000000-0000-0000-0000-000000000000', host: hostName }), null);

  const otherHost = hostName === 'net1' ? 'net2' : 'net1';
  const others = await agent.call<any[]>('get_active_networks_info', '1.1', { host: otherHost, enable_dhcp_filter: false });
  assert.ok(!others.some((i) => i.id === net.id));
  assert.deepEqual(await agent.call('get_active_networks_info', '1.1', { host: 'unknown-host' }), []);
});

test('the DHCP port: create_dhcp_port, update_dhcp_port, dhcp_ready_on_ports, release_dhcp_port', async () => {
  const net = await create('network', { name: 'n3' });
  const subnet = await create('subnet', { network_id: net.id, cidr: '10.4.0.0/24', ip_version: 4 });
  const host = await eventually(() => hostOf(net.id), 5000, 'scheduling');
  const hostName = host === net1 ? 'net1' : 'net2';
  const deviceId = dhcpAgentDeviceId(net.id, hostName);
  const port = await agent.call<any>('create_dhcp_port', '1.1', {
    host: hostName,
    port: { port: { name: '', admin_state_up: true, device_id: deviceId, network_id: net.id, tenant_id: net.tenant_id, fixed_ips: [{ subnet_id: subnet.id }] } },
  });
  assert.equal(port.device_owner, 'network:dhcp');
  assert.equal(port['binding:host_id'], hostName);
  assert.equal(port.device_id, deviceId);
  assert.equal(port.fixed_ips[0].subnet_id, subnet.id);
  assert.match(port.mac_address, /^fa:16:3e:/);
  assert.equal(port.fixed_ips[0].ip_address, '10.4.0.2');
  assert.deepEqual(await agent.call('get_dhcp_port', '1.8', { port_id: port.id }), port);

  const moved = await agent.call<any>('update_dhcp_port', '1.1', {
    host: hostName, port_id: port.id, port: { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.4.0.3' }] } },
  });
  assert.deepEqual(moved.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.4.0.3' }]);
  const otherHost = hostName === 'net1' ? 'net2' : 'net1';
  assert.equal(await agent.call('update_dhcp_port', '1.1', { host: otherHost, port_id: port.id, port: { port: { network_id: net.id } } }), null,
    'another host\'s agent may not take the port');

  assert.equal(await agent.call('create_dhcp_port', '1.1', {
    host: hostName, port: { port: { device_id: deviceId, network_id: '00000000-0000-0000-0000-000000000000', tenant_id: net.tenant_id, fixed_ips: [] } },
  }), null, 'a network that vanished gives null');

  assert.equal(await agent.call('dhcp_ready_on_ports', '1.5', { port_ids: [port.id] }), null);
  assert.equal(await agent.call('release_dhcp_port', '1.0', { network_id: net.id, device_id: deviceId, host: hostName }), null);
  assert.equal((await ts.request('GET', `/v2.0/ports/${port.id}`)).status, 404);
  await assert.rejects(agent.call('get_dhcp_port', '1.8', { port_id: port.id }), (e: any) => e.excType === 'PortNotFound');
});

test('unknown methods and versions are remote errors the agents recognise', async () => {
  await assert.rejects(agent.call('get_active_networks_infoz', '1.1', {}), (e: any) => e.excType === 'NoSuchMethod');
  await assert.rejects(agent.call('get_active_networks_info', '2.0', {}), (e: any) => e.excType === 'UnsupportedVersion');
  await assert.rejects(agent.call('get_active_networks_info', '1.11', {}), (e: any) => e.excType === 'UnsupportedVersion',
    'no q-plugin endpoint goes beyond 1.10');
});

test('network update and delete reach the hosting agent (cast) and every agent (fanout)', async () => {
  const net = await create('network', { name: 'n4' });
  await create('subnet', { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4 });
  const host = await eventually(() => hostOf(net.id), 5000, 'scheduling');
  assert.equal((await ts.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'renamed' } })).status, 200);
  const upd = await eventually(() => host.of('network_update_end').find((m) => m.args.payload.network.id === net.id), 5000, 'network_update_end');
  assert.equal(upd.args.payload.network.name, 'renamed');
  assert.equal(upd.args.payload.priority, 1);
  assert.equal((await ts.request('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
  for (const r of [net1, net2]) {
    const del = await eventually(() => r.of('network_delete_end').find((m) => m.args.payload.network_id === net.id), 5000, 'network_delete_end fanout');
    assert.equal(del.args.payload.priority, 2);
  }
});
