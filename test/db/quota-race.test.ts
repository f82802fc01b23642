// Quota enforcement with several `neutron-ts server` processes on one database (NEUTRON_TS_TEST_DB):
// concurrent creates in one project, spread over the processes, never overshoot its limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { serverConf, sharedDatabase, startCliServer, type CliServer, type SharedDatabase } from './processes.js';

const SERVERS = 3;
const PROJECT = { 'x-project-id': 'project-quota', 'x-roles': 'member' };

describe('quotas across server processes', () => {
  let shared: SharedDatabase;
  let servers: CliServer[] = [];

  async function call(i: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await request(`${servers[i % servers.length]!.url}${path}`, {
      method: method as any, headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : null };
  }

  before(async () => {
    shared = await sharedDatabase();
    servers = await Promise.all(Array.from({ length: SERVERS }, () =>
      startCliServer(shared.dir, serverConf(shared.dir, shared.url, '[database]\nmax_pool_size = 3\nmax_overflow = 2'))));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await shared?.drop();
  });

  test('30 creates racing for a quota of 7 networks: 7 succeed, the rest OverQuota, none 500', async () => {
    const set = await call(0, 'PUT', '/v2.0/quotas/project-quota', { quota: { network: 7 } });
    assert.equal(set.status, 200);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      call(i, 'POST', '/v2.0/networks', i % 5 === 0 ? { networks: [{ name: `b${i}` }, { name: `c${i}` }] } : { network: { name: `n${i}` } }, PROJECT)));
    const statuses = answers.map((a) => (a.status < 300 ? a.status : `${a.status} ${a.body?.NeutronError?.type}`));
    assert.ok(statuses.every((st) => st === 201 || st === '409 OverQuota'), JSON.stringify(statuses));
    const created = answers.filter((a) => a.status === 201).reduce((n, a) => n + (a.body.networks?.length ?? 1), 0);
    const listed = await call(1, 'GET', '/v2.0/networks?project_id=project-quota');
    assert.equal(listed.body.networks.length, created);
    assert.ok(created <= 7, `${created} networks for a quota of 7`);
    assert.ok(created >= 6, `only ${created} of 7 used`);
    const details = await call(2, 'GET', '/v2.0/quotas/project-quota/details', undefined, PROJECT);
    assert.deepEqual(details.body.quota.network, { limit: 7, used: created, reserved: 0 });
  });
});
