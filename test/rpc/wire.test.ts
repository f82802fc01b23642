// Wire format details that need no broker: URL, options, envelope, context, failures, versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminContext } from '../../src/lib/context.js';
import { NetworkNotFound } from '../../src/lib/errors.js';
import {
  deserializeFailure, fromRpcContext, NoSuchMethod, parseTransportUrl, queueArgumentsFor, redact, RemoteError,
  resolveRabbitOptions, serializeFailure, toRpcContext, UnsupportedVersion, versionIsCompatible,
} from './internals.js';
import { deserializeMsg, serializeMsg, unpackContext, DuplicateFilter, toJson } from '../../src/rpc/wire.js';

test('transport_url: several hosts, credentials, vhost, query', () => {
  const u = parseTransportUrl('rabbit://us%40er:p%3Ass@h1:5673,user2:pw2@h2/my%2Fvhost?amqp_durable_queues=true&ssl=1');
  assert.equal(u.scheme, 'rabbit');
  assert.deepEqual(u.hosts, [
    { hostname: 'h1', port: 5673, username: 'us@er', password: 'p:ss' },
    { hostname: 'h2', port: 5672, username: 'user2', password: 'pw2' },
  ]);
  assert.equal(u.virtualHost, 'my/vhost');
  assert.deepEqual(u.query, { amqp_durable_queues: 'true', ssl: '1' });
  assert.equal(parseTransportUrl('rabbit://neutron:secret@10.0.0.5:5672/').virtualHost, '');
  assert.equal(parseTransportUrl('rabbit://h/%2F').virtualHost, '/');
  assert.equal(parseTransportUrl('rabbit://').hosts.length, 0);
  const v6 = parseTransportUrl('rabbit://u:p@[fd00::1]:5671/');
  assert.deepEqual(v6.hosts[0], { hostname: 'fd00::1', port: 5671, username: 'u', password: 'p' });
  assert.throws(() => parseTransportUrl('not a url'), /no scheme/);
  assert.equal(redact('rabbit://u:secret@h1:1,v:other@h2/'), 'rabbit://u:***@h1:1,v:***@h2/');
});

test('[oslo_messaging_rabbit] options: defaults, URL query overrides, validation', () => {
  const o = resolveRabbitOptions({ amqp_durable_queues: false, rabbit_qos_prefetch_count: 5 }, { amqp_durable_queues: 'yes', heartbeat_timeout_threshold: '30' });
  assert.equal(o.amqp_durable_queues, true);
  assert.equal(o.heartbeat_timeout_threshold, 30);
  assert.equal(o.rabbit_qos_prefetch_count, 5);
  assert.equal(o.rabbit_transient_queues_ttl, 1800);
  assert.throws(() => resolveRabbitOptions({}, { amqp_auto_delete: 'maybe' }), /amqp_auto_delete/);
  assert.throws(() => resolveRabbitOptions({ rabbit_ha_queues: true, rabbit_quorum_queue: true }), /quorum/);
  assert.deepEqual(queueArgumentsFor({}, 1800, false), { 'x-expires': 1800000 });
  assert.deepEqual(queueArgumentsFor({ rabbit_ha_queues: true }, 0, true), { 'x-ha-policy': 'all' });
  assert.deepEqual(queueArgumentsFor({ rabbit_quorum_queue: true, rabbit_quorum_delivery_limit: 3 }, 0, true),
    { 'x-queue-type': 'quorum', 'x-delivery-limit': 3 });
  // reply and fanout queues never become quorum queues
  assert.deepEqual(queueArgumentsFor({ rabbit_quorum_queue: true }, 60, false), { 'x-expires': 60000 });
});

test('version compatibility follows oslo: same major, minor (and revision) not above the server', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1.2', '1.0', true], ['1.2', '1.2', true], ['1.2', '1.3', false], ['1.2', '2.0', false],
    ['2.0', '1.0', false], ['1.2.1', '1.2.1', true], ['1.2', '1.2.1', false], ['1.3', '1.2.5', true],
  ];
  for (const [server, msg, ok] of cases) assert.equal(versionIsCompatible(server, msg), ok, `${server} vs ${msg}`);
});

test('envelope 2.0 both ways; unwrapped messages pass; unknown envelope major is refused', () => {
  const body = serializeMsg({ method: 'm', args: { when: new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 5)), ids: new Set(['a']) } });
  const outer = JSON.parse(body);
  assert.equal(outer['oslo.version'], '2.0');
  assert.equal(typeof outer['oslo.message'], 'string');
  assert.deepEqual(deserializeMsg(body), { method: 'm', args: { when: '2024-05-01T10:00:00.005000', ids: ['a'] } });
  assert.deepEqual(deserializeMsg('{"method": "old"}'), { method: 'old' });
  assert.throws(() => deserializeMsg(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' })), /envelope version, 3.0/);
  assert.equal(toJson({ d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) }), '{"d":"2024-01-02T03:04:05.000000"}');
});

test('context: neutron_lib to_dict keys out, from_dict in; flattened as _context_*', () => {
  const ctx = { ...adminContext('req-1'), userId: 'u', projectId: 'p', roles: ['admin', 'member'] };
  const d = toRpcContext(ctx, new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 120)));
  for (const k of ['user', 'project_id', 'system_scope', 'project', 'domain', 'user_domain', 'project_domain', 'is_admin',
    'read_only', 'show_deleted', 'auth_token', 'request_id', 'global_request_id', 'resource_uuid', 'roles', 'user_identity',
    'is_admin_project', 'user_id', 'tenant_id', 'timestamp', 'tenant_name', 'project_name', 'user_name']) {
    assert.ok(k in d, k);
  }
  assert.equal(d.timestamp, '2024-05-01 10:00:00.120000');
  assert.equal(d.user_identity, 'u p - - -');
  const msg: Record<string, unknown> = { method: 'x', _msg_id: 'm', _reply_q: 'reply_q', _timeout: null };
  for (const [k, v] of Object.entries(d)) msg[`_context_${k}`] = v;
  const un = unpackContext(msg);
  assert.deepEqual(msg, { method: 'x' });
  assert.equal(un.msgId, 'm');
  assert.equal(un.replyQ, 'reply_q');
  const back = fromRpcContext(un.context);
  assert.equal(back.requestId, 'req-1');
  assert.equal(back.userId, 'u');
  assert.equal(back.projectId, 'p');
  assert.equal(back.isAdmin, true);
  assert.deepEqual(back.roles, ['admin', 'member']);
});

test('failures are serialized as oslo does and come back as RemoteError', () => {
  const f = JSON.parse(serializeFailure(new NetworkNotFound({ net_id: 'n1' })));
  assert.equal(f.class, 'NetworkNotFound');
  assert.equal(f.module, 'neutron_lib.exceptions');
  assert.equal(f.message, 'Network n1 could not be found.');
  assert.deepEqual(f.args, ['Network n1 could not be found.']);
  assert.deepEqual(f.kwargs, {});
  assert.ok(Array.isArray(f.tb));
  const nsm = JSON.parse(serializeFailure(new NoSuchMethod('foo')));
  assert.deepEqual([nsm.class, nsm.module, nsm.message], ['NoSuchMethod', 'oslo_messaging.rpc.dispatcher', 'Endpoint does not support RPC method foo']);
  const uv = JSON.parse(serializeFailure(new UnsupportedVersion('2.0', 'foo')));
  assert.equal(uv.message, 'Endpoint does not support RPC version 2.0. Attempted method: foo');
  const r = deserializeFailure('{"class": "KeyError", "module": "builtins", "message": "\'x\'", "tb": ["a\\n"], "args": ["x"], "kwargs": {}}');
  assert.ok(r instanceof RemoteError);
  assert.equal(r.excType, 'KeyError');
  assert.equal(r.value, "'x'");
  assert.equal(r.excModule, 'builtins');
  // a remote error re-raised keeps its class and message
  const again = JSON.parse(serializeFailure(r));
  assert.deepEqual([again.class, again.module, again.message], ['KeyError', 'builtins', "'x'"]);
});

test('duplicate filter remembers the last 16 unique ids', () => {
  const f = new DuplicateFilter();
  assert.equal(f.seen('a'), false);
  assert.equal(f.seen('a'), true);
  for (let i = 0; i < 16; i++) f.seen(`x${i}`);
  assert.equal(f.seen('a'), false);
});
