// Compatibility with a real Python oslo.messaging 14 peer (Debian python3-oslo.messaging) through RabbitMQ.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { adminContext, type RequestContext } from '../../src/lib/context.js';
import { NetworkNotFound } from '../../src/lib/errors.js';
import { createTransport, Notifier, RemoteError, RpcClient, RpcServer, type IncomingCall, type Transport } from './internals.js';
import { brokerMissing, createVhost, eventually, HERE, PYTHON, pythonMissing, requires, spawnPeer, type Peer, type Vhost } from './helpers.js';

const need = requires(await brokerMissing(), pythonMissing());
const logger = pino({ level: process.env.RPC_TEST_LOG ?? 'silent' });
const ctx = { ...adminContext(), userId: 'u1', projectId: 'p1' };

class TsEndpoint {
  readonly target = { version: '1.4' };
  remembered: unknown[] = [];
  contexts: Record<string, unknown>[] = [];
  echo(_c: RequestContext, kw: { value: unknown }) {
    return kw.value;
  }
  remember(_c: RequestContext, kw: { value: unknown }, call: IncomingCall) {
    this.remembered.push(kw.value);
    this.contexts.push(call.context);
  }
  fail(_c: RequestContext, kw: { net_id: string }) {
    throw new NetworkNotFound({ net_id: kw.net_id });
  }
}

let vhost: Vhost;
let py: Peer;
let transport: Transport;
let server: RpcServer;
const endpoint = new TsEndpoint();
let nextId = 0;

interface PyAnswer {
  id: number;
  result?: unknown;
  error?: { class: string; module: string; exc_type: string | null; value: string | null; str: string };
}

/** Runs one client command in the Python peer (see python/peer.py). */
async function python(cmd: Record<string, unknown>): Promise<PyAnswer> {
  const id = ++nextId;
  py.proc.stdin!.write(`${JSON.stringify({ id, timeout: 10, ...cmd })}\n`);
  const line = await eventually(() => py.lines.find((l) => l.startsWith(`{"id": ${id},`)), 15_000, `python answer ${id}`);
  return JSON.parse(line) as PyAnswer;
}

before(async () => {
  if (need.skip) return;
  vhost = await createVhost();
  py = await spawnPeer(PYTHON, [join(HERE, 'python', 'peer.py'), vhost.url()]);
  transport = createTransport(vhost.url(), { logger });
  server = new RpcServer(transport, { topic: 'ts-topic', server: 'tshost' }, [endpoint]);
  await server.start();
});

after(async () => {
  if (need.skip) return;
  await server?.stop();
  await transport?.close();
  await py?.stop();
  await vhost?.cleanup();
});

test('a Python client calls a neutron-ts server method and gets the result', need, async () => {
  const value = { a: [1, 2.5, 'x', null, true], b: { c: 'ünïcode' } };
  assert.deepEqual(await python({ op: 'call', topic: 'ts-topic', version: '1.2', method: 'echo', args: { value } }), { id: nextId, result: value });
  assert.deepEqual((await python({ op: 'call', topic: 'ts-topic', server: 'tshost', version: '1.4', method: 'echo', args: { value: 7 } })).result, 7);
});

test('a Python client gets remote errors from neutron-ts: Neutron exception, NoSuchMethod, UnsupportedVersion', need, async () => {
  const failed = await python({ op: 'call', topic: 'ts-topic', version: '1.0', method: 'fail', args: { net_id: 'n1' } });
  assert.equal(failed.error?.class, 'RemoteError');
  assert.equal(failed.error?.exc_type, 'NetworkNotFound');
  assert.equal(failed.error?.value, 'Network n1 could not be found.');
  const nsm = await python({ op: 'call', topic: 'ts-topic', version: '1.0', method: 'nope' });
  assert.deepEqual([nsm.error?.exc_type, nsm.error?.value], ['NoSuchMethod', 'Endpoint does not support RPC method nope']);
  const uv = await python({ op: 'call', topic: 'ts-topic', version: '1.5', method: 'echo', args: { value: 1 } });
  assert.deepEqual([uv.error?.exc_type, uv.error?.value], ['UnsupportedVersion', 'Endpoint does not support RPC version 1.5. Attempted method: echo']);
});

test('Python casts and fanout casts reach the neutron-ts server, with the context', need, async () => {
  await python({ op: 'cast', topic: 'ts-topic', server: 'tshost', version: '1.0', method: 'remember', args: { value: 'py-cast' } });
  await python({ op: 'cast', topic: 'ts-topic', fanout: true, version: '1.0', method: 'remember', args: { value: 'py-fanout' } });
  await eventually(() => endpoint.remembered.length === 2, 5000, 'both casts');
  assert.deepEqual(endpoint.remembered.sort(), ['py-cast', 'py-fanout']);
  assert.equal(endpoint.contexts[0].request_id, 'req-from-python');
  assert.equal(endpoint.contexts[0].is_admin, true);
});

test('neutron-ts calls a Python RPC server: results and its remote exceptions', need, async () => {
  const client = new RpcClient(transport, { topic: 'py-topic', version: '1.3', timeout: 10 });
  assert.deepEqual(await client.call(ctx, 'echo', { value: { x: [1, 'y'] } }), { x: [1, 'y'] });
  assert.equal(await client.prepare({ server: 'pyhost' }).call(ctx, 'whoami'), 'pyhost');
  await assert.rejects(client.call(ctx, 'fail_key', { key: 'k' }),
    (e: RemoteError) => e instanceof RemoteError && e.excType === 'KeyError' && e.excModule === 'builtins' && e.value === "'k'" && e.traceback.length > 0);
  await assert.rejects(client.call(ctx, 'fail_custom', { net_id: 'n2' }),
    (e: RemoteError) => e.excType === 'NetworkNotFound' && e.value === 'Network n2 could not be found.' && e.excModule === '__main__');
  await assert.rejects(client.call(ctx, 'nope'), (e: RemoteError) => e.excType === 'NoSuchMethod' && e.excModule === 'oslo_messaging.rpc.dispatcher');
  await assert.rejects(client.prepare({ version: '2.0' }).call(ctx, 'echo', { value: 1 }), (e: RemoteError) => e.excType === 'UnsupportedVersion');
  // what the Python endpoint sees of our context
  const seen = await client.call<Record<string, unknown>>(ctx, 'context');
  assert.equal(seen.request_id, ctx.requestId);
  assert.equal(seen.user_id, 'u1');
  assert.equal(seen.tenant_id, 'p1');
  assert.equal(seen.is_admin, true);
  assert.match(String(seen.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
});

test('a Python fanout consumer receives a neutron-ts fanout cast', need, async () => {
  const client = new RpcClient(transport, { topic: 'py-topic', version: '1.0' });
  await client.prepare({ fanout: true }).cast(ctx, 'remember', { value: 'ts-fanout' });
  await client.prepare({ server: 'pyhost' }).cast(ctx, 'remember', { value: 'ts-direct' });
  await eventually(async () => {
    const got = (await client.prepare({ server: 'pyhost' }).call(ctx, 'recall', {}, { timeout: 5 })) as unknown[];
    return got.includes('ts-fanout') && got.includes('ts-direct');
  }, 5000, 'the Python server to receive both casts');
});

test('a Python notification listener receives a neutron-ts notification', need, async () => {
  const notifier = new Notifier(transport, { publisherId: 'network.tshost' });
  await notifier.info(ctx, 'network.create.end', { network: { id: 'net-1', name: 'n' } });
  const line = await eventually(() => py.lines.find((l) => l.startsWith('{"notification"')), 10_000, 'the notification');
  const n = JSON.parse(line).notification;
  assert.equal(n.priority, 'info');
  assert.equal(n.event_type, 'network.create.end');
  assert.equal(n.publisher_id, 'network.tshost');
  assert.deepEqual(n.payload, { network: { id: 'net-1', name: 'n' } });
  assert.equal(n.ctxt.request_id, ctx.requestId);
  assert.match(n.metadata.message_id, /^[0-9a-f-]{36}$/);
  assert.match(n.metadata.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
});

test('a neutron-ts server joins a topic a Python server declared (no 406)', need, async () => {
  const shared = new RpcServer(transport, { topic: 'py-topic', server: 'tshost' }, [endpoint]);
  await shared.start();
  try {
    const client = new RpcClient(transport, { topic: 'py-topic', version: '1.0', server: 'tshost' });
    assert.equal(await client.call(ctx, 'echo', { value: 'from-ts-server' }), 'from-ts-server');
  } finally {
    await shared.stop();
  }
});
