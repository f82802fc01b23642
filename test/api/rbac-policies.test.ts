import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

// the three projects of every case: the object's owner, the project it is shared with, and one it is not
const OWNER = asProject('rbac-owner');
const TARGET = asProject('rbac-target');
const BYSTANDER = asProject('rbac-bystander');
const TARGET_ID = 'rbac-target';

function errorOf(res: { status: number; body: any }): [number, string] {
  return [res.status, res.body?.NeutronError?.type];
}

describe('rbac-policies', () => {
  let s: TestServer;
  let n = 0;
  const post = async (collection: string, key: string, body: Record<string, unknown>, headers: Record<string, string>) => {
    const res = await s.request('POST', `/v2.0/${collection}`, { [key]: body }, headers);
    assert.equal(res.status, 201, `${collection}: ${JSON.stringify(res.body)}`);
    return res.body[key];
  };
  const policy = (body: Record<string, unknown>, headers = OWNER) => s.request('POST', '/v2.0/rbac-policies', { rbac_policy: body }, headers);
  const get = (path: string, headers: Record<string, string>) => s.request('GET', path, undefined, headers);
  const network = (headers = OWNER, extra: Record<string, unknown> = {}) => post('networks', 'network', { name: `net${n++}`, ...extra }, headers);
  const subnet = (networkId: string, cidr: string, headers = OWNER) => post('subnets', 'subnet', { network_id: networkId, ip_version: 4, cidr }, headers);

  before(async () => {
    s = await startServer({ quotas: { quota_rbac_policy: 50 } });
  });
  after(() => s.close());

  test('the extensions are listed', async () => {
    const aliases = (await get('/v2.0/extensions', OWNER)).body.extensions.map((e: any) => e.alias);
    for (const a of ['rbac-policies', 'rbac-security-groups', 'rbac-address-scope', 'rbac-subnetpool', 'security-groups-shared-filtering']) assert.ok(aliases.includes(a), a);
  });

  test('network: owner shares with a target, the bystander sees nothing; the policy is the owner\'s', async () => {
    const net = await network();
    await subnet(net.id, '10.50.0.0/24');
    const revision = (await get(`/v2.0/networks/${net.id}`, OWNER)).body.network.revision_number;
    assert.equal((await get(`/v2.0/networks/${net.id}`, TARGET)).status, 404);
    const created = await policy({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: TARGET_ID });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const p = created.body.rbac_policy;
    assert.deepEqual(Object.keys(p).sort(), ['action', 'id', 'object_id', 'object_type', 'project_id', 'target_tenant', 'tenant_id']);
    assert.deepEqual([p.object_type, p.object_id, p.action, p.target_tenant, p.project_id], ['network', net.id, 'access_as_shared', TARGET_ID, 'rbac-owner']);

    const afterShare = (await get(`/v2.0/networks/${net.id}`, OWNER)).body.network;
    assert.equal(afterShare.revision_number, revision + 1, 'an RBAC change bumps the revision');
    assert.equal(afterShare.shared, false, 'shared says whether the caller (or everyone) is a target');
    const seen = await get(`/v2.0/networks/${net.id}`, TARGET);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.network.shared, true);
    assert.equal((await get(`/v2.0/subnets?network_id=${net.id}`, TARGET)).body.subnets.length, 1, 'its subnets with it');
    assert.deepEqual(errorOf(await get(`/v2.0/networks/${net.id}`, BYSTANDER)), [404, 'NetworkNotFound']);
    assert.equal((await get(`/v2.0/subnets?network_id=${net.id}`, BYSTANDER)).body.subnets.length, 0);
    assert.ok((await get('/v2.0/networks?shared=true', TARGET)).body.networks.some((x: any) => x.id === net.id));
    assert.ok(!(await get('/v2.0/networks?shared=true', OWNER)).body.networks.some((x: any) => x.id === net.id));

    // the policy itself is the owner's (and an admin's) only
    assert.equal((await get(`/v2.0/rbac-policies/${p.id}`, OWNER)).status, 200);
    for (const other of [TARGET, BYSTANDER]) {
      assert.deepEqual(errorOf(await get(`/v2.0/rbac-policies/${p.id}`, other)), [404, 'RbacPolicyNotFound']);
      assert.ok(!(await get('/v2.0/rbac-policies', other)).body.rbac_policies.some((x: any) => x.id === p.id));
      assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, other)), [404, 'RbacPolicyNotFound']);
    }
    assert.ok((await get(`/v2.0/rbac-policies?object_id=${net.id}&object_type=network`, ADMIN)).body.rbac_policies.some((x: any) => x.id === p.id));
    const listed = (await get(`/v2.0/rbac-policies?target_tenant=${TARGET_ID}&fields=id&fields=target_tenant`, OWNER)).body.rbac_policies;
    assert.deepEqual(listed.find((x: any) => x.id === p.id), { id: p.id, target_tenant: TARGET_ID });

    // the target uses it; the bystander cannot
    const port = await post('ports', 'port', { network_id: net.id }, TARGET);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, BYSTANDER)), [404, 'NetworkNotFound']);
    // nor take it away while it is used: deleting or narrowing the policy
    const inUse = await s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER);
    assert.deepEqual(errorOf(inUse), [409, 'RbacPolicyInUse']);
    assert.match(inUse.body.NeutronError.message, new RegExp(`^RBAC policy on object ${net.id} cannot be removed because other objects depend on it.`));
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: 'rbac-bystander' } }, OWNER)), [409, 'RbacPolicyInUse']);
    // the owner's own ports never count
    await post('ports', 'port', { network_id: net.id }, OWNER);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, TARGET)).status, 204);

    const moved = await s.request('PUT', `/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: 'rbac-bystander' } }, OWNER);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.rbac_policy.target_tenant, 'rbac-bystander');
    assert.equal((await get(`/v2.0/networks/${net.id}`, TARGET)).status, 404);
    assert.equal((await get(`/v2.0/networks/${net.id}`, BYSTANDER)).status, 200);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/rbac-policies/${p.id}`, { rbac_policy: { action: 'access_as_external' } }, OWNER)), [400, 'HTTPBadRequest']);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER)).status, 204);
    assert.equal((await get(`/v2.0/networks/${net.id}`, BYSTANDER)).status, 404);
    assert.deepEqual(errorOf(await get(`/v2.0/rbac-policies/${p.id}`, OWNER)), [404, 'RbacPolicyNotFound']);
  });

  test('wildcards are admin-only; duplicates, bad input and other projects\' objects are refused', async () => {
    const net = await network();
    const wildcard = { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: '*' };
    assert.deepEqual(errorOf(await policy(wildcard)), [403, 'PolicyNotAuthorized']);
    const mine = (await policy({ ...wildcard, target_tenant: TARGET_ID })).body.rbac_policy;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/rbac-policies/${mine.id}`, { rbac_policy: { target_tenant: '*' } }, OWNER)), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(errorOf(await policy({ ...wildcard, target_tenant: TARGET_ID })), [409, 'DuplicateRbacPolicy']);
    const admins = await policy({ ...wildcard, tenant_id: 'rbac-owner' }, ADMIN);
    assert.equal(admins.status, 201, JSON.stringify(admins.body));
    const shown = (await get(`/v2.0/networks/${net.id}`, BYSTANDER)).body.network;
    assert.equal(shown.shared, true, 'a `*` policy is shared=True');
    assert.equal((await get(`/v2.0/networks/${net.id}`, OWNER)).body.network.shared, true);
    // the target can see the network now but may not share what it does not own; nobody shares what he cannot see
    assert.deepEqual(errorOf(await policy({ ...wildcard, target_tenant: 'rbac-bystander' }, TARGET)), [400, 'InvalidInput']);
    const hidden = await network(ADMIN);
    assert.deepEqual(errorOf(await policy({ ...wildcard, object_id: hidden.id, target_tenant: 'rbac-bystander' }, TARGET)), [400, 'InvalidInput']);

    const bad = { ...wildcard, target_tenant: 'rbac-bad' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...bad, object_type: 'router' }, 'InvalidInput'],
      [{ ...bad, object_type: undefined }, 'InvalidInput'],
      [{ ...wildcard, action: 'access_as_owner', target_tenant: 'x' }, 'InvalidActionForType'],
      [{ ...wildcard, target_tenant: '' }, 'HTTPBadRequest'],
      [{ ...wildcard, target_tenant: 'x'.repeat(256) }, 'HTTPBadRequest'],
      [{ ...wildcard, target_tenant: null }, 'HTTPBadRequest'],
      [{ ...wildcard, object_id: 'nope', target_tenant: 'x' }, 'HTTPBadRequest'],
    ];
    for (const [body, type] of cases) assert.deepEqual(errorOf(await policy(body)), [400, type], JSON.stringify(body));
    const upper = await policy({ ...wildcard, object_type: ' NETWORK ', target_tenant: 'rbac-upper' });
    assert.equal(upper.body.rbac_policy.object_type, 'network', 'the type is normalised');

    // shared=False on the network removes the wildcard row, as deleting it would
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }, ADMIN)).status, 200);
    assert.deepEqual(errorOf(await get(`/v2.0/rbac-policies/${admins.body.rbac_policy.id}`, ADMIN)), [404, 'RbacPolicyNotFound']);
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { shared: true } }, ADMIN)).status, 200);
    const rows = (await get(`/v2.0/rbac-policies?object_id=${net.id}&target_tenant=*`, ADMIN)).body.rbac_policies;
    assert.equal(rows.length, 1, 'shared=True is a `*` access_as_shared row');
  });

  test('access_as_external: router:external follows the rows; subnets of an external network stay hidden', async () => {
    const net = await network(ADMIN);
    await subnet(net.id, '10.51.0.0/24', ADMIN);
    const p = await policy({ object_type: 'network', object_id: net.id, action: 'access_as_external', target_tenant: TARGET_ID }, ADMIN);
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const seen = (await get(`/v2.0/networks/${net.id}`, TARGET)).body.network;
    assert.equal(seen['router:external'], true);
    assert.equal(seen.shared, false);
    assert.equal((await get(`/v2.0/subnets?network_id=${net.id}`, TARGET)).body.subnets.length, 0, 'not shared: its subnets are not visible');
    assert.equal((await get(`/v2.0/networks/${net.id}`, BYSTANDER)).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${p.body.rbac_policy.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await get(`/v2.0/networks/${net.id}`, ADMIN)).body.network['router:external'], false, 'the last access_as_external row gone');
  });

  test('security groups: shared, used on the target\'s ports, refused to the bystander, the shared filter', async () => {
    const sg = await post('security-groups', 'security_group', { name: `sg${n++}` }, OWNER);
    const net = await network(TARGET);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } }, TARGET)), [404, 'SecurityGroupNotFound']);
    const p = (await policy({ object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: TARGET_ID })).body.rbac_policy;
    assert.equal((await get(`/v2.0/security-groups/${sg.id}`, OWNER)).body.security_group.revision_number, sg.revision_number + 1);
    const seen = await get(`/v2.0/security-groups/${sg.id}`, TARGET);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.security_group.shared, true);
    assert.ok((await get('/v2.0/security-groups?shared=true', TARGET)).body.security_groups.some((g: any) => g.id === sg.id));
    assert.ok(!(await get('/v2.0/security-groups?shared=false', TARGET)).body.security_groups.some((g: any) => g.id === sg.id));
    assert.ok((await get('/v2.0/security-groups?shared=false', OWNER)).body.security_groups.some((g: any) => g.id === sg.id));
    assert.equal((await get(`/v2.0/security-groups/${sg.id}`, BYSTANDER)).status, 404);
    const port = await post('ports', 'port', { network_id: net.id, security_groups: [sg.id] }, TARGET);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, TARGET)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER)).status, 204);
    assert.equal((await get(`/v2.0/security-groups/${sg.id}`, TARGET)).status, 404);
    assert.deepEqual(errorOf(await policy({ object_type: 'security_group', object_id: sg.id, action: 'access_as_external', target_tenant: TARGET_ID })), [400, 'InvalidActionForType']);
  });

  test('a wildcard on an object its owner uses goes only once the owner has an entry of its own (rbac_db)', async () => {
    const sg = await post('security-groups', 'security_group', { name: `sg${n++}` }, OWNER);
    const wildcard = await policy({ object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: '*' }, ADMIN);
    assert.equal(wildcard.status, 201, JSON.stringify(wildcard.body));
    const net = await network(OWNER);
    const port = await post('ports', 'port', { network_id: net.id, security_groups: [sg.id] }, OWNER);
    const refused = await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.body.rbac_policy.id}`, undefined, ADMIN);
    assert.deepEqual(errorOf(refused), [409, 'RbacPolicyInUse']);
    assert.match(refused.body.NeutronError.message, /Details: project_id=\*$/);
    const own = await policy({ object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: 'rbac-owner' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.body.rbac_policy.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${own.body.rbac_policy.id}`, undefined, OWNER)).status, 204, 'the owner\'s own entry is never in use');
    assert.equal((await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, OWNER)).status, 204);
  });

  test('subnet pools and address scopes: shared, allocated from, in use', async () => {
    const scope = await post('address-scopes', 'address_scope', { name: `scope${n++}`, ip_version: 4 }, OWNER);
    const pool = await post('subnetpools', 'subnetpool', { name: `pool${n++}`, prefixes: ['10.60.0.0/16'], default_prefixlen: 24 }, OWNER);
    const net = await network(TARGET);
    assert.equal((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id } }, TARGET)).status, 404);
    const ppRes = await policy({ object_type: 'subnetpool', object_id: pool.id, action: 'access_as_shared', target_tenant: TARGET_ID });
    assert.equal(ppRes.status, 201, JSON.stringify(ppRes.body));
    const pp = ppRes.body.rbac_policy;
    assert.equal((await get(`/v2.0/subnetpools/${pool.id}`, TARGET)).body.subnetpool.shared, true);
    assert.equal((await get(`/v2.0/subnetpools/${pool.id}`, BYSTANDER)).status, 404);
    const sub = await post('subnets', 'subnet', { network_id: net.id, ip_version: 4, subnetpool_id: pool.id }, TARGET);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${pp.id}`, undefined, OWNER)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('DELETE', `/v2.0/subnets/${sub.id}`, undefined, TARGET)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${pp.id}`, undefined, OWNER)).status, 204);

    const targetPool = { name: `pool${n++}`, prefixes: ['10.61.0.0/16'], address_scope_id: scope.id };
    assert.equal((await s.request('POST', '/v2.0/subnetpools', { subnetpool: targetPool }, TARGET)).status, 404, 'a scope it cannot see');
    const sp = (await policy({ object_type: 'address_scope', object_id: scope.id, action: 'access_as_shared', target_tenant: TARGET_ID })).body.rbac_policy;
    assert.equal((await get(`/v2.0/address-scopes/${scope.id}`, TARGET)).body.address_scope.shared, true);
    assert.equal((await get(`/v2.0/address-scopes/${scope.id}`, BYSTANDER)).status, 404);
    const inScope = await post('subnetpools', 'subnetpool', targetPool, TARGET);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${sp.id}`, undefined, OWNER)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('DELETE', `/v2.0/subnetpools/${inScope.id}`, undefined, TARGET)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${sp.id}`, undefined, OWNER)).status, 204);
  });

  test('the rbac_policy quota', async () => {
    const Q = asProject('rbac-quota');
    assert.equal((await s.request('PUT', '/v2.0/quotas/rbac-quota', { quota: { rbac_policy: 2 } }, ADMIN)).status, 200);
    const net = await network(Q);
    for (const t of ['a', 'b']) assert.equal((await policy({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: t }, Q)).status, 201);
    assert.deepEqual(errorOf(await policy({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'c' }, Q)), [409, 'OverQuota']);
  });

  test('a policy deleted while the target creates a port: never a port on a network it cannot see', async () => {
    for (let round = 0; round < 6; round++) {
      const net = await network();
      await subnet(net.id, `10.70.${round}.0/24`);
      const p = (await policy({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: TARGET_ID })).body.rbac_policy;
      const [portRes, delRes] = await Promise.all([
        s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, TARGET),
        s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER),
      ]);
      const ports = (await get(`/v2.0/ports?network_id=${net.id}&tenant_id=${TARGET_ID}`, ADMIN)).body.ports;
      const policies = (await get(`/v2.0/rbac-policies?id=${p.id}`, ADMIN)).body.rbac_policies;
      if (portRes.status === 201) {
        assert.equal(delRes.status, 409, 'the port won: the deletion is refused');
        assert.equal(policies.length, 1);
        assert.equal(ports.length, 1);
      } else {
        assert.equal(delRes.status, 204, JSON.stringify(delRes.body));
        assert.equal(portRes.status, 404, JSON.stringify(portRes.body));
        assert.equal(ports.length, 0);
      }
    }
  });

  test('a pool\'s policy deleted while the target allocates a subnet from it: the subnet or the deletion is refused', async () => {
    for (let round = 0; round < 6; round++) {
      const pool = await post('subnetpools', 'subnetpool', { name: `pool${n++}`, prefixes: [`10.${80 + round}.0.0/16`], default_prefixlen: 24 }, OWNER);
      const net = await network(TARGET);
      const p = (await policy({ object_type: 'subnetpool', object_id: pool.id, action: 'access_as_shared', target_tenant: TARGET_ID })).body.rbac_policy;
      const [subnetRes, delRes] = await Promise.all([
        s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id } }, TARGET),
        s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, OWNER),
      ]);
      const subnets = (await get(`/v2.0/subnets?subnetpool_id=${pool.id}`, ADMIN)).body.subnets;
      if (subnetRes.status === 201) {
        assert.equal(delRes.status, 409, 'the subnet won: the deletion is refused');
        assert.equal(subnets.length, 1);
      } else {
        assert.equal(delRes.status, 204, JSON.stringify(delRes.body));
        assert.equal(subnetRes.status, 404, JSON.stringify(subnetRes.body));
        assert.equal(subnets.length, 0);
      }
    }
  });

  test('shared=False is refused only for projects that no entry of their own covers', async () => {
    const net = await network();
    await subnet(net.id, '10.90.0.0/24');
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { shared: true } }, ADMIN)).status, 200);
    assert.equal((await policy({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: TARGET_ID })).status, 201);
    await post('ports', 'port', { network_id: net.id }, TARGET);
    const stray = await post('ports', 'port', { network_id: net.id }, BYSTANDER);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }, ADMIN)), [409, 'InvalidSharedSetting']);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${stray.id}`, undefined, BYSTANDER)).status, 204);
    const unshared = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } }, ADMIN);
    assert.equal(unshared.status, 200, JSON.stringify(unshared.body));
    assert.equal((await get(`/v2.0/networks/${net.id}`, TARGET)).body.network.shared, true, 'still shared with the target');
    assert.equal((await get(`/v2.0/networks/${net.id}`, BYSTANDER)).status, 404);
  });
});

describe('rbac-policies: access_as_external and routers', () => {
  let s: TestServer;
  before(async () => { s = await startServer({ DEFAULT: { service_plugins: ['router'] } }); });
  after(() => s.close());

  test('the default external network keeps its wildcard access_as_external policy', async () => {
    const net = await s.request('POST', '/v2.0/networks', { network: { name: 'default-ext', 'router:external': true, is_default: true } }, ADMIN);
    assert.equal(net.status, 201, JSON.stringify(net.body));
    const list = await s.request('GET', `/v2.0/rbac-policies?object_id=${net.body.network.id}&action=access_as_external`, undefined, ADMIN);
    const [wildcard] = list.body.rbac_policies;
    assert.equal(wildcard.target_tenant, '*');
    const refused = await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.id}`, undefined, ADMIN);
    assert.deepEqual(errorOf(refused), [409, 'RbacPolicyInUse']);
    assert.match(refused.body.NeutronError.message, /Default external networks must be shared to everyone\.$/);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/rbac-policies/${wildcard.id}`, { rbac_policy: { target_tenant: TARGET_ID } }, ADMIN)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.body.network.id}`, { network: { is_default: false } }, ADMIN)).status, 200);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.id}`, undefined, ADMIN)).status, 204, 'no longer the default');
  });

  test('a target\'s router gateway keeps its access_as_external policy; a wildcard covers it', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext' } }, ADMIN)).body.network;
    assert.equal((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '203.0.113.0/24', ip_version: 4 } }, ADMIN)).status, 201);
    const own = await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_external', target_tenant: TARGET_ID } }, ADMIN);
    assert.equal(own.status, 201);
    const router = await s.request('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: net.id } } }, TARGET);
    assert.equal(router.status, 201, JSON.stringify(router.body));
    assert.equal((await s.request('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: net.id } } }, BYSTANDER)).status, 404);
    const inUse = await s.request('DELETE', `/v2.0/rbac-policies/${own.body.rbac_policy.id}`, undefined, ADMIN);
    assert.deepEqual(errorOf(inUse), [409, 'RbacPolicyInUse']);
    assert.match(inUse.body.NeutronError.message, /There are routers attached to this network that depend on this policy for access\.$/);
    const wildcard = await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_external', target_tenant: '*' } }, ADMIN);
    assert.equal(wildcard.status, 201);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${own.body.rbac_policy.id}`, undefined, ADMIN)).status, 204, 'the wildcard covers the router');
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.body.rbac_policy.id}`, undefined, ADMIN)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.body.router.id}`, { router: { external_gateway_info: {} } }, TARGET)).status, 200);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${wildcard.body.rbac_policy.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/networks/${net.id}`, undefined, ADMIN)).body.network['router:external'], false);
  });

  test('an access_as_external policy deleted while the target sets a gateway: the router or the deletion is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const net = (await s.request('POST', '/v2.0/networks', { network: { name: `ext${round}` } }, ADMIN)).body.network;
      await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: `198.51.${round}.0/24`, ip_version: 4 } }, ADMIN);
      const p = (await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_external', target_tenant: TARGET_ID } }, ADMIN)).body.rbac_policy;
      const [routerRes, delRes] = await Promise.all([
        s.request('POST', '/v2.0/routers', { router: { name: `r${round}`, external_gateway_info: { network_id: net.id } } }, TARGET),
        s.request('DELETE', `/v2.0/rbac-policies/${p.id}`, undefined, ADMIN),
      ]);
      const gateways = (await s.request('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:router_gateway`, undefined, ADMIN)).body.ports;
      if (routerRes.status === 201) {
        assert.equal(delRes.status, 409, 'the router won: the deletion is refused');
        assert.equal(gateways.length, 1);
      } else {
        assert.equal(delRes.status, 204, JSON.stringify(delRes.body));
        assert.ok([400, 404].includes(routerRes.status), JSON.stringify(routerRes.body));
        assert.equal(gateways.length, 0);
      }
    }
  });
});

describe('rbac-policies: qos_policy', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['qos'] }, ml2: { extension_drivers: ['qos'] } });
  });
  after(() => s.close());

  // QoS policies are made by admins (Neutron's create_policy default); this one belongs to the owner's project
  const OWNER_ADMIN = asProject('rbac-owner', 'admin,member');

  test('a QoS policy shared with a target: seen and bound by it, refused to the bystander, in use while bound', async () => {
    const created = await s.request('POST', '/v2.0/qos/policies', { policy: { name: 'gold' } }, OWNER_ADMIN);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const qp = created.body.policy;
    const netOf = async (headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
      s.request('POST', '/v2.0/networks', { network: { name: 'q', ...extra } }, headers);
    assert.deepEqual(errorOf(await netOf(TARGET, { qos_policy_id: qp.id })), [404, 'QosPolicyNotFound']);
    const p = await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'qos_policy', object_id: qp.id, action: 'access_as_shared', target_tenant: TARGET_ID } }, OWNER_ADMIN);
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${qp.id}`, undefined, OWNER)).body.policy.revision_number, qp.revision_number + 1);
    const seen = await s.request('GET', `/v2.0/qos/policies/${qp.id}`, undefined, TARGET);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.policy.shared, true);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${qp.id}`, undefined, BYSTANDER)).status, 404);
    const net = await netOf(TARGET, { qos_policy_id: qp.id });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${p.body.rbac_policy.id}`, undefined, OWNER_ADMIN)), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${net.body.network.id}`, undefined, TARGET)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${p.body.rbac_policy.id}`, undefined, OWNER_ADMIN)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${qp.id}`, undefined, TARGET)).status, 404);
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'qos_policy', object_id: qp.id, action: 'access_as_external', target_tenant: TARGET_ID } }, OWNER_ADMIN)), [400, 'InvalidActionForType']);
  });
});
