/**
 * neutron-ts with auth_strategy = keystone, through its HTTP server, against one real Keystone:
 * tokens decide who the caller is, Neutron's policy decides what they may do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type Response, type TestServer } from '../support/server.js';
import { keystoneAvailable, startKeystone, type IssuedToken, type KeystoneServer } from './keystone-server.js';

const UNAUTHORIZED = '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}';
// seconds: long enough to use the token once at the start; it has expired by the time the test
// that needs it expired comes (the Keystone restart before it takes most of that time)
const SHORT_TOKEN_LIFE = 10;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Repeats `attempt` until `done` says so or 15 s have passed; returns the last answer. */
async function until(attempt: () => Promise<Response>, done: (r: Response) => boolean): Promise<Response> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await attempt();
    if (done(r) || Date.now() > deadline) return r;
    await sleep(200);
  }
}

const { skip } = keystoneAvailable();

describe('neutron-ts behind a real Keystone', { skip }, () => {
  let ks: KeystoneServer;
  let srv: TestServer;
  let policyDir: string;
  let policyFile: string;
  let short: IssuedToken;
  const token: Record<'A' | 'B' | 'admin', string> = { A: '', B: '', admin: '' };

  const as = (t: string, extra: Record<string, string> = {}) => ({ 'x-auth-token': t, ...extra });
  const createNetwork = (t: string, network: Record<string, unknown>) => srv.request('POST', '/v2.0/networks', { network }, as(t));

  before(async () => {
    ks = await startKeystone();
    policyDir = mkdtempSync(join(tmpdir(), 'neutron-ts-policy-'));
    policyFile = join(policyDir, 'policy.yaml');
    writeFileSync(policyFile, '{}\n');
    const [sibling, server] = await Promise.all([
      // a Keystone process on the same database and keys that issues short-lived tokens
      ks.startSibling({ expiration: SHORT_TOKEN_LIFE }),
      startServer({
        DEFAULT: { auth_strategy: 'keystone' },
        // a short cache so that revocation and expiry show within the test; one retry when Keystone is down
        keystone_authtoken: ks.authtokenOptions({ token_cache_time: 1, http_request_max_retries: 1 }),
        oslo_policy: { policy_file: policyFile },
      }),
    ]);
    srv = server;
    try {
      short = await sibling.issueToken('memberA');
    } finally {
      await sibling.stop();
    }
    [token.A, token.B, token.admin] = await Promise.all([ks.token('memberA'), ks.token('memberB'), ks.token('admin')]);
  });
  after(async () => {
    await srv?.close();
    await ks?.shutdown();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  test('a short-lived token is accepted while it is valid', async () => {
    assert.ok(short.expiresAt.getTime() > Date.now(), 'the machine is too slow: the token expired before its first use');
    const r = await srv.request('GET', '/v2.0/networks', undefined, as(short.token));
    assert.equal(r.status, 200);
  });

  test('no token or a bad one: 401 with WWW-Authenticate; the versions document and healthcheck need none', async () => {
    for (const headers of [{}, as('not-a-token'), as(`${token.A}x`)]) {
      for (const path of ['/v2.0/networks', '/v2.0', '/v2.0/extensions']) {
        const r = await srv.request('GET', path, undefined, headers);
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(r.headers['www-authenticate'], `Keystone uri="${ks.url}"`);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.deepEqual(r.body, JSON.parse(UNAUTHORIZED));
      }
    }
    const write = await srv.request('POST', '/v2.0/networks', { network: { name: 'x' } }, { 'x-project-id': ks.projects.A.id, 'x-roles': 'admin' });
    assert.equal(write.status, 401, 'identity headers are no substitute for a token');
    assert.equal((await srv.request('GET', '/')).status, 200);
    assert.equal((await srv.request('GET', '/healthcheck')).status, 200);
  });

  test('the context comes from the token: project, roles and admin-only attributes', async () => {
    // headers a client could send to pretend to be someone else are ignored
    const spoofed = { 'x-project-id': ks.projects.B.id, 'x-tenant-id': ks.projects.B.id, 'x-roles': 'admin', 'x-user-id': ks.users.admin.id };
    const created = await srv.request('POST', '/v2.0/networks', { network: { name: 'net-a' } }, as(token.A, spoofed));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const net = created.body.network;
    assert.equal(net.project_id, ks.projects.A.id);
    assert.equal(net.tenant_id, ks.projects.A.id);
    assert.equal('provider:network_type' in net, false, 'provider attributes are for admins only');

    const asAdmin = await srv.request('GET', `/v2.0/networks/${net.id}`, undefined, as(token.admin));
    assert.equal(asAdmin.status, 200);
    assert.equal(asAdmin.body.network['provider:network_type'], 'local');

    const other = await srv.request('POST', '/v2.0/networks', { network: { name: 'net-for-b', project_id: ks.projects.B.id } }, as(token.A));
    assert.equal(other.status, 400);
    assert.match(other.body.NeutronError.message, /other than the authenticated project in request requires admin or advsvc privileges/);
    const forB = await srv.request('POST', '/v2.0/networks', { network: { name: 'net-for-b', project_id: ks.projects.B.id } }, as(token.admin));
    assert.equal(forB.status, 201, 'the admin may create for another project');
    assert.equal(forB.body.network.project_id, ks.projects.B.id);
  });

  test("a member of project A can neither see nor change project B's network: 404", async () => {
    const created = await createNetwork(token.B, { name: 'net-b' });
    assert.equal(created.status, 201);
    const id = created.body.network.id;
    const notFound = { NeutronError: { type: 'NetworkNotFound', message: `Network ${id} could not be found.`, detail: '' } };
    for (const [method, body] of [['GET', undefined], ['PUT', { network: { name: 'mine' } }], ['DELETE', undefined]] as const) {
      const r = await srv.request(method, `/v2.0/networks/${id}`, body, as(token.A));
      assert.equal(r.status, 404, method);
      assert.deepEqual(r.body, notFound, method);
    }
    const listA = await srv.request('GET', '/v2.0/networks', undefined, as(token.A));
    assert.ok(!listA.body.networks.some((n: { id: string }) => n.id === id));
    // its owner and the admin still see it, unchanged
    for (const t of [token.B, token.admin]) {
      const r = await srv.request('GET', `/v2.0/networks/${id}`, undefined, as(t));
      assert.equal(r.status, 200);
      assert.equal(r.body.network.name, 'net-b');
    }
    const listAdmin = await srv.request('GET', '/v2.0/networks', undefined, as(token.admin));
    assert.ok(listAdmin.body.networks.some((n: { id: string }) => n.id === id));
  });

  test('shared networks: only the admin creates one (a member gets 403); every member sees it', async () => {
    const denied = await createNetwork(token.A, { name: 'shared-by-a', shared: true });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { NeutronError: {
      type: 'PolicyNotAuthorized', message: '(rule:create_network and rule:create_network:shared) is disallowed by policy', detail: '',
    } });

    const created = await createNetwork(token.admin, { name: 'public', shared: true });
    assert.equal(created.status, 201);
    const id = created.body.network.id;
    assert.equal(created.body.network.project_id, ks.projects.admin.id);
    for (const t of [token.A, token.B]) {
      const shown = await srv.request('GET', `/v2.0/networks/${id}`, undefined, as(t));
      assert.equal(shown.status, 200);
      assert.equal(shown.body.network.shared, true);
      const list = await srv.request('GET', '/v2.0/networks?shared=true', undefined, as(t));
      assert.deepEqual(list.body.networks.map((n: { id: string }) => n.id), [id]);
    }
    // seeing is not owning
    const renamed = await srv.request('PUT', `/v2.0/networks/${id}`, { network: { name: 'mine' } }, as(token.A));
    assert.equal(renamed.status, 403);
    assert.equal(renamed.body.NeutronError.type, 'PolicyNotAuthorized');
  });

  test('a change to policy.yaml changes the outcome without a restart', async () => {
    const attempt = () => createNetwork(token.A, { name: 'shared-by-a', shared: true });
    writeFileSync(policyFile, '"create_network:shared": "role:member"\n');
    const allowed = await until(attempt, (r) => r.status !== 403);
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    assert.equal(allowed.body.network.shared, true);
    assert.equal(allowed.body.network.project_id, ks.projects.A.id);
    // a member of another project sees it now
    assert.equal((await srv.request('GET', `/v2.0/networks/${allowed.body.network.id}`, undefined, as(token.B))).status, 200);

    writeFileSync(policyFile, '# back to the defaults\n{}\n');
    const deniedAgain = await until(attempt, (r) => r.status !== 201);
    assert.equal(deniedAgain.status, 403);
  });

  test('a revoked token gets 401 once its cached validation (token_cache_time) is over', async () => {
    const t = await ks.token('memberB');
    assert.equal((await srv.request('GET', '/v2.0/networks', undefined, as(t))).status, 200);
    await ks.revoke(t);
    const r = await until(() => srv.request('GET', '/v2.0/networks', undefined, as(t)), (x) => x.status !== 200);
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], `Keystone uri="${ks.url}"`);
    assert.equal((await srv.request('GET', '/v2.0/networks', undefined, as(t))).status, 401);
  });

  test('Keystone stopped: 503 (not 500), healthcheck still 200; serving resumes when Keystone is back', async () => {
    const fresh = await ks.token('memberA'); // never validated yet: the server has to ask Keystone
    await ks.stop();
    try {
      const json = await srv.request('GET', '/v2.0/networks', undefined, as(fresh, { accept: 'application/json' }));
      assert.equal(json.status, 503);
      assert.equal(json.headers['content-type'], 'application/json');
      assert.equal(json.body.title, 'Service Unavailable');
      assert.match(json.body.message, /The Keystone service is temporarily unavailable/);
      const plain = await srv.request('GET', '/v2.0/networks', undefined, as(fresh));
      assert.equal(plain.status, 503);
      assert.equal(plain.headers['content-type'], 'text/plain; charset=UTF-8');
      assert.match(plain.body, /^503 Service Unavailable\n/);
      assert.equal((await srv.request('GET', '/healthcheck')).status, 200);
    } finally {
      await ks.start();
    }
    const back = await srv.request('GET', '/v2.0/networks', undefined, as(fresh));
    assert.equal(back.status, 200);
    assert.ok(back.body.networks.some((n: { name: string }) => n.name === 'net-a'));
  });

  test('an expired token gets 401, unless a service token with the service role vouches for it', async () => {
    await sleep(Math.max(0, short.expiresAt.getTime() - Date.now() + 1100));
    const r = await srv.request('GET', '/v2.0/networks', undefined, as(short.token));
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, JSON.parse(UNAUTHORIZED));
    // what Nova does for a long operation: its own token in X-Service-Token
    const service = await ks.token('neutron');
    const vouched = await srv.request('GET', '/v2.0/networks', undefined, as(short.token, { 'x-service-token': service }));
    assert.equal(vouched.status, 200);
    assert.ok(vouched.body.networks.every((n: { project_id: string }) => n.project_id === ks.projects.A.id || n.shared));
  });
});
