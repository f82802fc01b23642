// Two API workers writing one port at once: the DHCP agent hears of the writes in the order they
// committed (src/db/resource-turns.ts), on MariaDB, over RabbitMQ.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createTransport, type Transport } from '../../src/rpc/index.js';
import { createTestDatabase, unavailableReason, type Backend, type TestDatabase } from '../support/databases.js';
import { brokerMissing, createVhost, requires, type Vhost } from '../rpc/helpers.js';
import { DHCP_STATE, eventually, FakeAgent, Recorder } from '../rpc-server/support.js';
import { ServerProcess } from './process.js';

// PostgreSQL's turns are per process so far (db/database.ts takeTurnsAcrossProcesses)
const BACKENDS: Array<Exclude<Backend, 'sqlite'>> = ['mysql'];
const UPDATES = 60;

const { skip } = requires(await brokerMissing());
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

for (const backend of BACKENDS) {
  const unavailable = skip ? null : await unavailableReason(backend);
  const why = requires(unavailable).skip || skip;
  describe(`notification order on ${backend}`, { skip: why }, () => {
    test('concurrent updates of one port reach the DHCP agent in revision order', async () => {
      // a vhost per server: two servers on one would answer each other's agents
      const vhost: Vhost = await createVhost();
      cleanups.push(() => vhost.cleanup());
      const db: TestDatabase = await createTestDatabase(backend);
      cleanups.push(() => db.drop());
      const server = await ServerProcess.start({
        conf: `api_workers = 2\nrpc_workers = 1\nrpc_state_report_workers = 1\ntransport_url = ${vhost.url()}\n[database]\nconnection = ${db.url}`,
      });
      cleanups.push(() => server.kill());
      const transport: Transport = createTransport(vhost.url(), { rpc_response_timeout: 20 });
      cleanups.push(() => transport.close());
      const host = `order-${backend}`;
      const dhcp = new Recorder(transport, 'dhcp_agent', host, ['network_create_end', 'subnet_create_end', 'port_create_end', 'port_update_end'], '1.0');
      await dhcp.start();
      cleanups.push(() => dhcp.stop());
      await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics');
      assert.equal(await new FakeAgent(transport).reportState(DHCP_STATE(host)), 'new');

      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${server.url}${path}`, {
          method, headers: { 'content-type': 'application/json', 'x-project-id': 'p1', 'x-roles': 'admin' }, body: body && JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() as any };
      };
      const net = (await api('POST', '/v2.0/networks', { network: { name: 'order' } })).body.network;
      assert.equal((await api('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } })).status, 201);
      const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
      await eventually(() => dhcp.of('port_create_end').length, 20_000, 'port_create_end');

      // every update changes a DHCP option, so that each one is a port_update_end
      const answers = await Promise.all(Array.from({ length: UPDATES }, (_, i) => api('PUT', `/v2.0/ports/${port.id}`, {
        port: { extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: `10.9.0.${i + 1}` }] },
      })));
      assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200));
      const last = Math.max(...answers.map((a) => a.body.port.revision_number as number));
      const revisions = () => dhcp.of('port_update_end').filter((m) => m.args.payload.port.id === port.id).map((m) => m.args.payload.port.revision_number as number);
      await eventually(() => revisions().length === UPDATES, 20_000, `${UPDATES} port_update_end`);
      assert.equal(revisions().at(-1), last);
      assert.deepEqual(revisions(), [...revisions()].sort((a, b) => a - b), 'in commit (revision) order');
      // both workers served some of the updates: the order held across processes
      const pids = new Set(server.logs.filter((e) => e.msg === 'request' && e.method === 'PUT').map((e) => e.pid));
      assert.equal(pids.size, 2, 'the updates were served by both API workers');
    });
  });
}
