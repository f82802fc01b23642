import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  convertCidrToCanonicalFormat,
  convertIpToCanonicalFormat,
  convertToSanitizedMacAddress,
  validateIpAddress,
  validateIpAddressOrNone,
  validateIpOrSubnetOrNone,
  validateMacAddress,
  validateRouteCidr,
  validateSubnet,
  validateSubnetOrNone,
} from '../../src/lib/address-validators.js';
import { NeutronError } from '../../src/lib/errors.js';

test('validateIpAddress: IPv4 as exactly four plain decimal parts, IPv6 in any form', () => {
  for (const ok of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '2001:DB8::1', '::ffff:10.0.0.1', '2001:db8:0:0:0:0:0:1']) {
    assert.equal(validateIpAddress(ok), undefined, ok);
  }
  assert.equal(validateIpAddress('010.0.0.1'), "'010.0.0.1' is not an accepted IP address, '10.0.0.1' is recommended");
  assert.equal(validateIpAddress('10.0.0.01'), "'10.0.0.01' is not an accepted IP address, '10.0.0.1' is recommended");
  assert.equal(validateIpAddress('10.0.0.1_0'), "'10.0.0.1_0' is not an accepted IP address, '10.0.0.10' is recommended");
  for (const bad of ['10.0.0', '10.0.0.256', '1.2.3.4.5', '10.0.0.1 ', '0x1.0.0.1', 'fe80::1%eth0', '', 'abc', '::ffff:010.0.0.1']) {
    assert.equal(validateIpAddress(bad), `'${bad}' is not a valid IP address`, bad);
  }
  assert.equal(validateIpAddress(42), "'42' is not a valid IP address");
  assert.equal(validateIpAddress(null), "'None' is not a valid IP address");
  assert.equal(validateIpAddressOrNone(null), undefined);
});

test('validateSubnet: needs "/", IPv4 must read back unchanged', () => {
  for (const ok of ['10.0.0.0/24', '10.0.0.5/24', '0.0.0.0/0', '2001:db8::/64', '2001:DB8:0::/64', '2001:db8::/064']) {
    assert.equal(validateSubnet(ok), undefined, ok);
  }
  assert.equal(validateSubnet('10.0.0.0'), "'10.0.0.0' isn't a recognized IP subnet cidr, '10.0.0.0/32' is recommended");
  assert.equal(validateSubnet('10/8'), "'10/8' isn't a recognized IP subnet cidr, '10.0.0.0/8' is recommended");
  assert.equal(validateSubnet('010.0.0.1/24'), "'010.0.0.1/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended");
  assert.equal(validateSubnet('10.0.0.0/255.255.255.0'), "'10.0.0.0/255.255.255.0' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended");
  assert.equal(validateSubnet('2001:db8::1'), "'2001:db8::1' isn't a recognized IP subnet cidr, '2001:db8::1/128' is recommended");
  for (const bad of ['10.0.0.0/33', '10.0.0.0/24 ', 'abc/8', '2001:db8::/129', '']) {
    assert.equal(validateSubnet(bad), `'${bad}' is not a valid IP subnet`, bad);
  }
  assert.equal(validateSubnetOrNone(null), undefined);
});

test('validateRouteCidr: no host bits, not loopback', () => {
  assert.equal(validateRouteCidr('10.0.0.0/24'), undefined);
  assert.equal(validateRouteCidr('::1/128'), undefined);
  assert.equal(validateRouteCidr('10.0.0.5/24'), "'10.0.0.5/24' is not a recognized CIDR, '10.0.0.0/24' is recommended");
  assert.equal(validateRouteCidr('127.0.0.0/8'), "'127.0.0.0/8' is not a routable CIDR");
  assert.equal(validateRouteCidr('127.0.0.0/7'), "'127.0.0.0/7' is not a recognized CIDR, '126.0.0.0/7' is recommended");
  assert.equal(validateRouteCidr('x'), "'x' is not a valid CIDR");
});

test('validateIpOrSubnetOrNone', () => {
  assert.equal(validateIpOrSubnetOrNone('10.0.0.1'), undefined);
  assert.equal(validateIpOrSubnetOrNone('10.0.0.0/24'), undefined);
  assert.equal(validateIpOrSubnetOrNone(null), undefined);
  assert.equal(validateIpOrSubnetOrNone('10.0.0.0/33'), "'10.0.0.0/33' is neither a valid IP address, nor is it a valid IP subnet");
});

test('validateMacAddress', () => {
  for (const ok of ['fa:16:3e:12:34:56', 'FA-16-3E-12-34-56', 'fa163e123456', '01:00:5e:00:00:01']) {
    assert.equal(validateMacAddress(ok), undefined, ok);
  }
  for (const bad of ['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'FF-FF-FF-FF-FF-FF', 'fa:16:3e:12:34', 'fa:16:3e:12:34:56 ', 'zz:16:3e:12:34:56']) {
    assert.equal(validateMacAddress(bad), `'${bad}' is not a valid MAC address`, bad);
  }
  assert.equal(validateMacAddress(null), "'None' is not a valid MAC address");
});

test('converters', () => {
  assert.equal(convertIpToCanonicalFormat('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(convertIpToCanonicalFormat('10.0.0.1'), '10.0.0.1');
  assert.equal(convertIpToCanonicalFormat('010.0.0.1'), '010.0.0.1'); // left for the validator
  assert.equal(convertIpToCanonicalFormat(null), null);
  assert.equal(convertCidrToCanonicalFormat('2001:DB8:0::1/64'), '2001:db8::1/64'); // host bits kept
  assert.equal(convertCidrToCanonicalFormat('10.0.0.5/24'), '10.0.0.5/24');
  assert.equal(convertCidrToCanonicalFormat('10/8'), '10.0.0.0/8');
  assert.equal(convertCidrToCanonicalFormat('10.0.0.0/255.255.255.0'), '10.0.0.0/24');
  assert.throws(
    () => convertCidrToCanonicalFormat('10.0.0.0/33'),
    (e: unknown) => e instanceof NeutronError && e.status === 400 && e.message === 'Invalid input for operation: 10.0.0.0/33 is not in a CIDR format.',
  );
  assert.equal(convertToSanitizedMacAddress('FA-16-3E-12-34-56'), 'fa:16:3e:12:34:56');
  assert.equal(convertToSanitizedMacAddress('fa16.3e12.3456'), 'fa:16:3e:12:34:56');
  assert.equal(convertToSanitizedMacAddress('a:b:c:d:e:f'), '0a:0b:0c:0d:0e:0f');
  assert.equal(convertToSanitizedMacAddress(123), '00:00:00:00:00:7b');
  assert.equal(convertToSanitizedMacAddress('nonsense'), 'nonsense');
});
