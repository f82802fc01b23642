import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Database } from '../../src/db/database.js';
import { upgrade } from '../../src/db/migrate.js';
import { formatIp, parseIp, toCidr, type IpRange, type IpVersion } from '../../src/lib/address.js';
import { addressKey, allocateAny, allocateSpecific, createPools, freeRanges, release, replacePools, type IpamSubnet } from '../../src/ipam/allocator.js';
import { defaultAllocationPools } from '../../src/ipam/pools.js';
import type { Tx } from '../../src/db/schema.js';

const range = (version: IpVersion, first: string, last: string): IpRange => ({ version, first: parseIp(first)!.value, last: parseIp(last)!.value });
const show = (rs: IpRange[]) => rs.map((r) => `${formatIp(r.version, r.first)}-${formatIp(r.version, r.last)}`);

test('addressKey: fixed width, so that text order is address order', () => {
  assert.equal(addressKey(4, parseIp('10.0.0.1')!.value), '0a000001');
  assert.equal(addressKey(6, parseIp('2001:db8::1')!.value), '20010db8000000000000000000000001');
  assert.ok(addressKey(4, 9n) < addressKey(4, 10n) && addressKey(4, 255n) < addressKey(4, 256n));
  assert.equal(addressKey(6, (1n << 128n) - 1n), 'f'.repeat(32));
});

test('freeRanges: a pool less the used addresses, in one sweep', () => {
  const pool = range(4, '10.0.0.2', '10.0.0.10');
  const used = ['10.0.0.1', '10.0.0.2', '10.0.0.5', '10.0.0.6', '10.0.0.10', '10.0.0.11'].map((a) => parseIp(a)!.value);
  assert.deepEqual(show(freeRanges(pool, used)), ['10.0.0.3-10.0.0.4', '10.0.0.7-10.0.0.9']);
  assert.deepEqual(show(freeRanges(pool, [])), ['10.0.0.2-10.0.0.10']);
  assert.deepEqual(freeRanges(range(4, '10.0.0.2', '10.0.0.2'), [parseIp('10.0.0.2')!.value]), []);
  const v6 = range(6, '2001:db8::1', '2001:db8::ffff:ffff:ffff:ffff');
  assert.deepEqual(show(freeRanges(v6, [parseIp('2001:db8::8000:0:0:0')!.value])), [
    '2001:db8::1-2001:db8::7fff:ffff:ffff:ffff', '2001:db8::8000:0:0:1-2001:db8::ffff:ffff:ffff:ffff',
  ]);
});

describe('the allocator on a database', () => {
  let dir: string;
  let db: Database;
  let seq = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neutron-ts-ipam-'));
    db = new Database({ url: `sqlite:///${join(dir, 'ipam.db')}` });
    await upgrade(db);
    await db.kysely.insertInto('networks').values({
      id: 'net', project_id: 'p', name: 'n', admin_state_up: 1, status: 'ACTIVE', mtu: 1500, created_at: 'x', updated_at: 'x',
    }).execute();
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A subnet row with its pools (the default ones unless given) and `ports` port rows. */
  async function setup(cidr: string, pools?: IpRange[], ports = 0): Promise<{ subnet: IpamSubnet; ports: string[] }> {
    const c = toCidr(cidr);
    const id = `subnet-${seq++}`;
    const portIds = Array.from({ length: ports }, (_, i) => `${id}-port-${i}`);
    await db.write(async (tx) => {
      await tx.insertInto('subnets').values({
        id, project_id: 'p', network_id: 'net', ip_version: c.version, cidr, enable_dhcp: 0, created_at: 'x', updated_at: 'x',
      }).execute();
      await createPools(tx, id, pools ?? defaultAllocationPools(c, null));
      for (let i = 0; i < portIds.length; i += 200) {
        await tx.insertInto('ports').values(portIds.slice(i, i + 200).map((p, j) => ({
          id: p, project_id: 'p', network_id: 'net', mac_address: `${id}-${i + j}`, admin_state_up: 1, status: 'DOWN', created_at: 'x', updated_at: 'x',
        }))).execute();
      }
    });
    return { subnet: { id, networkId: 'net', ipVersion: c.version }, ports: portIds };
  }

  const free = async (subnetId: string) => (await db.kysely.selectFrom('ipam_availability_ranges').selectAll()
    .where('subnet_id', '=', subnetId).orderBy('first_ip').execute()).map((r) => [r.pool_index, r.first_ip, r.last_ip]);

  test('allocate a whole /29 pool: every address once, then null; release merges back to the pool', async () => {
    const { subnet, ports } = await setup('10.0.0.0/29', undefined, 7);
    const got: string[] = [];
    await db.write(async (tx: Tx) => {
      for (const p of ports.slice(0, 6)) got.push((await allocateAny(tx, subnet, p))!);
      assert.equal(await allocateAny(tx, subnet, ports[6]!), null);
    });
    assert.deepEqual([...got].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    assert.deepEqual(await free(subnet.id), []);
    // give them back in an order that exercises every merge: alone, left, right, both
    await db.write(async (tx) => {
      for (const a of ['10.0.0.3', '10.0.0.1', '10.0.0.4', '10.0.0.6', '10.0.0.2', '10.0.0.5']) await release(tx, subnet.id, a);
    });
    assert.deepEqual(await free(subnet.id), [[0, addressKey(4, parseIp('10.0.0.1')!.value), addressKey(4, parseIp('10.0.0.6')!.value)]]);
    const rows = await db.kysely.selectFrom('ipallocations').select('ip_address').where('subnet_id', '=', subnet.id).execute();
    assert.deepEqual(rows, []);
  });

  test('DHCP-style picks take the lowest free address; pools stay apart when merging', async () => {
    const pools = [range(4, '10.1.0.10', '10.1.0.11'), range(4, '10.1.0.12', '10.1.0.13')];
    const { subnet, ports } = await setup('10.1.0.0/24', pools, 5);
    const got: string[] = [];
    await db.write(async (tx) => {
      for (const p of ports.slice(0, 4)) got.push((await allocateAny(tx, subnet, p, true))!);
    });
    assert.deepEqual(got, ['10.1.0.10', '10.1.0.11', '10.1.0.12', '10.1.0.13'], 'first pool first, lowest address first');
    await db.write(async (tx) => {
      await release(tx, subnet.id, '10.1.0.11');
      await release(tx, subnet.id, '10.1.0.12');
    });
    assert.deepEqual((await free(subnet.id)).map((r) => r[0]), [0, 1], 'adjacent addresses of two pools are two ranges');
  });

  test('specific addresses: inside a pool (split), outside the pools, taken', async () => {
    const { subnet, ports } = await setup('10.2.0.0/24', [range(4, '10.2.0.10', '10.2.0.20')], 3);
    await db.write(async (tx) => {
      await allocateSpecific(tx, subnet, ports[0]!, parseIp('10.2.0.15')!);
      await allocateSpecific(tx, subnet, ports[1]!, parseIp('10.2.0.200')!);
    });
    assert.deepEqual((await free(subnet.id)).map((r) => [r[1], r[2]]), [['0a02000a', '0a02000e'], ['0a020010', '0a020014']]);
    await assert.rejects(db.write((tx) => allocateSpecific(tx, subnet, ports[2]!, parseIp('10.2.0.15')!)), { type: 'IpAddressAlreadyAllocated' });
    await assert.rejects(db.write((tx) => allocateSpecific(tx, subnet, ports[2]!, parseIp('10.2.0.200')!)), { type: 'IpAddressAlreadyAllocated' });
    await db.write((tx) => release(tx, subnet.id, '10.2.0.200'));
    assert.equal((await free(subnet.id)).length, 2, 'an address outside the pools does not join them');
  });

  test('new pools keep allocated addresses out, wherever they are', async () => {
    const { subnet, ports } = await setup('10.3.0.0/24', [range(4, '10.3.0.10', '10.3.0.20')], 2);
    await db.write(async (tx) => {
      await allocateSpecific(tx, subnet, ports[0]!, parseIp('10.3.0.12')!);
      await allocateSpecific(tx, subnet, ports[1]!, parseIp('10.3.0.40')!);
      await replacePools(tx, subnet.id, [range(4, '10.3.0.30', '10.3.0.50'), range(4, '10.3.0.10', '10.3.0.13')]);
    });
    assert.deepEqual((await free(subnet.id)).map((r) => [r[0], formatIp(4, BigInt(`0x${r[1]}`)), formatIp(4, BigInt(`0x${r[2]}`))]), [
      [1, '10.3.0.10', '10.3.0.11'], [1, '10.3.0.13', '10.3.0.13'], [0, '10.3.0.30', '10.3.0.39'], [0, '10.3.0.41', '10.3.0.50'],
    ]);
  });

  test('a /64: random picks among the first free addresses, exact 128-bit arithmetic; /127 and /128 edges', async () => {
    const { subnet, ports } = await setup('2001:db8::/64', undefined, 50);
    const got = new Set<string>();
    await db.write(async (tx) => {
      for (const p of ports) got.add((await allocateAny(tx, subnet, p))!);
    });
    assert.equal(got.size, 50);
    for (const a of got) {
      const v = parseIp(a)!.value - parseIp('2001:db8::')!.value;
      assert.ok(v >= 1n && v <= 1050n, `${a} is among the first free addresses`);
    }
    assert.ok(got.size > 1 && [...got].some((a) => a !== '2001:db8::1'), 'picks are random, not sequential');
    const last = await free(subnet.id);
    assert.equal(last.at(-1)![2], addressKey(6, parseIp('2001:db8::ffff:ffff:ffff:ffff')!.value), 'the top of the /64 is still free');

    const slash127 = await setup('2001:db8:1::/127', undefined, 2);
    await db.write(async (tx) => {
      assert.equal(await allocateAny(tx, slash127.subnet, slash127.ports[0]!), '2001:db8:1::1');
      assert.equal(await allocateAny(tx, slash127.subnet, slash127.ports[1]!), null);
    });
    const slash128 = await setup('2001:db8:2::5/128', undefined, 1);
    await db.write(async (tx) => {
      assert.equal(await allocateAny(tx, slash128.subnet, slash128.ports[0]!), '2001:db8:2::5');
    });
    const top = await setup('255.255.255.252/30', undefined, 2);
    await db.write(async (tx) => {
      assert.equal(await allocateAny(tx, top.subnet, top.ports[0]!, true), '255.255.255.253');
      await release(tx, top.subnet.id, '255.255.255.253');
      assert.equal(await allocateAny(tx, top.subnet, top.ports[1]!, true), '255.255.255.253', 'released addresses come back');
    });
  });
});
