import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('router conntrack helpers (conntrack_helper service plugin)', () => {
  let s: TestServer;
  let l3Agent: Recorder;
  let router: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router', 'conntrack_helper'], allowed_conntrack_helpers: ['ftp:tcp', 'sip:tcp', 'sip:udp'] } });
    l3Agent = new Recorder(s.server.transport, 'neutron-vo-ConntrackHelper-1.0', 'l3-1', ['push'], '1.1');
    await l3Agent.start();
    router = await post('/v2.0/routers', { router: { name: 'r' } });
  });
  after(async () => {
    await l3Agent.stop();
    await s.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const helpers = (routerId: string) => `/v2.0/routers/${routerId}/conntrack_helpers`;

  test('create, show, list, update, delete; the router shows them; agents get ConntrackHelper objects', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('l3-conntrack-helper') && aliases.includes('expose-l3-conntrack-helper'));
    const cth = await post(helpers(router.id), { conntrack_helper: { protocol: 'tcp', port: '21', helper: 'ftp' } });
    assert.deepEqual(cth, { id: cth.id, protocol: 'tcp', port: 21, helper: 'ftp' });
    const pushed = await eventually(() => l3Agent.of('push').find((m) => m.args.event_type === 'created'), 5000, 'push');
    assert.deepEqual(pushed.args.resource_list[0]['versioned_object.data'], { ...cth, router_id: router.id });
    assert.equal(pushed.args.resource_list[0]['versioned_object.name'], 'ConntrackHelper');

    const shown = await s.request('GET', `/v2.0/routers/${router.id}`, undefined, A);
    assert.deepEqual(shown.body.router.conntrack_helpers, [{ protocol: 'tcp', port: 21, helper: 'ftp' }]);
    assert.deepEqual((await s.request('GET', `${helpers(router.id)}/${cth.id}`, undefined, A)).body.conntrack_helper, cth);
    const sip = await post(helpers(router.id), { conntrack_helper: { protocol: 'udp', port: 5060, helper: 'sip' } });
    const listed = await s.request('GET', `${helpers(router.id)}?helper=sip`, undefined, A);
    assert.deepEqual(listed.body.conntrack_helpers, [sip]);

    const updated = await s.request('PUT', `${helpers(router.id)}/${sip.id}`, { conntrack_helper: { protocol: 'tcp' } }, A);
    assert.equal(updated.status, 200);
    assert.equal(updated.body.conntrack_helper.protocol, 'tcp');
    await eventually(() => l3Agent.of('push').find((m) => m.args.event_type === 'updated'), 5000, 'updated push');
    assert.equal((await s.request('DELETE', `${helpers(router.id)}/${sip.id}`, undefined, A)).status, 204);
    await eventually(() => l3Agent.of('push').find((m) => m.args.event_type === 'deleted'), 5000, 'deleted push');
    const gone = await s.request('GET', `${helpers(router.id)}/${sip.id}`, undefined, A);
    assert.equal(gone.status, 404);
    assert.equal(type(gone), 'ConntrackHelperNotFound');
    assert.equal(message(gone), `Conntrack Helper ${sip.id} could not be found.`);
  });

  test('allowed_conntrack_helpers, duplicates and validation', async () => {
    const r = await post('/v2.0/routers', { router: { name: 'checks' } });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ protocol: 'tcp', port: 69, helper: 'tftp' }, 'ConntrackHelperNotAllowed', 'Conntrack Helper tftp is not allowed.'],
      [{ protocol: 'udp', port: 21, helper: 'ftp' }, 'InvalidProtocolForHelper', 'Conntrack Helper ftp does not support: udp. Supported protocols are: tcp'],
      [{ protocol: 'tcp', port: 0, helper: 'ftp' }, 'HTTPBadRequest', "Invalid input for port. Reason: '0' is too small - must be at least '1'."],
      [{ protocol: 'gre', port: 21, helper: 'ftp' }, 'InvalidInput', "Invalid input for operation: IP protocol 'gre' is not supported. Only protocol names and their integer representation (0 to 255) are supported."],
    ];
    for (const [body, errType, msg] of cases) {
      const res = await s.request('POST', helpers(r.id), { conntrack_helper: body }, A);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(type(res), errType);
      assert.equal(message(res), msg);
    }
    const first = await post(helpers(r.id), { conntrack_helper: { protocol: 'tcp', port: 5060, helper: 'sip' } });
    const dup = await s.request('POST', helpers(r.id), { conntrack_helper: { protocol: 'tcp', port: 5060, helper: 'sip' } }, A);
    assert.equal(dup.status, 400);
    assert.equal(message(dup), `Bad conntrack_helper request: A duplicate conntrack helper entry with same attributes already exists, conflicting values are {'router_id': '${r.id}', 'protocol': 'tcp', 'port': 5060, 'helper': 'sip'}.`);
    const other = await post(helpers(r.id), { conntrack_helper: { protocol: 'udp', port: 5060, helper: 'sip' } });
    const dupByUpdate = await s.request('PUT', `${helpers(r.id)}/${other.id}`, { conntrack_helper: { protocol: 'tcp' } }, A);
    assert.equal(dupByUpdate.status, 400);
    const elsewhere = await s.request('GET', `${helpers(router.id)}/${first.id}`, undefined, A);
    assert.equal(type(elsewhere), 'ConntrackHelperNotFound', 'a helper is found under its own router only');
  });

  test('the router decides who sees and writes its helpers; they go with it', async () => {
    const r = await post('/v2.0/routers', { router: { name: 'owned' } });
    const cth = await post(helpers(r.id), { conntrack_helper: { protocol: 'tcp', port: 21, helper: 'ftp' } });
    for (const [method, path] of [['GET', helpers(r.id)], ['GET', `${helpers(r.id)}/${cth.id}`], ['DELETE', `${helpers(r.id)}/${cth.id}`]] as const) {
      const res = await s.request(method, path, undefined, B);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(type(res), 'RouterNotFound');
    }
    assert.equal((await s.request('GET', helpers(r.id), undefined, ADMIN)).body.conntrack_helpers.length, 1);
    assert.equal((await s.request('DELETE', `/v2.0/routers/${r.id}`, undefined, A)).status, 204);
    assert.equal(type(await s.request('GET', helpers(r.id), undefined, ADMIN)), 'RouterNotFound');
  });
});
