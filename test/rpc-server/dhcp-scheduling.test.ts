// Manual DHCP scheduling (the dhcp_agent_scheduler API) and failover from dead DHCP agents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rescheduleFromDownAgents } from '../../src/plugins/ml2/dhcp-agent-scheduler.js';
import { dhcpAgentDeviceId } from '../../src/plugins/ml2/rpc/dhcp.js';
import { asProject, startServer, type TestServer } from '../support/server.js';
import { createThrough, DHCP_STATE, eventually, FakeAgent, Recorder } from './support.js';

let ts: TestServer;
let agent: FakeAgent;
let net1: Recorder;
let net2: Recorder;
const ids: Record<string, string> = {};

before(async () => {
  ts = await startServer({ DEFAULT: { dhcp_agents_per_network: 1 } });
  agent = new FakeAgent(ts.server.transport);
  net1 = new Recorder(ts.server.transport, 'dhcp_agent', 'net1', ['network_create_end', 'network_delete_end', 'subnet_create_end'], '1.0');
  net2 = new Recorder(ts.server.transport, 'dhcp_agent', 'net2', ['network_create_end', 'network_delete_end', 'subnet_create_end'], '1.0');
  await Promise.all([net1.start(), net2.start()]);
  for (const host of ['net1', 'net2']) {
    assert.equal(await agent.reportState(DHCP_STATE(host)), 'new');
    ids[host] = (await ts.request('GET', `/v2.0/agents?host=${host}`)).body.agents[0].id;
  }
});
after(async () => {
  await Promise.all([net1.stop(), net2.stop()]);
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>) => createThrough(ts, collection, body);

test('the extension is listed; admins add a network to a DHCP agent, list and remove it', async () => {
  assert.equal((await ts.request('GET', '/v2.0/extensions/dhcp_agent_scheduler')).status, 200);
  const net = await create('network', { name: 'manual' });
  const add = await ts.request('POST', `/v2.0/agents/${ids.net1}/dhcp-networks`, { network_id: net.id });
  assert.equal(add.status, 201, JSON.stringify(add.body));
  await eventually(() => net1.of('network_create_end').find((m) => m.args.payload.network.id === net.id), 5000, 'network_create_end');
  const listed = await ts.request('GET', `/v2.0/agents/${ids.net1}/dhcp-networks`);
  assert.deepEqual(listed.body.networks.map((n: any) => n.id), [net.id]);
  const agents = await ts.request('GET', `/v2.0/networks/${net.id}/dhcp-agents`);
  assert.deepEqual(agents.body.agents.map((a: any) => a.host), ['net1']);
  assert.equal((await ts.request('GET', `/v2.0/networks/${net.id}`)).body.network.availability_zones[0], 'nova');

  const again = await ts.request('POST', `/v2.0/agents/${ids.net1}/dhcp-networks`, { network_id: net.id });
  assert.equal(again.status, 409);
  assert.equal(again.body.NeutronError.type, 'NetworkHostedByDHCPAgent');
  // an admin may go beyond dhcp_agents_per_network
  assert.equal((await ts.request('POST', `/v2.0/agents/${ids.net2}/dhcp-networks`, { network_id: net.id })).status, 201);
  assert.equal((await ts.request('GET', `/v2.0/networks/${net.id}/dhcp-agents`)).body.agents.length, 2);

  assert.equal((await ts.request('DELETE', `/v2.0/agents/${ids.net2}/dhcp-networks/${net.id}`)).status, 204);
  await eventually(() => net2.of('network_delete_end').find((m) => m.args.payload.network_id === net.id), 5000, 'network_delete_end');
  const gone = await ts.request('DELETE', `/v2.0/agents/${ids.net2}/dhcp-networks/${net.id}`);
  assert.equal(gone.status, 409);
  assert.equal(gone.body.NeutronError.type, 'NetworkNotHostedByDhcpAgent');

  assert.equal((await ts.request('POST', `/v2.0/agents/${ids.net1}/dhcp-networks`, { network_id: '00000000-0000-0000-0000-000000000000' })).status, 404);
  const notDhcp = await ts.request('POST', '/v2.0/agents/00000000-0000-0000-0000-000000000000/dhcp-networks', { network_id: net.id });
  assert.equal(notDhcp.status, 404);
  assert.equal(notDhcp.body.NeutronError.type, 'InvalidDHCPAgent');
  assert.equal((await ts.request('GET', `/v2.0/agents/${ids.net1}/dhcp-networks`, undefined, asProject('p1'))).status, 403);
  assert.equal((await ts.request('POST', `/v2.0/agents/${ids.net1}/dhcp-networks`, { network_id: net.id }, asProject('p1'))).status, 403);
});

test('networks of a DHCP agent silent for twice agent_down_time move to an alive one, which adopts the DHCP port', async () => {
  const net = await create('network', { name: 'failover' });
  const subnet = await create('subnet', { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 });
  const first = await eventually(async () => (await ts.request('GET', `/v2.0/networks/${net.id}/dhcp-agents`)).body.agents[0], 5000, 'scheduling');
  const [deadHost, liveHost] = first.host === 'net1' ? ['net1', 'net2'] : ['net2', 'net1'];
  const port = await agent.call<any>('create_dhcp_port', '1.1', {
    host: deadHost, port: { port: { device_id: dhcpAgentDeviceId(net.id, deadHost), network_id: net.id, tenant_id: net.tenant_id, fixed_ips: [{ subnet_id: subnet.id }] } },
  });
  const opts = { agentsPerNetwork: 1, agentDownTime: 75, defaultAvailabilityZones: [], networkAutoSchedule: true };
  assert.deepEqual(await rescheduleFromDownAgents(ts.server.db, opts), [], 'nothing moves while the agents are alive');

  await ts.server.db.write((tx) => tx.updateTable('agents').set({ heartbeat_timestamp: '2020-01-01 00:00:00' }).where('host', '=', deadHost).execute());
  const moved = await rescheduleFromDownAgents(ts.server.db, opts);
  const mine = moved.find((m) => m.networkId === net.id);
  assert.ok(mine, JSON.stringify(moved));
  assert.deepEqual(mine.added.map((a) => a.host), [liveHost]);
  const now = (await ts.request('GET', `/v2.0/networks/${net.id}/dhcp-agents`)).body.agents;
  assert.deepEqual(now.map((a: any) => a.host), [liveHost]);
  assert.equal((await ts.request('GET', `/v2.0/ports/${port.id}`)).body.port.device_id, 'reserved_dhcp_port', 'kept for the next agent');
  const adopted = await agent.call<any>('update_dhcp_port', '1.1', {
    host: liveHost, port_id: port.id, port: { port: { network_id: net.id, device_id: dhcpAgentDeviceId(net.id, liveHost) } },
  });
  assert.equal(adopted.device_id, dhcpAgentDeviceId(net.id, liveHost));
  assert.deepEqual(adopted.fixed_ips, port.fixed_ips, 'the addresses stay');

  await ts.server.db.write((tx) => tx.updateTable('agents').set({ heartbeat_timestamp: '2020-01-01 00:00:00' }).execute());
  assert.deepEqual(await rescheduleFromDownAgents(ts.server.db, opts), [], 'with no agent alive nothing moves');
});
