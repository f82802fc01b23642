import { test } from 'node:test';
import assert from 'node:assert/strict';

// The counter is switched on by the environment when its module loads: set it before importing the server.
process.env.NEUTRON_TS_COUNT_SQL = '1';
const { startServer } = await import('../support/server.js');

test('x-sql-statements counts the statements of each request, and a list costs the same for 1 or 30 networks', async () => {
  const s = await startServer();
  try {
    const statements = (r: { headers: Record<string, unknown> }) => Number(r.headers['x-sql-statements']);
    const created = await s.request('POST', '/v2.0/networks', { network: { name: 'n0' } });
    assert.equal(created.status, 201);
    assert.ok(statements(created) >= 3, `a create runs BEGIN, INSERT..., COMMIT: ${statements(created)}`);

    const one = await s.request('GET', '/v2.0/networks');
    assert.equal(one.body.networks.length, 1);
    for (let i = 1; i < 30; i++) assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: `n${i}` } })).status, 201);
    const many = await s.request('GET', '/v2.0/networks');
    assert.equal(many.body.networks.length, 30);
    assert.ok(statements(one) > 0);
    assert.equal(statements(many), statements(one), 'listing is set-based: no statement per row');

    const missing = await s.request('GET', '/v2.0/networks/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.ok(statements(missing) >= 1, 'failed requests are counted too');

    const deleted = await s.request('DELETE', `/v2.0/networks/${created.body.network.id}`);
    assert.equal(deleted.status, 204);
    assert.ok(statements(deleted) >= 3, `a 204 carries the count too: ${statements(deleted)}`);
  } finally {
    await s.close();
  }
});

test('a bulk create reads its objects back set-based: each more item costs only its own inserts', async () => {
  const s = await startServer({ quotas: { quota_network: -1 } });
  try {
    const statements = (r: { headers: Record<string, unknown> }) => Number(r.headers['x-sql-statements']);
    const bulk = async (n: number) => {
      const r = await s.request('POST', '/v2.0/networks', { networks: Array.from({ length: n }, (_, i) => ({ network: { name: `b${n}-${i}` } })) });
      assert.equal(r.status, 201);
      assert.equal(r.body.networks.length, n);
      assert.ok(r.body.networks.every((x: any) => x.status === 'ACTIVE' && Array.isArray(x.subnets)), 'the objects are shown extended');
      return statements(r);
    };
    const single = statements(await s.request('POST', '/v2.0/networks', { network: { name: 'one' } }));
    const perItem = ((await bulk(20)) - (await bulk(10))) / 10;
    assert.ok(perItem < single / 2, `${perItem} statements per more item, ${single} for a whole create`);
  } finally {
    await s.close();
  }
});
