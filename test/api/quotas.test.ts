import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

describe('quotas', () => {
  let s: TestServer;
  before(async () => { s = await startServer({ quotas: { quota_network: 10, quota_port: 7 } }); });
  after(() => s.close());

  const type = (r: { body: any }) => r.body?.NeutronError?.type;

  test('a project reads its own limits, defaults and usage; the extensions are listed', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    for (const a of ['quotas', 'quota_details', 'quota-check-limit']) assert.ok(aliases.includes(a), a);

    const own = await s.request('GET', '/v2.0/quotas/project-a', undefined, A);
    assert.equal(own.status, 200);
    assert.equal(own.body.quota.network, 10, '[quotas] quota_network');
    assert.equal(own.body.quota.port, 7);
    assert.equal(own.body.quota.subnet, 100, "Neutron's default");
    assert.equal(own.body.quota.subnetpool, -1, 'default_quota for resources without an option');
    assert.equal('project_id' in own.body.quota, false);

    const defaults = await s.request('GET', '/v2.0/quotas/project-a/default', undefined, A);
    assert.deepEqual(defaults.body.quota, own.body.quota);

    await s.request('POST', '/v2.0/networks', { network: { name: 'n' } }, A);
    const details = await s.request('GET', '/v2.0/quotas/project-a/details', undefined, A);
    assert.equal(details.status, 200);
    assert.deepEqual(details.body.quota.network, { limit: 10, used: 1, reserved: 0 });
    assert.deepEqual(details.body.quota.port, { limit: 7, used: 0, reserved: 0 });

    const who = await s.request('GET', '/v2.0/quotas/project', undefined, A);
    assert.deepEqual(who.body, { project: { project_id: 'project-a' } });
    const whoTenant = await s.request('GET', '/v2.0/quotas/tenant', undefined, A);
    assert.deepEqual(whoTenant.body, { tenant: { tenant_id: 'project-a' } });
  });

  test("another project's quota, the list, updates and resets are admin only", async () => {
    const other = await s.request('GET', '/v2.0/quotas/project-b', undefined, A);
    assert.equal(other.status, 403);
    assert.equal(other.body.NeutronError.message, 'rule:get_quota is disallowed by policy');
    assert.equal((await s.request('GET', '/v2.0/quotas/project-b/default', undefined, A)).status, 403);
    const details = await s.request('GET', '/v2.0/quotas/project-b/details', undefined, A);
    assert.equal(details.status, 403);
    assert.equal(type(details), 'AdminRequired');
    assert.equal(details.body.NeutronError.message, 'User does not have admin privileges: Only admin is authorized to access quotas for another project.');
    assert.equal((await s.request('GET', '/v2.0/quotas', undefined, A)).status, 403);
    assert.equal((await s.request('PUT', '/v2.0/quotas/project-a', { quota: { network: 50 } }, A)).status, 403);
    assert.equal((await s.request('DELETE', '/v2.0/quotas/project-a', undefined, A)).status, 403);
    assert.equal((await s.request('GET', '/v2.0/quotas/project-b', undefined, ADMIN)).status, 200);
  });

  test('update, list, check_limit, reset', async () => {
    const P = asProject('project-u');
    const put = await s.request('PUT', '/v2.0/quotas/project-u', { quota: { network: '3', port: -1 } }, ADMIN);
    assert.equal(put.status, 200);
    assert.equal(put.body.quota.network, 3);
    assert.equal(put.body.quota.port, -1);
    assert.equal(put.body.quota.subnet, 100, 'the response has every limit');

    const list = await s.request('GET', '/v2.0/quotas', undefined, ADMIN);
    const entry = list.body.quotas.find((q: any) => q.project_id === 'project-u');
    assert.equal(entry.tenant_id, 'project-u');
    assert.equal(entry.network, 3);
    assert.equal(entry.subnet, 100);

    const bad: Array<[unknown, number, string]> = [
      [{ quota: { network: 'many' } }, 400, "Invalid input for operation: 'many' is not an integer."],
      [{ quota: { network: -2 } }, 400, "Invalid input for network. Reason: '-2' is too small - must be at least '-1'."],
      [{ quota: { network: 2 ** 31 } }, 400, "Invalid input for network. Reason: '2147483648' is too large - must be no larger than '2147483647'."],
      [{ quota: { widgets: 1 } }, 400, "Unrecognized attribute(s) 'widgets'"],
      [{ quote: {} }, 400, "Unable to find 'quota' in request body"],
    ];
    for (const [body, status, message] of bad) {
      const r = await s.request('PUT', '/v2.0/quotas/project-u', body, ADMIN);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.body.NeutronError.message, message);
    }

    for (const name of ['u1', 'u2']) assert.equal((await s.request('POST', '/v2.0/networks', { network: { name } }, P)).status, 201);
    const tooLow = await s.request('PUT', '/v2.0/quotas/project-u', { quota: { network: 1, check_limit: true } }, ADMIN);
    assert.equal(tooLow.status, 400);
    assert.equal(tooLow.body.NeutronError.message, 'Quota limit 1 for network must be greater than or equal to already used 2');
    const forced = await s.request('PUT', '/v2.0/quotas/project-u', { quota: { network: 1, force: true } }, ADMIN);
    assert.equal(forced.status, 200);
    assert.equal(forced.body.quota.network, 1);
    const over = await s.request('POST', '/v2.0/networks', { network: { name: 'u3' } }, P);
    assert.equal(over.status, 409);

    const reset = await s.request('DELETE', '/v2.0/quotas/project-u', undefined, ADMIN);
    assert.equal(reset.status, 204);
    assert.equal((await s.request('GET', '/v2.0/quotas/project-u', undefined, P)).body.quota.network, 10);
    const again = await s.request('DELETE', '/v2.0/quotas/project-u', undefined, ADMIN);
    assert.equal(again.status, 404);
    assert.equal(type(again), 'TenantQuotaNotFound');
    assert.equal(again.body.NeutronError.message, 'Quota for tenant project-u could not be found.');

    const post = await s.request('POST', '/v2.0/quotas', { quota: {} }, ADMIN);
    assert.equal(post.status, 501);
    assert.equal(post.body.NeutronError.message, 'POST requests are not supported on this resource.');
  });

  test('creates over the limit are 409 OverQuota, bulk creates count every item and leave nothing', async () => {
    const P = asProject('project-o');
    await s.request('PUT', '/v2.0/quotas/project-o', { quota: { network: 2 } }, ADMIN);
    assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: 'o1' } }, P)).status, 201);
    const bulk = await s.request('POST', '/v2.0/networks', { networks: [{ name: 'o2' }, { name: 'o3' }] }, P);
    assert.equal(bulk.status, 409);
    assert.equal(type(bulk), 'OverQuota');
    assert.equal(bulk.body.NeutronError.message, "Quota exceeded for resources: ['network'].");
    const listed = await s.request('GET', '/v2.0/networks?project_id=project-o', undefined, ADMIN);
    assert.deepEqual(listed.body.networks.map((n: any) => n.name), ['o1']);
    assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: 'o2' } }, P)).status, 201);
    const third = await s.request('POST', '/v2.0/networks', { network: { name: 'o3' } }, P);
    assert.equal(third.status, 409);
    // an admin creating for the project is held to the project's quota too
    const forProject = await s.request('POST', '/v2.0/networks', { network: { name: 'o4', project_id: 'project-o' } }, ADMIN);
    assert.equal(forProject.status, 409);
    // other projects are not affected, and freeing one makes room again
    assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: 'x' } }, asProject('project-x'))).status, 201);
    const id = listed.body.networks[0].id;
    assert.equal((await s.request('DELETE', `/v2.0/networks/${id}`, undefined, P)).status, 204);
    assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: 'o5' } }, P)).status, 201);
    // unlimited
    await s.request('PUT', '/v2.0/quotas/project-o', { quota: { network: -1 } }, ADMIN);
    assert.equal((await s.request('POST', '/v2.0/networks', { networks: [{}, {}, {}] }, P)).status, 201);
  });

  test('concurrent creates never overshoot the limit', async () => {
    const P = asProject('project-race');
    await s.request('PUT', '/v2.0/quotas/project-race', { quota: { network: 5 } }, ADMIN);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      s.request('POST', '/v2.0/networks', i % 3 === 0 ? { networks: [{ name: `r${i}a` }, { name: `r${i}b` }] } : { network: { name: `r${i}` } }, P)));
    const statuses = results.map((r) => r.status);
    assert.ok(statuses.every((st) => st === 201 || st === 409), statuses.join(','));
    assert.ok(results.filter((r) => r.status === 409).every((r) => type(r) === 'OverQuota'));
    const created = results.filter((r) => r.status === 201)
      .reduce((n, r) => n + (r.body.networks ? r.body.networks.length : 1), 0);
    const listed = await s.request('GET', '/v2.0/networks?project_id=project-race', undefined, ADMIN);
    assert.equal(listed.body.networks.length, created);
    assert.ok(created <= 5, `${created} networks for a quota of 5`);
    assert.ok(created >= 4, 'the quota is used, not refused wholesale');
    const details = await s.request('GET', '/v2.0/quotas/project-race/details', undefined, P);
    assert.equal(details.body.quota.network.used, created);
  });
});
