// The L2 agents' QoS extension: QosPolicy objects pulled on q-plugin and pushed on
// neutron-vo-QosPolicy-1.10 as policies and their rules change; the policy ids of ports and
// networks in the objects and in get_device_details.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN } from '../support/server.js';
import { startServer, type TestServer } from '../support/server.js';
import { createThrough, eventually, FakeAgent, OVS_STATE, Recorder } from './support.js';

const POLICY_FIELDS = ['created_at', 'description', 'id', 'is_default', 'name', 'project_id', 'revision_number', 'rules', 'shared', 'updated_at'];

let ts: TestServer;
let agent: FakeAgent;
let policies: Recorder;

before(async () => {
  ts = await startServer({
    DEFAULT: { service_plugins: ['qos'] },
    ml2: { mechanism_drivers: ['openvswitch'], extension_drivers: ['qos'], tenant_network_types: ['vxlan'] },
    ml2_type_vxlan: { vni_ranges: ['1001:2000'] },
  });
  agent = new FakeAgent(ts.server.transport);
  policies = new Recorder(ts.server.transport, 'neutron-vo-QosPolicy-1.10', 'compute1', ['push'], '1.1');
  await policies.start();
  const state = OVS_STATE('compute1');
  assert.equal(await agent.reportState({ ...state, resource_versions: { ...state.resource_versions, QosPolicy: '1.10' } }), 'new');
});
after(async () => {
  await policies.stop();
  await ts.close();
});

const data = (p: any) => p['versioned_object.data'];
const request = async (method: string, path: string, body?: unknown) => {
  const res = await ts.request(method, path, body, ADMIN);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const pushesOf = (id: string) => policies.of('push').filter((m) => m.args.resource_list.some((o: any) => data(o).id === id));

test('a policy is pulled whole and pushed when its rules or itself change, and when deleted', async () => {
  const p = (await request('POST', '/v2.0/qos/policies', { policy: { name: 'gold', shared: true } })).policy;
  const bw = (await request('POST', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 1000, direction: 'ingress' } })).bandwidth_limit_rule;
  const pushed = await eventually(() => pushesOf(p.id)[0], 5000, 'push after the rule');
  assert.equal(pushed.args.event_type, 'updated');
  const obj = pushed.args.resource_list[0];
  assert.equal(obj['versioned_object.name'], 'QosPolicy');
  assert.equal(obj['versioned_object.version'], '1.10');
  assert.deepEqual(Object.keys(data(obj)).sort(), POLICY_FIELDS);
  assert.equal(data(obj).shared, true);
  const [rule] = data(obj).rules;
  assert.equal(rule['versioned_object.name'], 'QosBandwidthLimitRule');
  assert.equal(rule['versioned_object.version'], '1.5');
  assert.deepEqual(data(rule), { id: bw.id, qos_policy_id: p.id, max_kbps: 1000, max_burst_kbps: 0, direction: 'ingress' });

  await request('POST', `/v2.0/qos/policies/${p.id}/dscp_marking_rules`, { dscp_marking_rule: { dscp_mark: 26 } });
  const pulled = await agent.call<any>('pull', '1.1', { resource_type: 'QosPolicy', version: '1.10', resource_id: p.id });
  assert.deepEqual(data(pulled).rules.map((r: any) => r['versioned_object.name']), ['QosBandwidthLimitRule', 'QosDscpMarkingRule']);
  assert.equal(data(pulled).revision_number, 2);
  const [bulk] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'QosPolicy', version: '1.10', filter_kwargs: { id: [p.id] } });
  assert.deepEqual(bulk, pulled);

  await request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { name: 'platinum' } });
  await eventually(() => pushesOf(p.id).find((m) => data(m.args.resource_list[0]).name === 'platinum'), 5000, 'push after the update');
  await request('DELETE', `/v2.0/qos/policies/${p.id}`);
  const deleted = await eventually(() => pushesOf(p.id).find((m) => m.args.event_type === 'deleted'), 5000, 'deleted push');
  assert.deepEqual(data(deleted.args.resource_list[0]), { id: p.id });
});

test('ports and networks carry their policies to the agent', async () => {
  const p = (await request('POST', '/v2.0/qos/policies', { policy: { name: 'net' } })).policy;
  const own = (await request('POST', '/v2.0/qos/policies', { policy: { name: 'port' } })).policy;
  const net = await createThrough(ts, 'network', { name: 'qos-net', qos_policy_id: p.id });
  const port = await createThrough(ts, 'port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm', 'binding:host_id': 'compute1', qos_policy_id: own.id });
  const details = await agent.call<any>('get_device_details', '1.9', { device: port.id, agent_id: 'ovs-agent-compute1', host: 'compute1' });
  assert.equal(details.qos_policy_id, own.id);
  assert.equal(details.qos_network_policy_id, p.id);
  const [po] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Port', version: '1.7', filter_kwargs: { id: [port.id] } });
  assert.equal(data(po).qos_policy_id, own.id);
  assert.equal(data(po).qos_network_policy_id, p.id);
  const [no] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Network', version: '1.1', filter_kwargs: { id: [net.id] } });
  assert.equal(data(no).qos_policy_id, p.id);
});
