import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAddress,
  cidrContains,
  cidrContainsCidr,
  cidrLast,
  cidrRange,
  cidrSize,
  cidrsOverlap,
  cidrToString,
  countAddresses,
  firstHost,
  formatIp,
  isAutoAddressSubnet,
  isGatewayInvalidInSubnet,
  isValidIpForSubnet,
  lastHost,
  mergeRanges,
  nthAddress,
  parseCidr,
  parseIp,
  rangeToCidrs,
  rangeToString,
  removeAddress,
  toCidr,
  toIp,
  type IpRange,
} from '../../src/lib/address.js';

const ipText = (t: string) => {
  const ip = parseIp(t);
  return ip && formatIp(ip.version, ip.value);
};
const v4 = (first: string, last: string): IpRange => ({ version: 4, first: toIp(first).value, last: toIp(last).value });
const show = (rs: IpRange[]) => rs.map(rangeToString);

test('parseIp reads IPv4 strictly and IPv6 in any inet_pton form', () => {
  assert.deepEqual(parseIp('10.0.0.1'), { version: 4, value: 0x0a000001n });
  assert.deepEqual(parseIp('255.255.255.255'), { version: 4, value: 0xffffffffn });
  for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.256', '1.2.3.4.5', '10.0.0.1 ', ' 10.0.0.1', '0x0a.0.0.1', '', '1e1.0.0.1']) {
    assert.equal(parseIp(bad), null, bad);
  }
  assert.deepEqual(parseIp('::1'), { version: 6, value: 1n });
  assert.equal(ipText('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(ipText('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
  assert.equal(ipText('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
  assert.equal(ipText('0001:2::'), '1:2::');
  for (const bad of ['fe80::1%eth0', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', ':1::', '1::2:', '::ffff:010.0.0.1', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', 'g::']) {
    assert.equal(parseIp(bad), null, bad);
  }
  assert.equal(parseIp(42), null);
});

test('formatIp prints IPv6 as netaddr does (RFC 5952, dotted quad for v4-mapped/compatible)', () => {
  const f = (t: string) => formatIp(6, toIp(t).value);
  assert.equal(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of two equal runs
  assert.equal(f('1:0:0:2:0:0:0:3'), '1:0:0:2::3'); // longest run
  assert.equal(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero word is not compressed
  assert.equal(f('0:0:0:0:0:0:0:0'), '::');
  assert.equal(f('1:0:0:0:0:0:0:0'), '1::');
  assert.equal(f('::0:1'), '::1');
  assert.equal(f('::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(f('::2:3'), '::0.2.0.3');
  assert.equal(f('FE80::ABCD'), 'fe80::abcd');
  assert.equal(formatIp(4, 0xc0a80001n), '192.168.0.1');
});

test('parseCidr follows netaddr.IPNetwork', () => {
  const c = parseCidr('10.0.0.5/24')!;
  assert.deepEqual(c, { version: 4, ip: 0x0a000005n, network: 0x0a000000n, prefixlen: 24 });
  assert.equal(cidrToString(c), '10.0.0.0/24');
  assert.equal(cidrToString(toCidr('10/8')), '10.0.0.0/8');
  assert.equal(cidrToString(toCidr('192.168/16')), '192.168.0.0/16');
  assert.equal(toCidr('10.0.0.0/255.255.255.0').prefixlen, 24);
  assert.equal(toCidr('10.0.0.0/0.0.0.255').prefixlen, 24);
  assert.equal(toCidr('10.0.0.0/024').prefixlen, 24);
  assert.equal(toCidr('10.0.0.1').prefixlen, 32);
  assert.equal(toCidr('2001:db8::1').prefixlen, 128);
  assert.equal(cidrToString(toCidr('2001:DB8:0::1/64')), '2001:db8::/64');
  assert.equal(toCidr('::/ffff:ffff::').prefixlen, 32);
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/255.0.255.0', '2001:db8::/129', '::/0.0.0.0', 'x/8', '10.0.0.0/24/1']) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

test('CIDR sizes and bounds: /31, /32, /127, /128, /64, /48', () => {
  const size = (t: string) => cidrSize(toCidr(t));
  assert.equal(size('10.0.0.0/24'), 256n);
  assert.equal(size('10.0.0.0/31'), 2n);
  assert.equal(size('10.0.0.0/32'), 1n);
  assert.equal(size('2001:db8::/127'), 2n);
  assert.equal(size('2001:db8::/128'), 1n);
  assert.equal(size('2001:db8::/64'), 18446744073709551616n); // 2^64, exact
  assert.equal(size('2001:db8::/48'), 1n << 80n);
  assert.equal(size('::/0'), 1n << 128n);

  const host = (t: string) => {
    const c = toCidr(t);
    const [f, l] = [firstHost(c), lastHost(c)];
    return f === null || l === null ? null : `${formatIp(c.version, f)}-${formatIp(c.version, l)}`;
  };
  assert.equal(host('10.0.0.0/24'), '10.0.0.1-10.0.0.254');
  assert.equal(host('10.0.0.0/30'), '10.0.0.1-10.0.0.2');
  assert.equal(host('10.0.0.0/31'), '10.0.0.0-10.0.0.1');
  assert.equal(host('10.0.0.7/32'), '10.0.0.7-10.0.0.7');
  assert.equal(host('2001:db8::/64'), '2001:db8::1-2001:db8::ffff:ffff:ffff:ffff');
  assert.equal(host('2001:db8::/127'), '2001:db8::1-2001:db8::1');
  assert.equal(host('2001:db8::/128'), null);
  assert.equal(formatIp(4, cidrLast(toCidr('10.0.0.0/24'))), '10.0.0.255');
  assert.equal(formatIp(6, cidrLast(toCidr('2001:db8::/48'))), '2001:db8:0:ffff:ffff:ffff:ffff:ffff');
});

test('containment and overlap', () => {
  const net = toCidr('10.0.0.0/24');
  assert.ok(cidrContains(net, toIp('10.0.0.255')));
  assert.ok(!cidrContains(net, toIp('10.0.1.0')));
  assert.ok(!cidrContains(toCidr('::/0'), toIp('10.0.0.1')));
  assert.ok(cidrContainsCidr(toCidr('10.0.0.0/8'), toCidr('10.1.0.0/16')));
  assert.ok(!cidrContainsCidr(toCidr('10.1.0.0/16'), toCidr('10.0.0.0/8')));
  assert.ok(cidrsOverlap(toCidr('10.1.0.0/16'), toCidr('10.0.0.0/8')));
  assert.ok(!cidrsOverlap(toCidr('10.0.0.0/25'), toCidr('10.0.0.128/25')));
  assert.ok(!cidrsOverlap(toCidr('0.0.0.0/0'), toCidr('::/0')));
});

test('port and gateway address checks', () => {
  const v4net = toCidr('10.0.0.0/24');
  assert.ok(!isValidIpForSubnet(v4net, toIp('10.0.0.0')));
  assert.ok(!isValidIpForSubnet(v4net, toIp('10.0.0.255')));
  assert.ok(isValidIpForSubnet(v4net, toIp('10.0.0.1')));
  assert.ok(isValidIpForSubnet(toCidr('10.0.0.0/31'), toIp('10.0.0.1')), 'a /31 has no broadcast address');
  assert.ok(!isValidIpForSubnet(toCidr('10.0.0.0/31'), toIp('10.0.0.0')));
  assert.ok(!isValidIpForSubnet(toCidr('10.0.0.7/32'), toIp('10.0.0.7')));
  assert.ok(!isValidIpForSubnet(toCidr('10.0.0.0/30'), toIp('10.0.0.3')));
  const v6net = toCidr('2001:db8::/64');
  assert.ok(!isValidIpForSubnet(v6net, toIp('2001:db8::')));
  assert.ok(isValidIpForSubnet(v6net, toIp('2001:db8::'), true));
  assert.ok(isGatewayInvalidInSubnet(v4net, toIp('10.0.0.255')));
  assert.ok(!isGatewayInvalidInSubnet(v4net, toIp('10.0.1.0')));
  assert.ok(!isGatewayInvalidInSubnet(v6net, toIp('2001:db8::')));
});

test('availability ranges: remove, add back, count, n-th', () => {
  let free = [v4('10.0.0.2', '10.0.0.254')];
  free = removeAddress(free, toIp('10.0.0.2'));
  assert.deepEqual(show(free), ['10.0.0.3-10.0.0.254']);
  free = removeAddress(free, toIp('10.0.0.100'));
  assert.deepEqual(show(free), ['10.0.0.3-10.0.0.99', '10.0.0.101-10.0.0.254']);
  assert.deepEqual(show(removeAddress(free, toIp('10.0.1.1'))), show(free));
  assert.equal(countAddresses(free), 251n);
  assert.equal(formatIp(4, nthAddress(free, 0n)!.value), '10.0.0.3');
  assert.equal(formatIp(4, nthAddress(free, 96n)!.value), '10.0.0.99');
  assert.equal(formatIp(4, nthAddress(free, 97n)!.value), '10.0.0.101');
  assert.equal(nthAddress(free, 251n), null);
  free = addAddress(free, toIp('10.0.0.100'));
  free = addAddress(free, toIp('10.0.0.2'));
  assert.deepEqual(show(free), ['10.0.0.2-10.0.0.254']);

  const v6: IpRange[] = [cidrRange(toCidr('2001:db8::/64'))];
  const less = removeAddress(v6, toIp('2001:db8::8000:0:0:0'));
  assert.equal(countAddresses(less), (1n << 64n) - 1n);
  assert.equal(formatIp(6, nthAddress(less, 1n << 63n)!.value), '2001:db8::8000:0:0:1');
});

test('mergeRanges and rangeToCidrs', () => {
  assert.deepEqual(show(mergeRanges([v4('10.0.0.10', '10.0.0.20'), v4('10.0.0.1', '10.0.0.9'), v4('10.0.0.15', '10.0.0.30')])), ['10.0.0.1-10.0.0.30']);
  assert.deepEqual(rangeToCidrs(v4('10.0.0.1', '10.0.0.254')).map(cidrToString), [
    '10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.32/27', '10.0.0.64/26',
    '10.0.0.128/26', '10.0.0.192/27', '10.0.0.224/28', '10.0.0.240/29', '10.0.0.248/30', '10.0.0.252/31', '10.0.0.254/32',
  ]);
  assert.deepEqual(rangeToCidrs(cidrRange(toCidr('::/0'))).map(cidrToString), ['::/0']);
});

test('isAutoAddressSubnet: slaac or dhcpv6-stateless in either mode', () => {
  assert.ok(isAutoAddressSubnet('slaac', 'slaac'));
  assert.ok(isAutoAddressSubnet(null, 'dhcpv6-stateless'));
  assert.ok(isAutoAddressSubnet('slaac', null));
  assert.ok(!isAutoAddressSubnet('dhcpv6-stateful', 'dhcpv6-stateful'));
  assert.ok(!isAutoAddressSubnet(null, null));
});
