/**
 * Generates test inputs for netaddr_oracle.py (seeded, so the output is stable). Regenerate the
 * golden file with:
 *   node --import tsx test/ipam/oracle/cases.ts [count] \
 *     | /usr/bin/python3 test/ipam/oracle/netaddr_oracle.py > test/ipam/fixtures/netaddr-golden.json
 */

let seed = 20240601;
function rnd(n: number): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) % n);
}
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => pick('0123456789abcdefABCDEF0000'.split(''))).join('');

const OCTETS = ['0', '00', '1', '01', '10', '010', '99', '255', '256', '300', '1_0', '+1', '-0', '-1', '0x1', 'a', '', '001', '127', '192', '168'];

function v4ish(): string {
  const n = pick([4, 4, 4, 4, 3, 5, 2, 1]);
  return Array.from({ length: n }, () => (rnd(3) ? String(rnd(256)) : pick(OCTETS))).join('.');
}

function v6ish(): string {
  const words = Array.from({ length: pick([8, 8, 7, 6, 3, 2, 9, 1]) }, () => (rnd(3) ? hex(rnd(5)) : '0'));
  let s = words.join(':');
  if (rnd(2)) {
    const at = rnd(words.length + 1);
    s = [...words.slice(0, at), '', ...words.slice(at)].join(':');
    if (at === 0) s = ':' + s;
    if (at === words.length) s += ':';
  }
  if (!rnd(6)) s = s.replace(/[^:]*$/, rnd(2) ? '1.2.3.4' : v4ish());
  if (!rnd(15)) s += pick(['%eth0', ':', ' ', '::']);
  if (!rnd(15)) s = pick([':', ' ', '::']) + s;
  return s;
}

/** A valid IPv6 address text with runs of zero words, to exercise '::' placement. */
function v6value(): string {
  const words = Array.from({ length: 8 }, () => (rnd(2) ? '0' : hex(1 + rnd(4))));
  if (!rnd(5)) return `::${pick(['', 'ffff:', '0:', '1:'])}${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
  return words.join(':');
}

const PREFIXES = ['24', '024', '+24', '2_4', '33', '-0', '0', '', '255.255.255.0', '0.0.0.255', '255.0.255.0', 'ffff::', '::ffff', '64', '128', '129', ' 24', '32', '8', '31', '127', '1', 'x'];

function cidrish(): string {
  const addr = rnd(2) ? v4ish() : rnd(2) ? v6ish() : v6value();
  return rnd(8) ? `${addr}/${rnd(2) ? String(rnd(130)) : pick(PREFIXES)}` : addr;
}

const MACS = ['fa:16:3e:12:34:56', 'FA-16-3E-12-34-56', 'fa163e123456', 'fa163e12345', 'fa16.3e12.3456', 'fa163e:123456',
  'fa163e-123456', 'a:b:c:d:e:f', '00:11:22:33:44:55:66:77', '1:2:3', '0001:0002:0003', '1-2-3', '12345-123456',
  '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'FF:FF:FF:FF:FF:FF', '01:00:5e:00:00:01', 'fa:16:3e:12:34', 'fa:16:3e:12:34:5g',
  'fa:16:3e:12:34:56 ', 'fa:16:3e:12:34:56\n', 'fa:16:3e:123:34:56', '', 'fa-16:3e-12:34-56', 'fa1.63e1.2345.6'];

function mac(): string {
  if (rnd(2)) return pick(MACS);
  const sep = pick([':', '-', '']);
  return Array.from({ length: 6 }, () => hex(rnd(3) ? 2 : 1)).join(sep);
}

function v4net(min: number, max: number): string {
  const p = min + rnd(max - min + 1);
  return `10.${rnd(4)}.${rnd(256)}.${rnd(256)}/${p}`;
}

/** A CIDR as the database holds it: host bits masked. */
function masked(c: string): string {
  return `${fmt(netOf(c).first, false)}/${c.split('/')[1]}`;
}

function v6net(): string {
  const p = pick([64, 64, 120, 124, 126, 127, 128, 48]);
  return `2001:db8:${hex(1 + rnd(3))}::${rnd(2) ? hex(2) : ''}/${p}`;
}

function netOf(c: string): { first: bigint; last: bigint; v6: boolean } {
  const [a, p] = c.split('/') as [string, string];
  const v6 = a.includes(':');
  let v = 0n;
  if (v6) {
    const [h, t = ''] = a.split('::') as [string, string?];
    const hw = h ? h.split(':') : [];
    const tw = t ? t.split(':') : [];
    const words = [...hw, ...Array(8 - hw.length - tw.length).fill('0'), ...tw];
    for (const w of words) v = (v << 16n) | BigInt('0x' + w);
  } else {
    for (const o of a.split('.')) v = (v << 8n) | BigInt(o);
  }
  const bits = v6 ? 128n : 32n;
  const host = bits - BigInt(p);
  const first = (v >> host) << host;
  return { first, last: first + (1n << host) - 1n, v6 };
}

function fmt(v: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}

/** An address near or inside the subnet: its edges, its first few, its middle, just outside. */
function addrAround(c: string): string {
  const { first, last, v6 } = netOf(c);
  const size = last - first + 1n;
  const v = pick([first, last, last - 1n, first + size / 2n, first - 1n, last + 1n, first + BigInt(rnd(6))]);
  const max = v6 ? (1n << 128n) - 1n : (1n << 32n) - 1n;
  return fmt(v < 0n ? 0n : v > max ? max : v, v6);
}

/** Mostly inside the host range: the first few addresses, the middle, the last host. */
function inside(c: string): string {
  const { first, last, v6 } = netOf(c);
  return fmt(pick([first + 1n + BigInt(rnd(4)), first + (last - first) / 2n, last - 1n]), v6);
}

function pools(c: string): { start: string; end: string }[] {
  const v6 = c.includes(':');
  const value = (a: string) => netOf(`${a}/${v6 ? 128 : 32}`).first;
  return Array.from({ length: rnd(4) }, () => {
    const [a, b] = rnd(4) ? [inside(c), inside(c)] : [addrAround(c), addrAround(c)];
    let [start, end] = [a, b];
    if (rnd(4) && value(start) > value(end)) [start, end] = [end, start];
    if (!rnd(20)) end = pick(['10.0.0.1', '2001:db8::1']);
    return rnd(10) ? { start, end } : { end, start };
  });
}

type Case = { op: string; args: unknown[] };
const cases: Case[] = [];
const count = Number(process.argv[2] ?? 150);
for (let i = 0; i < count; i++) {
  const addr = pick([v4ish, v6ish, v6value])();
  cases.push({ op: 'ip', args: [addr] });
  cases.push({ op: 'validate_ip_address', args: [addr] });
  cases.push({ op: 'convert_ip', args: [addr] });
  const c = cidrish();
  cases.push({ op: 'cidr', args: [c] });
  cases.push({ op: pick(['validate_subnet', 'validate_route_cidr', 'validate_ip_or_subnet_or_none']), args: [c] });
  cases.push({ op: 'convert_cidr', args: [c] });
  const m = mac();
  cases.push({ op: 'validate_mac_address', args: [m] });
  cases.push({ op: 'sanitize_mac', args: [m] });
  const net = rnd(2) ? v4net(24, 32) : v6net();
  const gw = rnd(5) ? addrAround(net) : null;
  cases.push({ op: 'generate_pools', args: [net, gw] });
  cases.push({ op: 'prepare_pools', args: [rnd(4) ? pools(net) : null, net, gw] });
  // validated MACs are EUI-48; netaddr would also take EUI-64 text here
  const eui48 = [mac()].map((x) => (x === '00:11:22:33:44:55:66:77' || x === 'fa1.63e1.2345.6' ? 'fa:16:3e:00:00:01' : x));
  if (net.includes(':')) cases.push({ op: 'eui64', args: [net, eui48[0]] });
  const prefixes = Array.from({ length: 1 + rnd(3) }, () => masked(v4net(8, 20)));
  const allocated = Array.from({ length: rnd(8) }, () => masked(v4net(12, 28)));
  cases.push({ op: 'compact', args: [[...prefixes, ...allocated].map((c) => (rnd(2) ? c : v4net(8, 28)))] });
  cases.push({ op: 'available', args: [prefixes, allocated] });
  cases.push({ op: 'allocate_any', args: [prefixes, allocated, 8 + rnd(25)] });
  cases.push({ op: 'allocate_specific', args: [prefixes, allocated, masked(v4net(8, 30))] });
}
const seen = new Set<string>();
process.stdout.write(JSON.stringify(cases.filter((c) => !seen.has(JSON.stringify(c)) && seen.add(JSON.stringify(c)))));
