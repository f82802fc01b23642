import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, asProject, startServer } from '../support/server.js';

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

// A streamed list reads only what the caller sees or what policy reads; it must still give exactly
// what showing each port gives, and the same policy answers, with and without fields=.
test('port lists equal the ports shown one by one, for members, network owners and admins, with fields=', async () => {
  const s = await startServer({ quotas: { quota_port: -1 } });
  try {
    const a = asProject('pa');
    const b = asProject('pb');
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'owned-by-b' } }, b)).body.network;
    const sn = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/16' } }, b)).body.subnet;
    // 300 ports of project pa on pb's network (more than one batch), one of them with everything set
    const ports = Array.from({ length: 300 }, (_, i) => ({ network_id: net.id, project_id: 'pa', name: `p${i}`, device_id: `vm-${i % 7}` }));
    Object.assign(ports[0]!, {
      'binding:host_id': 'h1', 'binding:profile': { k: 'v' }, allowed_address_pairs: [{ ip_address: '10.9.9.9' }],
      extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: '10.0.0.1' }], fixed_ips: [{ subnet_id: sn.id }, { subnet_id: sn.id }],
    });
    const created = await s.request('POST', '/v2.0/ports', { ports }, ADMIN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const first = created.body.ports[0];
    assert.equal((await s.request('PUT', `/v2.0/ports/${first.id}/tags`, { tags: ['z', 'a'] }, ADMIN)).status, 200);

    for (const [who, headers] of [['member', a], ['network owner', b], ['admin', ADMIN]] as const) {
      const list = (await s.request('GET', '/v2.0/ports', undefined, headers)).body.ports;
      assert.equal(list.length, 300, who);
      for (const p of [list[0], list.find((x: any) => x.id === first.id), list[299]]) {
        const shown = (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, headers)).body.port;
        assert.deepEqual(p, shown, `${who}: a listed port is the port shown`);
      }
      const full = list.find((x: any) => x.id === first.id);
      assert.deepEqual(full.tags, ['a', 'z']);
      assert.equal(full.fixed_ips.length, 2);
      assert.equal('binding:host_id' in full, who === 'admin', `${who}: binding:host_id is admin-only`);
      assert.equal(full['binding:vnic_type'], 'normal');

      const some = (await s.request('GET', '/v2.0/ports?fields=id&fields=fixed_ips&fields=binding:profile', undefined, headers)).body.ports;
      assert.equal(some.length, 300, `${who}: fields= does not change which ports policy shows`);
      const mine = some.find((x: any) => x.id === first.id);
      assert.deepEqual(Object.keys(mine).sort(), who === 'admin' ? ['binding:profile', 'fixed_ips', 'id'] : ['fixed_ips', 'id']);
      assert.deepEqual(mine.fixed_ips, full.fixed_ips);
      if (who === 'admin') assert.deepEqual(mine['binding:profile'], { k: 'v' });

      const page = (await s.request('GET', '/v2.0/ports?limit=50&fields=id&fields=fixed_ips', undefined, headers)).body;
      assert.equal(page.ports.length, 50, `${who}: a page (not streamed) with fields= shows the same ports`);
      assert.equal(page.ports_links[0].rel, 'next');
      assert.ok(page.ports.every((x: any) => Object.keys(x).sort().join() === 'fixed_ips,id' && x.fixed_ips.length >= 1));

      const byDevice = (await s.request('GET', '/v2.0/ports?device_id=vm-3&fields=name', undefined, headers)).body.ports;
      assert.deepEqual(byDevice.map((x: any) => x.name).sort(), ports.filter((x) => x.device_id === 'vm-3').map((x) => x.name).sort());
    }
    const stranger = (await s.request('GET', '/v2.0/ports?fields=id', undefined, asProject('pc'))).body.ports;
    assert.deepEqual(stranger, []);
  } finally {
    await s.close();
  }
});
