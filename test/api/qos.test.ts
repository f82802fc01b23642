import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
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
      DEFAULT: { service_plugins: ['router', 'neutron.services.qos.qos_plugin.QoSPlugin'] },
      ml2: { mechanism_drivers: ['openvswitch'], extension_drivers: ['port_security', 'qos'], type_drivers: ['flat', 'vlan', 'vxlan'], tenant_network_types: ['vxlan'] },
      ml2_type_flat: { flat_networks: ['physnet1'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet2'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1999'] },
    });
  });
  after(() => s.close());

  test('the extensions are advertised', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, ADMIN)).body.extensions.map((e: any) => e.alias);
    for (const a of ['qos', 'qos-bw-limit-direction', 'qos-default', 'qos-rule-type-details', 'qos-rule-type-filter', 'qos-bw-minimum-ingress',
      'qos-rules-alias', 'qos-port-network-policy', 'qos-pps', 'qos-pps-minimum', 'qos-pps-minimum-rule-alias', 'qos-fip',
      'port-resource-request', 'port-resource-request-groups', 'qos-gateway-ip']) {
      assert.ok(aliases.includes(a), a);
    }
  });

  test('the OpenAPI document describes policies, rules under their policy, rule types and aliases', async () => {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, ADMIN)).body;
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 3000));
    for (const path of ['/v2.0/qos/policies', '/v2.0/qos/policies/{parent_id}/bandwidth_limit_rules/{id}', '/v2.0/qos/rule-types', '/v2.0/qos/alias_dscp_marking_rules/{id}']) {
      assert.ok(doc.paths[path], path);
    }
    assert.deepEqual(doc.paths['/v2.0/qos/policies/{parent_id}/minimum_packet_rate_rules'].post.parameters.map((p: any) => p.name), ['parent_id']);
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

    // it cannot be unshared while B uses it
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { shared: false } }, ADMIN)),
      [409, 'RbacPolicyInUse', `RBAC policy on object ${p.id} cannot be removed because other objects depend on it.\nDetails: project_id=*`]);
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.body.network.id}`, { network: { qos_policy_id: null } }, B)).body.network.qos_policy_id, null);
    // unsharing removes the wildcard entry
    const unshared = await s.request('PUT', `/v2.0/qos/policies/${p.id}`, { policy: { shared: false } }, ADMIN);
    assert.equal(unshared.body.policy.shared, false);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, B)).status, 404);
    assert.deepEqual(errorOf(await network({ qos_policy_id: p.id }, B)), [404, 'QosPolicyNotFound', `QoS policy ${p.id} could not be found.`]);
    // a policy B cannot see, put on its network by an admin, cannot be taken off by B
    assert.equal((await s.request('PUT', `/v2.0/networks/${net.body.network.id}`, { network: { qos_policy_id: p.id } }, ADMIN)).status, 200);
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

  test('rules: create, list, show, update, delete under their policy; the policy lists them and its revision moves', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const bw = await rule(p.id, 'bandwidth_limit', { max_kbps: 1000 });
    assert.equal(bw.status, 201, JSON.stringify(bw.body));
    const r = bw.body.bandwidth_limit_rule;
    assert.deepEqual(Object.keys(r).sort(), ['direction', 'id', 'max_burst_kbps', 'max_kbps']);
    assert.deepEqual([r.max_kbps, r.max_burst_kbps, r.direction], [1000, 0, 'egress']);
    const ingress = (await rule(p.id, 'bandwidth_limit', { max_kbps: '2000', direction: 'ingress' })).body.bandwidth_limit_rule;
    assert.equal(ingress.max_kbps, 2000);
    const dscp = (await rule(p.id, 'dscp_marking', { dscp_mark: 16 })).body.dscp_marking_rule;
    const minbw = (await rule(p.id, 'minimum_bandwidth', { min_kbps: 500 })).body.minimum_bandwidth_rule;
    const pps = (await rule(p.id, 'packet_rate_limit', { max_kpps: 10 })).body.packet_rate_limit_rule;
    const minpps = (await rule(p.id, 'minimum_packet_rate', { min_kpps: 5, direction: 'any' })).body.minimum_packet_rate_rule;
    assert.deepEqual(pps, { id: pps.id, max_kpps: 10, max_burst_kpps: 0, direction: 'egress' });
    assert.equal(minpps.direction, 'any');

    const shown = (await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, A)).body.policy;
    assert.equal(shown.revision_number, 6);
    assert.deepEqual(shown.rules.map((x: any) => x.type), ['bandwidth_limit', 'bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate']);
    const listed = shown.rules.find((x: any) => x.id === dscp.id);
    assert.deepEqual(listed, { id: dscp.id, qos_policy_id: p.id, dscp_mark: 16, type: 'dscp_marking' });

    const list = await s.request('GET', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules?direction=ingress`, undefined, A);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.bandwidth_limit_rules.map((x: any) => x.id), [ingress.id]);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules/${r.id}`, undefined, A)).body.bandwidth_limit_rule.id, r.id);
    const up = await s.request('PUT', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules/${r.id}`, { bandwidth_limit_rule: { max_kbps: 3000, max_burst_kbps: 300 } }, ADMIN);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual([up.body.bandwidth_limit_rule.max_kbps, up.body.bandwidth_limit_rule.max_burst_kbps], [3000, 300]);

    // a rule under another policy, or under no visible policy, is not found
    const other = (await policy({ project_id: 'project-a' })).body.policy;
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/qos/policies/${other.id}/bandwidth_limit_rules/${r.id}`, undefined, ADMIN)),
      [404, 'QosRuleNotFound', `QoS rule ${r.id} for policy ${other.id} could not be found.`]);
    const missing = '8ac8e9a4-0000-4000-8000-000000000002';
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/qos/policies/${missing}/bandwidth_limit_rules`, undefined, ADMIN)),
      [404, 'QosPolicyNotFound', `QoS policy ${missing} could not be found.`]);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}/dscp_marking_rules`, undefined, B)).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}/dscp_marking_rules/${dscp.id}`, undefined, A)).status, 403);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}/dscp_marking_rules/${dscp.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}`, undefined, A)).body.policy.revision_number, 8);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}/dscp_marking_rules/${dscp.id}`, undefined, ADMIN)).status, 404);
    // rules go with their policy
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)).status, 204);
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/qos/alias_minimum_bandwidth_rules/${minbw.id}`, undefined, ADMIN)),
      [404, 'QosRuleNotFound', `QoS rule ${minbw.id} for policy  could not be found.`]);
  });

  test('rules: validation and conflicts', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['bandwidth_limit', { max_kbps: -1 }, "Invalid input for max_kbps. Reason: '-1' is too small - must be at least '0'."],
      ['bandwidth_limit', { max_kbps: 2 ** 31 }, "Invalid input for max_kbps. Reason: '2147483648' is too large - must be no larger than '2147483647'."],
      ['bandwidth_limit', { max_kbps: 1, direction: 'up' }, "Invalid input for direction. Reason: up is not in ['ingress', 'egress']."],
      ['dscp_marking', { dscp_mark: 9 }, "Invalid input for dscp_mark. Reason: 9 is not in [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56]."],
      ['minimum_packet_rate', { min_kpps: 1, direction: 'sideways' }, "Invalid input for direction. Reason: sideways is not in ['any', 'ingress', 'egress']."],
    ];
    for (const [type, body, message] of bad) {
      const res = await rule(p.id, type, body);
      assert.deepEqual([res.status, res.body.NeutronError.message], [400, message], type);
    }
    const first = (await rule(p.id, 'bandwidth_limit', { max_kbps: 100 })).body.bandwidth_limit_rule;
    assert.deepEqual(errorOf(await rule(p.id, 'bandwidth_limit', { max_kbps: 200 })),
      [409, 'QoSRulesConflict', `Rule bandwidth_limit conflicts with rule ${first.id} which already exists in QoS Policy ${p.id}.`]);
    const dscp = (await rule(p.id, 'dscp_marking', { dscp_mark: 8 })).body.dscp_marking_rule;
    assert.deepEqual(errorOf(await rule(p.id, 'dscp_marking', { dscp_mark: 10 })),
      [409, 'QoSRulesConflict', `Rule dscp_marking conflicts with rule ${dscp.id} which already exists in QoS Policy ${p.id}.`]);
    assert.deepEqual(errorOf(await rule(p.id, 'minimum_bandwidth', { min_kbps: 500 })),
      [409, 'QoSRuleParameterConflict', `Unable to add the rule with value 500 to the policy ${p.id} as the existing rule of type bandwidth_limit has value 100.`]);
    const min = (await rule(p.id, 'minimum_bandwidth', { min_kbps: 50 })).body.minimum_bandwidth_rule;
    assert.ok(min.id);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules/${first.id}`, { bandwidth_limit_rule: { max_kbps: 10 } }, ADMIN)),
      [409, 'QoSRuleParameterConflict', `Unable to add the rule with value 10 to the policy ${p.id} as the existing rule of type minimum_bandwidth has value 50.`]);
    const ingress = (await rule(p.id, 'bandwidth_limit', { max_kbps: 100, direction: 'ingress' })).body.bandwidth_limit_rule;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules/${ingress.id}`, { bandwidth_limit_rule: { direction: 'egress' } }, ADMIN)),
      [409, 'QoSRulesConflict', `Rule bandwidth_limit conflicts with rule ${first.id} which already exists in QoS Policy ${p.id}.`]);
    await rule(p.id, 'minimum_packet_rate', { min_kpps: 1, direction: 'ingress' });
    assert.deepEqual(errorOf(await rule(p.id, 'minimum_packet_rate', { min_kpps: 1, direction: 'any' })),
      [409, 'QoSRuleParameterConflict', `Unable to add the rule with value any to the policy ${p.id} as the existing rule of type minimum_packet_rate has value ingress.`]);
  });

  test('the alias rule API reaches a rule without its policy', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const r = (await rule(p.id, 'bandwidth_limit', { max_kbps: 100 })).body.bandwidth_limit_rule;
    const shown = await s.request('GET', `/v2.0/qos/alias_bandwidth_limit_rules/${r.id}`, undefined, A);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.deepEqual(shown.body.alias_bandwidth_limit_rule, r);
    const up = await s.request('PUT', `/v2.0/qos/alias_bandwidth_limit_rules/${r.id}`, { alias_bandwidth_limit_rule: { max_kbps: 7 } }, ADMIN);
    assert.equal(up.body.alias_bandwidth_limit_rule.max_kbps, 7);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${p.id}/bandwidth_limit_rules/${r.id}`, undefined, A)).body.bandwidth_limit_rule.max_kbps, 7);
    assert.equal((await s.request('PUT', `/v2.0/qos/alias_bandwidth_limit_rules/${r.id}`, { alias_bandwidth_limit_rule: { max_kbps: 8 } }, A)).status, 403);
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/qos/alias_bandwidth_limit_rules/${r.id}`, undefined, B)),
      [404, 'QosPolicyNotFound', `QoS policy ${p.id} could not be found.`]);
    // no create and no list through the alias
    assert.equal((await s.request('POST', '/v2.0/qos/alias_bandwidth_limit_rules', { alias_bandwidth_limit_rule: {} }, ADMIN)).status, 405);
    assert.equal((await s.request('GET', '/v2.0/qos/alias_bandwidth_limit_rules', undefined, ADMIN)).status, 404);
    const minpps = (await rule(p.id, 'minimum_packet_rate', { min_kpps: 3 })).body.minimum_packet_rate_rule;
    assert.equal((await s.request('DELETE', `/v2.0/qos/alias_minimum_packet_rate_rules/${minpps.id}`, undefined, ADMIN)).status, 204);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/alias_minimum_packet_rate_rules/${minpps.id}`, undefined, ADMIN)),
      [404, 'QosRuleNotFound', `QoS rule ${minpps.id} for policy  could not be found.`]);
  });

  test('rule types from the loaded mechanism drivers', async () => {
    const list = await s.request('GET', '/v2.0/qos/rule-types', undefined, A);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.rule_types.map((t: any) => t.type),
      ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate']);
    const detail = await s.request('GET', '/v2.0/qos/rule-types/dscp_marking', undefined, ADMIN);
    assert.deepEqual(detail.body.rule_type, {
      type: 'dscp_marking',
      drivers: [{ name: 'openvswitch', supported_parameters: [{ parameter_name: 'dscp_mark', parameter_type: 'choices', parameter_values: [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56] }] }],
    });
    const bw = (await s.request('GET', '/v2.0/qos/rule-types/bandwidth_limit', undefined, ADMIN)).body.rule_type;
    assert.deepEqual(bw.drivers[0].supported_parameters[0], { parameter_name: 'max_kbps', parameter_type: 'range', parameter_values: { start: 0, end: 2147483647 } });
    assert.deepEqual(errorOf(await s.request('GET', '/v2.0/qos/rule-types/dscp_marking', undefined, A)), [403, 'NotAuthorized', 'Not authorized.']);

    const lb = await startServer({ DEFAULT: { service_plugins: ['qos'] }, ml2: { mechanism_drivers: ['linuxbridge', 'openvswitch'], extension_drivers: ['qos'] } });
    try {
      const types = async (q: string) => (await lb.request('GET', `/v2.0/qos/rule-types${q}`, undefined, ADMIN)).body.rule_types.map((t: any) => t.type);
      assert.deepEqual(await types(''), ['bandwidth_limit', 'dscp_marking']);
      assert.deepEqual(await types('?all_supported=true'), ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate']);
      assert.deepEqual(await types('?all_rules=true'), ['bandwidth_limit', 'dscp_marking', 'minimum_bandwidth', 'packet_rate_limit', 'minimum_packet_rate']);
      const details = (await lb.request('GET', '/v2.0/qos/rule-types/bandwidth_limit', undefined, ADMIN)).body.rule_type;
      assert.deepEqual(details.drivers.map((d: any) => d.name), ['linuxbridge', 'openvswitch']);
      assert.deepEqual((await lb.request('GET', '/v2.0/qos/rule-types/minimum_bandwidth', undefined, ADMIN)).body.rule_type.drivers.map((d: any) => d.name), ['openvswitch']);
    } finally {
      await lb.close();
    }
  });

  test('a policy whose rules the drivers cannot apply is refused', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    await rule(p.id, 'minimum_bandwidth', { min_kbps: 10 });
    // openvswitch applies a minimum bandwidth only on a network whose first segment has a physnet
    const vx = (await network()).body.network;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/networks/${vx.id}`, { network: { qos_policy_id: p.id } }, A)),
      [409, 'QosRuleNotSupportedByNetwork', `Rule minimum_bandwidth is not supported by network ${vx.id}`]);
    const prt = (await port({ network_id: vx.id })).body.port;
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/ports/${prt.id}`, { port: { qos_policy_id: p.id } }, A)),
      [409, 'QosRuleNotSupported', `Rule minimum_bandwidth is not supported by port ${prt.id}`]);
    // a port whose vnic type no driver serves (openvswitch: normal, direct) refuses every rule, also through its network
    const mac = (await network()).body.network;
    const macPort = (await port({ network_id: mac.id, 'binding:vnic_type': 'macvtap' })).body.port;
    const limit = (await policy({ project_id: 'project-a' })).body.policy;
    assert.equal((await s.request('PUT', `/v2.0/networks/${mac.id}`, { network: { qos_policy_id: limit.id } }, A)).status, 200, 'no rules yet');
    assert.deepEqual(errorOf(await rule(limit.id, 'bandwidth_limit', { max_kbps: 10 })),
      [409, 'QosRuleNotSupported', `Rule bandwidth_limit is not supported by port ${macPort.id}`]);
    assert.equal((await s.request('PUT', `/v2.0/networks/${mac.id}`, { network: { qos_policy_id: null } }, A)).status, 200);
    const withRule = (await policy({ project_id: 'project-a' })).body.policy;
    await rule(withRule.id, 'dscp_marking', { dscp_mark: 8 });
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/networks/${mac.id}`, { network: { qos_policy_id: withRule.id } }, A)),
      [409, 'QosRuleNotSupported', `Rule dscp_marking is not supported by port ${macPort.id}`]);
    const flat = (await network({ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', qos_policy_id: p.id }, ADMIN));
    assert.equal(flat.status, 201, JSON.stringify(flat.body));
    // a VM's port keeps its minimum: the rule cannot change under it
    const vm = (await port({ network_id: flat.body.network.id, device_owner: 'compute:nova', project_id: 'admin-project' }, ADMIN)).body.port;
    assert.ok(vm.id);
    assert.deepEqual(errorOf(await rule(p.id, 'minimum_packet_rate', { min_kpps: 1 })),
      [501, 'NotImplementedError', 'Cannot update QoS policies/rules backed by resources tracked in Placement']);
  });

  test('resource_request: what the minimum rules of the effective policy ask Placement for, to admins', async () => {
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const bw = (await rule(p.id, 'minimum_bandwidth', { min_kbps: 1000 })).body.minimum_bandwidth_rule;
    const bwIn = (await rule(p.id, 'minimum_bandwidth', { min_kbps: 2000, direction: 'ingress' })).body.minimum_bandwidth_rule;
    const pps = (await rule(p.id, 'minimum_packet_rate', { min_kpps: 50, direction: 'any' })).body.minimum_packet_rate_rule;
    const vlan = await network({ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 100, qos_policy_id: p.id }, ADMIN);
    assert.equal(vlan.status, 201, JSON.stringify(vlan.body));
    const prt = (await port({ network_id: vlan.body.network.id, project_id: 'project-a' }, ADMIN)).body.port;
    const bwIds = [bw.id, bwIn.id].sort().join(':');
    const rr = prt.resource_request;
    assert.ok(rr, 'the create answer has it');
    const [g1, g2] = rr.request_groups;
    assert.deepEqual(g1.required, ['CUSTOM_PHYSNET_PHYSNET2', 'CUSTOM_VNIC_TYPE_NORMAL']);
    assert.deepEqual(g1.resources, { NET_BW_EGR_KILOBIT_PER_SEC: 1000, NET_BW_IGR_KILOBIT_PER_SEC: 2000 });
    assert.deepEqual(g2, { id: g2.id, required: ['CUSTOM_VNIC_TYPE_NORMAL'], resources: { NET_PACKET_RATE_KILOPACKET_PER_SEC: 50 } });
    assert.deepEqual(rr.same_subtree, [g1.id, g2.id]);
    // uuid5(port id, the rules' ids joined by ':'), computed as Python's uuid.uuid5
    const { uuid5 } = await import('../../src/services/qos/resource-request.js');
    assert.equal(g1.id, uuid5(prt.id, bwIds));
    assert.equal(g2.id, uuid5(prt.id, pps.id));
    assert.equal(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'r1:r2'), '1f9173fd-c316-5776-8645-29570b41b1f3');
    const listed = (await s.request('GET', `/v2.0/ports?id=${prt.id}`, undefined, ADMIN)).body.ports[0];
    assert.deepEqual(listed.resource_request, rr);
    // hidden from non-admins; null without a policy or minimum rules
    assert.equal('resource_request' in (await s.request('GET', `/v2.0/ports/${prt.id}`, undefined, A)).body.port, false);
    const plain = (await port({ network_id: (await network()).body.network.id })).body.port;
    assert.equal((await s.request('GET', `/v2.0/ports/${plain.id}`, undefined, ADMIN)).body.port.resource_request, null);
  });

  test('qos-fip: the policy of a floating IP', async () => {
    const ext = (await network({ 'router:external': true }, ADMIN)).body.network;
    assert.equal((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4 } }, ADMIN)).status, 201);
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const hidden = (await policy({ project_id: 'project-b' })).body.policy;
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, qos_policy_id: hidden.id } }, A)),
      [404, 'QosPolicyNotFound', `QoS policy ${hidden.id} could not be found.`]);
    const fip = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, qos_policy_id: p.id } }, A);
    assert.equal(fip.status, 201, JSON.stringify(fip.body));
    assert.equal(fip.body.floatingip.qos_policy_id, p.id);
    const id = fip.body.floatingip.id;
    assert.equal((await s.request('GET', `/v2.0/floatingips/${id}`, undefined, A)).body.floatingip.qos_policy_id, p.id);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)),
      [409, 'QosPolicyInUse', `QoS Policy ${p.id} is used by fip ${id}.`]);
    const cleared = await s.request('PUT', `/v2.0/floatingips/${id}`, { floatingip: { qos_policy_id: null } }, A);
    assert.equal(cleared.body.floatingip.qos_policy_id, null);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)).status, 204);
  });

  test('qos-gateway-ip: the policy of a router gateway', async () => {
    const ext = (await network({ 'router:external': true }, ADMIN)).body.network;
    assert.equal((await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 } }, ADMIN)).status, 201);
    const p = (await policy({ project_id: 'project-a' })).body.policy;
    const hidden = (await policy({ project_id: 'project-b' })).body.policy;
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, qos_policy_id: hidden.id } } }, A)),
      [404, 'QosPolicyNotFound', `QoS policy ${hidden.id} could not be found.`]);
    assert.equal((await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, qos_policy_id: 'x' } } }, A)).status, 400);
    const created = await s.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id, qos_policy_id: p.id } } }, A);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const r = created.body.router;
    assert.equal(r.external_gateway_info.qos_policy_id, p.id);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)),
      [409, 'QosPolicyInUse', `QoS Policy ${p.id} is used by router ${r.id}.`]);
    // without the key the policy stays; null clears it (and then the key is not shown)
    const kept = await s.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id } } }, A);
    assert.equal(kept.body.router.external_gateway_info.qos_policy_id, p.id);
    const cleared = await s.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, qos_policy_id: null } } }, A);
    assert.equal(cleared.status, 200);
    assert.equal('qos_policy_id' in cleared.body.router.external_gateway_info, false);
    await s.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, qos_policy_id: p.id } } }, A);
    // removing the gateway removes its policy
    assert.equal((await s.request('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } }, A)).body.router.external_gateway_info, null);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${p.id}`, undefined, ADMIN)).status, 204);
  });

  test('failure paths a client meets', async () => {
    const long = 'x'.repeat(256);
    assert.equal((await policy({ name: long })).status, 400);
    assert.equal((await policy({ description: long })).status, 400);
    assert.equal((await policy({ shared: 'maybe' })).status, 400);
    assert.equal((await policy({ rules: [] })).status, 400, 'rules are read-only');
    const missing = '8ac8e9a4-0000-4000-8000-000000000003';
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/qos/policies/${missing}`, { policy: { name: 'x' } }, ADMIN)),
      [404, 'QosPolicyNotFound', `QoS policy ${missing} could not be found.`]);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/qos/policies/${missing}`, undefined, ADMIN)),
      [404, 'QosPolicyNotFound', `QoS policy ${missing} could not be found.`]);
    assert.deepEqual(errorOf(await rule(missing, 'dscp_marking', { dscp_mark: 8 })),
      [404, 'QosPolicyNotFound', `QoS policy ${missing} could not be found.`]);
    // another project's policy is not found, its own is forbidden to change
    const foreign = (await policy({ project_id: 'project-b' })).body.policy;
    const own = (await policy({ project_id: 'project-a' })).body.policy;
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${foreign.id}`, { policy: { name: 'x' } }, A)).status, 404);
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${own.id}`, { policy: { name: 'x' } }, A)).status, 403);
    assert.equal((await s.request('DELETE', `/v2.0/qos/policies/${own.id}`, undefined, A)).status, 403);
    const r = (await rule(own.id, 'bandwidth_limit', { max_kbps: 5 })).body.bandwidth_limit_rule;
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${own.id}/bandwidth_limit_rules/${r.id}`, { bandwidth_limit_rule: { max_kbps: 6 } }, A)).status, 403);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${own.id}/bandwidth_limit_rules/${r.id}`, undefined, A)).status, 200);
    assert.equal((await s.request('GET', `/v2.0/qos/policies/${foreign.id}/bandwidth_limit_rules`, undefined, A)).status, 404);
    assert.equal((await rule(own.id, 'bandwidth_limit', {})).status, 400, 'max_kbps is required');
    assert.equal((await rule(own.id, 'dscp_marking', { dscp_mark: 8, qos_policy_id: foreign.id })).status, 400);
    // sorting and paging, as for any collection
    const page = await s.request('GET', '/v2.0/qos/policies?sort_key=name&sort_dir=desc&limit=1', undefined, ADMIN);
    assert.equal(page.status, 200);
    assert.equal(page.body.policies.length, 1);
    assert.ok(page.body.policies_links.some((l: any) => l.rel === 'next'));
    // tags
    assert.equal((await s.request('PUT', `/v2.0/qos/policies/${own.id}/tags/gold`, undefined, ADMIN)).status, 201);
    assert.deepEqual((await s.request('GET', '/v2.0/qos/policies?tags=gold', undefined, ADMIN)).body.policies.map((x: any) => x.id), [own.id]);
  });
});
