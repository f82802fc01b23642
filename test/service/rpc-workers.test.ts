import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { adminContext } from '../../src/lib/context.js';
import { createTransport, RpcClient } from '../../src/rpc/index.js';
import { brokerMissing, createVhost, requires, type Vhost } from '../rpc/helpers.js';
import { ServerProcess } from './process.js';

const { skip } = requires(await brokerMissing());
// a private vhost: other suites' servers consume the same topics (q-plugin, ...) on the broker
const vhost: Vhost | null = skip ? null : await createVhost();
const BROKER = vhost?.url() ?? '';
const servers: ServerProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'neutron-ts-rpc-workers-'));
after(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(scratch, { recursive: true, force: true });
  await vhost?.cleanup();
});

describe('RPC and state-report workers on RabbitMQ', { skip }, () => {
  test('rpc_workers consume the plugins\' topics, rpc_state_report_workers the reports; a killed one is respawned', async () => {
    const topic = `neutron-ts-fixture-${randomUUID().slice(0, 8)}`;
    const server = await ServerProcess.start({
      conf: `api_workers = 1\nrpc_workers = 2\nrpc_state_report_workers = 1\nservice_plugins = ndp_proxy\ntransport_url = ${BROKER}`,
      fixture: true, env: { NEUTRON_TS_FIXTURE_TOPIC: topic },
    });
    servers.push(server);
    const rpc = server.workerPids('rpc worker');
    const reports = server.workerPids('rpc reports worker');
    assert.equal(rpc.length, 2);
    assert.equal(reports.length, 1);
    // a call to a topic whose queue nobody has declared yet is dropped by the broker: wait for every consumer
    await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics');
    for (const pid of rpc) await server.waitFor((e) => e.pid === pid && e.msg === 'consuming RPC topics');

    const transport = createTransport(BROKER, { rpc_response_timeout: 20 });
    try {
      const ctx = adminContext();
      const whoami = (t: string) => new RpcClient(transport, { topic: t }).call<{ pid: number; role: string }>(ctx, 'whoami');
      const answers = await Promise.all(Array.from({ length: 6 }, () => whoami(topic)));
      for (const a of answers) {
        assert.equal(a.role, 'rpc');
        assert.ok(rpc.includes(a.pid));
      }
      const report = await whoami(`${topic}-reports`);
      assert.deepEqual(report, { pid: reports[0], role: 'rpc-state-report' });

      const mark = server.logs.length;
      process.kill(reports[0]!, 'SIGKILL');
      await server.waitFor((e) => e.worker === 'rpc reports worker' && e.msg === 'consuming RPC topics', 60_000, mark);
      const again = await whoami(`${topic}-reports`);
      assert.equal(again.role, 'rpc-state-report');
      assert.notEqual(again.pid, reports[0]);
    } finally {
      await transport.close();
    }
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('API and RPC start together: an RPC worker that cannot start stops the server', async () => {
    const crashFile = join(scratch, 'crash');
    writeFileSync(crashFile, 'rpc');
    const server = ServerProcess.spawn({
      conf: `api_workers = 1\nservice_plugins = ndp_proxy\ntransport_url = ${BROKER}`,
      fixture: true, env: { NEUTRON_TS_FIXTURE_CRASH: crashFile, NEUTRON_TS_FIXTURE_TOPIC: `neutron-ts-fixture-${randomUUID().slice(0, 8)}` },
    });
    servers.push(server);
    assert.deepEqual(await server.exited, { code: 1, signal: null });
    assert.ok(server.logs.some((e) => e.worker === 'rpc worker' && /failed to start/.test(e.msg)), server.describe());
  });
});
