// QoS over RabbitMQ with Python oslo.messaging standing for an Open vSwitch agent with the QoS
// extension (python/agent.py): it pulls QosPolicy objects on q-plugin, gets them pushed on the
// neutron-vo-QosPolicy-1.10 fanout, and reads the policies of its ports in get_device_details.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { brokerMissing, createVhost, eventually, PYTHON, pythonMissing, requires, spawnPeer, type Peer, type Vhost } from '../rpc/helpers.js';
import { ServerProcess } from '../service/process.js';

const need = requires(await brokerMissing(), pythonMissing());
const HERE = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const HOST = 'pyqos';

let vhost: Vhost;
let server: ServerProcess;
let py: Peer;
let nextId = 0;

async function python(cmd: Record<string, unknown>): Promise<any> {
  const id = ++nextId;
  py.proc.stdin!.write(`${JSON.stringify({ id, timeout: 20, ...cmd })}\n`);
  const line = await eventually(() => py.lines.find((l) => l.startsWith(`{"id": ${id},`)), 30_000, `python answer ${id}`);
  return JSON.parse(line);
}

function pushes(): any[] {
  return py.lines.filter((l) => l.startsWith('{"received"')).map((l) => JSON.parse(l).received).filter((r) => r.method === 'push');
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return parsed;
}

const OVS = {
  binary: 'neutron-openvswitch-agent', host: HOST, topic: 'N/A', agent_type: 'Open vSwitch agent', start_flag: true,
  configurations: { bridge_mappings: {}, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.50', l2_population: false, extensions: ['qos'] },
  resource_versions: { Port: '1.7', Network: '1.1', QosPolicy: '1.10' },
};
const data = (o: any) => o['versioned_object.data'];

before(async () => {
  if (need.skip) return;
  vhost = await createVhost();
  server = await ServerProcess.start({
    conf: [
      `transport_url = ${vhost.url()}`, 'service_plugins = qos',
      'api_workers = 1', 'rpc_workers = 1', 'rpc_state_report_workers = 1',
      '[ml2]', 'mechanism_drivers = openvswitch', 'extension_drivers = qos', 'tenant_network_types = vxlan',
      '[ml2_type_vxlan]', 'vni_ranges = 100:200',
    ].join('\n'),
  });
  await server.waitFor((e) => e.worker === 'rpc worker' && e.msg === 'consuming RPC topics', 60_000);
  await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics', 60_000);
  py = await spawnPeer(PYTHON, [join(HERE, 'python', 'agent.py'), vhost.url(), HOST], {}, 30_000);
});

after(async () => {
  if (need.skip) return;
  await py?.stop();
  await server?.kill();
  await vhost?.cleanup();
});

test('a Python OVS agent pulls QoS policies, gets them pushed, and sees its port\'s policies', need, async () => {
  assert.equal((await python({ op: 'report_state', args: OVS })).result, 'new');
  const p = (await api('POST', '/v2.0/qos/policies', { policy: { name: 'py-gold' } })).policy;
  const rule = (await api('POST', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules`, { bandwidth_limit_rule: { max_kbps: 3000, max_burst_kbps: 300 } })).bandwidth_limit_rule;
  // the server reads the consumed types from the agents table: pushes start once it knows of this agent
  const pushed = await eventually(async () => {
    const found = pushes().find((m) => m.args.resource_list.some((o: any) => data(o).id === p.id));
    if (!found) await api('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { description: `nudge ${Date.now()}` } });
    return found;
  }, 90_000, 'QosPolicy push');
  assert.equal(pushed.topic, 'neutron-vo-QosPolicy-1.10');
  assert.equal(pushed.args.event_type, 'updated');
  const obj = pushed.args.resource_list[0];
  assert.equal(obj['versioned_object.name'], 'QosPolicy');
  assert.equal(obj['versioned_object.version'], '1.10');
  assert.deepEqual(data(data(obj).rules[0]), { id: rule.id, qos_policy_id: p.id, max_kbps: 3000, max_burst_kbps: 300, direction: 'egress' });

  const pulled = await python({ op: 'call', topic: 'q-plugin', version: '1.1', method: 'pull', args: { resource_type: 'QosPolicy', version: '1.10', resource_id: p.id } });
  assert.equal(pulled.error, undefined, JSON.stringify(pulled.error));
  assert.equal(data(pulled.result).name, 'py-gold');
  assert.equal(data(pulled.result).rules[0]['versioned_object.name'], 'QosBandwidthLimitRule');
  const bulk = await python({ op: 'call', topic: 'q-plugin', version: '1.1', method: 'bulk_pull', args: { resource_type: 'QosPolicy', version: '1.10', filter_kwargs: { id: [p.id] } } });
  assert.deepEqual(bulk.result.map((o: any) => data(o).id), [p.id]);

  const net = (await api('POST', '/v2.0/networks', { network: { name: 'py-qos', qos_policy_id: p.id } })).network;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' } })).port;
  assert.equal(port['binding:vif_type'], 'ovs', JSON.stringify(port));
  const details = await python({ op: 'call', topic: 'q-plugin', version: '1.9', method: 'get_device_details', args: { device: port.id, agent_id: 'ovs-py', host: HOST } });
  assert.equal(details.result.qos_policy_id, null);
  assert.equal(details.result.qos_network_policy_id, p.id);

  await api('DELETE', `/v2.0/ports/${port.id}`);
  await api('DELETE', `/v2.0/networks/${net.id}`);
  await api('DELETE', `/v2.0/qos/policies/${p.id}`);
  const deleted = await eventually(() => pushes().find((m) => m.args.event_type === 'deleted' && data(m.args.resource_list[0]).id === p.id), 30_000, 'deleted push');
  assert.deepEqual(data(deleted.args.resource_list[0]), { id: p.id });
});
