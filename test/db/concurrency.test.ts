// Several `neutron-ts server` processes on one database (NEUTRON_TS_TEST_DB), racing for the same
// allocations: every id is handed out once, the counts are exact, and the losers get Neutron's
// error, never a 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { Database } from '../../src/db/database.js';
import { serverConf, sharedDatabase, startCliServer, type CliServer, type SharedDatabase } from './processes.js';

const SERVERS = 3;
const VLANS = { min: 100, max: 111 }; // 12 tenant VLANs
const VNIS = { min: 5000, max: 5011 }; // 12 VNIs

interface Answer { status: number; body: any }

function errorCounts(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status < 300 ? String(a.status) : `${a.status} ${a.body?.NeutronError?.type ?? JSON.stringify(a.body)}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe('concurrent writers in several server processes on one database', () => {
  let shared: SharedDatabase;
  let servers: CliServer[] = [];
  let next = 0;

  /** Sends to the servers in turn, so that neighbouring requests race in different processes. */
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const server = servers[next++ % servers.length]!;
    const res = await request(`${server.url}${path}`, {
      method: method as any,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : null };
  }

  /** `n` requests fired at once. */
  function race(n: number, make: (i: number) => Promise<Answer>): Promise<Answer[]> {
    return Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  }

  before(async () => {
    shared = await sharedDatabase();
    const extra = [
      '[ml2]', 'type_drivers = local,flat,vlan,vxlan', 'tenant_network_types = vlan',
      '[ml2_type_vlan]', `network_vlan_ranges = physnet1:${VLANS.min}:${VLANS.max},physnet2`,
      '[ml2_type_vxlan]', `vni_ranges = ${VNIS.min}:${VNIS.max}`,
      // a small pool, so that requests also queue for connections
      '[database]', 'max_pool_size = 3', 'max_overflow = 2',
    ].join('\n');
    servers = await Promise.all(Array.from({ length: SERVERS }, () =>
      startCliServer(shared.dir, serverConf(shared.dir, shared.url, extra))));
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await shared?.drop();
  });

  test('tenant networks from a small VLAN range: each VLAN once, exactly the range, the rest NoNetworkAvailable', async () => {
    const size = VLANS.max - VLANS.min + 1;
    const answers = await race(size + 8, (i) => call('POST', '/v2.0/networks', { network: { name: `vlan-${i}` } },
      { 'x-project-id': `project-${i % 4}`, 'x-roles': 'member' }));
    assert.deepEqual(errorCounts(answers), { 201: size, '503 NoNetworkAvailable': 8 });
    // provider attributes are for admins' eyes: list as one
    const listed = (await call('GET', '/v2.0/networks?provider:network_type=vlan')).body.networks;
    assert.deepEqual(listed.map((n: any) => n.id).sort(), answers.filter((a) => a.status === 201).map((a) => a.body.network.id).sort());
    const ids = listed.map((n: any) => n['provider:segmentation_id']).sort((a: number, b: number) => a - b);
    assert.deepEqual(ids, Array.from({ length: size }, (_, i) => VLANS.min + i));
  });

  test('VXLAN networks (provider type without id) from a small VNI range, with deletes racing creates', async () => {
    const size = VNIS.max - VNIS.min + 1;
    const first = await race(size, () => call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }));
    assert.deepEqual(errorCounts(first), { 201: size });
    // free half of them while twice as many creates compete for the freed VNIs
    const doomed = first.slice(0, size / 2).map((a) => a.body.network.id);
    const answers = await race(doomed.length + size, (i) => i < doomed.length
      ? call('DELETE', `/v2.0/networks/${doomed[i]}`)
      : call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }));
    const deletes = answers.slice(0, doomed.length);
    const creates = answers.slice(doomed.length);
    assert.deepEqual(errorCounts(deletes), { 204: doomed.length });
    const created = creates.filter((a) => a.status === 201).length;
    assert.ok(created >= 0 && created <= doomed.length);
    for (const a of creates) if (a.status !== 201) assert.equal(a.body?.NeutronError?.type, 'NoNetworkAvailable', JSON.stringify(a));

    const listed = (await call('GET', '/v2.0/networks?provider:network_type=vxlan')).body.networks;
    assert.equal(listed.length, size - doomed.length + created);
    const vnis = listed.map((n: any) => n['provider:segmentation_id']);
    assert.equal(new Set(vnis).size, vnis.length, `duplicate VNIs: ${vnis}`);
    for (const v of vnis) assert.ok(v >= VNIS.min && v <= VNIS.max, `VNI ${v} outside the range`);

    // the database agrees: one allocation row per network, none left behind by the losers
    const db = new Database({ url: shared.url });
    try {
      const rows = await db.kysely.selectFrom('segment_allocations').select(['segmentation_id', 'network_id'])
        .where('network_type', '=', 'vxlan').execute();
      assert.deepEqual(rows.map((r) => Number(r.segmentation_id)).sort(), [...vnis].sort());
      const segments = await db.kysely.selectFrom('network_segments').select('network_id').where('network_type', '=', 'vxlan').execute();
      assert.equal(segments.length, listed.length);
    } finally {
      await db.close();
    }
  });

  test('one explicit VLAN asked for by many at once: one network gets it, the others VlanIdInUse', async () => {
    const answers = await race(9, (i) => call('POST', '/v2.0/networks', {
      network: { name: `want-42-${i}`, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 42 },
    }));
    assert.deepEqual(errorCounts(answers), { 201: 1, '409 VlanIdInUse': 8 });
    const listed = (await call('GET', '/v2.0/networks?provider:segmentation_id=42')).body.networks;
    assert.equal(listed.length, 1);
  });

  test('ports on a small subnet: each address and MAC once, exactly the pool, the rest IpAddressGenerationFailure', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'ports', 'provider:network_type': 'local' } })).body.network;
    const subnet = await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/28' } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const pool = Array.from({ length: 13 }, (_, i) => `10.9.0.${i + 2}`); // .1 is the gateway
    const answers = await race(pool.length + 7, (i) => call('POST', '/v2.0/ports', { port: { network_id: net.id, name: `p${i}` } }));
    assert.deepEqual(errorCounts(answers), { 201: pool.length, '409 IpAddressGenerationFailure': 7 });

    const ports = (await call('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports;
    assert.equal(ports.length, pool.length);
    const ips = ports.flatMap((p: any) => p.fixed_ips.map((f: any) => f.ip_address));
    assert.deepEqual([...ips].sort(), [...pool].sort());
    assert.equal(new Set(ports.map((p: any) => p.mac_address)).size, ports.length);
    const db = new Database({ url: shared.url });
    try {
      const rows = await db.kysely.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnet.body.subnet.id).execute();
      assert.deepEqual(rows.map((r) => r.ip_address).sort(), [...pool].sort());
      const free = await db.kysely.selectFrom('ipam_availability_ranges').select('first_ip').where('subnet_id', '=', subnet.body.subnet.id).execute();
      assert.deepEqual(free, [], 'the pool is used up, and its free ranges say so');
    } finally {
      await db.close();
    }
  });

  test('bulk creates racing for one subnet: whole bulks succeed, the others leave nothing behind', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'bulk', 'provider:network_type': 'local' } })).body.network;
    // 10.9.3.1 - 10.9.3.20: room for four bulks of five
    const subnet = await call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.3.0/24', gateway_ip: null, allocation_pools: [{ start: '10.9.3.1', end: '10.9.3.20' }] },
    });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const answers = await race(6, (b) => call('POST', '/v2.0/ports', {
      ports: Array.from({ length: 5 }, (_, i) => ({ network_id: net.id, name: `bulk-${b}-${i}` })),
    }));
    assert.deepEqual(errorCounts(answers), { 201: 4, '409 IpAddressGenerationFailure': 2 });
    const ports = (await call('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports;
    const bulks = new Set(ports.map((p: any) => p.name.split('-')[1]));
    assert.equal(ports.length, 20);
    assert.equal(bulks.size, 4, 'every bulk is there whole or not at all');
    assert.equal(new Set(ports.map((p: any) => p.fixed_ips[0].ip_address)).size, 20);
  });

  test('one fixed IP and one MAC address wanted by many: one port gets each, the others are told it is in use', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'wanted', 'provider:network_type': 'local' } })).body.network;
    const subnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.1.0/24' } })).body.subnet;
    const byIp = await race(8, () => call('POST', '/v2.0/ports', {
      port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.9.1.50' }] },
    }));
    assert.deepEqual(errorCounts(byIp), { 201: 1, '409 IpAddressAlreadyAllocated': 7 });
    const byMac = await race(8, () => call('POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: 'fa:16:3e:12:34:56' } }));
    assert.deepEqual(errorCounts(byMac), { 201: 1, '409 MacAddressInUse': 7 });
    const ports = (await call('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports;
    assert.equal(ports.length, 2, 'the losers left no port behind');
  });

  test('subnets from one subnet pool: each prefix once and none overlapping, the rest SubnetAllocationError', async () => {
    const sp = await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'sp', prefixes: ['10.20.0.0/24'], default_prefixlen: 28 } });
    assert.equal(sp.status, 201, JSON.stringify(sp.body));
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'pooled', 'provider:network_type': 'local' } })).body.network;
    const answers = await race(16 + 4, () => call('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, ip_version: 4, subnetpool_id: sp.body.subnetpool.id },
    }));
    // Neutron's SubnetAllocationError is a plain NeutronException: 500, with its own type and message
    assert.deepEqual(errorCounts(answers), { 201: 16, '500 SubnetAllocationError': 4 });
    const cidrs = answers.filter((a) => a.status === 201).map((a) => a.body.subnet.cidr).sort();
    assert.deepEqual(cidrs, Array.from({ length: 16 }, (_, i) => `10.20.0.${i * 16}/28`).sort());
    const listed = (await call('GET', `/v2.0/subnets?subnetpool_id=${sp.body.subnetpool.id}`)).body.subnets;
    assert.equal(listed.length, 16);
  });

  test('a network deleted while ports are created on it: no port outlives it, nobody gets a 500', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'doomed', 'provider:network_type': 'local' } })).body.network;
    await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.2.0/24' } });
    const answers = await race(13, (i) => i === 6
      ? call('DELETE', `/v2.0/networks/${net.id}`)
      : call('POST', '/v2.0/ports', { port: { network_id: net.id, name: `late-${i}` } }));
    const deleted = answers[6]!;
    const ports = answers.filter((_, i) => i !== 6);
    for (const a of ports) assert.ok(a.status === 201 || (a.status === 404 && a.body.NeutronError.type === 'NetworkNotFound'), JSON.stringify(a));
    const created = ports.filter((a) => a.status === 201).length;
    if (deleted.status === 204) {
      assert.equal(created, 0, 'ports created before the delete would have kept the network');
      assert.equal((await call('GET', `/v2.0/networks/${net.id}`)).status, 404);
      assert.deepEqual((await call('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports, []);
    } else {
      assert.equal(deleted.status, 409, JSON.stringify(deleted));
      assert.equal(deleted.body.NeutronError.type, 'NetworkInUse');
      assert.ok(created > 0);
      assert.equal((await call('GET', `/v2.0/ports?network_id=${net.id}`)).body.ports.length, created);
    }
  });

  test('concurrent updates of one network count every revision', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'rev', 'provider:network_type': 'local' } })).body.network;
    const answers = await race(12, (i) => call('PUT', `/v2.0/networks/${net.id}`, { network: { description: `d${i}` } }));
    assert.deepEqual(errorCounts(answers), { 200: 12 });
    const after = (await call('GET', `/v2.0/networks/${net.id}`)).body.network;
    assert.equal(after.revision_number, net.revision_number + 12);
    const seen = answers.map((a) => a.body.network.revision_number).sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => net.revision_number + 1 + i), 'each update saw its own revision');
  });
});
