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
  } finally {
    await s.close();
  }
});
