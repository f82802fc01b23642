import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('QoS', () => {
  let s: TestServer;
  let n = 0;
  const policy = (body: Record<string, unknown> = {}, headers = ADMIN) => s.request('POST', '/v2.0/qos/policies', { policy: { name: `qos${n++}`, ...body } }, headers);
  const rule = (policyId: string, type: string, body: Record<string, unknown>, headers = ADMIN) =>
    s.request('POST', `/v2.0/qos/policies/${policyId}/${type}_rules`, { [`${type}_rule`]: body }, headers);
  const network = (body: Record<string, unknown> = {}, headers = A) => s.request('POST', '/v2.0/networks', { network: { name: `net${n++}`, ...body } }, headers);
  const port = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/ports', { port: body }, headers);

  before(async () => {
    s = await startServer({
      DEFAULT: { service_plugins: ['neutron.services.qos.qos_plugin.QoSPlugin'] },
      ml2: { mechanism_drivers: ['openvswitch'], extension_drivers: ['port_security', 'qos'], type_drivers: ['flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'] },
      ml2_type_flat: { flat_networks: ['physnet1'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1999'] },
    });
  });
  after(() => s.close());

  test('the extensions are advertised', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, ADMIN)).body.extensions.map((e: any) => e.alias);
    for (const a of ['qos', 'qos-bw-limit-direction', 'qos-default', 'qos-rule-type-details', 'qos-rule-type-filter', 'qos-bw-minimum-ingress',
      'qos-rules-alias', 'qos-port-network-policy', 'qos-pps', 'qos-pps-minimum', 'qos-pps-minimum-rule-alias']) {
      assert.ok(aliases.includes(a), a);
    }
  });

  test('policies: create, show, update, list filters, delete', async () => {
    const res = await policy({ description: 'gold', project_id: 'project-a' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.policy;
    assert.equal(p.name.startsWith('qos'), true);
    assert.equal(p.description, 'gold');
    assert.equal(p.shared, false);
    assert.equal(p.is_default, false);
    assert.deepEqual(p.rules, []);
    assert.deepEqual(p.tags, []);
    assert.equal(p.revision_number, 0);
    assert.equal(p.project_id, 'project-a');
    assert.equal(p.tenant_id, 'project-a');
    assert.ok(p.created_at && p.updated_at);

    const shown = await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, A);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.policy, p);
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, B)),
      [404, 'QosPolicyNotFound', `QoS policy ${p.id} could not be found.`]);

    const up = await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { name: 'renamed' } }, ADMIN);
    assert.equal(up.status, 200);
    assert.equal(up.body.policy.name, 'renamed');
    assert.equal(up.body.policy.revision_number, 1);

    // only admins write policies by default
    assert.equal((await policy({}, A)).status, 403);
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { name: 'x' } }, A)).status, 403);

    const byName = await s.request('GET', '/v2.0/qos/policies?name=renamed', undefined, ADMIN);
    assert.deepEqual(byName.body.policies.map((x: any) => x.id), [p.id]);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)).status, 404);
  });

  test('shared policies: RBAC entries decide who sees them; others can use but not change them', async () => {
    const p = (await policy({ project_id: 'project-a', shared: true })).body.policy;
    assert.equal(p.shared, true);
    const seen = await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, B);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.policy.shared, true);
    const sharedList = await s.request('GET', '/v2.0/qos/policies?shared=true', undefined, B);
    assert.ok(sharedList.body.policies.some((x: any) => x.id === p.id));
    // B can bind it to its network, but not change it
    const net = await network({ qos_policy_id: p.id }, B);
    assert.equal(net.status, 201, JSON.stringify(net.body));
    assert.equal(net.body.network.qos_policy_id, p.id);
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { name: 'mine' } }, B)).status, 403);
    assert.equal((await rule(p.id, 'bandwidth_limit', { max_kbps: 100 }, B)).status, 403);

    // unsharing removes the wildcard entry
    const unshared = await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { shared: false } }, ADMIN);
    assert.equal(unshared.body.policy.shared, false);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, B)).status, 404);
    // and B can no longer take it off its network
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/networks/${net.body.network.id}`, { network: { qos_policy_id: null } }, B)),
      [403, 'PolicyRemoveAuthorizationError', `Failed to remove provided policy ${p.id} because you are not authorized.`]);
  });

  test('bindings on networks and ports: validation, network policy on ports, in use', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const missing = '8ac8e9a4-0000-4000-8000-000000000001';
    assert.deepEqual(errorOf(await network({ qos_policy_id: missing })), [404, 'QosPolicyNotFound', `QoS policy ${missing} could not be found.`]);
    const hidden = (await policy({ project_id: 'project-b' })).body.policy;
    assert.deepEqual(errorOf(await network({ qos_policy_id: hidden.id })), [404, 'QosPolicyNotFound', `QoS policy ${hidden.id} could not be found.`]);
    assert.equal((await network({ qos_policy_id: 'nope' })).status, 400);

    const net = (await network({ qos_policy_id: p.id })).body.network;
    assert.equal(net.qos_policy_id, p.id);
    const prt = (await port({ network_id: net.id })).body.port;
    assert.equal(prt.qos_policy_id, null);
    assert.equal(prt.qos_network_policy_id, p.id);

    const p2 = (await policy({ project_id: 'project-a' })).body.policy;
    const up = await s.request('PUT', `/v2.0/ports/${prt.id}`, { port: { qos_policy_id: p2.id } }, A);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.port.qos_policy_id, p2.id);
    assert.equal(up.body.port.revision_number, prt.revision_number + 1);
    assert.equal((await s.request('GET', `/v2.0/ports/${prt.id}`, undefined, A)).body.port.qos_policy_id, p2.id);

    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/policies/${p2.id}`, undefined, ADMIN)),
      [409, 'QosPolicyInUse', `QoS Policy ${p2.id} is used by port ${prt.id}.`]);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)),
      [409, 'QosPolicyInUse', `QoS Policy ${p.id} is used by network ${net.id}.`]);
    assert.equal((await s.request('PUT', `/v2.0/ports/${prt.id}`, { port: { qos_policy_id: null } }, A)).body.port.qos_policy_id, null);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p2.id}`, undefined, ADMIN)).status, 204);
  });

  test('one default policy per project, applied to its new networks', async () => {
    const d = (await policy({ project_id: 'project-c', is_default: true })).body.policy;
    assert.equal(d.is_default, true);
    assert.deepEqual(errorOf(await policy({ project_id: 'project-c', is_default: true })),
      [409, 'QoSPolicyDefaultAlreadyExists', 'A default QoS policy exists for project project-c.']);
    const other = (await policy({ project_id: 'project-c' })).body.policy;
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${other.id}`, { policy: { is_default: true } }, ADMIN)).status, 409);
    const C = asProject('project-c');
    const net = (await network({}, C)).body.network;
    assert.equal(net.qos_policy_id, d.id);
    const explicit = (await network({ qos_policy_id: other.id }, C)).body.network;
    assert.equal(explicit.qos_policy_id, other.id);
    assert.deepEqual((await s.request('GET', '/v2.0/qos/policies?is_default=true&project_id=project-c', undefined, ADMIN)).body.policies.map((x: any) => x.id), [d.id]);
    const unset = await s.request('PUT', `/v2.0/qos/policies/${d.id}`, { policy: { is_default: false } }, ADMIN);
    assert.equal(unset.body.policy.is_default, false);
    assert.equal((await network({}, C)).body.network.qos_policy_id, null);
  });
});
