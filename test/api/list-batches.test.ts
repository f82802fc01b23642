import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asProject, startServer } from '../support/server.js';

// Lists without a limit are read, extended and sent 1,000 items at a time (SqlResource.listBatches).
test('a list of more than one batch is whole, valid JSON, filtered, policy-checked and field-limited', async () => {
  const s = await startServer({ quotas: { quota_network: -1 } });
  try {
    const mine = asProject('p1');
    const names: string[] = [];
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({ network: { name: `net-${b * 100 + i}`, admin_state_up: i % 2 === 0 } }));
      const r = await s.request('POST', '/v2.0/networks', { networks: batch }, mine);
      assert.equal(r.status, 201);
      names.push(...batch.map((x) => x.network.name));
    }
    assert.equal((await s.request('POST', '/v2.0/networks', { network: { name: 'other' } }, asProject('p2'))).status, 201);

    const all = await s.request('GET', '/v2.0/networks', undefined, mine);
    assert.equal(all.status, 200);
    assert.match(String(all.headers['content-type']), /^application\/json/);
    assert.deepEqual(all.body.networks.map((n: any) => n.name).sort(), [...names].sort());
    assert.equal(new Set(all.body.networks.map((n: any) => n.id)).size, 1200);
    assert.ok(all.body.networks.every((n: any) => n.subnets && n.status === 'ACTIVE'), 'every item is extended');
    assert.ok(all.body.networks.every((n: any) => !('provider:network_type' in n)), 'policy hides admin-only attributes');

    const admin = await s.request('GET', '/v2.0/networks');
    assert.equal(admin.body.networks.length, 1201);

    const up = await s.request('GET', '/v2.0/networks?admin_state_up=true&fields=id&fields=name', undefined, mine);
    assert.equal(up.body.networks.length, 600);
    assert.deepEqual(Object.keys(up.body.networks[0]).sort(), ['id', 'name']);

    const none = await s.request('GET', '/v2.0/networks?name=nothing', undefined, mine);
    assert.deepEqual(none.body, { networks: [] });

    const bad = await s.request('GET', '/v2.0/networks?admin_state_up=maybe', undefined, mine);
    assert.equal(bad.status, 400, 'errors found before the first batch keep their status');

    const page = await s.request('GET', '/v2.0/networks?limit=1000', undefined, mine);
    assert.equal(page.body.networks.length, 1000);
    assert.equal(page.body.networks_links[0].rel, 'next');
  } finally {
    await s.close();
  }
});
