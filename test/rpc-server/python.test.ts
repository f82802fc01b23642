// A real `neutron-ts server` (supervisor, API, RPC and state-report workers) on RabbitMQ, driven by
// Python oslo.messaging standing for Neutron's agents (python/agent.py): report_state and
// get_active_networks_info calls, DHCP casts and the port_update fanout, and a lost broker
// connection in the middle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { brokerMissing, createVhost, eventually, PYTHON, pythonMissing, rabbitmqctl, requires, spawnPeer, TcpProxy, type Peer, type Vhost } from '../rpc/helpers.js';
import { ServerProcess } from '../service/process.js';

const need = requires(await brokerMissing(), pythonMissing());
const HERE = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const HOST = 'pyhost';

let vhost: Vhost;
let proxy: TcpProxy;
let server: ServerProcess;
let py: Peer;
let nextId = 0;

interface PyAnswer {
  id: number;
  result?: any;
  error?: { class: string; exc_type: string | null; value: string | null; str: string };
}

/** Runs one client command in the Python agent. */
async function python(cmd: Record<string, unknown>): Promise<PyAnswer> {
  const id = ++nextId;
  py.proc.stdin!.write(`${JSON.stringify({ id, timeout: 20, ...cmd })}\n`);
  const line = await eventually(() => py.lines.find((l) => l.startsWith(`{"id": ${id},`)), 30_000, `python answer ${id}`);
  return JSON.parse(line) as PyAnswer;
}

/** Messages the Python agent's RPC servers received. */
function received(method: string): Array<{ topic: string; method: string; args: any; is_admin: boolean }> {
  return py.lines.filter((l) => l.startsWith('{"received"')).map((l) => JSON.parse(l).received).filter((r) => r.method === method);
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const DHCP = {
  binary: 'neutron-dhcp-agent', host: HOST, availability_zone: 'nova', topic: 'dhcp_agent', agent_type: 'DHCP agent', start_flag: true,
  configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', networks: 0, subnets: 0, ports: 0 },
};
const LINUXBRIDGE = {
  binary: 'neutron-linuxbridge-agent', host: HOST, topic: 'N/A', agent_type: 'Linux bridge agent', start_flag: true,
  configurations: { interface_mappings: { physnet1: 'eth1' }, bridge_mappings: {}, extensions: [], devices: 0 },
  resource_versions: { Port: '1.7' },
};

before(async () => {
  if (need.skip) return;
  vhost = await createVhost();
  proxy = await TcpProxy.start();
  server = await ServerProcess.start({
    conf: [
      `transport_url = ${vhost.url(proxy.port)}`,
      'api_workers = 1', 'rpc_workers = 1', 'rpc_state_report_workers = 1',
      '[ml2]', 'mechanism_drivers = linuxbridge',
    ].join('\n'),
  });
  // both RPC worker kinds consume before the agents talk
  await server.waitFor((e) => e.worker === 'rpc worker' && e.msg === 'consuming RPC topics', 60_000);
  await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics', 60_000);
  py = await spawnPeer(PYTHON, [join(HERE, 'python', 'agent.py'), vhost.url(), HOST], {}, 30_000);
});

after(async () => {
  if (need.skip) return;
  await py?.stop();
  await server?.kill();
  await proxy?.close();
  await vhost?.cleanup();
});

test('a Python agent\'s report_state registers it in neutron-ts (new, then alive)', need, async () => {
  const first = await python({ op: 'report_state', args: DHCP });
  assert.deepEqual(first, { id: nextId, result: 'new' });
  assert.equal((await python({ op: 'report_state', args: { ...DHCP, start_flag: false } })).result, 'alive');
  const agents = await api('GET', '/v2.0/agents?agent_type=DHCP%20agent');
  assert.equal(agents.status, 200);
  assert.equal(agents.body.agents.length, 1);
  const a = agents.body.agents[0];
  assert.equal(a.host, HOST);
  assert.equal(a.topic, 'dhcp_agent');
  assert.equal(a.alive, true);
  assert.equal((await python({ op: 'call', topic: 'q-reports-plugin', version: '1.2', method: 'has_alive_neutron_server' })).result, true);
});

test('the DHCP agent gets network_create_end and subnet_create_end, and get_active_networks_info describes the network', need, async () => {
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'py-net' } })).body.network;
  const subnet = (await api('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4 } })).body.subnet;
  const created = await eventually(() => received('network_create_end').find((r) => r.args.payload.network.id === net.id), 20_000, 'network_create_end');
  assert.equal(created.topic, 'dhcp_agent');
  assert.equal(created.is_admin, true);
  const sub = await eventually(() => received('subnet_create_end').find((r) => r.args.payload.subnet.id === subnet.id), 20_000, 'subnet_create_end');
  assert.equal(sub.args.payload.priority, 3);

  const info = await python({ op: 'call', topic: 'q-plugin', version: '1.1', method: 'get_active_networks_info', args: { host: HOST, enable_dhcp_filter: false } });
  assert.equal(info.error, undefined, JSON.stringify(info.error));
  const n = info.result.find((x: any) => x.id === net.id);
  assert.ok(n, JSON.stringify(info.result));
  assert.deepEqual(n.subnets.map((s: any) => [s.id, s.cidr, s.enable_dhcp, s.gateway_ip]), [[subnet.id, '10.20.0.0/24', true, '10.20.0.1']]);
  assert.deepEqual(n.ports, []);
  assert.equal(n.tenant_id, net.tenant_id);

  const missing = await python({ op: 'call', topic: 'q-plugin', version: '1.8', method: 'get_dhcp_port', args: { port_id: 'nope' } });
  assert.equal(missing.error?.class, 'RemoteError');
  assert.equal(missing.error?.exc_type, 'PortNotFound');
});

test('a Python fanout consumer receives port_update after a PUT on a port bound to its host', need, async () => {
  assert.equal((await python({ op: 'report_state', args: LINUXBRIDGE })).result, 'new');
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'py-l2' } })).body.network;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' } })).body.port;
  assert.equal(port['binding:vif_type'], 'bridge', 'the answer carries the binding');
  await eventually(() => received('port_update').find((r) => r.args.port.id === port.id), 20_000, 'port_update on binding');

  assert.equal((await api('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } })).status, 200);
  const update = await eventually(() => received('port_update').find((r) => r.args.port.id === port.id && r.args.port.admin_state_up === false), 20_000, 'port_update after PUT');
  assert.equal(update.topic, 'q-agent-notifier-port-update');
  assert.equal(update.args.network_type, 'local');
  assert.equal(update.args.segmentation_id, null);
  assert.equal(update.args.physical_network, null);
  assert.equal(update.args.port.mac_address, port.mac_address);

  const details = await python({ op: 'call', topic: 'q-plugin', version: '1.9', method: 'get_devices_details_list', args: { devices: [`tap${port.id.slice(0, 11)}`], agent_id: 'lb-agent', host: HOST } });
  assert.equal(details.result[0].port_id, port.id);
  assert.equal(details.result[0].network_type, 'local');
});

test('neutron-ts survives losing its broker connections in the middle: reports and notifications go on', need, async () => {
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'py-cut' } })).body.network;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' } })).body.port;
  await eventually(() => received('port_update').find((r) => r.args.port.id === port.id), 20_000, 'port_update on binding');
  const before = proxy.connections;
  assert.ok(before > 0, 'the server talks to the broker through the proxy');
  proxy.cut();
  // the workers reconnect on their own
  await eventually(() => proxy.connections >= 1, 30_000, 'reconnection');
  assert.equal((await python({ op: 'report_state', args: { ...DHCP, start_flag: false } })).result, 'alive', 'the reports worker consumes again');
  const info = await python({ op: 'call', topic: 'q-plugin', version: '1.1', method: 'get_active_networks_info', args: { host: HOST, enable_dhcp_filter: false } });
  assert.ok(Array.isArray(info.result), JSON.stringify(info));
  assert.equal((await api('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } })).status, 200);
  await eventually(() => received('port_update').find((r) => r.args.port.id === port.id && r.args.port.admin_state_up === false), 30_000, 'port_update after the cut');
  assert.ok(!server.logs.some((e) => e.level >= 60), 'no worker died');
});

// Restarting RabbitMQ cuts every client of the machine's broker: it runs in CI (the only user
// there) or when asked for (RPC_TEST_BROKER_RESTART=1), not under colleagues' concurrent test runs.
const restartAllowed = !!process.env.CI || process.env.RPC_TEST_BROKER_RESTART === '1';

test('neutron-ts survives a broker restart: it declares its queues again and the agents reach it', need, async (t) => {
  if (!restartAllowed) return t.skip('restarts the shared broker: set RPC_TEST_BROKER_RESTART=1 (always on in CI)');
  if (!vhost.managed) return t.skip('rabbitmqctl is not usable here');
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'py-restart' } })).body.network;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' } })).body.port;
  await eventually(() => received('port_update').find((r) => r.args.port.id === port.id), 20_000, 'port_update on binding');
  // non-durable queues (the default) are gone after the restart
  await rabbitmqctl('stop_app');
  await rabbitmqctl('start_app');
  await rabbitmqctl('await_startup');
  const answer = await eventually(async () => {
    const r = await python({ op: 'report_state', args: { ...DHCP, start_flag: false }, timeout: 5 });
    return r.result === 'alive' && r;
  }, 60_000, 'report_state answered after the restart');
  assert.equal(answer.result, 'alive');
  // the Python agent's fanout queue is declared again too, after its own reconnection
  await eventually(async () => {
    await api('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: !received('port_update').filter((r) => r.args.port.id === port.id).at(-1)!.args.port.admin_state_up } });
    await new Promise((r) => setTimeout(r, 500));
    return received('port_update').filter((r) => r.args.port.id === port.id).length >= 3;
  }, 60_000, 'port_update after the restart');
  assert.ok(!server.logs.some((e) => e.level >= 60), 'no worker died');
});
