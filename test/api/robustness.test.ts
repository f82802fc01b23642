// Inputs a sloppy or hostile client sends, each answered as Neutron answers it (issue 23).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { configWith } from '../../src/config/index.js';
import { buildServer } from '../../src/service/server.js';
import { HttpFront } from '../../src/service/http.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';
import { DHCP_STATE, FakeAgent } from '../rpc-server/support.js';

const A = asProject('project-a');
const B = asProject('project-b');

const errorType = (res: { body: any }) => res.body?.NeutronError?.type;

describe('robustness: every input gets Neutron answer', () => {
  let s: TestServer;
  let netA: any;
  let netB: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router'] } });
    netA = (await s.request('POST', '/v2.0/networks', { network: { name: 'a' } }, A)).body.network;
    netB = (await s.request('POST', '/v2.0/networks', { network: { name: 'b' } }, B)).body.network;
  });
  after(() => s.close());

  const ids = async (path: string, headers = ADMIN) => {
    const res = await s.request('GET', path, undefined, headers);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const key = Object.keys(res.body).find((k) => !k.endsWith('_links'))!;
    return (res.body[key] as any[]).map((x) => x.id);
  };

  test('tenant_id filters as project_id does; both given, both must match', async () => {
    assert.deepEqual(await ids('/v2.0/networks?tenant_id=x&tenant_id=y'), []);
    assert.deepEqual(await ids('/v2.0/networks?tenant_id=project-a'), [netA.id]);
    assert.deepEqual((await ids('/v2.0/networks?tenant_id=project-a&tenant_id=project-b')).sort(), [netA.id, netB.id].sort());
    assert.deepEqual(await ids('/v2.0/networks?project_id=project-b'), [netB.id]);
    assert.deepEqual(await ids('/v2.0/networks?tenant_id=project-a&project_id=project-b'), []);
    assert.deepEqual(await ids('/v2.0/security-groups?tenant_id=project-a&fields=id&name=default').then((l) => l.length), 1);
    assert.deepEqual(await ids('/v2.0/ports?tenant_id=nobody'), []);
  });

  test('sort_key=tenant_id (and project_id) sorts every collection by project', async () => {
    for (const path of ['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules', 'routers', 'floatingips', 'subnetpools', 'address-scopes']) {
      for (const key of ['tenant_id', 'project_id']) {
        const res = await s.request('GET', `/v2.0/${path}?sort_key=${key}&sort_dir=desc&sort_key=id&sort_dir=asc`, undefined, ADMIN);
        assert.equal(res.status, 200, `${path} by ${key}: ${JSON.stringify(res.body)}`);
      }
    }
    const desc = (await s.request('GET', '/v2.0/networks?sort_key=tenant_id&sort_dir=desc&fields=tenant_id', undefined, ADMIN)).body.networks;
    assert.deepEqual(desc.map((n: any) => n.tenant_id), ['project-b', 'project-a']);
    const paged = await s.request('GET', '/v2.0/networks?sort_key=tenant_id&sort_dir=asc&limit=1', undefined, ADMIN);
    assert.equal(paged.body.networks[0].id, netA.id);
    const next = new URL(paged.body.networks_links.find((l: any) => l.rel === 'next').href);
    assert.deepEqual(await ids(`/v2.0/networks?${next.searchParams}`), [netB.id]);
  });

  test('fields=tenant_id and fields=project_id show the one asked for', async () => {
    const t = (await s.request('GET', `/v2.0/networks/${netA.id}?fields=tenant_id`, undefined, A)).body.network;
    assert.deepEqual(t, { tenant_id: 'project-a' });
    const p = (await s.request('GET', '/v2.0/networks?fields=project_id&fields=id', undefined, A)).body.networks;
    assert.deepEqual(p, [{ id: netA.id, project_id: 'project-a' }]);
  });

  test('prototype names: unknown attributes in bodies, empty objects as fields, invalid filters', async () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await s.request('POST', '/v2.0/networks', `{"network": {"name": "x", "${key}": 1}}`, A);
      assert.equal(res.status, 400, key);
      assert.equal(res.body.NeutronError.message, `Unrecognized attribute(s) '${key}'`);
      const put = await s.request('PUT', `/v2.0/networks/${netA.id}`, `{"network": {"${key}": {}}}`, A);
      assert.equal(put.status, 400, key);
    }
    for (const path of ['networks', 'subnets', 'ports', 'security-groups', 'routers', 'floatingips', 'subnetpools', 'address-scopes', 'agents', 'availability_zones']) {
      for (const f of ['__proto__', 'constructor', 'toString']) {
        const res = await s.request('GET', `/v2.0/${path}?fields=${f}`, undefined, ADMIN);
        assert.equal(res.status, 200, `${path} fields=${f}`);
        for (const item of Object.values(res.body)[0] as any[]) assert.deepEqual(item, {});
        const filter = await s.request('GET', `/v2.0/${path}?${f}=1`, undefined, ADMIN);
        assert.equal(filter.status, 400, `${path} filter ${f}`);
      }
    }
    assert.equal((await s.request('GET', `/v2.0/networks/${netA.id}?fields=constructor`, undefined, A)).status, 200);
    assert.equal((await s.request('GET', '/v2.0/networks?sort_key=__proto__&sort_dir=asc', undefined, A)).status, 400);
  });

  test('binding:host_id: empty values are no host, numbers and booleans text, lists and dicts 400', async () => {
    const cases: Array<[unknown, number, unknown?]> = [
      [[], 201, ''], [{}, 201, ''], [false, 201, ''], [0, 201, ''], [true, 201, '1'], [5, 201, '5'],
      [{ a: 1 }, 400], [['h'], 400], ['x'.repeat(256), 400],
    ];
    for (const [host, status, shown] of cases) {
      const res = await s.request('POST', '/v2.0/ports', { port: { network_id: netA.id, 'binding:host_id': host } }, ADMIN);
      assert.equal(res.status, status, `${JSON.stringify(host)}: ${JSON.stringify(res.body)}`);
      if (status === 201) assert.equal(res.body.port['binding:host_id'], shown);
      else assert.equal(errorType(res), 'HTTPBadRequest');
    }
  });

  test('remote_group_id: a value no id could be is 400 at once, an unknown id 404', async () => {
    const sg = (await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'sg' } }, A)).body.security_group;
    const rule = (g: unknown) => s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', remote_group_id: g } }, A);
    for (const g of [true, [], {}, 0, '']) {
      const t0 = Date.now();
      const res = await rule(g);
      assert.equal(res.status, 400, JSON.stringify(g));
      assert.ok(Date.now() - t0 < 1000);
    }
    assert.equal(errorType(await rule('11111111-1111-1111-1111-111111111111')), 'SecurityGroupNotFound');
    assert.equal((await rule(sg.id)).status, 201);
  });

  test('a foreign-key failure that repeats is the request fault at once, not a race retried 21 times', async () => {
    let attempts = 0;
    const write = s.server.db.write(async (tx) => {
      attempts++;
      await tx.insertInto('network_segments').values({
        id: '11111111-1111-1111-1111-111111111111', network_id: '22222222-2222-2222-2222-222222222222', network_type: 'local',
        physical_network: null, segmentation_id: null, segment_index: 0, is_dynamic: 0,
      }).execute();
    });
    await assert.rejects(write, (e: any) => e.type === 'InvalidInput' && e.status === 400);
    assert.equal(attempts, 2);
  });

  test('segments: [] is a tenant network; mtu is converted as int() does', async () => {
    const res = await s.request('POST', '/v2.0/networks', { network: { segments: [] } }, ADMIN);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    for (const physnet of [['physnet1'], { a: 1 }, 5, 'x'.repeat(65)]) {
      const bad = await s.request('POST', '/v2.0/networks', { network: { segments: [{ 'provider:network_type': 'flat', 'provider:physical_network': physnet }] } }, ADMIN);
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal(errorType(bad), 'InvalidInput');
    }
    const mtu = await s.request('POST', '/v2.0/networks', { network: { mtu: 1400.5 } }, A);
    assert.equal(mtu.status, 201);
    assert.equal(mtu.body.network.mtu, 1400);
    assert.equal((await s.request('PUT', `/v2.0/networks/${mtu.body.network.id}`, { network: { mtu: '1300' } }, A)).body.network.mtu, 1300);
    assert.equal((await s.request('PUT', `/v2.0/networks/${mtu.body.network.id}`, { network: { mtu: '13.5' } }, A)).status, 400);
    assert.equal((await s.request('PUT', `/v2.0/networks/${mtu.body.network.id}`, { network: { mtu: 1e300 } }, A)).status, 400);
  });

  test('limit beyond any integer a database holds is no limit; a bad one 400', async () => {
    for (const limit of ['9223372036854775808', '99999999999999999999999', '1_0']) {
      const res = await s.request('GET', `/v2.0/networks?limit=${limit}`, undefined, ADMIN);
      assert.equal(res.status, 200, limit);
    }
    for (const limit of ['-1', '1.5', 'x', '1__0']) assert.equal((await s.request('GET', `/v2.0/networks?limit=${limit}`, undefined, ADMIN)).status, 400, limit);
  });

  test('a marker that names no object: NotFound on networks, ports and routers, the first page elsewhere', async () => {
    const gone = '11111111-2222-3333-4444-555555555555';
    for (const path of ['networks', 'ports', 'routers']) {
      const res = await s.request('GET', `/v2.0/${path}?limit=1&marker=${gone}`, undefined, ADMIN);
      assert.equal(res.status, 404, path);
    }
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.9.0.0/24', ip_version: 4 } }, A);
    for (const path of ['subnets', 'security-groups', 'security-group-rules', 'floatingips', 'subnetpools', 'address-scopes']) {
      const res = await s.request('GET', `/v2.0/${path}?limit=1&marker=${gone}`, undefined, ADMIN);
      assert.equal(res.status, 200, path);
      const first = await s.request('GET', `/v2.0/${path}?limit=1`, undefined, ADMIN);
      assert.deepEqual(res.body, first.body, path);
    }
  });

  test('a path the router cannot decode is 404 in Neutron format', async () => {
    for (const path of ['/v2.0/networks/%zz', '/v2.0/networks/%E0%A4%A', `/v2.0/networks/${'a'.repeat(1100)}`, '/%', `/v2.0/networks/${netA.id}/tags/%zz`]) {
      const res = await s.request('GET', path, undefined, A);
      assert.equal(res.status, 404, path);
      assert.equal(errorType(res), 'HTTPNotFound', path);
    }
  });

  test('deep nesting is refused before validation', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const res = await s.request('POST', '/v2.0/networks', `{"network": {"name": ${deep}}}`, A);
    assert.equal(res.status, 400);
    assert.equal(res.body.NeutronError.message, 'Body contains invalid data');
    // brackets inside strings are text
    const text = await s.request('POST', '/v2.0/networks', { network: { name: '['.repeat(200) } }, A);
    assert.equal(text.status, 201);
    const obj = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    assert.equal((await s.request('POST', '/v2.0/ports', `{"port": {"network_id": "${netA.id}", "binding:profile": ${obj}}}`, ADMIN)).status, 400);
  });

  test('availability_zone_hints: an unknown zone is AvailabilityZoneNotFound, a DHCP agent zone is taken', async () => {
    const res = await s.request('POST', '/v2.0/networks', { network: { availability_zone_hints: ['nowhere'] } }, A);
    assert.equal(res.status, 404);
    assert.equal(errorType(res), 'AvailabilityZoneNotFound');
    assert.equal(res.body.NeutronError.message, 'AvailabilityZone nowhere could not be found.');
    const router = await s.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['nowhere'] } }, A);
    assert.equal(errorType(router), 'AvailabilityZoneNotFound');
    const agent = new FakeAgent(s.server.transport);
    await agent.reportState(DHCP_STATE('host1', { availability_zone: 'az1' }));
    const ok = await s.request('POST', '/v2.0/networks', { network: { availability_zone_hints: ['az1'] } }, A);
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.network.availability_zone_hints, ['az1']);
    // a DHCP agent's zone is no router zone
    assert.equal(errorType(await s.request('POST', '/v2.0/routers', { router: { availability_zone_hints: ['az1'] } }, A)), 'AvailabilityZoneNotFound');
  });

  test('allocation_pools: [] is a subnet without pools, as Neutron makes it', async () => {
    const res = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.8.0.0/24', ip_version: 4, allocation_pools: [] } }, B);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.subnet.allocation_pools, []);
  });
});

describe('robustness: the HTTP front', () => {
  test('CONNECT is answered, blank lines closed, an aborted body logged at debug', async () => {
    const lines: any[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
    const config = configWith({ DEFAULT: { state_path: (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/robust-`), client_socket_timeout: 2 } });
    const server = await buildServer({ config, log: pino({ level: 'debug' }, sink) });
    await server.app.ready();
    const front = new HttpFront(config, server.app.routing);
    const { port } = await front.listen({ host: '127.0.0.1', port: 0 }, 16);
    const raw = (data: string, opts: { halfClose?: boolean; destroyAfter?: number; reset?: boolean } = {}) => new Promise<{ out: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      let out = '';
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(data);
        if (opts.halfClose) sock.end();
        if (opts.destroyAfter) setTimeout(() => (opts.reset ? sock.resetAndDestroy() : sock.destroy()), opts.destroyAfter);
      });
      sock.on('data', (d) => (out += d));
      sock.on('error', () => {});
      sock.on('close', () => resolve({ out, ms: Date.now() - t0 }));
    });
    try {
      const tunnel = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      assert.match(tunnel.out, /^HTTP\/1\.1 404 /);
      assert.match(tunnel.out, /"NeutronError"/);
      // a CONNECT whose client resets at once leaves the server up
      await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { destroyAfter: 1, reset: true });
      const again = await raw('CONNECT /v2.0/networks HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(again.out, /^HTTP\/1\.1 404 /);
      const blank = await raw('\r\n\r\n\r\n', { halfClose: true });
      assert.equal(blank.out, '');
      const idle = await raw('\r\n\r\n\r\n');
      assert.ok(idle.ms < 5000, 'closed within client_socket_timeout');
      await raw('POST /v2.0/networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"network":', { destroyAfter: 100 });
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(lines.some((l) => l.level === 20 && l.msg === 'client aborted the request'), 'the abort is logged at debug');
      assert.ok(!lines.some((l) => l.level >= 50), JSON.stringify(lines.filter((l) => l.level >= 50)));
    } finally {
      await front.drain(1000);
      await server.close();
    }
  });
});
