import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('subnet pools and address scopes', () => {
  let s: TestServer;
  let n = 0;
  const pool = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/subnetpools', { subnetpool: { name: `pool${n++}`, ...body } }, headers);
  const scope = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/address-scopes', { address_scope: { name: `scope${n++}`, ...body } }, headers);
  const network = async (headers = A) => (await s.request('POST', '/v2.0/networks', { network: { name: `net${n++}` } }, headers)).body.network;
  const subnet = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/subnets', { subnet: { ip_version: 4, ...body } }, headers);

  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test('a pool: prefixes compacted, defaults, prefix lengths as strings', async () => {
    const res = await pool({ prefixes: ['10.2.0.5/16', '10.1.1.0/24', '10.1.0.0/24', '10.1.0.128/25'] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.subnetpool;
    assert.deepEqual(p.prefixes, ['10.1.0.0/23', '10.2.0.0/16'], 'merged, masked and in address order');
    assert.equal(p.ip_version, 4);
    assert.equal(p.min_prefixlen, '8');
    assert.equal(p.max_prefixlen, '32');
    assert.equal(p.default_prefixlen, '8');
    assert.equal(p.default_quota, null);
    assert.equal(p.is_default, false);
    assert.equal(p.shared, false);
    assert.equal(p.address_scope_id, null);
    assert.equal(p.revision_number, 0);
    const v6 = (await pool({ prefixes: ['2001:db8::/48'] })).body.subnetpool;
    assert.deepEqual([v6.ip_version, v6.min_prefixlen, v6.max_prefixlen, v6.default_prefixlen], [6, '64', '128', '64']);
    assert.deepEqual((await s.request('GET', '/v2.0/subnetpools?min_prefixlen=64', undefined, A)).body.subnetpools.map((x: any) => x.id), [v6.id]);

    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ prefixes: [] }, 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.'],
      [{ prefixes: ['10.0.0.0/8', '2001:db8::/32'] }, 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.'],
      [{ prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.'],
      [{ prefixes: ['10.0.0.0/8'], max_prefixlen: 33 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.'],
      [{ prefixes: ['10.0.0.0/8'], min_prefixlen: 16, default_prefixlen: 12 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=12, min_prefixlen=16.'],
      [{ prefixes: ['10.0.0.0/8'], default_prefixlen: 30, max_prefixlen: 28 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=30, max_prefixlen=28.'],
      [{ prefixes: ['10.0.0.0/8', '10.0.0.0/8'] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: Duplicate items in the list: '10.0.0.0/8'."],
      [{ prefixes: ['10.0.0.0/8'], is_default: true }, 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:is_default) is disallowed by policy'],
      [{ prefixes: ['10.0.0.0/8'], shared: true }, 403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:shared) is disallowed by policy'],
    ];
    for (const [body, status, type, message] of cases) assert.deepEqual(errorOf(await pool(body)), [status, type, message], JSON.stringify(body));
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/8'] } }, A)).slice(0, 2), [400, 'HTTPBadRequest'], 'a name is required');
  });

  test('allocation from a pool: default and explicit prefix lengths, explicit CIDRs, no overlap, exhaustion', async () => {
    const p = (await pool({ prefixes: ['10.10.0.0/22'], default_prefixlen: 24, min_prefixlen: 23, max_prefixlen: 26 })).body.subnetpool;
    const net = await network();
    const first = await subnet({ network_id: net.id, subnetpool_id: p.id });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.subnet.cidr, '10.10.0.0/24');
    assert.equal(first.body.subnet.gateway_ip, '10.10.0.1');
    assert.deepEqual(first.body.subnet.allocation_pools, [{ start: '10.10.0.2', end: '10.10.0.254' }]);
    assert.equal(first.body.subnet.subnetpool_id, p.id);
    const small = await subnet({ network_id: net.id, subnetpool_id: p.id, prefixlen: 26 });
    assert.equal(small.body.subnet.cidr, '10.10.1.0/26', 'the most specific free block that fits');
    const explicit = await subnet({ network_id: net.id, subnetpool_id: p.id, cidr: '10.10.2.0/24' });
    assert.equal(explicit.status, 201);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p.id, cidr: '10.10.2.128/25' })),
      [500, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.']);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p.id, prefixlen: 27 })),
      [400, 'MaxPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 27, maximum allowed prefix is 26.']);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p.id, prefixlen: 22 })),
      [400, 'MinPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 22, minimum allowed prefix is 23.']);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p.id, ip_version: 6 })),
      [400, 'BadRequest', 'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.']);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p.id, allocation_pools: [{ start: '10.10.3.5', end: '10.10.3.9' }] })),
      [400, 'BadRequest', 'Bad subnets request: allocation_pools allowed only for specific subnet requests..'], 'sic');
    const seen = new Set<string>();
    for (const r of [first, small, explicit]) seen.add(r.body.subnet.cidr);
    for (;;) {
      const next = await subnet({ network_id: net.id, subnetpool_id: p.id, prefixlen: 26 });
      if (next.status !== 201) {
        assert.deepEqual(errorOf(next), [500, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /26.']);
        break;
      }
      assert.equal(seen.has(next.body.subnet.cidr), false, 'a prefix is never given twice');
      seen.add(next.body.subnet.cidr);
    }
    assert.equal(seen.size, 3 + 3 + 4, 'the rest of 10.10.1.0/24 and 10.10.3.0/24 in /26 blocks');

    const add = await s.request('PUT', `/v2.0/subnetpools/${p.id}/add_prefixes`, { prefixes: ['10.10.4.0/24', '192.168.0.0/24'] }, A);
    assert.equal(add.status, 200);
    assert.deepEqual(add.body, { prefixes: ['10.10.0.0/22', '10.10.4.0/24', '192.168.0.0/24'] });
    const afterAdd = (await s.request('GET', `/v2.0/subnetpools/${p.id}`, undefined, A)).body.subnetpool;
    assert.deepEqual(afterAdd.prefixes, add.body.prefixes);
    assert.equal(afterAdd.revision_number, p.revision_number + 1);
    assert.equal((await subnet({ network_id: net.id, subnetpool_id: p.id, prefixlen: 26 })).status, 201, 'room again after add_prefixes');
    const inUse = await s.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['10.10.0.0/24'] }, A);
    assert.deepEqual(errorOf(inUse), [400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..']);
    const removed = await s.request('PUT', `/v2.0/subnetpools/${p.id}/remove_prefixes`, { prefixes: ['192.168.0.0/25'] }, A);
    assert.deepEqual(removed.body.prefixes, ['10.10.0.0/22', '10.10.4.0/24', '192.168.0.128/25']);
    const shrink = await s.request('PUT', `/v2.0/subnetpools/${p.id}`, { subnetpool: { prefixes: ['10.10.0.0/22'] } }, A);
    assert.deepEqual(errorOf(shrink), [400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.']);
    const grow = await s.request('PUT', `/v2.0/subnetpools/${p.id}`, { subnetpool: { prefixes: ['10.10.0.0/21', '192.168.0.128/25'], name: 'grown' } }, A);
    assert.equal(grow.status, 200);
    assert.deepEqual(grow.body.subnetpool.prefixes, ['10.10.0.0/21', '192.168.0.128/25']);

    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/subnetpools/${p.id}`, undefined, A)),
      [400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.']);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/subnetpools/${p.id}`, undefined, A)).status, 204);
  });

  test('one pool per address family on a network; quotas', async () => {
    const p1 = (await pool({ prefixes: ['10.20.0.0/16'], default_prefixlen: 24, default_quota: 512 })).body.subnetpool;
    const p2 = (await pool({ prefixes: ['10.21.0.0/16'], default_prefixlen: 24 })).body.subnetpool;
    const net = await network();
    assert.equal((await subnet({ network_id: net.id, subnetpool_id: p1.id })).status, 201);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p2.id })),
      [400, 'NetworkSubnetPoolAffinityError', 'Subnets hosted on the same network must be allocated from the same subnet pool.']);
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, cidr: '10.99.0.0/24' })).slice(0, 2), [400, 'NetworkSubnetPoolAffinityError']);
    assert.equal((await subnet({ network_id: net.id, cidr: '2001:db8::/64', ip_version: 6 })).status, 201, 'another family is free to differ');
    assert.equal((await subnet({ network_id: net.id, subnetpool_id: p1.id, prefixlen: 24 })).status, 201, '512 addresses of quota: two /24');
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, subnetpool_id: p1.id, prefixlen: 28 })),
      [409, 'SubnetPoolQuotaExceeded', 'Per-tenant subnet pool prefix quota exceeded.']);
    assert.equal((await subnet({ network_id: (await network(B)).id, subnetpool_id: p1.id }, B)).status, 404, 'an unshared pool is invisible to others');
  });

  test('default pools: one per IP version, used by use_default_subnetpool', async () => {
    const net = await network();
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, use_default_subnetpool: true })),
      [400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv4.']);
    const d = (await pool({ prefixes: ['172.16.0.0/12'], default_prefixlen: 26, is_default: true, shared: true }, ADMIN)).body.subnetpool;
    assert.equal(d.is_default, true);
    assert.equal(d.shared, true);
    assert.deepEqual(errorOf(await pool({ prefixes: ['172.32.0.0/12'], is_default: true }, ADMIN)),
      [400, 'InvalidInput', 'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.']);
    const other = (await pool({ prefixes: ['172.32.0.0/12'] }, ADMIN)).body.subnetpool;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/subnetpools/${other.id}`, { subnetpool: { is_default: true } }, ADMIN)).slice(0, 2), [400, 'InvalidInput']);
    const sn = await subnet({ network_id: net.id, use_default_subnetpool: true });
    assert.equal(sn.status, 201, JSON.stringify(sn.body));
    assert.equal(sn.body.subnet.subnetpool_id, d.id);
    assert.equal(sn.body.subnet.cidr, '172.16.0.0/26');
    assert.deepEqual(errorOf(await subnet({ network_id: net.id, use_default_subnetpool: true, subnetpool_id: d.id })),
      [400, 'BadRequest', 'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.']);
    assert.deepEqual((await s.request('GET', '/v2.0/subnetpools?is_default=true', undefined, B)).body.subnetpools.map((x: any) => x.id), [d.id], 'shared pools are visible to all');
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/subnetpools/${d.id}`, { subnetpool: { name: 'x' } }, B)).slice(0, 2), [403, 'PolicyNotAuthorized']);
  });

  test('address scopes: CRUD, sharing, pools joining them, prefix conflicts, network scopes', async () => {
    const res = await scope({ ip_version: 4 });
    assert.equal(res.status, 201);
    const sc = res.body.address_scope;
    assert.deepEqual(Object.keys(sc).sort(), ['id', 'ip_version', 'name', 'project_id', 'shared', 'tenant_id']);
    assert.equal(sc.shared, false);
    assert.deepEqual(errorOf(await scope({ ip_version: 4, shared: true })).slice(0, 2), [403, 'PolicyNotAuthorized']);
    assert.equal((await s.request('GET', `/v2.0/address-scopes/${sc.id}`, undefined, B)).status, 404);

    const p1 = (await pool({ prefixes: ['10.30.0.0/16'], address_scope_id: sc.id, default_prefixlen: 24 })).body.subnetpool;
    assert.equal(p1.address_scope_id, sc.id);
    assert.deepEqual(errorOf(await pool({ prefixes: ['10.30.128.0/17'], address_scope_id: sc.id })),
      [409, 'AddressScopePrefixConflict', 'Failed to associate address scope: subnetpools within an address scope must have unique prefixes.']);
    const v6 = (await pool({ prefixes: ['2001:db8::/48'] })).body.subnetpool;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/subnetpools/${v6.id}`, { subnetpool: { address_scope_id: sc.id } }, A)),
      [400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope', `Illegal subnetpool association: subnetpool ${v6.id} cannot associate with address scope ${sc.id} because subnetpool ip_version is not 4.`]);
    assert.deepEqual(errorOf(await pool({ prefixes: ['10.40.0.0/16'], address_scope_id: '11111111-2222-3333-4444-555555555555' })).slice(0, 2), [404, 'AddressScopeNotFound']);
    const p2 = (await pool({ prefixes: ['10.30.0.0/24'] })).body.subnetpool;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/subnetpools/${p2.id}`, { subnetpool: { address_scope_id: sc.id } }, A)).slice(0, 2), [409, 'AddressScopePrefixConflict']);
    const addConflict = await s.request('PUT', `/v2.0/subnetpools/${p1.id}/add_prefixes`, { prefixes: ['10.30.0.0/15'] }, A);
    assert.equal(addConflict.status, 200, 'growing a pool within its own prefixes is no conflict');

    const net = await network();
    assert.equal((await subnet({ network_id: net.id, subnetpool_id: p1.id })).status, 201);
    const shown = (await s.request('GET', `/v2.0/networks/${net.id}`, undefined, A)).body.network;
    assert.equal(shown.ipv4_address_scope, sc.id);
    assert.equal(shown.ipv6_address_scope, null);

    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/address-scopes/${sc.id}`, undefined, A)),
      [409, 'AddressScopeInUse', `Unable to complete operation on address scope ${sc.id}. There are one or more subnet pools in use on the address scope.`]);
    const shared = await s.request('PUT', `/v2.0/address-scopes/${sc.id}`, { address_scope: { shared: true } }, ADMIN);
    assert.equal(shared.body.address_scope.shared, true);
    assert.equal((await s.request('GET', `/v2.0/address-scopes/${sc.id}`, undefined, B)).status, 200, 'a shared scope is visible to all');
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/address-scopes/${sc.id}`, { address_scope: { shared: false } }, ADMIN)),
      [400, 'AddressScopeUpdateError', `Unable to update address scope ${sc.id} : Shared address scope can't be unshared.`]);
    assert.deepEqual((await s.request('GET', '/v2.0/address-scopes?shared=true', undefined, B)).body.address_scopes.map((x: any) => x.id), [sc.id]);
    const renamed = await s.request('PUT', `/v2.0/address-scopes/${sc.id}`, { address_scope: { name: 'renamed' } }, A);
    assert.equal(renamed.body.address_scope.name, 'renamed');
    const gone = (await scope({ ip_version: 6 })).body.address_scope;
    assert.equal((await s.request('DELETE', `/v2.0/address-scopes/${gone.id}`, undefined, A)).status, 204);
  });
});
