// [metrics] with RabbitMQ: agents' report_state handled by the state-report worker, the agents
// gauge read by the API worker, and the pools of every worker, in one scrape of the supervisor.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { createTransport } from '../../src/rpc/index.js';
import { brokerMissing, createVhost, requires, type Vhost } from '../rpc/helpers.js';
import { DHCP_STATE, FakeAgent, OVS_STATE } from '../rpc-server/support.js';
import { parseMetrics, value } from '../support/metrics.js';
import { ServerProcess } from './process.js';

const { skip } = requires(await brokerMissing());
const vhost: Vhost | null = skip ? null : await createVhost();
const servers: ServerProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  await vhost?.cleanup();
});

describe('metrics of the RPC workers', { skip }, () => {
  test('report_state calls are counted where they are handled; the agents by type and state', async () => {
    const server = await ServerProcess.start({
      conf: `api_workers = 1\nrpc_workers = 1\nrpc_state_report_workers = 1\ntransport_url = ${vhost!.url()}\n[metrics]\nbind_port = 0`,
    });
    servers.push(server);
    await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics');
    const line = await server.waitFor((e) => e.worker === 'supervisor' && /^metrics listening on/.test(e.msg));
    const scrape = async () => {
      const res = await request(`http://127.0.0.1:${line.metrics_port}/metrics`);
      assert.equal(res.statusCode, 200);
      return parseMetrics(await res.body.text());
    };

    const transport = createTransport(vhost!.url(), { rpc_response_timeout: 20 });
    try {
      const agent = new FakeAgent(transport);
      assert.equal(await agent.reportState(DHCP_STATE('net1')), 'new');
      for (let i = 0; i < 3; i++) assert.equal(await agent.reportState(DHCP_STATE('net1', { start_flag: false })), 'alive');
      assert.equal(await agent.reportState(OVS_STATE('compute1')), 'new');
    } finally {
      await transport.close();
    }
    const samples = await scrape();
    assert.equal(value(samples, 'neutron_rpc_server_duration_seconds_count', { type: 'call', topic: 'q-reports-plugin', method: 'report_state', outcome: 'ok' }), 5);
    assert.equal(value(samples, 'neutron_agents', { agent_type: 'DHCP agent', state: 'alive' }), 1);
    assert.equal(value(samples, 'neutron_agents', { agent_type: 'Open vSwitch agent', state: 'alive' }), 1);
    assert.equal(value(samples, 'neutron_agents', { agent_type: 'DHCP agent', state: 'dead' }), 0);
    const workers = server.logs.filter((e) => e.worker === 'supervisor' && /^started /.test(e.msg)).map((e) => e.child);
    assert.ok(['api worker', 'rpc worker', 'rpc reports worker'].every((w) => workers.includes(w)), workers.join(', '));
    assert.equal(value(samples, 'neutron_db_pools'), workers.length, `each worker has a pool: ${workers.join(', ')}`);
    assert.equal(value(samples, 'neutron_db_pool_connections_in_use'), 0);
  });
});
