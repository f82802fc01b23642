import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeystoneAuth, KeystoneAuthError, stripAuthHeaders, type AuthRequest, type KeystoneAuthtokenOptions, type KeystoneHttp } from '../../src/auth/keystone.js';
import { call, keystoneAvailable, startKeystone, type KeystoneServer } from './keystone-server.js';

const UNAUTHORIZED = '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}';

/** Records every request sent to Keystone. */
function countingPool() {
  const calls: { method: string; path: string; headers: Record<string, string> }[] = [];
  const http = (send: KeystoneHttp): KeystoneHttp => (req) => {
    calls.push({ method: req.method, path: req.url.pathname + req.url.search, headers: { ...req.headers } });
    return send(req);
  };
  const count = (method: string, prefix: string) => calls.filter((c) => c.method === method && c.path.startsWith(prefix)).length;
  return {
    http,
    calls,
    validations: () => count('GET', '/v3/auth/tokens'),
    logins: () => count('POST', '/v3/auth/tokens'),
  };
}

function req(headers: Record<string, string>, method = 'GET', path = '/v2.0/networks'): AuthRequest {
  return { method, path, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
}

async function rejection(p: Promise<unknown>): Promise<KeystoneAuthError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KeystoneAuthError, `expected KeystoneAuthError, got ${e}`);
    return e;
  }
  assert.fail('expected the request to be refused');
}

/** The status of a refused request; a 503 where 401 was expected shows its reason. */
async function refused(p: Promise<unknown>): Promise<string> {
  const e = await rejection(p);
  return e.status === 503 ? `503 (${e.reason})` : String(e.status);
}

const { skip } = keystoneAvailable();

describe('keystone auth_token against a real Keystone', { skip }, () => {
  let ks: KeystoneServer;
  const open: { close(): Promise<void> }[] = [];

  /** A validator on a counting pool; `clock.offset` (ms) moves its clock forward. */
  function validator(overrides: Partial<KeystoneAuthtokenOptions> = {}) {
    const pool = countingPool();
    const clock = { offset: 0 };
    const auth = new KeystoneAuth(ks.authtokenOptions(overrides), { http: pool.http, now: () => Date.now() + clock.offset });
    open.push(auth);
    return { auth, pool, clock };
  }

  before(async () => {
    ks = await startKeystone();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });
  after(async () => {
    await ks?.shutdown();
  });

  test('a member token gives the context of its project, user and roles', async () => {
    const { auth } = validator();
    const token = await ks.token('memberA');
    const ctx = await auth.authenticate(req({ 'X-Auth-Token': token }), 'req-1');
    assert.equal(ctx.requestId, 'req-1');
    assert.equal(ctx.userId, ks.users.memberA.id);
    assert.equal(ctx.userName, 'member-a');
    assert.equal(ctx.projectId, ks.projects.A.id);
    assert.equal(ctx.projectName, 'project-a');
    assert.equal(ctx.userDomainId, 'default');
    assert.equal(ctx.projectDomainId, 'default');
    assert.deepEqual([...ctx.roles].sort(), ['member', 'reader']);
    assert.equal(ctx.systemScope, null);
    assert.equal(ctx.isAdminProject, true);
    assert.equal(ctx.authToken, token);
    assert.equal(ctx.isAdmin, false);
    assert.deepEqual(ctx.serviceRoles, []);

    const b = await auth.authenticate(req({ 'X-Auth-Token': await ks.token('memberB') }));
    assert.equal(b.projectId, ks.projects.B.id);
  });

  test('admin tokens: project scope carries admin (and implied) roles; system scope sets system_scope', async () => {
    const { auth } = validator();
    const project = await auth.authenticate(req({ 'X-Auth-Token': await ks.token('admin') }));
    assert.equal(project.projectId, ks.projects.admin.id);
    assert.deepEqual([...project.roles].sort(), ['admin', 'member', 'reader']);
    const system = await auth.authenticate(req({ 'X-Auth-Token': await ks.token('admin', { system: 'all' }) }));
    assert.equal(system.systemScope, 'all');
    assert.equal(system.projectId, null);
    assert.ok(system.roles.includes('admin'));
  });

  test('identity headers sent by the client are not trusted', async () => {
    const { auth } = validator();
    const spoofed = {
      'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin', 'X-Project-Id': ks.projects.B.id,
      'X-User-Id': ks.users.admin.id, 'X-Is-Admin-Project': 'True', 'X-Service-Roles': 'service',
    };
    const ctx = await auth.authenticate(req({ ...spoofed, 'X-Auth-Token': await ks.token('memberA') }));
    assert.equal(ctx.projectId, ks.projects.A.id);
    assert.equal(ctx.userId, ks.users.memberA.id);
    assert.ok(!ctx.roles.includes('admin'));
    assert.deepEqual(ctx.serviceRoles, []);

    const e = await rejection(auth.authenticate(req(spoofed)));
    assert.equal(e.status, 401);

    const headers: Record<string, unknown> = { 'x-roles': 'admin', 'x-project-id': 'p', 'x-service-user-id': 'u', 'x-auth-token': 't', accept: 'a' };
    stripAuthHeaders(headers);
    assert.deepEqual(headers, { 'x-auth-token': 't', accept: 'a' });
  });

  test('no token or a bad token: 401 with keystonemiddleware\'s body and WWW-Authenticate', async () => {
    const { auth, pool } = validator();
    for (const headers of <Record<string, string>[]>[{}, { 'X-Auth-Token': '  ' }, { 'X-Auth-Token': 'not-a-token' }, { 'X-Auth-Token': `${await ks.token('memberA')}x` }]) {
      const e = await rejection(auth.authenticate(req(headers)));
      assert.equal(e.status, 401);
      assert.equal(e.body(), UNAUTHORIZED);
      assert.deepEqual(e.headers, { 'Content-Type': 'application/json', 'WWW-Authenticate': `Keystone uri="${ks.url}"` });
    }
    // the two tokens that were sent were asked about; the missing and blank ones were not
    assert.equal(pool.validations(), 2);
  });

  test('a valid token is cached: the second request does not reach Keystone', async () => {
    const { auth, pool } = validator();
    const token = await ks.token('memberA');
    await auth.authenticate(req({ 'X-Auth-Token': token }));
    await auth.authenticate(req({ 'X-Auth-Token': token }));
    await Promise.all([1, 2, 3].map(() => auth.authenticate(req({ 'X-Auth-Token': token }))));
    assert.equal(pool.validations(), 1);
    assert.equal(pool.logins(), 1, 'the service token is obtained once and reused');

    // concurrent first requests for one token share one validation
    const other = await ks.token('memberB');
    await Promise.all([1, 2, 3].map(() => auth.authenticate(req({ 'X-Auth-Token': other }))));
    assert.equal(pool.validations(), 2);

    // token_cache_time = -1: every request asks Keystone
    const nocache = validator({ token_cache_time: -1 });
    await nocache.auth.authenticate(req({ 'X-Auth-Token': token }));
    await nocache.auth.authenticate(req({ 'X-Auth-Token': token }));
    assert.equal(nocache.pool.validations(), 2);
  });

  test('a revoked token is refused once it is no longer cached', async () => {
    const uncached = validator({ token_cache_time: -1 });
    const cached = validator({ token_cache_time: 60 });
    const token = await ks.token('memberA');
    await uncached.auth.authenticate(req({ 'X-Auth-Token': token }));
    await cached.auth.authenticate(req({ 'X-Auth-Token': token }));
    await ks.revoke(token);

    assert.equal(await refused(uncached.auth.authenticate(req({ 'X-Auth-Token': token }))), '401');
    // as with keystonemiddleware, the cached answer stands until token_cache_time has passed
    await cached.auth.authenticate(req({ 'X-Auth-Token': token }));
    cached.clock.offset = 61_000;
    assert.equal(await refused(cached.auth.authenticate(req({ 'X-Auth-Token': token }))), '401');
    assert.equal(cached.pool.validations(), 2);
  });

  test('an expired token is refused; the cache never outlives a token', async () => {
    // Keystone still accepts the token, but our clock says it has expired: the cached answer
    // (token_cache_time longer than the token's life) is not used, and the expiry check refuses it.
    const { auth, pool, clock } = validator({ token_cache_time: 7200 });
    const token = await ks.issueToken('memberA');
    await auth.authenticate(req({ 'X-Auth-Token': token.token }));
    clock.offset = token.expiresAt.getTime() - Date.now() + 1000;
    assert.equal(await refused(auth.authenticate(req({ 'X-Auth-Token': token.token }))), '401');
    assert.equal(pool.validations(), 2);
  });

  test('a really expired token: 401, unless a service token with a service role allows it', async () => {
    // a Keystone on the same database and keys that issues 3-second tokens
    const short = await ks.startSibling({ expiration: 3 });
    let t;
    try {
      t = await short.issueToken('memberA');
    } finally {
      await short.stop();
    }
    await new Promise((ok) => setTimeout(ok, t.expiresAt.getTime() - Date.now() + 1100));
    const { auth, pool } = validator();
    assert.equal(await refused(auth.authenticate(req({ 'X-Auth-Token': t.token }))), '401');

    const service = await ks.token('neutron');
    const ctx = await auth.authenticate(req({ 'X-Auth-Token': t.token, 'X-Service-Token': service }));
    assert.equal(ctx.userId, ks.users.memberA.id);
    assert.ok(pool.calls.some((c) => c.path.includes('allow_expired=1')));
    // ...a service token without one does not
    const member = await ks.token('memberB');
    assert.equal(await refused(auth.authenticate(req({ 'X-Auth-Token': t.token, 'X-Service-Token': member }))), '401');
  });

  test('X-Service-Token: validated too; service roles; service_token_roles_required', async () => {
    const { auth } = validator();
    const user = await ks.token('memberA');
    const service = await ks.token('neutron');
    const ctx = await auth.authenticate(req({ 'X-Auth-Token': user, 'X-Service-Token': service }));
    assert.equal(ctx.projectId, ks.projects.A.id);
    assert.deepEqual([...ctx.serviceRoles!].sort(), ['admin', 'member', 'reader', 'service']);

    assert.equal(await refused(auth.authenticate(req({ 'X-Auth-Token': user, 'X-Service-Token': 'bogus' }))), '401');

    // a valid token without a service role passes as a service token unless roles are required
    const notService = await ks.token('memberB');
    const lax = await auth.authenticate(req({ 'X-Auth-Token': user, 'X-Service-Token': notService }));
    assert.deepEqual([...lax.serviceRoles!].sort(), ['member', 'reader']);
    const strict = validator({ service_token_roles_required: true });
    assert.equal(await refused(strict.auth.authenticate(req({ 'X-Auth-Token': user, 'X-Service-Token': notService }))), '401');
    const ok = await strict.auth.authenticate(req({ 'X-Auth-Token': user, 'X-Service-Token': service }));
    assert.ok(ok.serviceRoles!.includes('service'));

    // a service token alone is not a user
    assert.equal(await refused(auth.authenticate(req({ 'X-Service-Token': service }))), '401');
  });

  test('the service token is renewed when Keystone refuses it and before it expires', async () => {
    const { auth, pool, clock } = validator();
    await auth.authenticate(req({ 'X-Auth-Token': await ks.token('memberA') }));
    assert.equal(pool.logins(), 1);
    const ours = pool.calls.find((c) => c.method === 'GET')!.headers['x-auth-token']!;
    await ks.revoke(ours);
    await auth.authenticate(req({ 'X-Auth-Token': await ks.token('memberB') }));
    assert.equal(pool.logins(), 2, 'a 401 on validation makes it authenticate again');

    clock.offset = 3600_000 - 60_000; // the service token expires within two minutes
    await auth.authenticate(req({ 'X-Auth-Token': await ks.token('admin') }));
    assert.equal(pool.logins(), 3);
  });

  test('application credentials with access rules need service_type and a matching rule', async () => {
    const userToken = await ks.token('memberA');
    const created = await call(ks.authUrl, 'POST', `/users/${ks.users.memberA.id}/application_credentials`, {
      token: userToken,
      body: { application_credential: { name: 'list-networks', access_rules: [{ service: 'network', method: 'GET', path: '/v2.0/networks' }] } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const cred = created.body.application_credential;
    const login = await call(ks.authUrl, 'POST', '/auth/tokens?nocatalog', {
      body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: cred.id, secret: cred.secret } } } },
    });
    assert.equal(login.status, 201);
    const token = login.headers['x-subject-token'] as string;

    const typed = validator({ service_type: 'network' });
    const ctx = await typed.auth.authenticate(req({ 'X-Auth-Token': token }, 'GET', '/v2.0/networks'));
    assert.equal(ctx.projectId, ks.projects.A.id);
    assert.equal(await refused(typed.auth.authenticate(req({ 'X-Auth-Token': token }, 'POST', '/v2.0/networks'))), '401');
    assert.equal(await refused(typed.auth.authenticate(req({ 'X-Auth-Token': token }, 'GET', '/v2.0/ports'))), '401');
    const untyped = validator();
    assert.equal(await refused(untyped.auth.authenticate(req({ 'X-Auth-Token': token }, 'GET', '/v2.0/networks'))), '401');
  });

  test('delay_auth_decision: a bad token still ends in 401 (Neutron needs a user), with webob\'s default body', async () => {
    const { auth } = validator({ delay_auth_decision: true });
    const e = await rejection(auth.authenticate(req({ 'X-Auth-Token': 'bogus', Accept: 'application/json' })));
    assert.equal(e.status, 401);
    assert.equal(e.headers['WWW-Authenticate'], `Keystone uri="${ks.url}"`);
    assert.equal(JSON.parse(e.body()).title, 'Unauthorized');
    // a bad service token does not matter then
    const ctx = await auth.authenticate(req({ 'X-Auth-Token': await ks.token('memberA'), 'X-Service-Token': 'bogus' }));
    assert.deepEqual(ctx.serviceRoles, []);
  });

  test('Keystone down: 503 as keystonemiddleware answers it; back up: requests pass again', async () => {
    const { auth } = validator({ token_cache_time: -1, http_request_max_retries: 1 });
    const token = await ks.token('memberA');
    await auth.authenticate(req({ 'X-Auth-Token': token }));
    const delayed = validator({ delay_auth_decision: true, http_request_max_retries: 0 });
    await ks.stop();
    try {
      const json = await rejection(auth.authenticate(req({ 'X-Auth-Token': token, Accept: 'application/json' })));
      assert.equal(json.status, 503);
      assert.equal(json.headers['Content-Type'], 'application/json');
      assert.equal(json.body(), '{"message": "The server is currently unavailable. Please try again at a later time.<br /><br />\\nThe Keystone service is temporarily unavailable.\\n\\n", "code": "503 Service Unavailable", "title": "Service Unavailable"}');
      const plain = await rejection(auth.authenticate(req({ 'X-Auth-Token': token })));
      assert.equal(plain.status, 503);
      assert.equal(plain.headers['Content-Type'], 'text/plain; charset=UTF-8');
      assert.equal(plain.body(), '503 Service Unavailable\n\nThe server is currently unavailable. Please try again at a later time.\n\n The Keystone service is temporarily unavailable.  ');
      // with delay_auth_decision an unreachable Keystone makes the token invalid instead
      assert.equal(await refused(delayed.auth.authenticate(req({ 'X-Auth-Token': token }))), '401');
    } finally {
      await ks.start();
    }
    const ctx = await auth.authenticate(req({ 'X-Auth-Token': token }));
    assert.equal(ctx.projectId, ks.projects.A.id);
  });
});
