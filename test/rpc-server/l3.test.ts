// L3 agents: router scheduling, the L3 agent's calls on q-l3-plugin and the casts it is sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminContext } from '../../src/lib/context.js';
import { RpcClient } from '../../src/rpc/index.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';
import { createThrough, eventually, FakeAgent, Recorder } from './support.js';

const L3_STATE = (host: string, extra: Record<string, unknown> = {}) => ({
  binary: 'neutron-l3-agent', host, topic: 'l3_agent', agent_type: 'L3 agent', start_flag: true,
  configurations: { agent_mode: 'legacy', routers: 0, ex_gw_ports: 0, interfaces: 0, floating_ips: 0, handle_internal_only_routers: true, interface_driver: 'openvswitch', log_agent_heartbeats: false },
  ...extra,
});
const METHODS = ['routers_updated', 'router_deleted', 'router_added_to_agent', 'router_removed_from_agent'];
const A = asProject('project-a');

let ts: TestServer;
let agent: FakeAgent;
let l3: RpcClient;
let host1: Recorder;

before(async () => {
  ts = await startServer({ DEFAULT: { service_plugins: ['router'] } });
  agent = new FakeAgent(ts.server.transport);
  l3 = new RpcClient(ts.server.transport, { topic: 'q-l3-plugin', version: '1.0', timeout: 10 });
  host1 = new Recorder(ts.server.transport, 'l3_agent', 'l3-1', METHODS, '1.4');
  await host1.start();
});
after(async () => {
  await host1.stop();
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>, headers: Record<string, string> = A) => createThrough(ts, collection, body, headers);
const call = <T = any>(method: string, version: string, args: Record<string, unknown>) => l3.prepare({ version }).call<T>(adminContext(), method, args);

test('a router is scheduled to the L3 agent, which syncs it with its gateway, interfaces and floating IPs', async () => {
  assert.equal(await agent.reportState(L3_STATE('l3-1')), 'new');
  const ext = await create('network', { name: 'public', 'router:external': true }, ADMIN);
  const extSubnet = await create('subnet', { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 }, ADMIN);
  const net = await create('network', { name: 'private' });
  const subnet = await create('subnet', { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 });
  const router = await create('router', { name: 'r', external_gateway_info: { network_id: ext.id } });
  const updated = await eventually(() => host1.of('routers_updated').find((m) => m.args.routers.includes(router.id)), 5000, 'routers_updated');
  assert.deepEqual(updated.args, { routers: [router.id] });
  const iface = await ts.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, A);
  assert.equal(iface.status, 200);
  const vm = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-1' });
  const fip = await create('floatingip', { floating_network_id: ext.id, port_id: vm.id });
  await eventually(() => host1.of('routers_updated').length >= 3, 5000, 'a routers_updated per change');

  assert.deepEqual(await call('get_router_ids', '1.9', { host: 'l3-1' }), [router.id]);
  const [synced] = await call<any[]>('sync_routers', '1.0', { host: 'l3-1', router_ids: [router.id] });
  assert.equal(synced.id, router.id);
  assert.equal(synced.enable_snat, true);
  assert.equal(synced.gw_port.device_owner, 'network:router_gateway');
  assert.equal(synced.gw_port_id, synced.gw_port.id);
  assert.equal(synced.gw_port['binding:host_id'], 'l3-1', 'the router\'s ports are bound to its agent\'s host');
  assert.equal(synced.gw_port.mtu, 1500);
  assert.deepEqual(synced.gw_port.subnets.map((s: any) => [s.id, s.cidr, s.gateway_ip]), [[extSubnet.id, '172.24.4.0/24', '172.24.4.1']]);
  assert.equal(synced.gw_port.fixed_ips[0].prefixlen, 24);
  assert.equal(synced._interfaces.length, 1);
  assert.equal(synced._interfaces[0].id, iface.body.port_id);
  assert.equal(synced._interfaces[0]['binding:host_id'], 'l3-1');
  assert.deepEqual(synced._interfaces[0].subnets.map((s: any) => s.id), [subnet.id]);
  assert.equal(synced._floatingips.length, 1);
  assert.equal(synced._floatingips[0].id, fip.id);
  assert.equal(synced._floatingips[0].fixed_ip_address, vm.fixed_ips[0].ip_address);
  assert.equal(synced._floatingips[0].floating_ip_address, fip.floating_ip_address);
  assert.deepEqual(await call('sync_routers', '1.0', { host: 'other-host', router_ids: [router.id] }), [], 'an unknown agent hosts nothing');

  assert.equal(await call('update_floatingip_statuses', '1.1', { router_id: router.id, fip_statuses: { [fip.id]: 'ACTIVE' } }), null);
  assert.equal((await ts.request('GET', `/v2.0/floatingips/${fip.id}`, undefined, A)).body.floatingip.status, 'ACTIVE');
  // disassociated floating IPs the agent no longer reports go DOWN
  await ts.request('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } }, A);
  await call('update_floatingip_statuses', '1.1', { router_id: router.id, fip_statuses: {} });
  assert.equal((await ts.request('GET', `/v2.0/floatingips/${fip.id}`, undefined, A)).body.floatingip.status, 'DOWN');

  const zone = (await ts.request('GET', `/v2.0/routers/${router.id}`, undefined, A)).body.router.availability_zones;
  assert.deepEqual(zone, []);
  assert.deepEqual(await call('get_service_plugin_list', '1.3', {}), ['CORE', 'L3_ROUTER_NAT']);

  await ts.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: subnet.id }, A);
  assert.equal((await ts.request('DELETE', `/v2.0/routers/${router.id}`, undefined, A)).status, 204);
  const deleted = await eventually(() => host1.of('router_deleted')[0], 5000, 'router_deleted');
  assert.deepEqual(deleted.args, { router_id: router.id });
  assert.deepEqual(await call('get_router_ids', '1.9', { host: 'l3-1' }), []);
});

test('routers go to the agent with the fewest; an agent that starts takes unhosted routers; dead agents get none', async () => {
  const r1 = await create('router', { name: 'load-1' });
  await eventually(() => host1.of('routers_updated').find((m) => m.args.routers.includes(r1.id)), 5000, 'r1 on l3-1');
  const host2 = new Recorder(ts.server.transport, 'l3_agent', 'l3-2', METHODS, '1.4');
  await host2.start();
  try {
    assert.equal(await agent.reportState(L3_STATE('l3-2')), 'new');
    const r2 = await create('router', { name: 'load-2' });
    await eventually(() => host2.of('routers_updated').find((m) => m.args.routers.includes(r2.id)), 5000, 'r2 on the less loaded l3-2');
    // admin down: not scheduled to, and its routers are not synced
    const agents = (await ts.request('GET', '/v2.0/agents?agent_type=L3 agent', undefined, ADMIN)).body.agents;
    const a2 = agents.find((a: any) => a.host === 'l3-2');
    await ts.request('PUT', `/v2.0/agents/${a2.id}`, { agent: { admin_state_up: false } }, ADMIN);
    assert.deepEqual(await call('sync_routers', '1.0', { host: 'l3-2' }), []);
    // a router nobody could host is taken by the agent that asks
    await ts.request('PUT', `/v2.0/agents/${agents.find((a: any) => a.host === 'l3-1').id}`, { agent: { admin_state_up: false } }, ADMIN);
    const r3 = await create('router', { name: 'orphan' });
    await new Promise((r) => setTimeout(r, 100));
    await ts.request('PUT', `/v2.0/agents/${a2.id}`, { agent: { admin_state_up: true } }, ADMIN);
    const ids = await call<string[]>('get_router_ids', '1.9', { host: 'l3-2' });
    assert.ok(ids.includes(r3.id) && ids.includes(r2.id), JSON.stringify(ids));
  } finally {
    await host2.stop();
  }
});

test('the l3_agent_scheduler API: admins move routers between agents, which are told', async () => {
  const agents = (await ts.request('GET', '/v2.0/agents?agent_type=L3 agent', undefined, ADMIN)).body.agents;
  const a1 = agents.find((a: any) => a.host === 'l3-1');
  const a2 = agents.find((a: any) => a.host === 'l3-2');
  await ts.request('PUT', `/v2.0/agents/${a1.id}`, { agent: { admin_state_up: true } }, ADMIN);
  const router = await create('router', { name: 'moved' });
  // scheduling follows the commit
  const hosting = await eventually(async () => {
    const r = await ts.request('GET', `/v2.0/routers/${router.id}/l3-agents`, undefined, ADMIN);
    assert.equal(r.status, 200);
    return r.body.agents.length ? r : null;
  }, 5000, 'the router scheduled');
  assert.equal(hosting.body.agents.length, 1);
  const current = hosting.body.agents[0];
  assert.equal(current.agent_type, 'L3 agent');
  assert.equal((await ts.request('GET', `/v2.0/routers/${router.id}/l3-agents`, undefined, A)).status, 403);

  const removed = await ts.request('DELETE', `/v2.0/agents/${current.id}/l3-routers/${router.id}`, undefined, ADMIN);
  assert.equal(removed.status, 204);
  assert.equal(current.host, 'l3-1', 'l3-1 hosts one router, l3-2 two');
  const msg = await eventually(() => host1.of('router_removed_from_agent').find((m) => m.args.payload.router_id === router.id), 5000, 'router_removed_from_agent');
  assert.deepEqual(msg.args, { payload: { router_id: router.id } });
  const again = await ts.request('DELETE', `/v2.0/agents/${current.id}/l3-routers/${router.id}`, undefined, ADMIN);
  assert.equal(again.status, 409);
  assert.equal(again.body.NeutronError.type, 'RouterNotHostedByL3Agent');

  const added = await ts.request('POST', `/v2.0/agents/${a1.id}/l3-routers`, { router_id: router.id }, ADMIN);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.equal(added.body, null);
  const call = await eventually(() => host1.of('router_added_to_agent').find((m) => m.args.payload.includes(router.id)), 5000, 'router_added_to_agent');
  assert.deepEqual(call.args, { payload: [router.id] });
  const listed = await ts.request('GET', `/v2.0/agents/${a1.id}/l3-routers`, undefined, ADMIN);
  assert.ok(listed.body.routers.some((r: any) => r.id === router.id));
  const elsewhere = await ts.request('POST', `/v2.0/agents/${a2.id}/l3-routers`, { router_id: router.id }, ADMIN);
  assert.equal(elsewhere.status, 409);
  assert.equal(elsewhere.body.NeutronError.type, 'RouterHostedByL3Agent');
  assert.equal((await ts.request('POST', `/v2.0/agents/${a1.id}/l3-routers`, { router_id: router.id }, A)).status, 403);
  const missing = await ts.request('POST', `/v2.0/agents/${a1.id}/l3-routers`, { router_id: '0b9f4f2e-0000-4000-8000-000000000000' }, ADMIN);
  assert.equal(missing.status, 404);
  const notL3 = await ts.request('GET', '/v2.0/agents/0b9f4f2e-0000-4000-8000-000000000000/l3-routers', undefined, ADMIN);
  assert.equal(notL3.status, 404);
  assert.equal(notL3.body.NeutronError.type, 'InvalidL3Agent');
});
