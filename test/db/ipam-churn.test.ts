// Addresses freed and taken at once by several server processes on one database: the free ranges
// (split on allocation, merged on release) must end up describing exactly the addresses no port
// holds — nothing leaked, nothing handed out twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { Database } from '../../src/db/database.js';
import { formatIp } from '../../src/lib/address.js';
import { serverConf, sharedDatabase, startCliServer, type CliServer, type SharedDatabase } from './processes.js';

interface Answer { status: number; body: any }

describe('IPAM churn across server processes', () => {
  let shared: SharedDatabase;
  let servers: CliServer[] = [];
  let next = 0;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const server = servers[next++ % servers.length]!;
    const res = await request(`${server.url}${path}`, {
      method: method as any, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : null };
  }

  before(async () => {
    shared = await sharedDatabase();
    servers = await Promise.all(Array.from({ length: 3 }, () => startCliServer(shared.dir, serverConf(shared.dir, shared.url))));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await shared?.drop();
  });

  test('rounds of deletes racing creates on a full /27 keep the free ranges exact', async () => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'churn' } })).body.network;
    const subnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.30.0.0/27' } })).body.subnet;
    const pool = Array.from({ length: 29 }, (_, i) => `10.30.0.${i + 2}`);
    const create = () => call('POST', '/v2.0/ports', { port: { network_id: net.id } });
    let ports = (await Promise.all(pool.map(create))).map((a) => {
      assert.equal(a.status, 201, JSON.stringify(a.body));
      return a.body.port;
    });

    for (let round = 0; round < 4; round++) {
      // every other port goes while as many new ones (plus three too many) come
      const doomed = ports.filter((_, i) => i % 2 === round % 2);
      const kept = ports.filter((p) => !doomed.includes(p));
      const answers = await Promise.all([
        ...doomed.map((p) => call('DELETE', `/v2.0/ports/${p.id}`)),
        ...Array.from({ length: doomed.length + 3 }, create),
      ]);
      for (const a of answers.slice(0, doomed.length)) assert.equal(a.status, 204);
      const creates = answers.slice(doomed.length);
      for (const a of creates) {
        assert.ok(a.status === 201 || (a.status === 409 && a.body.NeutronError.type === 'IpAddressGenerationFailure'), JSON.stringify(a));
      }
      ports = [...kept, ...creates.filter((a) => a.status === 201).map((a) => a.body.port)];
      // the losers of the race for freed addresses try again once the deletes are in
      while (ports.length < pool.length) {
        const again = await create();
        assert.equal(again.status, 201, `${ports.length} ports hold ${pool.length} addresses: ${JSON.stringify(again.body)}`);
        ports.push(again.body.port);
      }
      const full = await create();
      assert.deepEqual([full.status, full.body.NeutronError.type], [409, 'IpAddressGenerationFailure'], `round ${round}`);
      const ips = ports.map((p: any) => p.fixed_ips[0].ip_address);
      assert.deepEqual([...ips].sort(), [...pool].sort(), `round ${round}: every address once`);
    }

    // half the pool free again: its ranges are exactly the addresses no port holds, none twice
    // (releases racing for adjacent addresses may leave them in ranges of their own: unmerged)
    const gone = ports.filter((_, i) => i % 3 !== 0);
    await Promise.all(gone.map((p) => call('DELETE', `/v2.0/ports/${p.id}`)));
    const held = new Set(ports.filter((p) => !gone.includes(p)).map((p: any) => p.fixed_ips[0].ip_address));
    const db = new Database({ url: shared.url });
    try {
      const ranges = await db.kysely.selectFrom('ipam_availability_ranges').select(['first_ip', 'last_ip'])
        .where('subnet_id', '=', subnet.id).orderBy('first_ip').execute();
      const free: string[] = [];
      for (const r of ranges) {
        for (let v = BigInt(`0x${r.first_ip}`); v <= BigInt(`0x${r.last_ip}`); v++) free.push(formatIp(4, v));
      }
      assert.deepEqual(free, pool.filter((a) => !held.has(a)), 'free ranges = the pool less the held addresses');
      for (let i = 1; i < ranges.length; i++) {
        assert.ok(BigInt(`0x${ranges[i]!.first_ip}`) > BigInt(`0x${ranges[i - 1]!.last_ip}`), 'free ranges do not overlap');
      }
      const rows = await db.kysely.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
      assert.deepEqual(rows.map((r) => r.ip_address).sort(), [...held].sort());
    } finally {
      await db.close();
    }
  });
});
