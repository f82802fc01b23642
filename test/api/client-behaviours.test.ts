// Behaviours a real client found different from Neutron (issue 19, item 6), one test each.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('behaviours clients found different', () => {
  let s: TestServer;
  let ext: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router'] } });
    ext = await post('/v2.0/networks', { network: { name: 'public', 'router:external': true } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } }, ADMIN);
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const put = (path: string, body: unknown, headers: Record<string, string> = A) => s.request('PUT', path, body, headers);

  /** a VM port on a network routed to the external one */
  async function routedPort(cidr: string) {
    const net = await post('/v2.0/networks', { network: { name: `n-${cidr}` } });
    const sub = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } });
    const r = await post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id } } });
    assert.equal((await put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id })).status, 200);
    return post('/v2.0/ports', { port: { network_id: net.id } });
  }

  test('floating IPs: an empty update disassociates; other attributes alone keep the association', async () => {
    const vm = await routedPort('10.31.0.0/24');
    const fip = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vm.id } });
    assert.equal(fip.port_id, vm.id);
    const described = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: { description: 'web' } });
    assert.equal(described.status, 200, JSON.stringify(described.body));
    assert.equal(described.body.floatingip.port_id, vm.id, 'a description alone keeps the association');
    assert.equal(described.body.floatingip.description, 'web');
    const blank = await put(`/v2.0/floatingips/${fip.id}`, { floatingip: {} });
    assert.equal(blank.status, 200, JSON.stringify(blank.body));
    assert.deepEqual([blank.body.floatingip.port_id, blank.body.floatingip.fixed_ip_address, blank.body.floatingip.router_id], [null, null, null]);
    assert.equal(blank.body.floatingip.description, 'web');
    // the fixed IP is free again at once, for this floating IP or another one
    const other = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vm.id } });
    assert.equal(other.port_id, vm.id);
  });

  test('deleting an external network takes its floating IPs; any other port still refuses', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'public2', 'router:external': true } }, ADMIN);
    await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '172.25.4.0/24', ip_version: 4 } }, ADMIN);
    const fips = [
      await post('/v2.0/floatingips', { floatingip: { floating_network_id: net.id } }),
      await post('/v2.0/floatingips', { floatingip: { floating_network_id: net.id } }, ADMIN),
    ];
    const other = await post('/v2.0/ports', { port: { network_id: net.id, device_owner: 'compute:nova' } }, ADMIN);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, ADMIN)).slice(0, 2), [409, 'NetworkInUse']);
    assert.equal((await s.request('GET', `/v2.0/floatingips/${fips[0].id}`, undefined, A)).status, 200, 'a refused delete keeps them');
    assert.equal((await s.request('DELETE', `/v2.0/ports/${other.id}`, undefined, ADMIN)).status, 204);
    const deleted = await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, ADMIN);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    for (const f of fips) assert.deepEqual(errorOf(await s.request('GET', `/v2.0/floatingips/${f.id}`, undefined, ADMIN)).slice(0, 2), [404, 'FloatingIPNotFound']);
    assert.deepEqual((await s.request('GET', `/v2.0/ports?network_id=${net.id}`, undefined, ADMIN)).body.ports, []);
  });

  test('quotas: a security group whose egress rules would pass the rule quota is refused', async () => {
    const P = asProject('project-quota');
    const groups = (await s.request('GET', '/v2.0/security-groups', undefined, P)).body.security_groups;
    assert.equal(groups.length, 1, 'the default group, made on first need');
    const used = (await s.request('GET', '/v2.0/quotas/project-quota/details', undefined, P)).body.quota.security_group_rule.used;
    assert.equal(used, 4);
    assert.equal((await put('/v2.0/quotas/project-quota', { quota: { security_group_rule: 5 } }, ADMIN)).status, 200);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'x' } }, P)),
      [409, 'OverQuota', "Quota exceeded for resources: ['security_group_rule']."]);
    assert.equal((await s.request('GET', '/v2.0/security-groups', undefined, P)).body.security_groups.length, 1, 'nothing left behind');
    assert.equal((await put('/v2.0/quotas/project-quota', { quota: { security_group_rule: 6, security_group: 2 } }, ADMIN)).status, 200);
    await post('/v2.0/security-groups', { security_group: { name: 'y' } }, P);
    // lowered to the usage exactly: the next create is refused
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'z' } }, P)).slice(0, 2), [409, 'OverQuota']);
    // a new project whose default group's rules would not fit
    assert.equal((await put('/v2.0/quotas/project-tiny', { quota: { security_group_rule: 3 } }, ADMIN)).status, 200);
    const T = asProject('project-tiny');
    const net = await post('/v2.0/networks', { network: {} }, T);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, T)),
      [409, 'OverQuota', "Quota exceeded for resources: ['security_group_rule']."]);
  });

  test('quotas: ports refused at a limit lowered to their usage', async () => {
    const P = asProject('project-ports');
    const net = await post('/v2.0/networks', { network: {} }, P);
    await post('/v2.0/ports', { port: { network_id: net.id } }, P);
    await post('/v2.0/ports', { port: { network_id: net.id } }, P);
    assert.equal((await put('/v2.0/quotas/project-ports', { quota: { port: 2 } }, ADMIN)).status, 200);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, P)).slice(0, 2), [409, 'OverQuota']);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { ports: [{ network_id: net.id }] }, P)).slice(0, 2), [409, 'OverQuota']);
  });
});

describe('If-Match as Neutron parses it (webob, then int())', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  test('any integer, quoted or not; stale is 412, malformed 400', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'rev' } }, A)).body.network;
    const rev = net.revision_number;
    const update = (ifMatch: string) => s.request('PUT', `/v2.0/networks/${net.id}`, { network: { description: ifMatch } }, { ...A, 'if-match': ifMatch });
    for (const stale of ['revision_number=-1', `revision_number=${rev + 7}`, '"revision_number=-3"']) {
      assert.deepEqual(errorOf(await update(stale)).slice(0, 2), [412, 'RevisionNumberConstraintFailed'], stale);
    }
    const negative = await update('revision_number=-1');
    assert.equal(negative.body.NeutronError.message, `Constrained to -1, but current revision is ${rev}`);
    let current = rev;
    for (const form of [`revision_number=${current}`, `"revision_number=${current + 1}"`, `revision_number=+${current + 2}`, `revision_number=0${current + 3}`,
      `W/"revision_number=99", "revision_number=${current + 4}"`, `"other-etag", "revision_number=${current + 5}"`, '*', 'some-etag']) {
      const res = await update(form);
      assert.equal(res.status, 200, `${form}: ${JSON.stringify(res.body)}`);
      current = res.body.network.revision_number;
    }
    const bad = [
      ['revision_number=abc', 'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.'],
      ['revision_number=', 'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.'],
      // unquoted, the whole value is one etag
      ['revision_number=1, revision_number=2', 'Bad if-match request: Revision number etag must be in the format of revision_number=<int>.'],
      ['"revision_number=1", "revision_number=2"', 'Bad if-match request: Multiple revision_number etags are not supported..'], // sic: Neutron's msg ends with a period too,
    ];
    for (const [header, message] of bad) {
      assert.deepEqual(errorOf(await update(header!)), [400, 'BadRequest', message], header);
    }
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, { ...A, 'if-match': 'revision_number=-5' })).slice(0, 2), [412, 'RevisionNumberConstraintFailed']);
  });
});

describe('subnet service types as Neutron accepts them', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  test("any value Neutron's validator lets through, and ports from the subnet of their owner", async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: {} }, ADMIN)).body.network;
    const subnet = (cidr: string, service_types: unknown) =>
      s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4, service_types } }, ADMIN);
    const typed = await subnet('10.40.1.0/24', ['test:foo', 'compute:*', 'network:*', 'compute:nova-az', 'ml2:x']);
    assert.equal(typed.status, 201, JSON.stringify(typed.body));
    assert.deepEqual([...typed.body.subnet.service_types].sort(), ['compute:*', 'compute:nova-az', 'ml2:x', 'network:*', 'test:foo']);
    for (const bad of ['foo:bar', 'baremetal:none', 'nova']) {
      assert.deepEqual(errorOf(await subnet('10.40.9.0/24', [bad])),
        [400, 'InvalidSubnetServiceType', `Subnet service type ${bad} does not correspond to a valid device owner.`]);
    }
    const plain = (await subnet('10.40.2.0/24', [])).body.subnet;
    const port = async (device_owner: string) =>
      s.request('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner } }, ADMIN);
    for (const owner of ['test:foo', 'compute:nova-az', 'compute:*']) {
      const p = await port(owner);
      assert.equal(p.status, 201, JSON.stringify(p.body));
      assert.deepEqual(p.body.port.fixed_ips.map((f: any) => f.subnet_id), [typed.body.subnet.id], owner);
    }
    const other = await port('compute:nova');
    assert.deepEqual(other.body.port.fixed_ips.map((f: any) => f.subnet_id), [plain.id], 'an owner no subnet lists: the untyped subnet');
    const onlyTyped = (await s.request('POST', '/v2.0/networks', { network: {} }, ADMIN)).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: onlyTyped.id, cidr: '10.41.0.0/24', ip_version: 4, service_types: ['test:foo'] } }, ADMIN);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: onlyTyped.id, device_owner: 'compute:nova' } }, ADMIN)).slice(0, 2),
      [409, 'IpAddressGenerationFailureNoMatchingSubnet']);
  });
});

describe("subnets of another project's external network", () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  test('are neither listed nor shown to other projects, and pages count only what is seen', async () => {
    const ext = (await s.request('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } }, ADMIN)).body.network;
    const extSubnets = [];
    for (const cidr of ['172.30.0.0/24', '172.30.1.0/24', '172.30.2.0/24']) {
      extSubnets.push((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr, ip_version: 4 } }, ADMIN)).body.subnet);
    }
    const net = (await s.request('POST', '/v2.0/networks', { network: {} }, A)).body.network;
    const own = [];
    for (const cidr of ['10.50.0.0/24', '10.50.1.0/24', '10.50.2.0/24']) {
      own.push((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } }, A)).body.subnet);
    }
    assert.equal((await s.request('GET', `/v2.0/networks/${ext.id}`, undefined, A)).status, 200, 'the network itself is visible');
    const listed = (await s.request('GET', '/v2.0/subnets', undefined, A)).body.subnets.map((x: any) => x.id).sort();
    assert.deepEqual(listed, own.map((x) => x.id).sort());
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/subnets/${extSubnets[0].id}`, undefined, A)).slice(0, 2), [404, 'SubnetNotFound']);
    assert.deepEqual((await s.request('GET', `/v2.0/subnets?network_id=${ext.id}`, undefined, A)).body.subnets, []);
    assert.equal((await s.request('GET', '/v2.0/subnets', undefined, ADMIN)).body.subnets.length, 6, 'an admin sees them all');

    // pages of 2 sorted by cidr: the external subnets (172.30...) sort after the own ones (10.50...)
    const seen: string[] = [];
    let url: string | null = '/v2.0/subnets?limit=2&sort_key=cidr&sort_dir=asc';
    let pages = 0;
    while (url) {
      const page: any = (await s.request('GET', url, undefined, A)).body;
      assert.ok(page.subnets.length <= 2);
      seen.push(...page.subnets.map((x: any) => x.cidr));
      const next = (page.subnets_links ?? []).find((l: any) => l.rel === 'next');
      url = next ? new URL(next.href).pathname + new URL(next.href).search : null;
      assert.ok(++pages <= 3, 'next links stop');
    }
    assert.deepEqual(seen, ['10.50.0.0/24', '10.50.1.0/24', '10.50.2.0/24']);
    assert.equal(pages, 2);
  });
});
