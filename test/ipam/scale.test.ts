// A /16 with 60,000 ports: allocating one more address costs the same statements as on an empty
// subnet (availability ranges, no scan of the allocations), and the free ranges stay few.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

// read when the database modules load, so set before any of them is imported
process.env.NEUTRON_TS_COUNT_SQL = '1';
const { startServer, ADMIN } = await import('../support/server.js');
const { allocateAny } = await import('../../src/ipam/allocator.js');

const FILL = 60_000;

describe('IPAM at scale', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let net: any;
  let subnet: any;
  const statements = (res: { headers: Record<string, unknown> }) => Number(res.headers['x-sql-statements']);

  before(async () => {
    s = await startServer();
    net = (await s.request('POST', '/v2.0/networks', { network: { name: 'big' } }, ADMIN)).body.network;
    subnet = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/16' } }, ADMIN)).body.subnet;
  });
  after(() => s.close());

  /** After a long pause the client's idle keep-alive connection may be gone: open a new one. */
  const reconnect = () => s.request('GET', '/').catch(() => undefined);

  /** `count` more ports on the subnet, through the allocator itself, in a few big transactions. */
  async function fill(count: number, from: number): Promise<void> {
    const ipam = { id: subnet.id, networkId: net.id, ipVersion: 4 as const };
    for (let done = 0; done < count; done += 5000) {
      const batch = Math.min(5000, count - done);
      await s.server.db.write(async (tx) => {
        const ids = Array.from({ length: batch }, (_, i) => `fill-${from + done + i}`);
        for (let i = 0; i < ids.length; i += 250) {
          await tx.insertInto('ports').values(ids.slice(i, i + 250).map((id, j) => ({
            id, project_id: 'p', network_id: net.id, mac_address: `02:00:00:${(from + done + i + j).toString(16).padStart(6, '0').replace(/(..)(?!$)/g, '$1:')}`,
            admin_state_up: 1, status: 'DOWN', created_at: 'x', updated_at: 'x',
          }))).execute();
        }
        for (const id of ids) assert.ok(await allocateAny(tx, ipam, id), 'the pool is not exhausted yet');
      });
    }
  }

  test('port create and show cost (nearly) the same statements on an empty and on a nearly full /16', async () => {
    // the project's first port may do one-time work (its default security group)
    assert.equal((await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, ADMIN)).status, 201);
    const first = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, ADMIN);
    assert.equal(first.status, 201);
    const createEmpty = statements(first);
    const showEmpty = statements(await s.request('GET', `/v2.0/ports/${first.body.port.id}`, undefined, ADMIN));
    assert.ok(createEmpty > 0 && createEmpty < 40, `a port create is a small number of statements (${createEmpty})`);

    await fill(FILL, 0);
    const ranges = await s.server.db.kysely.selectFrom('ipam_availability_ranges').select((eb) => eb.fn.countAll().as('n'))
      .where('subnet_id', '=', subnet.id).executeTakeFirstOrThrow();
    assert.ok(Number(ranges.n) < 2000, `free space stays a few ranges (${ranges.n}) after ${FILL} allocations`);
    await reconnect();

    const later = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, ADMIN);
    assert.equal(later.status, 201);
    // taking an address from a free range is one statement, or two when it splits the range
    assert.ok(Math.abs(statements(later) - createEmpty) <= 1, `allocation does not grow with the subnet's use (${createEmpty} then ${statements(later)})`);
    assert.equal(statements(await s.request('GET', `/v2.0/ports/${later.body.port.id}`, undefined, ADMIN)), showEmpty);
    const specific = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.0.255.200' }] } }, ADMIN);
    assert.equal(specific.status, 201);
    assert.ok(statements(specific) <= createEmpty + 2, 'a specific address costs about the same');
  });

  test('listing 10,000 of the ports is a bounded number of statements', async () => {
    const res = await s.request('GET', `/v2.0/ports?network_id=${net.id}&limit=10000`, undefined, ADMIN);
    assert.equal(res.body.ports.length, 10000);
    // one select of the ports, then each kind of detail for 1,000 ports at a time
    assert.ok(statements(res) <= 2 + 10 * 8, `${statements(res)} statements`);
    const ips = new Set(res.body.ports.map((p: any) => p.fixed_ips[0].ip_address));
    assert.equal(ips.size, 10000, 'no address twice');
  });

  test('filling the rest: every address once, then IpAddressGenerationFailure', async () => {
    const total = 65534 - 1; // .1 is the gateway
    const used = await s.server.db.kysely.selectFrom('ipallocations').select((eb) => eb.fn.countAll().as('n'))
      .where('subnet_id', '=', subnet.id).executeTakeFirstOrThrow();
    await fill(total - Number(used.n), FILL + 10);
    await reconnect();
    const rows = await s.server.db.kysely.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
    assert.equal(rows.length, total);
    assert.equal(new Set(rows.map((r) => r.ip_address)).size, total);
    const full = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, ADMIN);
    assert.deepEqual([full.status, full.body.NeutronError.type], [409, 'IpAddressGenerationFailure']);
  });
});
