import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrToString, type Cidr } from '../../src/lib/address.js';
import { compactCidrs, findFreeSubnet, fitsInFreeBlock, freeBlocks, quotaUnits } from '../../src/ipam/prefixes.js';

const show = (cs: Cidr[]) => cs.map(cidrToString);
const pick = (prefixes: string[], allocated: string[], prefixlen: number) => {
  const c = findFreeSubnet(prefixes, allocated, prefixlen);
  return c && cidrToString(c);
};

test('compactCidrs merges overlapping and adjacent prefixes, masks host bits, IPv4 first', () => {
  assert.deepEqual(show(compactCidrs(['10.0.1.0/24', '10.0.0.0/24'])), ['10.0.0.0/23']);
  assert.deepEqual(show(compactCidrs(['10.0.0.0/24', '10.0.0.0/16', '10.0.0.0/16'])), ['10.0.0.0/16']);
  assert.deepEqual(show(compactCidrs(['10.0.2.0/24', '10.0.0.0/24'])), ['10.0.0.0/24', '10.0.2.0/24']);
  assert.deepEqual(show(compactCidrs(['10.0.1.0/24', '10.0.2.0/24'])), ['10.0.1.0/24', '10.0.2.0/24']);
  assert.deepEqual(show(compactCidrs(['10.0.0.77/24'])), ['10.0.0.0/24']);
  assert.deepEqual(show(compactCidrs(['2001:db8:1::/48', '10.0.0.0/8', '2001:db8::/48'])), ['10.0.0.0/8', '2001:db8::/47']);
});

test('freeBlocks: pool prefixes minus allocations, as the fewest CIDRs', () => {
  assert.deepEqual(show(freeBlocks(['10.0.0.0/22'], ['10.0.1.0/24'])), ['10.0.0.0/24', '10.0.2.0/23']);
  assert.deepEqual(show(freeBlocks(['10.0.0.0/24'], ['10.0.0.0/24'])), []);
  assert.deepEqual(show(freeBlocks(['2001:db8::/48'], ['2001:db8::/64'])).slice(0, 3), [
    '2001:db8:0:1::/64',
    '2001:db8:0:2::/63',
    '2001:db8:0:4::/62',
  ]);
});

test('findFreeSubnet searches the most specific free blocks first', () => {
  assert.equal(pick(['10.0.0.0/16'], [], 24), '10.0.0.0/24');
  assert.equal(pick(['10.0.0.0/16'], ['10.0.0.0/24'], 24), '10.0.1.0/24');
  assert.equal(pick(['10.0.0.0/16'], ['10.0.0.0/24'], 25), '10.0.1.0/25');
  assert.equal(pick(['10.0.0.0/16'], ['10.0.0.0/24'], 23), '10.0.2.0/23');
  // the /24 prefix is more specific than the /16, so it is used first despite its address
  assert.equal(pick(['10.0.0.0/16', '192.168.0.0/24'], [], 26), '192.168.0.0/26');
  // among equally specific blocks, the lowest address
  assert.equal(pick(['10.1.0.0/24', '10.0.0.0/24'], [], 25), '10.0.0.0/25');
  assert.equal(pick(['10.0.0.0/16'], ['10.0.0.0/24'], 16), null);
  assert.equal(pick(['10.0.0.0/24'], ['10.0.0.0/25', '10.0.0.128/25'], 28), null);
  assert.equal(pick(['2001:db8::/48'], ['2001:db8::/64'], 64), '2001:db8:0:1::/64');
  assert.equal(pick(['2001:db8::/48'], ['2001:db8::/64'], 56), '2001:db8:0:100::/56');
});

test('fitsInFreeBlock: a requested CIDR must lie inside one free block', () => {
  const fits = (c: string) => fitsInFreeBlock(['10.0.0.0/16'], ['10.0.0.0/24'], c);
  assert.ok(fits('10.0.1.0/24'));
  assert.ok(fits('10.0.2.0/23'));
  assert.ok(fits('10.0.128.0/17'));
  assert.ok(!fits('10.0.0.0/23'));
  assert.ok(!fits('10.0.0.128/25'));
  assert.ok(!fits('10.1.0.0/24'));
  assert.ok(!fits('10.0.0.0/16'));
  assert.ok(fitsInFreeBlock(['2001:db8::/48'], ['2001:db8::/64'], '2001:db8:0:ff00::/56'));
  assert.ok(!fitsInFreeBlock(['2001:db8::/48'], ['2001:db8::/64'], '2001:db8::/56'));
});

test('quotaUnits counts /32 (IPv4) or /64 (IPv6) units', () => {
  assert.equal(quotaUnits(4, 24), 256);
  assert.equal(quotaUnits(4, 32), 1);
  assert.equal(quotaUnits(6, 64), 1);
  assert.equal(quotaUnits(6, 48), 65536);
  assert.equal(quotaUnits(6, 80), 2 ** -16);
});
