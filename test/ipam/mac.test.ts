import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eui64Address, formatMac, parseMac, randomMac, readMac } from '../../src/lib/mac.js';

test('parseMac reads the EUI-48 forms netaddr accepts', () => {
  const mac = 0xfa163e123456n;
  for (const t of ['fa:16:3e:12:34:56', 'FA-16-3E-12-34-56', 'fa163e123456', 'fa16.3e12.3456', 'fa16:3e12:3456', 'fa163e-123456', 'fa163e:123456']) {
    assert.equal(parseMac(t), mac, t);
  }
  assert.equal(parseMac('a:b:c:d:e:f'), 0x0a0b0c0d0e0fn);
  assert.equal(parseMac('1:2:3'), 0x000100020003n);
  for (const bad of ['fa:16:3e:12:34', 'fa:16:3e:12:34:5g', 'fa:16:3e:123:34:56', 'fa-16:3e-12:34-56', '00:11:22:33:44:55:66:77', '', 12]) {
    assert.equal(parseMac(bad), null, String(bad));
  }
  assert.equal(readMac('12345'), 12345n); // netaddr.EUI reads decimal text as an integer
  assert.equal(formatMac(0x0a0b0c0d0e0fn), '0a:0b:0c:0d:0e:0f');
});

test('eui64Address inserts ff:fe and flips the universal/local bit', () => {
  assert.equal(eui64Address('2001:db8::/64', 'fa:16:3e:12:34:56'), '2001:db8::f816:3eff:fe12:3456');
  assert.equal(eui64Address('2001:db8:1:2::/64', '00:16:3e:00:00:01'), '2001:db8:1:2:216:3eff:fe00:1');
  assert.equal(eui64Address('fe80::/64', 'FA-16-3E-12-34-56'), 'fe80::f816:3eff:fe12:3456');
  assert.equal(eui64Address('2001:db8::5/64', 0xfa163e123456n), '2001:db8::f816:3eff:fe12:3456');
  assert.throws(() => eui64Address('10.0.0.0/24', 'fa:16:3e:12:34:56'));
  assert.throws(() => eui64Address('2001:db8::/64', 'not a mac'));
});

test('randomMac keeps the first three octets, and the fourth unless it is 00', () => {
  const bytes = [0xab, 0xcd, 0xef];
  let i = 0;
  const next = () => bytes[i++ % 3]!;
  assert.equal(randomMac('fa:16:3e:00:00:00', next), 'fa:16:3e:ab:cd:ef');
  assert.equal(randomMac('fa:16:3e:4f:00:00', next), 'fa:16:3e:4f:cd:ef');
  assert.equal(randomMac('FA:16:3E:00:00:00', next), 'fa:16:3e:ab:cd:ef');
  for (let n = 0; n < 200; n++) {
    const mac = randomMac('fa:16:3e:00:00:00');
    assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
  }
  const fourth = new Set(Array.from({ length: 200 }, () => randomMac('fa:16:3e:00:00:00').slice(9, 11)));
  assert.ok(fourth.size > 50, 'the fourth octet is random');
  assert.throws(() => randomMac('fa:16:3e'));
});
