import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('security groups and rules', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  const createGroup = async (name: string, headers = A) => {
    const r = await s.request('POST', '/v2.0/security-groups', { security_group: { name } }, headers);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.security_group;
  };
  const createRule = (rule: Record<string, unknown>, headers = A) =>
    s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', ...rule } }, headers);

  test('the default group is created on first list, once, with Neutron\'s four rules', async () => {
    const first = await s.request('GET', '/v2.0/security-groups', undefined, A);
    assert.equal(first.status, 200);
    assert.equal(first.body.security_groups.length, 1);
    const def = first.body.security_groups[0];
    assert.equal(def.name, 'default');
    assert.equal(def.description, 'Default security group');
    assert.equal(def.tenant_id, 'project-a');
    assert.equal(def.project_id, 'project-a');
    assert.equal(def.stateful, true);
    assert.deepEqual(def.tags, []);
    assert.equal(typeof def.revision_number, 'number');
    const rules = def.security_group_rules.map((r: any) => `${r.direction}/${r.ethertype}/${r.remote_group_id === def.id ? 'self' : r.remote_group_id}`).sort();
    assert.deepEqual(rules, ['egress/IPv4/null', 'egress/IPv6/null', 'ingress/IPv4/self', 'ingress/IPv6/self']);
    const rule = def.security_group_rules[0];
    for (const k of ['id', 'security_group_id', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'normalized_cidr', 'project_id', 'tenant_id', 'description', 'created_at', 'revision_number']) {
      assert.ok(k in rule, `nested rule has ${k}`);
    }
    const again = await s.request('GET', '/v2.0/security-groups', undefined, A);
    assert.deepEqual(again.body.security_groups.map((g: any) => g.id), [def.id]);
    const concurrent = await Promise.all([1, 2, 3, 4].map(() => s.request('GET', '/v2.0/security-groups', undefined, asProject('project-c'))));
    assert.ok(concurrent.every((r) => r.status === 200));
    const groupsC = await s.request('GET', '/v2.0/security-groups', undefined, asProject('project-c'));
    assert.equal(groupsC.body.security_groups.length, 1, 'concurrent first lists make one default group');
  });

  test('a new group gets the two egress rules; default names and the default group are protected', async () => {
    const web = await createGroup('web');
    assert.deepEqual(web.security_group_rules.map((r: any) => `${r.direction}/${r.ethertype}/${r.remote_ip_prefix}`).sort(), ['egress/IPv4/null', 'egress/IPv6/null']);
    assert.equal(web.revision_number, 1, 'its rules revise it in the same transaction');
    assert.equal(web.stateful, true);

    for (const name of ['default', 'Default']) {
      const r = await s.request('POST', '/v2.0/security-groups', { security_group: { name } }, A);
      assert.equal(r.status, 409);
      assert.equal(type(r), 'SecurityGroupDefaultAlreadyExists');
      assert.equal(message(r), 'Default security group already exists.');
    }
    const rename = await s.request('PUT', `/v2.0/security-groups/${web.id}`, { security_group: { name: 'default' } }, A);
    assert.equal(type(rename), 'SecurityGroupDefaultAlreadyExists');

    const def = (await s.request('GET', '/v2.0/security-groups?name=default', undefined, A)).body.security_groups[0];
    const renameDefault = await s.request('PUT', `/v2.0/security-groups/${def.id}`, { security_group: { name: 'other' } }, A);
    assert.equal(renameDefault.status, 409);
    assert.equal(type(renameDefault), 'SecurityGroupCannotUpdateDefault');
    assert.equal(message(renameDefault), 'Updating default security group not allowed.');
    const describe = await s.request('PUT', `/v2.0/security-groups/${def.id}`, { security_group: { description: 'd' } }, A);
    assert.equal(describe.status, 200, 'other attributes of the default group may change');

    const del = await s.request('DELETE', `/v2.0/security-groups/${def.id}`, undefined, A);
    assert.equal(del.status, 409);
    assert.equal(type(del), 'SecurityGroupCannotRemoveDefault');
    assert.equal(message(del), 'Insufficient rights for removing default security group.');

    const stateless = await s.request('PUT', `/v2.0/security-groups/${web.id}`, { security_group: { stateful: false, name: 'web2' } }, A);
    assert.equal(stateless.status, 200);
    assert.equal(stateless.body.security_group.stateful, false);
    const created = await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'sl', stateful: 'false' } }, A);
    assert.equal(created.body.security_group.stateful, false);
  });

  test('an admin may delete a project\'s default group; the group\'s rules go with it', async () => {
    const P = asProject('project-d');
    const def = (await s.request('GET', '/v2.0/security-groups', undefined, P)).body.security_groups[0];
    const other = await createGroup('refers', P);
    const ref = await createRule({ security_group_id: other.id, remote_group_id: def.id }, P);
    assert.equal(ref.status, 201);
    assert.equal((await s.request('DELETE', `/v2.0/security-groups/${def.id}`, undefined, ADMIN)).status, 204);
    const left = await s.server.db.kysely.selectFrom('security_group_rules').select('id').where('security_group_id', '=', def.id).execute();
    assert.deepEqual(left, []);
    const refGone = await s.request('GET', `/v2.0/security-group-rules/${ref.body.security_group_rule.id}`, undefined, P);
    assert.equal(refGone.status, 404, 'rules naming the group as remote go too');
    // the project gets a new default group when it next needs one
    const again = (await s.request('GET', '/v2.0/security-groups?name=default', undefined, P)).body.security_groups;
    assert.equal(again.length, 1);
    assert.notEqual(again[0].id, def.id);
  });

  test('rules: protocol names and numbers, prefixes, canonical forms and duplicates', async () => {
    const g = await createGroup('rules');
    const ssh = await createRule({ security_group_id: g.id, protocol: 'TCP', port_range_min: '22', port_range_max: 22, remote_ip_prefix: '10.0.0.5/24', description: 'ssh' });
    assert.equal(ssh.status, 201, JSON.stringify(ssh.body));
    const rule = ssh.body.security_group_rule;
    assert.equal(rule.protocol, 'tcp');
    assert.equal(rule.port_range_min, 22);
    assert.equal(rule.ethertype, 'IPv4');
    assert.equal(rule.remote_ip_prefix, '10.0.0.5/24');
    assert.equal(rule.normalized_cidr, '10.0.0.0/24');
    assert.equal(rule.remote_group_id, null);
    assert.equal(rule.description, 'ssh');
    assert.equal(rule.tenant_id, 'project-a');

    const dup = await createRule({ security_group_id: g.id, protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.5/24' });
    assert.equal(dup.status, 409);
    assert.equal(type(dup), 'SecurityGroupRuleExists');
    assert.equal(message(dup), `Security group rule already exists. Rule id is ${rule.id}.`);

    const numbered = await createRule({ security_group_id: g.id, protocol: 132, port_range_min: 1, port_range_max: 65535 });
    assert.equal(numbered.body.security_group_rule.protocol, '132', 'numbers are kept as strings');
    assert.equal(numbered.body.security_group_rule.port_range_min, null, 'the whole range is stored as no range');
    assert.equal(numbered.body.security_group_rule.port_range_max, null);

    const host = await createRule({ security_group_id: g.id, protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_ip_prefix: '192.168.1.1' });
    assert.equal(host.body.security_group_rule.remote_ip_prefix, '192.168.1.1/32');
    const v6 = await createRule({ security_group_id: g.id, ethertype: 'ipv6', protocol: 'icmp', port_range_min: 128, remote_ip_prefix: '2001:db8::1/64' });
    assert.equal(v6.status, 201, JSON.stringify(v6.body));
    assert.equal(v6.body.security_group_rule.ethertype, 'IPv6');
    assert.equal(v6.body.security_group_rule.protocol, 'ipv6-icmp', 'legacy IPv6 ICMP names become ipv6-icmp');
    assert.equal(v6.body.security_group_rule.normalized_cidr, '2001:db8::/64');
    const v6dup = await createRule({ security_group_id: g.id, ethertype: 'IPv6', protocol: '58', port_range_min: 128, remote_ip_prefix: '2001:db8::1/64' });
    assert.equal(type(v6dup), 'SecurityGroupRuleExists');

    const any = await createRule({ security_group_id: g.id, direction: 'egress', remote_ip_prefix: '0.0.0.0/0' });
    assert.equal(type(any), 'SecurityGroupRuleExists', '0.0.0.0/0 is the same as no prefix');

    const shown = (await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, A)).body.security_group;
    assert.equal(shown.security_group_rules.length, 6);
    assert.ok(shown.revision_number > g.revision_number, 'new rules revise their group');

    const filtered = await s.request('GET', `/v2.0/security-group-rules?security_group_id=${g.id}&protocol=TCP`, undefined, A);
    assert.deepEqual(filtered.body.security_group_rules.map((r: any) => r.id), [rule.id]);
    const byCidr = await s.request('GET', '/v2.0/security-group-rules?normalized_cidr=10.0.0.0/24', undefined, A);
    assert.deepEqual(byCidr.body.security_group_rules.map((r: any) => r.id), [rule.id]);

    const before = (await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, A)).body.security_group.revision_number;
    assert.equal((await s.request('DELETE', `/v2.0/security-group-rules/${rule.id}`, undefined, A)).status, 204);
    const afterDelete = (await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, A)).body.security_group;
    assert.equal(afterDelete.revision_number, before + 1);
    assert.equal(afterDelete.security_group_rules.length, 5);
    assert.equal((await s.request('GET', `/v2.0/security-group-rules/${rule.id}`, undefined, A)).status, 404);
  });

  test('rule validation answers Neutron\'s 400s', async () => {
    const g = await createGroup('validation');
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ port_range_min: 22 }, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.'],
      [{ protocol: 'tcp', port_range_min: 30, port_range_max: 20 }, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'],
      [{ protocol: 'tcp', port_range_min: 22 }, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'],
      [{ protocol: 'udp', port_range_min: 0, port_range_max: 10 }, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0'],
      [{ protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 }, 'SecurityGroupInvalidPortValue', 'Invalid value for port 70000'],
      [{ protocol: 'icmp', port_range_min: 256 }, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.'],
      [{ protocol: 'icmp', port_range_max: 0 }, 'SecurityGroupMissingIcmpType', 'ICMP code (port-range-max) 0 is provided but ICMP type (port-range-min) is missing.'],
      [{ protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 'SecurityGroupInvalidProtocolForPort', 'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.'],
      [{ protocol: 'ipv6-icmp' }, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol ipv6-icmp.'],
      [{ protocol: '58', ethertype: 'IPv4' }, 'SecurityGroupEthertypeConflictWithProtocol', 'Invalid ethertype IPv4 for protocol 58.'],
      [{ remote_ip_prefix: '2001:db8::/64' }, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR 2001:db8::/64'],
      [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: 'x' }, 'SecurityGroupMultipleRemoteEntites', 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.'],
      [{ remote_ip_prefix: '10.0.0.300/8' }, 'InvalidCIDR', 'Invalid CIDR 10.0.0.300/8 given as IP prefix.'],
      [{ ethertype: 'IPv5' }, 'SecurityGroupRuleInvalidEtherType', "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6']."],
      [{ direction: 'sideways' }, 'HTTPBadRequest', "Invalid input for direction. Reason: sideways is not in ['ingress', 'egress']."],
      [{ protocol: 256 }, 'SecurityGroupRuleInvalidProtocol', ''],
      [{ protocol: 'carrier-pigeon' }, 'SecurityGroupRuleInvalidProtocol', ''],
    ];
    for (const [rule, errType, msg] of cases) {
      const r = await createRule({ security_group_id: g.id, ...rule });
      assert.equal(r.status, 400, JSON.stringify(rule));
      assert.equal(type(r), errType, JSON.stringify(rule));
      if (msg) assert.equal(message(r), msg);
    }
    const proto = await createRule({ security_group_id: g.id, protocol: 'carrier-pigeon' });
    assert.match(message(proto), /^Security group rule protocol carrier-pigeon not supported\. Only protocol values \[None, 'ah', 'dccp', .*'vrrp'\] and integer representations \[0 to 255\] are supported\.$/);
    const missing = await s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id } }, A);
    assert.equal(message(missing), "Failed to parse request. Required attribute 'direction' not specified");
    const rules = (await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, A)).body.security_group.security_group_rules;
    assert.equal(rules.length, 2, 'no failed rule was stored');
  });

  test('bulk rule creation: one group, one project, no duplicates, all or nothing', async () => {
    const g1 = await createGroup('bulk1');
    const g2 = await createGroup('bulk2');
    const rule = (extra: Record<string, unknown>) => ({ direction: 'ingress', security_group_id: g1.id, ...extra });
    const mixed = await s.request('POST', '/v2.0/security-group-rules', { security_group_rules: [rule({ protocol: 'tcp' }), rule({ security_group_id: g2.id })] }, A);
    assert.equal(mixed.status, 400);
    assert.equal(type(mixed), 'SecurityGroupNotSingleGroupRules');
    const dups = await s.request('POST', '/v2.0/security-group-rules', { security_group_rules: [rule({ protocol: 'tcp' }), rule({ protocol: '6' })] }, A);
    assert.equal(dups.status, 409);
    assert.equal(type(dups), 'DuplicateSecurityGroupRuleInPost');
    const existing = await s.request('POST', '/v2.0/security-group-rules', { security_group_rules: [rule({ protocol: 'udp' }), rule({ direction: 'egress', ethertype: 'IPv6' })] }, A);
    assert.equal(type(existing), 'SecurityGroupRuleExists');
    const ok = await s.request('POST', '/v2.0/security-group-rules', { security_group_rules: [rule({ protocol: 'tcp' }), rule({ protocol: 'udp' })] }, A);
    assert.equal(ok.status, 201);
    assert.equal(ok.body.security_group_rules.length, 2);
    const shown = (await s.request('GET', `/v2.0/security-groups/${g1.id}`, undefined, A)).body.security_group;
    assert.equal(shown.security_group_rules.length, 4);

    const twins = await Promise.all([1, 2, 3, 4, 5].map(() => createRule({ security_group_id: g2.id, protocol: 'tcp', port_range_min: 80, port_range_max: 80 })));
    assert.deepEqual(twins.map((r) => r.status).sort(), [201, 409, 409, 409, 409], 'concurrent identical rules: one wins');
  });

  test('projects see only their own groups and rules, and cannot use others\' groups', async () => {
    const g = await createGroup('private');
    const r = (await createRule({ security_group_id: g.id, protocol: 'tcp' })).body.security_group_rule;
    assert.equal((await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, B)).status, 404);
    const notFound = await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, B);
    assert.equal(type(notFound), 'SecurityGroupNotFound');
    assert.equal(message(notFound), `Security group ${g.id} does not exist`);
    assert.equal((await s.request('GET', `/v2.0/security-group-rules/${r.id}`, undefined, B)).status, 404);
    const listB = await s.request('GET', '/v2.0/security-groups', undefined, B);
    assert.ok(!listB.body.security_groups.some((x: any) => x.id === g.id));
    const rulesB = await s.request('GET', `/v2.0/security-group-rules?security_group_id=${g.id}`, undefined, B);
    assert.deepEqual(rulesB.body.security_group_rules, []);

    const intoOther = await createRule({ security_group_id: g.id, protocol: 'udp' }, B);
    assert.equal(intoOther.status, 404);
    assert.equal(type(intoOther), 'SecurityGroupNotFound');
    const bGroup = await createGroup('b', B);
    const remote = await createRule({ security_group_id: bGroup.id, remote_group_id: g.id }, B);
    assert.equal(remote.status, 404);
    assert.equal(type(remote), 'SecurityGroupNotFound');
    const delOther = await s.request('DELETE', `/v2.0/security-groups/${g.id}`, undefined, B);
    assert.equal(delOther.status, 404);
    const putOther = await s.request('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { name: 'x' } }, B);
    assert.equal(putOther.status, 404);
    // an admin sees all of them and may add a rule to any group
    assert.equal((await s.request('GET', `/v2.0/security-groups/${g.id}`, undefined, ADMIN)).status, 200);
    const byAdmin = await s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', security_group_id: g.id, protocol: 'icmp' } }, ADMIN);
    assert.equal(byAdmin.status, 201);
    // the group's owner sees a rule an admin put in its group
    assert.equal((await s.request('GET', `/v2.0/security-group-rules/${byAdmin.body.security_group_rule.id}`, undefined, A)).status, 200);
  });

  test('rules cannot be updated; groups take tags and If-Match', async () => {
    const g = await createGroup('misc');
    const rule = g.security_group_rules[0];
    const ro = await s.request('PUT', `/v2.0/security-group-rules/${rule.id}`, { security_group_rule: { protocol: 'tcp' } }, A);
    assert.equal(ro.status, 400);
    assert.equal(message(ro), 'Cannot update read-only attribute protocol');
    const desc = await s.request('PUT', `/v2.0/security-group-rules/${rule.id}`, { security_group_rule: { description: 'x' } }, A);
    assert.equal(desc.status, 405);

    assert.equal((await s.request('PUT', `/v2.0/security-groups/${g.id}/tags/web`, undefined, A)).status, 201);
    const tagged = await s.request('GET', '/v2.0/security-groups?tags=web', undefined, A);
    assert.deepEqual(tagged.body.security_groups.map((x: any) => x.id), [g.id]);
    const stale = await s.request('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { name: 'm' } }, { ...A, 'if-match': 'revision_number=0' });
    assert.equal(stale.status, 412);
  });

  test('quotas count groups (the default one too) and rules', async () => {
    const P = asProject('project-q');
    await s.request('PUT', '/v2.0/quotas/project-q', { quota: { security_group: 2, security_group_rule: 7 } }, ADMIN);
    const one = await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'one' } }, P);
    assert.equal(one.status, 201, 'the default group is made first, then this one');
    const two = await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'two' } }, P);
    assert.equal(two.status, 409);
    assert.equal(message(two), "Quota exceeded for resources: ['security_group'].");
    const details = (await s.request('GET', '/v2.0/quotas/project-q/details', undefined, P)).body.quota;
    assert.deepEqual(details.security_group, { limit: 2, used: 2, reserved: 0 });
    assert.deepEqual(details.security_group_rule, { limit: 7, used: 6, reserved: 0 });
    const r1 = await s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', security_group_id: one.body.security_group.id, protocol: 'tcp' } }, P);
    assert.equal(r1.status, 201);
    const r2 = await s.request('POST', '/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', security_group_id: one.body.security_group.id, protocol: 'udp' } }, P);
    assert.equal(r2.status, 409);
    assert.equal(type(r2), 'OverQuota');
  });
});

describe('ports and security groups', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  const P = asProject('project-p');
  const Q = asProject('project-q');
  const post = async (path: string, body: unknown, headers = P) => {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body[Object.keys(r.body)[0]!];
  };

  test('a port gets its project\'s default group unless it names groups, is network-owned or has port security off', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'n' } });
    const port = await post('/v2.0/ports', { port: { network_id: net.id } });
    const groups = (await s.request('GET', '/v2.0/security-groups', undefined, P)).body.security_groups;
    assert.equal(groups.length, 1, 'creating the port made the default group');
    assert.deepEqual(port.security_groups, [groups[0].id]);
    assert.equal(port.port_security_enabled, true);

    const web = await post('/v2.0/security-groups', { security_group: { name: 'web' } });
    const named = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [web.id] } });
    assert.deepEqual(named.security_groups, [web.id]);
    const none = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [] } });
    assert.deepEqual(none.security_groups, []);
    const insecure = await post('/v2.0/ports', { port: { network_id: net.id, port_security_enabled: false } });
    assert.deepEqual(insecure.security_groups, []);
    const dhcp = await post('/v2.0/ports', { port: { network_id: net.id, device_owner: 'network:dhcp', security_groups: [web.id] } });
    assert.deepEqual(dhcp.security_groups, [], 'network:* ports never get groups');

    const filtered = await s.request('GET', `/v2.0/ports?security_groups=${web.id}`, undefined, P);
    assert.deepEqual(filtered.body.ports.map((p: any) => p.id), [named.id]);
  });

  test('port security and security groups go together', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'ps' } });
    const web = await post('/v2.0/security-groups', { security_group: { name: 'web-ps' } });
    const refused = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, port_security_enabled: false, security_groups: [web.id] } }, P);
    assert.equal(refused.status, 400);
    assert.equal(type(refused), 'PortSecurityAndIPRequiredForSecurityGroups');

    const port = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [web.id] } });
    const off = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { port_security_enabled: false } }, P);
    assert.equal(off.status, 409);
    assert.equal(type(off), 'PortSecurityPortHasSecurityGroup');
    const offAndClear = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { port_security_enabled: false, security_groups: [] } }, P);
    assert.equal(offAndClear.status, 200, JSON.stringify(offAndClear.body));
    assert.deepEqual(offAndClear.body.port.security_groups, []);
    const addWhileOff = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { security_groups: [web.id] } }, P);
    assert.equal(type(addWhileOff), 'PortSecurityAndIPRequiredForSecurityGroups');
    const pairs = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.0.0.9' }] } }, P);
    assert.equal(pairs.status, 409);
    assert.equal(type(pairs), 'AddressPairAndPortSecurityRequired');
    const rename = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'still-off' } }, P);
    assert.equal(rename.status, 200);
    const on = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { port_security_enabled: true, security_groups: [web.id] } }, P);
    assert.equal(on.status, 200);
    assert.deepEqual(on.body.port.security_groups, [web.id]);
  });

  test('groups of other projects are not found; groups in use cannot go or change statefulness', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'use' } });
    const mine = await post('/v2.0/security-groups', { security_group: { name: 'mine' } });
    const theirs = await post('/v2.0/security-groups', { security_group: { name: 'theirs' } }, Q);
    const other = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [mine.id, theirs.id] } }, P);
    assert.equal(other.status, 404);
    assert.equal(type(other), 'SecurityGroupNotFound');
    assert.equal(message(other), `Security group ${theirs.id} does not exist`);
    const ghost = '5b1c9a4e-0000-4000-8000-000000000000';
    assert.equal(type(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [ghost] } }, P)), 'SecurityGroupNotFound');

    const stateless = await post('/v2.0/security-groups', { security_group: { name: 'stateless', stateful: false } });
    const mixed = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [mine.id, stateless.id] } }, P);
    assert.equal(mixed.status, 409);
    assert.equal(type(mixed), 'SecurityGroupConflict');

    const port = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [mine.id] } });
    const del = await s.request('DELETE', `/v2.0/security-groups/${mine.id}`, undefined, P);
    assert.equal(del.status, 409);
    assert.equal(type(del), 'SecurityGroupInUse');
    assert.equal(message(del), `Security Group ${mine.id} in use.`);
    const flip = await s.request('PUT', `/v2.0/security-groups/${mine.id}`, { security_group: { stateful: false } }, P);
    assert.equal(flip.status, 409);
    assert.equal(type(flip), 'SecurityGroupInUse');
    assert.equal((await s.request('PUT', `/v2.0/security-groups/${mine.id}`, { security_group: { stateful: true } }, P)).status, 200, 'no change is no conflict');
    // an admin may bind any project's group
    const byAdmin = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, project_id: 'project-p', security_groups: [theirs.id] } }, ADMIN);
    assert.equal(byAdmin.status, 201);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, P)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/security-groups/${mine.id}`, undefined, P)).status, 204);
  });
});
