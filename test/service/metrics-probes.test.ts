// What the metrics count below the API, in one process with metrics on: the database pool and
// transaction retries (a real SQLite database), RPC calls and casts on the in-process transport,
// and the agents gauge of an API server that agents report to.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { configWith } from '../../src/config/index.js';
import { adminContext, type RequestContext } from '../../src/lib/context.js';
import { NetworkNotFound } from '../../src/lib/errors.js';
import { Database } from '../../src/db/database.js';
import { InProcessTransport, MemoryBroker, MessagingTimeout, RemoteError, RpcClient, RpcServer } from '../../src/rpc/index.js';
import { enableMetrics, type ProcessMetrics } from '../../src/service/metrics.js';
import { startServer, type TestServer } from '../support/server.js';
import { DHCP_STATE, FakeAgent, OVS_STATE } from '../rpc-server/support.js';
import { parseMetrics, value } from '../support/metrics.js';

let metrics: ProcessMetrics;
let dir: string;

async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  return value(parseMetrics(await metrics.registry.metrics()), name, labels);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'neutron-ts-metrics-'));
  metrics = enableMetrics(configWith({ metrics: { bind_port: 0 } }), 'test')!;
  assert.ok(metrics);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('metrics stay off without [metrics] bind_port', () => {
  assert.equal(enableMetrics(configWith({}), 'other'), null);
});

test('the pool counts connections in use and callers waiting; retried transactions are counted by cause', async () => {
  const db = new Database({ url: `sqlite:///${join(dir, 'pool.db')}` });
  try {
    assert.equal(await sample('neutron_db_pools'), 0, 'a pool counts once it is opened');
    await db.read((q) => q.selectNoFrom((eb) => eb.lit(1).as('one')).execute());
    assert.equal(await sample('neutron_db_pools'), 1);
    let release!: () => void;
    const held = db.kysely.connection().execute(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await sample('neutron_db_pool_connections_in_use'), 1);
    // SQLite is one connection: a second caller waits for it
    const second = db.read((q) => q.selectNoFrom((eb) => eb.lit(2).as('two')).execute());
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await sample('neutron_db_pool_waiting'), 1);
    release();
    await held;
    await second;
    assert.equal(await sample('neutron_db_pool_connections_in_use'), 0);
    assert.equal(await sample('neutron_db_pool_waiting'), 0);
    assert.ok(await sample('neutron_db_pool_wait_seconds_count', { outcome: 'ok' }) >= 3);

    // a transaction that loses a race twice (busy, then a duplicate key) and then commits
    const errors = [Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }), Object.assign(new Error('dup'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })];
    let runs = 0;
    assert.equal(await db.write(async () => {
      runs++;
      const e = errors.shift();
      if (e) throw e;
      return 'done';
    }), 'done');
    assert.equal(runs, 3);
    assert.equal(await sample('neutron_db_transaction_retries_total', { cause: 'sqlite_busy' }), 1);
    assert.equal(await sample('neutron_db_transaction_retries_total', { cause: 'duplicate_key' }), 1);
    // an error that is not a lost race is not retried, nor counted
    await assert.rejects(db.write(async () => { throw new Error('plain'); }), /plain/);
    assert.equal(await sample('neutron_db_transaction_retries_total', { cause: 'other' }), 0);
  } finally {
    await db.close();
  }
  assert.equal(await sample('neutron_db_pools'), 0, 'a closed pool no longer counts');
});

test('RPC calls and casts are counted by topic, method and outcome, on both sides', async () => {
  const broker = new MemoryBroker();
  const logger = pino({ level: 'silent' });
  const a = new InProcessTransport({ broker, logger });
  const b = new InProcessTransport({ broker, logger });
  const ctx = adminContext();
  const seen: unknown[] = [];
  const endpoint = {
    echo: (_c: RequestContext, kw: { v: unknown }) => kw.v,
    remember: (_c: RequestContext, kw: { v: unknown }) => void seen.push(kw.v),
    fail: (_c: RequestContext, kw: { id: string }) => { throw new NetworkNotFound({ net_id: kw.id }); },
  };
  const server = new RpcServer(a, { topic: 'metrics-test', server: 'h1' }, [endpoint]);
  await server.start();
  try {
    const client = new RpcClient(b, { topic: 'metrics-test', timeout: 5 });
    for (let i = 0; i < 3; i++) assert.equal(await client.call(ctx, 'echo', { v: i }), i);
    await assert.rejects(client.call(ctx, 'fail', { id: 'x' }), RemoteError);
    await client.cast(ctx, 'remember', { v: 'c' });
    await assert.rejects(new RpcClient(b, { topic: 'nobody-listens', timeout: 0.2 }).call(ctx, 'echo', { v: 1 }), MessagingTimeout);
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 5));

    const client_ = (labels: Record<string, string>) => sample('neutron_rpc_client_duration_seconds_count', labels);
    assert.equal(await client_({ type: 'call', topic: 'metrics-test', method: 'echo', outcome: 'ok' }), 3);
    assert.equal(await client_({ type: 'call', topic: 'metrics-test', method: 'fail', outcome: 'remote_error' }), 1);
    assert.equal(await client_({ type: 'cast', topic: 'metrics-test', method: 'remember', outcome: 'ok' }), 1);
    assert.equal(await client_({ type: 'call', topic: 'nobody-listens', method: 'echo', outcome: 'timeout' }), 1);
    const timedOut = await sample('neutron_rpc_client_duration_seconds_sum', { type: 'call', topic: 'nobody-listens', method: 'echo', outcome: 'timeout' });
    assert.ok(timedOut >= 0.19 && timedOut < 5, `a 0.2 s timeout took ${timedOut} s`);

    const server_ = (labels: Record<string, string>) => sample('neutron_rpc_server_duration_seconds_count', labels);
    assert.equal(await server_({ type: 'call', topic: 'metrics-test', method: 'echo', outcome: 'ok' }), 3);
    assert.equal(await server_({ type: 'call', topic: 'metrics-test', method: 'fail', outcome: 'error' }), 1);
    assert.equal(await server_({ type: 'cast', topic: 'metrics-test', method: 'remember', outcome: 'ok' }), 1);
  } finally {
    await server.stop();
    await a.close();
    await b.close();
  }
});

test('agents alive and dead by type, read from the agents table at each scrape', async () => {
  let ts: TestServer | undefined;
  try {
    ts = await startServer({ DEFAULT: { agent_down_time: 75 } });
    const agent = new FakeAgent(ts.server.transport);
    await agent.reportState(DHCP_STATE('net1'));
    await agent.reportState(DHCP_STATE('net2'));
    await agent.reportState(OVS_STATE('compute1'));
    const snapshot = async () => {
      await metrics.snapshot();
      return parseMetrics(await metrics.registry.metrics());
    };
    let samples = await snapshot();
    const agents = (type: string, state: string) => samples.find((s) => s.name === 'neutron_agents' && s.labels.agent_type === type && s.labels.state === state)?.value;
    assert.equal(agents('DHCP agent', 'alive'), 2);
    assert.equal(agents('DHCP agent', 'dead'), 0);
    assert.equal(agents('Open vSwitch agent', 'alive'), 1);
    // net2 falls silent
    await ts.server.db.write((tx) => tx.updateTable('agents').set({ heartbeat_timestamp: '2020-01-01 00:00:00' }).where('host', '=', 'net2').execute());
    samples = await snapshot();
    assert.equal(agents('DHCP agent', 'alive'), 1);
    assert.equal(agents('DHCP agent', 'dead'), 1);
    // report_state came in on the server's own RPC server
    assert.equal(await sample('neutron_rpc_server_duration_seconds_count', { type: 'call', topic: 'q-reports-plugin', method: 'report_state', outcome: 'ok' }), 3);
  } finally {
    await ts?.close();
  }
});
