import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const OWNER = asProject('ag-owner');
const TARGET = asProject('ag-target');
const BYSTANDER = asProject('ag-bystander');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('address groups', () => {
  let s: TestServer;
  let n = 0;
  const create = (body: Record<string, unknown>, headers = OWNER) => s.request('POST', '/v2.0/address-groups', { address_group: { name: `ag${n++}`, ...body } }, headers);
  const group = async (body: Record<string, unknown> = {}, headers = OWNER) => {
    const res = await create(body, headers);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.address_group;
  };
  const action = (id: string, name: string, addresses: unknown, headers = OWNER) => s.request('PUT', `/v2.0/address-groups/${id}/${name}`, { addresses }, headers);
  const rule = (body: Record<string, unknown>, headers = OWNER) => s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', ...body } }, headers);
  const sg = async (headers = OWNER) => (await s.request('POST', '/v2.0/security-groups', { security_group: { name: `sg${n++}` } }, headers)).body.security_group;

  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test('extensions', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, OWNER)).body.extensions.map((e: any) => e.alias);
    for (const a of ['address-group', 'rbac-address-group', 'security-groups-remote-address-group']) assert.ok(aliases.includes(a), a);
  });

  test('create, show, list, update: addresses normalised, no shared attribute', async () => {
    const ag = await group({ description: 'web', addresses: ['10.0.0.1/24', '10.0.0.0/24', '2001:db8:0:0::5/64', '192.168.1.7/32'] });
    assert.deepEqual([...ag.addresses].sort(), ['10.0.0.0/24', '192.168.1.7/32', '2001:db8::/64'].sort());
    assert.deepEqual(Object.keys(ag).sort(), ['addresses', 'created_at', 'description', 'id', 'name', 'project_id', 'revision_number', 'tenant_id', 'updated_at']);
    assert.equal(ag.project_id, 'ag-owner');
    const empty = await group();
    assert.deepEqual(empty.addresses, []);
    assert.deepEqual((await group({ addresses: null })).addresses, []);
    assert.equal((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, OWNER)).body.address_group.description, 'web');
    assert.ok((await s.request('GET', `/v2.0/address-groups?name=${ag.name}`, undefined, OWNER)).body.address_groups.some((g: any) => g.id === ag.id));
    const renamed = await s.request('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { name: 'renamed' } }, OWNER);
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.address_group.name, 'renamed');
    assert.equal(renamed.body.address_group.revision_number, ag.revision_number + 1);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { addresses: [] } }, OWNER)).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await create({ addresses: ['10.0.0.0/33'] })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await create({ addresses: ['10.0.0.0/24', '10.0.0.0/24'] })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await create({ addresses: 'x' })).slice(0, 2), [400, 'HTTPBadRequest']);
    // others' groups are invisible
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, BYSTANDER)),
      [404, 'AddressGroupNotFound', `Address group ${ag.id} could not be found.`]);
    assert.equal((await s.request('PUT', `/v2.0/address-groups/${ag.id}`, { address_group: { name: 'x' } }, BYSTANDER)).status, 404);
    assert.equal((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, ADMIN)).status, 200);
  });

  test('add_addresses and remove_addresses', async () => {
    const ag = await group({ addresses: ['10.1.0.0/24'] });
    const added = await action(ag.id, 'add_addresses', ['10.2.0.9/16', '10.3.0.0/24']);
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual([...added.body.address_group.addresses].sort(), ['10.1.0.0/24', '10.2.0.0/16', '10.3.0.0/24']);
    assert.equal(added.body.address_group.revision_number, ag.revision_number + 1);
    assert.deepEqual(errorOf(await action(ag.id, 'add_addresses', ['10.1.0.5/24'])),
      [400, 'AddressesAlreadyExist', `Addresses ['10.1.0.0/24'] already exist in the address group ${ag.id}.`]);
    assert.deepEqual(errorOf(await action(ag.id, 'remove_addresses', ['10.9.0.0/24'])),
      [404, 'AddressesNotFound', `Addresses ['10.9.0.0/24'] not found in the address group ${ag.id}.`]);
    const removed = await action(ag.id, 'remove_addresses', ['10.1.0.0/24', '10.3.0.1/24']);
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.address_group.addresses, ['10.2.0.0/16']);
    assert.deepEqual(errorOf(await action(ag.id, 'add_addresses', ['nope'])).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/address-groups/${ag.id}/add_addresses`, {}, OWNER)).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.equal((await action(ag.id, 'add_addresses', ['10.4.0.0/24'], BYSTANDER)).status, 404);
    assert.deepEqual((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, OWNER)).body.address_group.addresses, ['10.2.0.0/16']);
  });

  test('rules with remote_address_group_id: one remote only, the group must be usable; a used group stays', async () => {
    const ag = await group({ addresses: ['10.5.0.0/24'] });
    const g = await sg();
    const ok = await rule({ security_group_id: g.id, remote_address_group_id: ag.id, protocol: 'tcp' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.security_group_rule.remote_address_group_id, ag.id);
    assert.equal(ok.body.security_group_rule.remote_ip_prefix, null);
    const listed = (await s.request('GET', `/v2.0/security-group-rules?remote_address_group_id=${ag.id}`, undefined, OWNER)).body.security_group_rules;
    assert.deepEqual(listed.map((r: any) => r.id), [ok.body.security_group_rule.id]);
    assert.deepEqual(errorOf(await rule({ security_group_id: g.id, remote_address_group_id: ag.id, remote_ip_prefix: '10.0.0.0/8' })),
      [400, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.']);
    assert.deepEqual(errorOf(await rule({ security_group_id: g.id, remote_address_group_id: ag.id, remote_group_id: g.id })).slice(0, 2),
      [400, 'SecurityGroupMultipleRemoteEntites']);
    const missing = '8b5b4a5c-1d3e-4f6a-9b7c-0d1e2f3a4b5c';
    assert.deepEqual(errorOf(await rule({ security_group_id: g.id, remote_address_group_id: missing })),
      [404, 'AddressGroupNotFound', `Address group ${missing} could not be found.`]);
    const other = await sg(BYSTANDER);
    assert.deepEqual(errorOf(await rule({ security_group_id: other.id, remote_address_group_id: ag.id }, BYSTANDER)).slice(0, 2), [404, 'AddressGroupNotFound']);

    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/address-groups/${ag.id}`, undefined, OWNER)),
      [409, 'AddressGroupInUse', `Address group ${ag.id} is in use on one or more security group rules.`]);
    assert.equal((await s.request('DELETE', `/v2.0/security-group-rules/${ok.body.security_group_rule.id}`, undefined, OWNER)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/address-groups/${ag.id}`, undefined, OWNER)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, OWNER)).status, 404);
  });

  test('shared through RBAC: the target sees and uses it, the bystander does not; in use blocks the policy', async () => {
    const ag = await group({ addresses: ['10.6.0.0/24'] });
    const p = await s.request('POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'address_group', object_id: ag.id, action: 'access_as_shared', target_tenant: 'ag-target' } }, OWNER);
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const seen = await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, TARGET);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.address_group.revision_number, ag.revision_number + 1);
    assert.equal('shared' in seen.body.address_group, false, 'shared is not visible');
    assert.equal((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, BYSTANDER)).status, 404);
    // the target may refer to it, not change it
    assert.equal((await action(ag.id, 'add_addresses', ['10.7.0.0/24'], TARGET)).status, 403);
    const g = await sg(TARGET);
    const r = await rule({ security_group_id: g.id, remote_address_group_id: ag.id }, TARGET);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/rbac-policies/${p.body.rbac_policy.id}`, undefined, OWNER)).slice(0, 2), [409, 'RbacPolicyInUse']);
    assert.equal((await s.request('DELETE', `/v2.0/security-group-rules/${r.body.security_group_rule.id}`, undefined, TARGET)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/rbac-policies/${p.body.rbac_policy.id}`, undefined, OWNER)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/address-groups/${ag.id}`, undefined, TARGET)).status, 404);
    assert.deepEqual(errorOf(await rule({ security_group_id: g.id, remote_address_group_id: ag.id }, TARGET)).slice(0, 2), [404, 'AddressGroupNotFound']);
  });
});
