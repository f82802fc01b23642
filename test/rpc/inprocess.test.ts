// RPC semantics on the in-process transport (the embedded mode): the same client/server code as on RabbitMQ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { adminContext, type RequestContext } from '../../src/lib/context.js';
import { NetworkNotFound } from '../../src/lib/errors.js';
import {
  createTransport, InProcessTransport, MemoryBroker, MessagingTimeout, Notifier, RemoteError, RpcClient, RpcServer,
  type IncomingCall,
} from './internals.js';
import { serializeMsg, uuidHex } from '../../src/rpc/wire.js';
import { settlesWithin } from './helpers.js';

const logger = pino({ level: process.env.RPC_TEST_LOG ?? 'silent' });
const ctx = adminContext();

class Reports {
  readonly target = { version: '1.2' };
  casts: unknown[] = [];
  report_state(_ctx: RequestContext, kw: { agent_state: { agent_state: { host: string } } }) {
    return kw.agent_state.agent_state.host === 'net1' ? 'new' : 'alive';
  }
  has_alive_neutron_server() {
    return true;
  }
  remember(_ctx: RequestContext, kw: { value: unknown }) {
    this.casts.push(kw.value);
  }
  fail(_ctx: RequestContext, kw: { net_id: string }) {
    throw new NetworkNotFound({ net_id: kw.net_id });
  }
  async slow(_ctx: RequestContext, kw: { ms: number }) {
    await new Promise((r) => setTimeout(r, kw.ms));
    return 'done';
  }
  whoami(c: RequestContext, _kw: unknown, call: IncomingCall) {
    return { request_id: c.requestId, is_admin: c.isAdmin, version: call.version, ts: call.context.timestamp };
  }
  _private() {
    return 'secret';
  }
}

class Trunk {
  readonly target = { namespace: 'trunk', version: '1.0' };
  update_trunk_status() {
    return 'trunk';
  }
}

function setup() {
  const broker = new MemoryBroker();
  const a = new InProcessTransport({ broker, logger });
  const b = new InProcessTransport({ broker, logger });
  return { a, b, broker };
}

test('call, cast, fanout, namespaces and dispatch errors in process', async () => {
  const { a, b } = setup();
  const ep1 = new Reports();
  const ep2 = new Reports();
  const s1 = new RpcServer(a, { topic: 'q-reports-plugin', server: 'ctl1' }, [ep1, new Trunk()]);
  const s2 = new RpcServer(b, { topic: 'q-reports-plugin', server: 'ctl2' }, [ep2]);
  await s1.start();
  await s2.start();
  try {
    const client = new RpcClient(b, { topic: 'q-reports-plugin', version: '1.2', timeout: 5 });
    const state = await client.call(ctx, 'report_state', { agent_state: { agent_state: { host: 'net1' } }, time: 't' });
    assert.equal(state, 'new');
    const who = await client.prepare({ server: 'ctl1', version: '1.1' }).call<Record<string, unknown>>(ctx, 'whoami');
    assert.equal(who.request_id, ctx.requestId);
    assert.equal(who.is_admin, true);
    assert.equal(who.version, '1.1');
    assert.match(String(who.ts), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    // namespace: only the trunk endpoint has it
    assert.equal(await client.prepare({ server: 'ctl1', namespace: 'trunk', version: '1.0' }).call(ctx, 'update_trunk_status'), 'trunk');

    await assert.rejects(client.call(ctx, 'no_such'), (e: RemoteError) => e.excType === 'NoSuchMethod' && e.value === 'Endpoint does not support RPC method no_such');
    await assert.rejects(client.call(ctx, '_private'), (e: RemoteError) => e.excType === 'NoSuchMethod');
    await assert.rejects(client.call(ctx, 'toString'), (e: RemoteError) => e.excType === 'NoSuchMethod');
    await assert.rejects(client.prepare({ version: '1.3' }).call(ctx, 'report_state'),
      (e: RemoteError) => e.excType === 'UnsupportedVersion' && e.value === 'Endpoint does not support RPC version 1.3. Attempted method: report_state');
    await assert.rejects(client.prepare({ version: '2.0' }).call(ctx, 'has_alive_neutron_server'), (e: RemoteError) => e.excType === 'UnsupportedVersion');
    await assert.rejects(client.call(ctx, 'fail', { net_id: 'n1' }),
      (e: RemoteError) => e.excType === 'NetworkNotFound' && e.value === 'Network n1 could not be found.' && e.excModule === 'neutron_lib.exceptions');

    // cast to one server, then fanout to both
    await client.prepare({ server: 'ctl2' }).cast(ctx, 'remember', { value: 'direct' });
    await client.prepare({ fanout: true }).cast(ctx, 'remember', { value: 'everyone' });
    await assert.rejects(client.prepare({ fanout: true }).call(ctx, 'remember'), /fanout/);
    // a call to the same server after the casts is answered after them
    await client.prepare({ server: 'ctl2' }).call(ctx, 'has_alive_neutron_server');
    await client.prepare({ server: 'ctl1' }).call(ctx, 'has_alive_neutron_server');
    assert.deepEqual(ep2.casts, ['direct', 'everyone']);
    assert.deepEqual(ep1.casts, ['everyone']);
  } finally {
    await s1.stop();
    await s2.stop();
    await a.close();
    await b.close();
  }
});

test('call timeout fires: slow method and a topic nobody serves', async () => {
  const { a, b } = setup();
  const server = new RpcServer(a, { topic: 't', server: 'h' }, [new Reports()]);
  await server.start();
  try {
    // no timeout of its own: the transport's rpc_response_timeout (60 s) unless the call gives one
    const client = new RpcClient(b, { topic: 't', version: '1.0' });
    assert.equal(b.responseTimeout, 60);
    const timedOut = (e: Error) => e instanceof MessagingTimeout && /^Timed out waiting for a reply to message ID [0-9a-f]{32}$/.test(e.message);
    // The method answers after 1 s (10 times the call's timeout, far below the default): only the
    // call's own 0.1 s timer can end the call before that; any longer one would see 'done'.
    await assert.rejects(client.call(ctx, 'slow', { ms: 1000 }, { timeout: 0.1 }), timedOut);
    // Nobody answers here, so only a timer ends the call: the 0.05 s one, not the 60 s default
    // (a bound 100 times the timeout, so that a loaded machine cannot make it fail).
    await assert.rejects(settlesWithin(client.prepare({ topic: 'nobody' }).call(ctx, 'x', {}, { timeout: 0.05 }), 5000), timedOut);
  } finally {
    await server.stop();
    await a.close();
    await b.close();
  }
});

test('call monitor: heartbeats keep a long call alive', async () => {
  const { a, b } = setup();
  const server = new RpcServer(a, { topic: 't', server: 'h' }, [new Reports()]);
  await server.start();
  try {
    // _timeout 2 s → a heartbeat every second; the call takes 2.5 s, longer than the monitor timeout
    const client = new RpcClient(b, { topic: 't', version: '1.0', timeout: 10, callMonitorTimeout: 2 });
    assert.equal(await client.call(ctx, 'slow', { ms: 2500 }), 'done');
  } finally {
    await server.stop();
    await a.close();
    await b.close();
  }
});

test('a duplicated request (same _unique_id) is handled once; the raw reply is oslo 14 format', async () => {
  const { a, broker } = setup();
  const ep = new Reports();
  const server = new RpcServer(a, { topic: 't', server: 'h' }, [ep]);
  await server.start();
  const replies: string[] = [];
  broker.declareQueue('reply_test');
  broker.consume('reply_test', (body) => replies.push(body));
  try {
    const unique = uuidHex();
    const cast = serializeMsg({ method: 'remember', args: { value: 1 }, version: '1.0', _unique_id: unique, _context_is_admin: true });
    broker.route('neutron', 't', cast, false);
    broker.route('neutron', 't', cast, false);
    const call = serializeMsg({ method: 'fail', args: { net_id: 'x' }, _msg_id: 'abc', _reply_q: 'reply_test', _timeout: null, _unique_id: uuidHex() });
    broker.route('neutron', 't.h', call, false);
    for (let i = 0; i < 100 && !replies.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(ep.casts, [1]);
    const outer = JSON.parse(replies[0]);
    assert.deepEqual(Object.keys(outer), ['oslo.version', 'oslo.message']);
    const inner = JSON.parse(outer['oslo.message']);
    assert.deepEqual(Object.keys(inner), ['result', 'failure', 'ending', '_msg_id', '_unique_id']);
    assert.equal(inner.result, null);
    assert.equal(inner.ending, true);
    assert.equal(inner._msg_id, 'abc');
    const failure = JSON.parse(inner.failure);
    assert.deepEqual(Object.keys(failure), ['class', 'module', 'message', 'tb', 'args', 'kwargs']);
    assert.equal(failure.class, 'NetworkNotFound');
  } finally {
    await server.stop();
    await a.close();
  }
});

test('notifier: oslo notification envelope on notifications.<priority>, kept until a listener comes', async () => {
  const t = createTransport('memory:///notif-test', { logger });
  const notifier = new Notifier(t, { publisherId: 'network.ctl1' });
  await notifier.info({ ...ctx, authToken: 'secret-token' }, 'network.create.end', { network: { id: 'n1' } });
  const got: string[] = [];
  const sub = await t.subscribe({ kind: 'topic', exchange: 'neutron', routingKey: 'notifications.info' }, (b) => got.push(b));
  for (let i = 0; i < 50 && !got.length; i++) await new Promise((r) => setTimeout(r, 5));
  await sub.cancel();
  await t.close();
  const msg = JSON.parse(JSON.parse(got[0])['oslo.message']);
  assert.equal(msg.event_type, 'network.create.end');
  assert.equal(msg.priority, 'INFO');
  assert.equal(msg.publisher_id, 'network.ctl1');
  assert.deepEqual(msg.payload, { network: { id: 'n1' } });
  assert.match(msg.message_id, /^[0-9a-f-]{36}$/);
  assert.match(msg.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.equal(msg._context_request_id, ctx.requestId);
  assert.ok(!('_context_auth_token' in msg), 'the token is not sent with notifications');
});
