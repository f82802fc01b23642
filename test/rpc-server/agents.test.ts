// report_state and the /v2.0/agents API, through a server's own (in-process) transport.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { asProject, startServer, type TestServer } from '../support/server.js';
import { agentClock, DHCP_STATE, eventually, FakeAgent, OVS_STATE, Recorder } from './support.js';

let ts: TestServer;
let agent: FakeAgent;

before(async () => {
  ts = await startServer({ DEFAULT: { agent_down_time: 75 } });
  agent = new FakeAgent(ts.server.transport);
});
after(() => ts.close());

async function agentOn(host: string, type: string) {
  const res = await ts.request('GET', `/v2.0/agents?host=${host}&agent_type=${encodeURIComponent(type)}`);
  assert.equal(res.status, 200);
  return res.body.agents[0];
}

test('report_state registers a new agent, then answers alive; the agents API shows what it reported', async () => {
  const before = Date.now() - 1000;
  assert.equal(await agent.reportState(DHCP_STATE('net1')), 'new');
  const a = await agentOn('net1', 'DHCP agent');
  assert.equal(a.binary, 'neutron-dhcp-agent');
  assert.equal(a.topic, 'dhcp_agent');
  assert.equal(a.availability_zone, 'nova');
  assert.equal(a.admin_state_up, true);
  assert.equal(a.alive, true);
  assert.equal(a.description, null);
  assert.deepEqual(a.configurations, DHCP_STATE('net1').configurations);
  assert.match(a.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'Neutron shows agent times as "YYYY-MM-DD HH:MM:SS"');
  assert.ok(Date.parse(`${a.created_at.replace(' ', 'T')}Z`) >= Math.floor(before / 1000) * 1000);
  assert.equal(a.started_at, a.created_at);
  assert.equal('resource_versions' in a, false);

  const again = DHCP_STATE('net1', { start_flag: false, configurations: { ...DHCP_STATE('net1').configurations, networks: 3 } });
  assert.equal(await agent.reportState(again), 'alive');
  const b = await agentOn('net1', 'DHCP agent');
  assert.equal(b.id, a.id, 'agents are found by (agent_type, host)');
  assert.equal(b.configurations.networks, 3);
  assert.equal(b.started_at, a.started_at, 'started_at changes only with start_flag');
});

test('an agent silent for longer than agent_down_time is not alive, and its next report says revived', async () => {
  assert.equal(await agent.reportState(OVS_STATE('compute1')), 'new');
  const a = await agentOn('compute1', 'Open vSwitch agent');
  await ts.server.db.write((tx) => tx.updateTable('agents').set({ heartbeat_timestamp: '2020-01-01 00:00:00' }).where('id', '=', a.id).execute());
  assert.equal((await agentOn('compute1', 'Open vSwitch agent')).alive, false);
  const down = await ts.request('GET', '/v2.0/agents?alive=false');
  assert.deepEqual(down.body.agents.map((x: any) => x.host), ['compute1']);
  const up = await ts.request('GET', '/v2.0/agents?alive=true');
  assert.ok(!up.body.agents.some((x: any) => x.host === 'compute1'));
  assert.equal(await agent.reportState(OVS_STATE('compute1', { start_flag: false })), 'revived');
  assert.equal((await agentOn('compute1', 'Open vSwitch agent')).alive, true);
});

test('a report older than the server start is skipped (null); has_alive_neutron_server answers true', async () => {
  assert.equal(await agent.reportState(DHCP_STATE('stale-host'), agentClock(new Date(Date.now() - 3600_000))), null);
  assert.equal(await agentOn('stale-host', 'DHCP agent'), undefined);
  const reports = agent as unknown as { reports: { call(ctx: unknown, m: string, a: object): Promise<unknown> } };
  assert.equal(await reports.reports.call(agent.ctx, 'has_alive_neutron_server', {}), true);
});

test('a malformed report is a remote error, and the agents table is unchanged', async () => {
  await assert.rejects(agent.reportState({ host: 'x' }), (e: any) => e.name === 'RemoteError' && e.excType === 'TypeError');
  await assert.rejects(agent.reportState(DHCP_STATE('y'), 'yesterday'), (e: any) => e.name === 'RemoteError');
  assert.equal(await agentOn('x', 'DHCP agent'), undefined);
});

test('agents API: admins update admin_state_up and description and delete; others see nothing', async () => {
  const dhcp = new Recorder(ts.server.transport, 'dhcp_agent', 'net1', ['agent_updated'], '1.0');
  await dhcp.start();
  try {
    const a = await agentOn('net1', 'DHCP agent');
    const member = await ts.request('GET', '/v2.0/agents', undefined, asProject('p1'));
    assert.equal(member.status, 200);
    assert.deepEqual(member.body.agents, []);
    assert.equal((await ts.request('PUT', `/v2.0/agents/${a.id}`, { agent: { admin_state_up: false } }, asProject('p1'))).status, 404);
    const put = await ts.request('PUT', `/v2.0/agents/${a.id}`, { agent: { admin_state_up: false, description: 'maintenance' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.agent.admin_state_up, false);
    assert.equal(put.body.agent.description, 'maintenance');
    assert.equal((await ts.request('PUT', `/v2.0/agents/${a.id}`, { agent: { host: 'other' } })).status, 400);
    assert.equal((await ts.request('POST', '/v2.0/agents', { agent: {} })).status, 405);
    const updated = await eventually(() => dhcp.of('agent_updated')[0], 5000, 'agent_updated cast');
    assert.deepEqual(updated.args, { payload: { admin_state_up: false } });

    assert.equal((await ts.request('DELETE', `/v2.0/agents/${a.id}`)).status, 204);
    assert.equal((await ts.request('GET', `/v2.0/agents/${a.id}`)).status, 404);
    assert.equal(await agent.reportState(DHCP_STATE('net1')), 'new', 'a deleted agent registers again');
  } finally {
    await dhcp.stop();
  }
});

test('new agents start admin-down with enable_new_agents = False', async () => {
  const other = await startServer({ DEFAULT: { enable_new_agents: false } });
  try {
    const a = new FakeAgent(other.server.transport);
    assert.equal(await a.reportState(DHCP_STATE('net9')), 'new');
    const list = await other.request('GET', '/v2.0/agents');
    assert.equal(list.body.agents[0].admin_state_up, false);
  } finally {
    await other.close();
  }
});
