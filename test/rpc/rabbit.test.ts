// Two neutron-ts peers in separate processes through the real RabbitMQ: call, cast, fanout, errors,
// timeouts, the declarations oslo expects, and surviving the loss of the broker connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { pino } from 'pino';
import { adminContext } from '../../src/lib/context.js';
import { createTransport, MessageDeliveryFailure, MessagingTimeout, RemoteError, RpcClient, type Transport } from './internals.js';
import { brokerMissing, createVhost, eventually, rabbitmqctl, requires, settlesWithin, spawnTsPeer, TcpProxy, type Peer, type Vhost } from './helpers.js';

const need = requires(await brokerMissing());
const logger = pino({ level: process.env.RPC_TEST_LOG ?? 'silent' });
const ctx = adminContext();
const TOPIC = 'test-topic';
const fastRetry = { rabbit_retry_interval: 0.2, rabbit_retry_backoff: 0.2, rabbit_interval_max: 1, kombu_reconnect_delay: 0.2 };
const timedOut = (e: Error) => e instanceof MessagingTimeout && /^Timed out waiting for a reply to message ID [0-9a-f]{32}$/.test(e.message);

// created here, not in before(), so that the tests needing rabbitmqctl know whether they can run
const vhost: Vhost = need.skip ? { name: '/', path: '', url: () => '', managed: false, cleanup: async () => undefined } : await createVhost();
const managed = { skip: need.skip || (!vhost.managed && 'rabbitmqctl is not usable (private vhost, closing connections)') };
let peers: Peer[] = [];
let transport: Transport;
let client: RpcClient;

before(async () => {
  if (need.skip) return;
  peers = await Promise.all([spawnTsPeer(vhost.url(), TOPIC, 'p1'), spawnTsPeer(vhost.url(), TOPIC, 'p2')]);
  transport = createTransport(vhost.url(), { logger, oslo_messaging_rabbit: fastRetry });
  client = new RpcClient(transport, { topic: TOPIC, version: '1.5', timeout: 10 });
});

after(async () => {
  if (need.skip) return;
  await transport?.close();
  await Promise.all(peers.map((p) => p.stop()));
  await vhost.cleanup();
});

test('call round trip to the shared topic and to one server', need, async () => {
  const value = { nested: [1, 'two', { three: null }], unicode: 'žluťoučký kůň' };
  assert.deepEqual(await client.call(ctx, 'echo', { value }), value);
  assert.equal(await client.prepare({ server: 'p1' }).call(ctx, 'whoami'), 'p1');
  assert.equal(await client.prepare({ server: 'p2' }).call(ctx, 'whoami'), 'p2');
  // the shared topic queue is served by both (RabbitMQ round robin)
  const seen = new Set<unknown>();
  for (let i = 0; i < 6; i++) seen.add(await client.call(ctx, 'whoami'));
  assert.deepEqual([...seen].sort(), ['p1', 'p2']);
  const sent = await client.prepare({ server: 'p1' }).call<Record<string, unknown>>(ctx, 'context');
  assert.equal(sent.request_id, ctx.requestId);
  assert.equal(sent.is_admin, true);
});

test('cast to one server and fanout cast to all', need, async () => {
  await client.prepare({ server: 'p1' }).cast(ctx, 'remember', { value: 'only-p1' });
  await client.prepare({ fanout: true }).cast(ctx, 'remember', { value: 'all' });
  for (const host of ['p1', 'p2']) {
    const want = host === 'p1' ? ['only-p1', 'all'] : ['all'];
    await eventually(async () => {
      const got = await client.prepare({ server: host }).call(ctx, 'recall');
      return JSON.stringify(got) === JSON.stringify(want);
    }, 5000, `${host} to have received ${want}`);
  }
});

test('NoSuchMethod, UnsupportedVersion and a Neutron exception arrive as RemoteError', need, async () => {
  await assert.rejects(client.call(ctx, 'nope'), (e: RemoteError) => e instanceof RemoteError && e.excType === 'NoSuchMethod');
  await assert.rejects(client.prepare({ version: '1.6' }).call(ctx, 'echo'), (e: RemoteError) => e.excType === 'UnsupportedVersion');
  await assert.rejects(client.prepare({ version: '2.0' }).call(ctx, 'echo'), (e: RemoteError) => e.excType === 'UnsupportedVersion');
  await assert.rejects(client.call(ctx, 'fail_not_found', { net_id: 'n9' }),
    (e: RemoteError) => e.excType === 'NetworkNotFound' && e.value === 'Network n9 could not be found.');
});

test('call timeout: a slow method and a topic without servers', need, async () => {
  // The client's own timeout is 10 s. The method answers after 3 s (10 times the call's 0.3 s):
  // only the call's timer can end the call before that; the client's would see 'slept'.
  await assert.rejects(client.prepare({ server: 'p2' }).call(ctx, 'sleep', { seconds: 3 }, { timeout: 0.3 }), timedOut);
  // Nobody answers here, so only a timer ends the call: the 0.3 s one, not one of an hour.
  const nobody = client.prepare({ topic: 'nobody-listens', timeout: 3600 });
  await assert.rejects(settlesWithin(nobody.call(ctx, 'echo', {}, { timeout: 0.3 }), 10_000), timedOut);
});

test('queues and exchanges are declared as oslo.messaging declares them', need, async () => {
  const reply = (await transport.replyWaiter()).queue;
  assert.match(reply, /^reply_[0-9a-f]{32}$/);
  const fanouts = peers.map((p) => p.ready);
  for (const q of fanouts) assert.match(q, /^test-topic_fanout_[0-9a-f]{32}$/);
  const conn = await amqp.connect(vhost.url().replace('rabbit:', 'amqp:'));
  const channel = async () => {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return ch;
  };
  try {
    // Re-declaring with oslo's flags and arguments succeeds only if ours are the same (else 406).
    const ch = await channel();
    await ch.assertExchange('neutron', 'topic', { durable: false, autoDelete: false });
    await ch.assertExchange(`${TOPIC}_fanout`, 'fanout', { durable: false, autoDelete: true });
    for (const q of [TOPIC, `${TOPIC}.p1`, `${TOPIC}.p2`]) await ch.assertQueue(q, { durable: false, autoDelete: false, arguments: {} });
    for (const q of [...fanouts, reply]) await ch.assertQueue(q, { durable: false, autoDelete: false, arguments: { 'x-expires': 1800000 } });
    // ... and the broker does compare: other flags or arguments are refused
    await assert.rejects((await channel()).assertQueue(TOPIC, { durable: true }), /PRECONDITION_FAILED/);
    await assert.rejects((await channel()).assertQueue(fanouts[0], { durable: false, arguments: {} }), /PRECONDITION_FAILED/);
    await assert.rejects((await channel()).assertExchange(`${TOPIC}_fanout`, 'fanout', { durable: false, autoDelete: false }), /PRECONDITION_FAILED/);
  } finally {
    await conn.close();
  }
});

test('the broker closing every connection is survived by servers and client', managed, async () => {
  await rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'neutron-ts test');
  // reconnect, re-declare, and serve again (a call sent too early simply times out and is retried)
  for (const host of ['p1', 'p2']) {
    await eventually(() => client.prepare({ server: host }).call(ctx, 'whoami', {}, { timeout: 1 }), 15_000, `${host} to answer again`);
  }
  await client.prepare({ fanout: true }).cast(ctx, 'remember', { value: 'after-close' });
  await eventually(async () => ((await client.prepare({ server: 'p2' }).call(ctx, 'recall')) as unknown[]).includes('after-close'), 5000, 'fanout after reconnect');
  assert.ok(peers.every((p) => p.proc.exitCode === null), 'the peers are still running');
});

test('broker unreachable: a call times out instead of hanging, a cast waits and is delivered', need, async () => {
  const proxy = await TcpProxy.start();
  const viaProxy = createTransport(vhost.url(proxy.port), { logger, oslo_messaging_rabbit: fastRetry });
  const c = new RpcClient(viaProxy, { topic: TOPIC, version: '1.5', server: 'p1' });
  try {
    assert.equal(await c.call(ctx, 'whoami', {}, { timeout: 5 }), 'p1');
    proxy.refuse(true); // drop the connection and refuse new ones
    // no reply can come: the call ends on its 0.5 s timer, not on the 60 s default, nor hangs
    await assert.rejects(settlesWithin(c.call(ctx, 'whoami', {}, { timeout: 0.5 }), 10_000), timedOut);
    const cast = c.cast(ctx, 'remember', { value: 'sent-during-outage' });
    await new Promise((r) => setTimeout(r, 500));
    proxy.refuse(false);
    await cast; // confirmed by the broker once reconnected
    await eventually(async () => ((await c.call(ctx, 'recall', {}, { timeout: 2 })) as unknown[]).includes('sent-during-outage'), 10_000, 'the queued cast');
    // the same again with a broken socket rather than a refused connection
    proxy.cut();
    await eventually(() => c.call(ctx, 'whoami', {}, { timeout: 1 }), 10_000, 'a call after the socket was cut');
  } finally {
    await viaProxy.close();
    await proxy.close();
  }
});

test('failover: when its broker goes away, the transport moves to the next host of transport_url', need, async () => {
  const [a, b] = await Promise.all([TcpProxy.start(), TcpProxy.start()]);
  const t = createTransport(`rabbit://guest:guest@127.0.0.1:${a.port},guest:guest@127.0.0.1:${b.port}${vhost.path}`,
    { logger, oslo_messaging_rabbit: fastRetry });
  const c = new RpcClient(t, { topic: TOPIC, version: '1.0', server: 'p2' });
  try {
    assert.equal(await c.call(ctx, 'whoami', {}, { timeout: 5 }), 'p2');
    const [used, other] = a.connections ? [a, b] : [b, a];
    assert.equal(other.connections, 0);
    used.refuse(true);
    assert.equal(await eventually(() => c.call(ctx, 'whoami', {}, { timeout: 1 }), 10_000, 'a call through the other host'), 'p2');
    assert.equal(other.connections, 1);
  } finally {
    await t.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('peers stop cleanly on SIGTERM (no dangling timers or sockets)', need, async () => {
  const stopped = await Promise.all(peers.map((p) => p.stop()));
  assert.deepEqual(stopped, [{ code: 0, signal: null }, { code: 0, signal: null }]);
  peers = [];
});

test('no broker at all: calls time out, waiting messages are bounded, close() fails them and ends', async () => {
  const t = createTransport('rabbit://guest:guest@127.0.0.1:1/', { logger, maxQueuedMessages: 2, oslo_messaging_rabbit: fastRetry });
  const c = new RpcClient(t, { topic: 'x' });
  const waiting = [c.cast(ctx, 'm'), c.prepare({ fanout: true }).cast(ctx, 'm')].map((p) => p.catch((e: unknown) => e));
  await assert.rejects(c.cast(ctx, 'm'), MessageDeliveryFailure);
  await assert.rejects(settlesWithin(c.call(ctx, 'm', {}, { timeout: 0.2 }), 10_000), timedOut);
  await t.close();
  for (const e of await Promise.all(waiting)) assert.ok(e instanceof MessageDeliveryFailure);
  await assert.rejects(c.cast(ctx, 'm'), /closed/);
});
