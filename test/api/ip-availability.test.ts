import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

describe('network-ip-availabilities', () => {
  let s: TestServer;
  let net: any;
  let v4: any;
  let v6: any;
  before(async () => {
    s = await startServer();
    net = (await s.request('POST', '/v2.0/networks', { network: { name: 'avail' } }, A)).body.network;
    v4 = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24', name: 'v4',
      allocation_pools: [{ start: '10.0.0.10', end: '10.0.0.19' }, { start: '10.0.0.100', end: '10.0.0.149' }] } }, A)).body.subnet;
    v6 = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 6, cidr: '2001:db8::/64', name: 'v6' } }, A)).body.subnet;
    for (let i = 0; i < 3; i++) await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, A);
    // an address outside the pools is used too
    await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.200' }] } }, A);
    await s.request('POST', '/v2.0/networks', { network: { name: 'empty' } }, A);
  });
  after(() => s.close());

  test('totals are the pools\' sizes, used counts every allocation; exact integers past 2^53', async () => {
    const res = await request(`${s.url}/v2.0/network-ip-availabilities/${net.id}`, { headers: ADMIN });
    assert.equal(res.statusCode, 200);
    const text = await res.body.text();
    const v6Total = (2n ** 64n - 1n).toString();
    assert.match(text, new RegExp(`"total_ips":${v6Total}[,}]`), 'a /64 is written as an exact integer');
    assert.match(text, new RegExp(`"total_ips":${(2n ** 64n - 1n + 60n).toString()}[,}]`));
    const body = JSON.parse(text).network_ip_availability;
    assert.equal(body.network_id, net.id);
    assert.equal(body.network_name, 'avail');
    assert.equal(body.tenant_id, 'project-a');
    assert.equal(body.project_id, 'project-a');
    assert.equal(body.used_ips, 4 + 3, 'four IPv4 addresses, three stateful IPv6 ones (the port with explicit fixed IPs has none)');
    const byId = new Map(body.subnet_ip_availability.map((x: any) => [x.subnet_id, x]));
    assert.deepEqual(byId.get(v4.id), { subnet_id: v4.id, ip_version: 4, cidr: '10.0.0.0/24', subnet_name: 'v4', used_ips: 4, total_ips: 60 });
    assert.equal((byId.get(v6.id) as any).used_ips, 3);
  });

  test('list with filters, networks without subnets included; admin only', async () => {
    const all = await s.request('GET', '/v2.0/network-ip-availabilities', undefined, ADMIN);
    assert.equal(all.status, 200);
    const names = all.body.network_ip_availabilities.map((x: any) => x.network_name).sort();
    assert.deepEqual(names, ['avail', 'empty']);
    const empty = all.body.network_ip_availabilities.find((x: any) => x.network_name === 'empty');
    assert.deepEqual([empty.total_ips, empty.used_ips, empty.subnet_ip_availability], [0, 0, []]);
    const v4only = await s.request('GET', '/v2.0/network-ip-availabilities?ip_version=4', undefined, ADMIN);
    assert.deepEqual(v4only.body.network_ip_availabilities.map((x: any) => [x.network_name, x.total_ips, x.subnet_ip_availability.length]), [['avail', 60, 1]]);
    const byName = await s.request('GET', '/v2.0/network-ip-availabilities?network_name=empty', undefined, ADMIN);
    assert.equal(byName.body.network_ip_availabilities.length, 1);
    const byProject = await s.request('GET', '/v2.0/network-ip-availabilities?project_id=nobody', undefined, ADMIN);
    assert.deepEqual(byProject.body.network_ip_availabilities, []);
    const fields = await s.request('GET', `/v2.0/network-ip-availabilities/${net.id}?fields=used_ips`, undefined, ADMIN);
    assert.deepEqual(fields.body.network_ip_availability, { used_ips: 7 });

    assert.deepEqual((await s.request('GET', '/v2.0/network-ip-availabilities', undefined, A)).body.network_ip_availabilities, [], 'admin only by default');
    assert.equal((await s.request('GET', `/v2.0/network-ip-availabilities/${net.id}`, undefined, A)).status, 404);
    const missing = await s.request('GET', '/v2.0/network-ip-availabilities/11111111-2222-3333-4444-555555555555', undefined, ADMIN);
    assert.deepEqual([missing.status, missing.body.NeutronError.type], [404, 'NetworkNotFound']);
    const ext = await s.request('GET', '/v2.0/extensions/network-ip-availability', undefined, ADMIN);
    assert.equal(ext.status, 200);
  });
});
