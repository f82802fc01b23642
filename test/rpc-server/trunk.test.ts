// The trunk RPC with a Python oslo.messaging peer standing for the Open vSwitch agent's trunk side
// (python/trunk_agent.py): Trunk/SubPort pushes on the versioned-object fanout topics, the Trunk
// pulled by its parent port, update_subport_bindings and update_trunk_status on the trunk topic.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { brokerMissing, createVhost, eventually, PYTHON, pythonMissing, requires, spawnPeer, type Peer, type Vhost } from '../rpc/helpers.js';
import { ServerProcess } from '../service/process.js';

const need = requires(await brokerMissing(), pythonMissing());
const HERE = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const HOST = 'trunkhost';
const ADMIN = { 'x-project-id': 'admin-project', 'x-user-id': 'admin-user', 'x-roles': 'admin' };

let vhost: Vhost;
let server: ServerProcess;
let py: Peer;
let nextId = 0;

async function python(cmd: Record<string, unknown>): Promise<{ result?: any; error?: any }> {
  const id = ++nextId;
  py.proc.stdin!.write(`${JSON.stringify({ id, timeout: 20, ...cmd })}\n`);
  const line = await eventually(() => py.lines.find((l) => l.startsWith(`{"id": ${id},`)), 30_000, `python answer ${id}`);
  return JSON.parse(line);
}

function pushes(topic: string): Array<{ resource_list: any[]; event_type: string }> {
  return py.lines.filter((l) => l.startsWith('{"received"')).map((l) => JSON.parse(l).received).filter((r) => r.topic === topic).map((r) => r.args);
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { ...ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const OVS = {
  binary: 'neutron-openvswitch-agent', host: HOST, topic: 'N/A', agent_type: 'Open vSwitch agent', start_flag: true,
  configurations: { bridge_mappings: {}, tunnel_types: [], integration_bridge: 'br-int', datapath_type: 'system', ovs_hybrid_plug: false },
  resource_versions: { Port: '1.7', Trunk: '1.1', SubPort: '1.0' },
};

before(async () => {
  if (need.skip) return;
  vhost = await createVhost();
  server = await ServerProcess.start({
    conf: [
      `transport_url = ${vhost.url()}`, 'service_plugins = trunk',
      'api_workers = 1', 'rpc_workers = 1', 'rpc_state_report_workers = 1',
      '[ml2]', 'mechanism_drivers = openvswitch',
    ].join('\n'),
  });
  await server.waitFor((e) => e.worker === 'rpc worker' && e.msg === 'consuming RPC topics', 60_000);
  await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics', 60_000);
  py = await spawnPeer(PYTHON, [join(HERE, 'python', 'trunk_agent.py'), vhost.url(), HOST], { PYTHONPATH: join(HERE, 'python') }, 30_000);
});

after(async () => {
  if (need.skip) return;
  await py?.stop();
  await server?.kill();
  await vhost?.cleanup();
});

test('an agent hears of trunks and subports, pulls a trunk by its parent, binds the subports and reports the status', need, async () => {
  const report = await python({ topic: 'q-reports-plugin', version: '1.2', method: 'report_state', args: { agent_state: { agent_state: OVS }, time: new Date().toISOString().replace('Z', '000') } });
  assert.equal(report.result, 'new', JSON.stringify(report));
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'trunk-net' } })).body.network;
  const port = async () => (await api('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
  const [parent, sub1, sub2] = [await port(), await port(), await port()];
  const created = await api('POST', '/v2.0/trunks', { trunk: { port_id: parent.id, sub_ports: [{ port_id: sub1.id, segmentation_type: 'vlan', segmentation_id: 10 }] } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const trunk = created.body.trunk;

  const push = await eventually(() => pushes('neutron-vo-Trunk-1.1').find((p) => p.resource_list[0]['versioned_object.data'].id === trunk.id), 20_000, 'Trunk push');
  assert.equal(push.event_type, 'created');
  const obj = push.resource_list[0];
  assert.equal(obj['versioned_object.name'], 'Trunk');
  assert.equal(obj['versioned_object.version'], '1.1');
  assert.equal(obj['versioned_object.data'].port_id, parent.id);
  assert.equal(obj['versioned_object.data'].status, 'DOWN');
  assert.deepEqual(obj['versioned_object.data'].sub_ports.map((s: any) => [s['versioned_object.name'], s['versioned_object.data']]),
    [['SubPort', { port_id: sub1.id, trunk_id: trunk.id, segmentation_type: 'vlan', segmentation_id: 10 }]]);

  // get_trunk_details: the Trunk pulled by its parent port; none for another port
  const pulled = await python({ topic: 'q-plugin', version: '1.1', method: 'pull', args: { resource_type: 'Trunk', version: '1.1', resource_id: parent.id } });
  assert.equal(pulled.error, undefined, JSON.stringify(pulled.error));
  assert.equal(pulled.result['versioned_object.data'].id, trunk.id);
  assert.equal((await python({ topic: 'q-plugin', version: '1.1', method: 'pull', args: { resource_type: 'Trunk', version: '1.1', resource_id: sub1.id } })).result, null);

  // the parent is bound to the agent's host; the agent binds the subports there
  const bound = await api('PUT', `/v2.0/ports/${parent.id}`, { port: { 'binding:host_id': HOST, device_owner: 'compute:nova', device_id: 'vm-1' } });
  assert.equal(bound.body.port['binding:vif_type'], 'ovs');
  const bindings = await python({
    topic: 'trunk', namespace: 'trunk', version: '1.0', method: 'update_subport_bindings',
    args: { subports: [{ port_id: sub1.id, trunk_id: trunk.id, segmentation_type: 'vlan', segmentation_id: 10 }] },
  });
  assert.equal(bindings.error, undefined, JSON.stringify(bindings.error));
  const [updated] = bindings.result[trunk.id];
  assert.equal(updated.id, sub1.id);
  assert.equal(updated.mac_address, sub1.mac_address);
  assert.equal(updated['binding:host_id'], HOST);
  assert.equal(updated.device_owner, 'trunk:subport');
  assert.equal(updated['binding:vif_type'], 'ovs');
  assert.equal((await api('GET', `/v2.0/trunks/${trunk.id}`)).body.trunk.status, 'BUILD');

  const status = await python({ topic: 'trunk', namespace: 'trunk', version: '1.0', method: 'update_trunk_status', args: { trunk_id: trunk.id, status: 'ACTIVE' } });
  assert.equal(status.error, undefined, JSON.stringify(status.error));
  assert.equal((await api('GET', `/v2.0/trunks/${trunk.id}`)).body.trunk.status, 'ACTIVE');
  // without the trunk namespace, nobody answers the call
  const wrong = await python({ topic: 'trunk', version: '1.0', method: 'update_trunk_status', args: { trunk_id: trunk.id, status: 'ERROR' } });
  assert.equal(wrong.error?.exc_type, 'UnsupportedVersion');

  // subports added and removed are pushed as SubPort objects
  assert.equal((await api('PUT', `/v2.0/trunks/${trunk.id}/add_subports`, { sub_ports: [{ port_id: sub2.id, segmentation_type: 'vlan', segmentation_id: 20 }] })).status, 200);
  const added = await eventually(() => pushes('neutron-vo-SubPort-1.0').find((p) => p.event_type === 'created'), 20_000, 'SubPort created push');
  assert.deepEqual(added.resource_list.map((s: any) => s['versioned_object.data']), [{ port_id: sub2.id, trunk_id: trunk.id, segmentation_type: 'vlan', segmentation_id: 20 }]);
  assert.equal((await api('GET', `/v2.0/trunks/${trunk.id}`)).body.trunk.status, 'DOWN');
  assert.equal((await api('PUT', `/v2.0/trunks/${trunk.id}/remove_subports`, { sub_ports: [{ port_id: sub2.id }] })).status, 200);
  const removed = await eventually(() => pushes('neutron-vo-SubPort-1.0').find((p) => p.event_type === 'deleted'), 20_000, 'SubPort deleted push');
  assert.equal(removed.resource_list[0]['versioned_object.data'].port_id, sub2.id);

  // the parent unbound takes the trunk DOWN; then it can be deleted, and the agents hear of it
  assert.equal((await python({ topic: 'trunk', namespace: 'trunk', version: '1.0', method: 'update_trunk_status', args: { trunk_id: trunk.id, status: 'ACTIVE' } })).error, undefined);
  assert.equal((await api('DELETE', `/v2.0/trunks/${trunk.id}`)).body.NeutronError.type, 'TrunkInUse');
  assert.equal((await api('PUT', `/v2.0/ports/${parent.id}`, { port: { 'binding:host_id': '' } })).status, 200);
  assert.equal((await api('GET', `/v2.0/trunks/${trunk.id}`)).body.trunk.status, 'DOWN');
  assert.equal((await api('DELETE', `/v2.0/trunks/${trunk.id}`)).status, 204);
  const deleted = await eventually(() => pushes('neutron-vo-Trunk-1.1').find((p) => p.event_type === 'deleted'), 20_000, 'Trunk deleted push');
  assert.equal(deleted.resource_list[0]['versioned_object.data'].id, trunk.id);
});
