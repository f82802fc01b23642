// What the database could change in the API's answers, checked on whichever backend
// NEUTRON_TS_TEST_DB names: every backend must answer exactly as the embedded SQLite does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

describe('the same answers on every database', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      ml2: { type_drivers: ['local', 'gre'], tenant_network_types: ['local'] },
      ml2_type_gre: { tunnel_id_ranges: ['1:10'] },
    });
  });
  after(() => s?.close());

  const names = (r: { body: any }) => r.body.networks.map((n: any) => n.name);

  test('strings compare and sort by code point: case, trailing spaces and non-ASCII count', async () => {
    const all = ['net', 'Net', 'net ', 'nét', 'ñet 😀', 'é'.repeat(255)];
    for (const name of all) assert.equal((await s.request('POST', '/v2.0/networks', { network: { name } })).status, 201);
    const q = (name: string) => s.request('GET', `/v2.0/networks?name=${encodeURIComponent(name)}`);
    assert.deepEqual(names(await q('net')), ['net']);
    assert.deepEqual(names(await q('Net')), ['Net']);
    assert.deepEqual(names(await q('net ')), ['net ']);
    assert.deepEqual(names(await q('ñet 😀')), ['ñet 😀']);
    assert.deepEqual(names(await q('é'.repeat(255))), ['é'.repeat(255)]);
    const sorted = await s.request('GET', '/v2.0/networks?sort_key=name&sort_dir=asc');
    assert.deepEqual(names(sorted), ['Net', 'net', 'net ', 'nét', 'é'.repeat(255), 'ñet 😀']);
    // pagination walks the same order
    const seen: string[] = [];
    let page = await s.request('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2');
    for (let i = 0; i < 5 && page.body.networks.length; i++) {
      seen.push(...names(page));
      const next = page.body.networks_links?.find((l: any) => l.rel === 'next');
      if (!next) break;
      page = await s.request('GET', new URL(next.href).pathname + new URL(next.href).search);
    }
    assert.deepEqual(seen, names(sorted));
    for (const n of (await s.request('GET', '/v2.0/networks')).body.networks) await s.request('DELETE', `/v2.0/networks/${n.id}`);
  });

  test('NULL sorts first ascending and last descending', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'nulls' } })).body.network;
    for (const [cidr, gateway_ip] of [['10.1.0.0/24', '10.1.0.1'], ['10.2.0.0/24', null], ['10.3.0.0/24', '10.3.0.1']]) {
      const r = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr, gateway_ip } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const order = async (dir: string) => (await s.request('GET', `/v2.0/subnets?network_id=${net.id}&sort_key=gateway_ip&sort_dir=${dir}`))
      .body.subnets.map((x: any) => x.gateway_ip);
    assert.deepEqual(await order('asc'), [null, '10.1.0.1', '10.3.0.1']);
    assert.deepEqual(await order('desc'), ['10.3.0.1', '10.1.0.1', null]);
    // and pages walk past NULLs, both ways
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.4.0.0/24', gateway_ip: null } });
    const link = (r: { body: any }, rel: string) => {
      const l = r.body.subnets_links?.find((x: any) => x.rel === rel);
      return r.body.subnets.length && l ? new URL(l.href).pathname + new URL(l.href).search : '';
    };
    for (const dir of ['asc', 'desc']) {
      // two subnets have no gateway: id breaks the tie, as pagination does, so both lists agree
      const base = `/v2.0/subnets?network_id=${net.id}&sort_key=gateway_ip&sort_dir=${dir}&sort_key=id&sort_dir=asc`;
      const whole = (await s.request('GET', base)).body.subnets.map((x: any) => x.id);
      const paged: string[] = [];
      for (let path = `${base}&limit=1`, i = 0; path && i < 6; i++) {
        const r = await s.request('GET', path);
        paged.push(...r.body.subnets.map((x: any) => x.id));
        path = link(r, 'next');
      }
      assert.deepEqual(paged, whole, `paging ${dir}`);
      const back: string[] = [];
      for (let path = `${base}&limit=1&marker=${whole.at(-1)}&page_reverse=True`, i = 0; path && i < 6; i++) {
        const r = await s.request('GET', path);
        back.unshift(...r.body.subnets.map((x: any) => x.id));
        path = link(r, 'previous');
      }
      assert.deepEqual(back, whole.slice(0, -1), `paging ${dir} backwards`);
    }
  });

  test('a filter or id value that no column could hold matches nothing, as on SQLite', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'plain' } })).body.network;
    const count = async (query: string) => {
      const r = await s.request('GET', `/v2.0/networks?${query}`);
      assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
      return r.body.networks.length;
    };
    assert.equal(await count('mtu=99999999999999999999'), 0);
    assert.equal(await count('mtu=-3000000000'), 0);
    assert.equal(await count(`name=plain&mtu=${net.mtu}&mtu=99999999999999999999`), 1);
    assert.equal(await count('provider:segmentation_id=99999999999999999999'), 0);
    assert.equal(await count('revision_number=abc'), 0);
    assert.equal(await count('name=pl%00ain'), 0);
    assert.equal((await s.request('GET', '/v2.0/networks/a%00b')).status, 404);
    await s.request('DELETE', `/v2.0/networks/${net.id}`);
  });

  test('a port the database refuses part-way (NUL in a name, on PostgreSQL) is a 400 that leaves nothing behind', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'refused' } })).body.network;
    // a /29 with the gateway at .1: five addresses to give
    assert.equal((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/29' } })).status, 201);
    const r = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'a\u0000b' } });
    if (s.backend === 'postgresql') {
      // the insert goes to the server unawaited; its error comes back with a later statement
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.type, 'InvalidInput');
    } else {
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.port.name, 'a\u0000b');
    }
    const ports = async () => (await s.request('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports.length;
    assert.equal(await ports(), r.status === 201 ? 1 : 0);
    // and the address it would have had is still free: the pool gives each address once, then runs out
    const addresses = new Set<string>();
    for (let i = await ports(); i < 5; i++) {
      const p = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      addresses.add(p.body.port.fixed_ips[0].ip_address);
    }
    assert.equal(addresses.size, 5 - (r.status === 201 ? 1 : 0));
    const full = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } });
    assert.equal(full.status, 409);
    assert.equal(full.body.NeutronError.type, 'IpAddressGenerationFailure');
  });

  test('booleans and large integers round-trip with their JSON types', async () => {
    const r = await s.request('POST', '/v2.0/networks', {
      network: { name: 'types', admin_state_up: false, 'provider:network_type': 'gre', 'provider:segmentation_id': 2 ** 32 - 1 },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const got = (await s.request('GET', `/v2.0/networks/${r.body.network.id}`)).body.network;
    assert.equal(got.admin_state_up, false);
    assert.equal(got.shared, false);
    assert.equal(got['provider:segmentation_id'], 4294967295);
    assert.equal(got.revision_number, 0);
    assert.equal(typeof got.mtu, 'number');
    const filtered = await s.request('GET', '/v2.0/networks?admin_state_up=false&provider:segmentation_id=4294967295');
    assert.deepEqual(names(filtered), ['types']);
  });
});
