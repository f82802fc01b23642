import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, rangeToString, type IpRange } from '../../src/lib/address.js';
import {
  checkGatewayOutOfPools,
  defaultAllocationPools,
  defaultGatewayIp,
  isPoolError,
  poolsToRanges,
  prepareAllocationPools,
  validateAllocationPools,
  type PoolError,
} from '../../src/ipam/pools.js';

const show = (rs: IpRange[]) => rs.map(rangeToString);
const pools = (cidr: string, gw: string | null) => show(defaultAllocationPools(cidr, gw));

test('default gateway: IPv4 first address after the network, IPv6 the network address', () => {
  const gw = (c: string) => {
    const ip = defaultGatewayIp(c);
    return formatIp(ip.version, ip.value);
  };
  assert.equal(gw('10.0.0.0/24'), '10.0.0.1');
  assert.equal(gw('10.0.0.77/24'), '10.0.0.1');
  assert.equal(gw('2001:db8::/64'), '2001:db8::');
});

test('default pools, IPv4: gateway at the start, in the middle, at the end, outside, none', () => {
  assert.deepEqual(pools('10.0.0.0/24', '10.0.0.1'), ['10.0.0.2-10.0.0.254']);
  assert.deepEqual(pools('10.0.0.0/24', '10.0.0.100'), ['10.0.0.1-10.0.0.99', '10.0.0.101-10.0.0.254']);
  assert.deepEqual(pools('10.0.0.0/24', '10.0.0.254'), ['10.0.0.1-10.0.0.253']);
  assert.deepEqual(pools('10.0.0.0/24', '10.0.1.1'), ['10.0.0.1-10.0.0.254']);
  assert.deepEqual(pools('10.0.0.0/24', '10.0.0.255'), ['10.0.0.1-10.0.0.254']);
  assert.deepEqual(pools('10.0.0.0/24', null), ['10.0.0.1-10.0.0.254']);
});

test('default pools, small IPv4 subnets: /30, /31, /32', () => {
  assert.deepEqual(pools('10.0.0.0/30', '10.0.0.1'), ['10.0.0.2-10.0.0.2']);
  assert.deepEqual(pools('10.0.0.0/31', null), ['10.0.0.0-10.0.0.1']);
  assert.deepEqual(pools('10.0.0.0/31', '10.0.0.1'), ['10.0.0.0-10.0.0.0']);
  assert.deepEqual(pools('10.0.0.0/31', '10.0.0.0'), ['10.0.0.1-10.0.0.1']);
  assert.deepEqual(pools('10.0.0.0/30', '10.0.0.2'), ['10.0.0.1-10.0.0.1']);
  // a single-address subnet keeps its address, even when it is the gateway
  assert.deepEqual(pools('10.0.0.5/32', '10.0.0.5'), ['10.0.0.5-10.0.0.5']);
});

test('default pools, IPv6: /64, /127, /128 and a gateway inside', () => {
  assert.deepEqual(pools('2001:db8::/64', '2001:db8::'), ['2001:db8::1-2001:db8::ffff:ffff:ffff:ffff']);
  assert.deepEqual(pools('2001:db8::/64', '2001:db8::1'), ['2001:db8::2-2001:db8::ffff:ffff:ffff:ffff']);
  assert.deepEqual(pools('2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff'), ['2001:db8::1-2001:db8::ffff:ffff:ffff:fffe']);
  assert.deepEqual(pools('2001:db8::/64', '2001:db8::8000:0:0:0'), [
    '2001:db8::1-2001:db8::7fff:ffff:ffff:ffff',
    '2001:db8::8000:0:0:1-2001:db8::ffff:ffff:ffff:ffff',
  ]);
  assert.deepEqual(pools('2001:db8::/127', '2001:db8::'), ['2001:db8::1-2001:db8::1']);
  assert.deepEqual(pools('2001:db8::/127', '2001:db8::1'), []);
  assert.deepEqual(pools('2001:db8::/128', '2001:db8::'), ['2001:db8::-2001:db8::']);
});

function err(x: IpRange[] | PoolError): PoolError {
  assert.ok(isPoolError(x), 'expected an error');
  return x;
}

test('explicit pools: valid ones come back as ranges', () => {
  const r = prepareAllocationPools(
    [{ start: '10.0.0.10', end: '10.0.0.20' }, { start: '10.0.0.30', end: '10.0.0.30' }],
    '10.0.0.0/24',
    '10.0.0.1',
  );
  assert.ok(!isPoolError(r));
  assert.deepEqual(show(r), ['10.0.0.10-10.0.0.20', '10.0.0.30-10.0.0.30']);
  // the whole range of a /31 or /32 is allowed
  assert.ok(!isPoolError(prepareAllocationPools([{ start: '10.0.0.0', end: '10.0.0.1' }], '10.0.0.0/31', null)));
  assert.ok(!isPoolError(prepareAllocationPools([{ start: '2001:db8::ffff', end: '2001:db8::ffff:ffff:ffff:ffff' }], '2001:db8::/64', '2001:db8::')));
});

test('explicit pools: InvalidAllocationPool for unreadable, reversed or mixed-version pools', () => {
  let e = err(poolsToRanges([{ start: '10.0.0.20', end: '10.0.0.10' }]));
  assert.equal(e.type, 'InvalidAllocationPool');
  assert.equal(e.status, 400);
  assert.equal(e.message, "The allocation pool {'start': '10.0.0.20', 'end': '10.0.0.10'} is not valid.");
  e = err(poolsToRanges([{ end: '2001:db8::5', start: '10.0.0.1' }]));
  assert.equal(e.message, "The allocation pool {'end': '2001:db8::5', 'start': '10.0.0.1'} is not valid.");
  // both IPv6, subnet IPv4: reported with the range text
  e = err(prepareAllocationPools([{ start: '2001:db8::5', end: '2001:db8::6' }], '10.0.0.0/24', null));
  assert.equal(e.message, 'The allocation pool 2001:db8::5-2001:db8::6 is not valid.');
});

test('explicit pools: OutOfBoundsAllocationPool', () => {
  const check = (start: string, end: string, cidr: string) => err(prepareAllocationPools([{ start, end }], cidr, null));
  let e = check('10.0.0.0', '10.0.0.10', '10.0.0.0/24'); // the network address
  assert.equal(e.type, 'OutOfBoundsAllocationPool');
  assert.equal(e.message, 'The allocation pool 10.0.0.0-10.0.0.10 spans beyond the subnet cidr 10.0.0.0/24.');
  e = check('10.0.0.200', '10.0.0.255', '10.0.0.0/24'); // the broadcast address
  assert.equal(e.type, 'OutOfBoundsAllocationPool');
  e = check('10.0.0.200', '10.0.1.5', '10.0.0.0/24');
  assert.equal(e.type, 'OutOfBoundsAllocationPool');
  e = check('2001:db8::', '2001:db8::5', '2001:db8::/64');
  assert.equal(e.message, 'The allocation pool 2001:db8::-2001:db8::5 spans beyond the subnet cidr 2001:db8::/64.');
  e = check('2001:db8::', '2001:db8::', '2001:db8::/128');
  assert.equal(e.type, 'OutOfBoundsAllocationPool');
});

test('explicit pools: OverlappingAllocationPools names the pair in the order given', () => {
  const e = err(
    prepareAllocationPools(
      [
        { start: '10.0.0.2', end: '10.0.0.9' },
        { start: '10.0.0.50', end: '10.0.0.60' },
        { start: '10.0.0.9', end: '10.0.0.20' },
      ],
      '10.0.0.0/24',
      null,
    ),
  );
  assert.equal(e.type, 'OverlappingAllocationPools');
  assert.equal(e.status, 409);
  assert.equal(e.message, 'Found overlapping allocation pools: 10.0.0.2-10.0.0.9 10.0.0.9-10.0.0.20 for subnet 10.0.0.0/24.');
  // adjacent pools do not overlap
  assert.equal(validateAllocationPools(poolsToRanges([{ start: '10.0.0.2', end: '10.0.0.9' }, { start: '10.0.0.10', end: '10.0.0.20' }]) as IpRange[], '10.0.0.0/24'), null);
});

test('explicit pools: GatewayConflictWithAllocationPools', () => {
  const e = err(prepareAllocationPools([{ start: '10.0.0.1', end: '10.0.0.100' }], '10.0.0.0/24', '10.0.0.1'));
  assert.equal(e.type, 'GatewayConflictWithAllocationPools');
  assert.equal(e.status, 409);
  assert.equal(e.message, 'Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.100.');
  // a gateway outside the pools, or none, is fine; bounds are checked before the gateway
  assert.ok(!isPoolError(prepareAllocationPools([{ start: '10.0.0.2', end: '10.0.0.100' }], '10.0.0.0/24', '10.0.0.1')));
  assert.ok(!isPoolError(prepareAllocationPools([{ start: '10.0.0.1', end: '10.0.0.100' }], '10.0.0.0/24', null)));
  assert.equal(err(prepareAllocationPools([{ start: '10.0.0.1', end: '10.0.1.100' }], '10.0.0.0/24', '10.0.0.1')).type, 'OutOfBoundsAllocationPool');
  assert.equal(checkGatewayOutOfPools('2001:db8::1', poolsToRanges([{ start: '10.0.0.1', end: '10.0.0.9' }]) as IpRange[]), null);
});
