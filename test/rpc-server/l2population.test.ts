// The l2population mechanism driver: FDB entries to the L2 agents as ports are wired and unwired.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { createThrough, eventually, FakeAgent, OVS_STATE, Recorder } from './support.js';

const FLOOD = ['00:00:00:00:00:00', '0.0.0.0'];
let ts: TestServer;
let agent: FakeAgent;
let all: Recorder;
let compute2: Recorder;

before(async () => {
  ts = await startServer({ ml2: { mechanism_drivers: ['openvswitch', 'l2population'], tenant_network_types: ['vxlan'] }, ml2_type_vxlan: { vni_ranges: ['1001:2000'] } });
  agent = new FakeAgent(ts.server.transport);
  const methods = ['add_fdb_entries', 'remove_fdb_entries', 'update_fdb_entries'];
  all = new Recorder(ts.server.transport, 'q-agent-notifier-l2population-update', 'compute9', methods);
  compute2 = new Recorder(ts.server.transport, 'q-agent-notifier-l2population-update', 'compute2', methods);
  await Promise.all([all.start(), compute2.start()]);
  for (const [host, ip] of [['compute1', '192.0.2.11'], ['compute2', '192.0.2.12']]) {
    const state = OVS_STATE(host!);
    assert.equal(await agent.reportState({ ...state, configurations: { ...state.configurations, tunneling_ip: ip, l2_population: true } }), 'new');
  }
});
after(async () => {
  await Promise.all([all.stop(), compute2.stop()]);
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>) => createThrough(ts, collection, body);

test('wiring and unwiring ports sends add_fdb_entries and remove_fdb_entries with the hosts\' tunnel addresses', async () => {
  const net = await create('network', { name: 'l2pop' });
  await create('subnet', { network_id: net.id, cidr: '10.50.0.0/24', ip_version: 4 });
  const a = await create('port', { network_id: net.id, device_owner: 'compute:nova', 'binding:host_id': 'compute1' });
  const b = await create('port', { network_id: net.id, device_owner: 'compute:nova', 'binding:host_id': 'compute2' });
  const entry = (p: any) => [p.mac_address, p.fixed_ips[0].ip_address];
  const of = (r: Recorder, method: string) => r.of(method).map((m) => m.args.fdb_entries[net.id]).filter(Boolean);
  await eventually(async () => (await ts.request('GET', `/v2.0/ports/${b.id}`)).body.port['binding:vif_type'] === 'ovs', 5000, 'binding');

  await agent.call('update_device_up', '1.9', { device: a.id, agent_id: 'ovs-compute1', host: 'compute1' });
  const first = await eventually(() => of(all, 'add_fdb_entries')[0], 5000, 'add_fdb_entries for the first port');
  assert.deepEqual(first, { segment_id: net['provider:segmentation_id'], network_type: 'vxlan', ports: { '192.0.2.11': [FLOOD, entry(a)] } });

  await agent.call('update_device_up', '1.9', { device: b.id, agent_id: 'ovs-compute2', host: 'compute2' });
  // compute2 learns compute1's ports (a cast to it alone), everyone learns compute2's
  await eventually(() => of(all, 'add_fdb_entries').length >= 2, 5000, 'add_fdb_entries for the second host');
  assert.deepEqual(of(all, 'add_fdb_entries')[1]!.ports, { '192.0.2.12': [FLOOD, entry(b)] });
  // compute2 heard the fanout about compute1 too; the cast to it alone is the one more copy
  const aboutCompute1 = (r: Recorder) => of(r, 'add_fdb_entries').filter((e) => '192.0.2.11' in e.ports);
  await eventually(() => aboutCompute1(compute2).length === 2, 5000, 'the cast to compute2');
  assert.deepEqual(aboutCompute1(compute2)[1]!.ports, { '192.0.2.11': [FLOOD, entry(a)] });
  assert.equal(aboutCompute1(all).length, 1, 'the cast to compute2 is not a fanout');

  assert.deepEqual(await agent.call('update_device_down', '1.9', { device: b.id, agent_id: 'ovs-compute2', host: 'compute2' }), { device: b.id, exists: true });
  const removed = await eventually(() => of(all, 'remove_fdb_entries')[0], 5000, 'remove_fdb_entries');
  assert.deepEqual(removed.ports, { '192.0.2.12': [FLOOD, entry(b)] }, 'the host\'s last port takes its flooding entry along');

  assert.equal((await ts.request('DELETE', `/v2.0/ports/${a.id}`)).status, 204);
  await eventually(() => of(all, 'remove_fdb_entries').length >= 2, 5000, 'remove_fdb_entries on delete');
  assert.deepEqual(of(all, 'remove_fdb_entries')[1]!.ports, { '192.0.2.11': [FLOOD, entry(a)] });
});
