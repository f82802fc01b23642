import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyCredentials, type RequestContext } from '../../src/lib/context.js';
import { NeutronError } from '../../src/lib/errors.js';
import { describeRule, PolicyEngine, type PolicyLogger } from '../../src/auth/policy/engine.js';
import { ACTION_RULES, BASE_RULES } from '../../src/auth/policy/defaults.js';

function recorder(): PolicyLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: () => {}, warn: (m: unknown) => void lines.push(`warn ${m}`), error: (m: unknown) => void lines.push(`error ${m}`) } as PolicyLogger & { lines: string[] };
}

function ctx(projectId: string | null, roles: string[], extra: Partial<RequestContext> = {}): RequestContext {
  return { requestId: 'req-1', userId: 'u1', projectId, roles, isAdmin: false, isAdvsvc: false, ...extra };
}

// an empty search path: no policy file
const legacy = new PolicyEngine({ logger: recorder() });
const fresh = new PolicyEngine({ logger: recorder(), enforceNewDefaults: true });

const member = (p: string) => ctx(p, ['member', 'reader']);
const admin = ctx('p-admin', ['admin', 'member', 'reader'], { isAdmin: true, isAdvsvc: true });

test('the defaults parse cleanly and reference only defined rules', () => {
  const log = recorder();
  new PolicyEngine({ logger: log });
  new PolicyEngine({ logger: log, enforceNewDefaults: true });
  assert.deepEqual(log.lines, []);
  assert.ok(Object.keys(ACTION_RULES).length > 200);
  assert.equal(BASE_RULES.default, 'rule:admin_or_owner');
  for (const name of ['create_network', 'get_port', 'create_floatingip_port_forwarding', 'get_local_ip', 'create_ndp_proxy',
    'get_router_conntrack_helper', 'create_metering_label', 'create_log', 'get_address_group', 'get_network_segment_range',
    'get_auto_allocated_topology', 'get_flavor', 'get_service_provider', 'get_trunk', 'get_rule_type', 'get_quota']) {
    assert.ok(legacy.ruleExists(name), name);
  }
});

test('owner: admin_or_owner rules', () => {
  const net = { id: 'n1', tenant_id: 'p1', project_id: 'p1', shared: false, 'router:external': false };
  assert.equal(legacy.check(member('p1'), 'update_network', net), true);
  assert.equal(legacy.check(member('p2'), 'update_network', net), false);
  assert.equal(legacy.check(member('p1'), 'delete_network', net), true);
  assert.equal(legacy.check(member('p2'), 'get_network', net), false);
});

test('admin: an is_admin context passes everything while the old defaults apply', () => {
  assert.equal(legacy.check(admin, 'update_network', { tenant_id: 'other' }), true);
  assert.equal(legacy.check(admin, ['create_network', 'create_network:shared'], {}), true);
  assert.equal(legacy.check(admin, 'no_such_rule', {}), true);
  legacy.enforce(admin, ['create_port', 'create_port:binding:host_id'], { tenant_id: 'x' });
  // an admin role without the is_admin flag goes through the rules (role:admin)
  const roleOnly = ctx('p9', ['admin']);
  assert.equal(legacy.check(roleOnly, 'create_network:shared', {}), true);
  assert.equal(legacy.check(roleOnly, 'update_network', { tenant_id: 'other' }), true);
  // with the new defaults there is no bypass, but admin_only still passes on the role
  assert.equal(fresh.check(admin, 'update_network', { tenant_id: 'other', project_id: 'other' }), true);
  assert.equal(fresh.check(ctx('p-admin', ['member'], { isAdmin: true }), 'create_network:shared', {}), false);
});

test('shared and external networks are visible to everyone', () => {
  const shared = { tenant_id: 'p1', project_id: 'p1', shared: true, 'router:external': false };
  const external = { tenant_id: 'p1', project_id: 'p1', shared: false, 'router:external': true };
  assert.equal(legacy.check(member('p2'), 'get_network', shared), true);
  assert.equal(legacy.check(member('p2'), 'get_network', external), true);
  assert.equal(fresh.check(member('p2'), 'get_network', shared), true);
  // a subnet on a shared network: the network's flag is supplied as network:shared
  const subnet = { tenant_id: 'p1', project_id: 'p1', network_id: 'n1', 'network:tenant_id': 'p1' };
  assert.equal(legacy.check(member('p2'), 'get_subnet', { ...subnet, 'network:shared': true }), true);
  assert.equal(legacy.check(member('p2'), 'get_subnet', { ...subnet, 'network:shared': false }), false);
  assert.deepEqual(legacy.parentKeys('get_subnet'), ['network:shared']);
});

test('network owner rules for ports', () => {
  // a port of p2 on p1's network
  const port = { tenant_id: 'p2', project_id: 'p2', network_id: 'n1', 'network:tenant_id': 'p1', 'network:shared': false,
    device_owner: '', mac_address: 'fa:16:3e:00:00:01' };
  assert.equal(legacy.check(member('p1'), 'get_port', port), true); // network owner
  assert.equal(legacy.check(member('p2'), 'get_port', port), true); // owner
  assert.equal(legacy.check(member('p3'), 'get_port', port), false);
  assert.equal(legacy.check(member('p1'), ['create_port', 'create_port:mac_address'], port), true);
  assert.equal(legacy.check(member('p2'), ['create_port', 'create_port:mac_address'], port), false);
  assert.equal(legacy.check(member('p2'), ['create_port', 'create_port:fixed_ips', 'create_port:fixed_ips:subnet_id'], port), false);
  const onShared = { ...port, 'network:shared': true };
  assert.equal(legacy.check(member('p2'), ['create_port', 'create_port:fixed_ips', 'create_port:fixed_ips:subnet_id'], onShared), true);
  assert.equal(legacy.check(member('p2'), ['create_port', 'create_port:fixed_ips', 'create_port:fixed_ips:ip_address'], onShared), false);
  // network:* device owners need the network owner (or admin/advsvc)
  assert.equal(legacy.check(member('p2'), 'create_port:device_owner', { ...port, device_owner: 'compute:nova' }), true);
  assert.equal(legacy.check(member('p2'), 'create_port:device_owner', { ...port, device_owner: 'network:dhcp' }), false);
  assert.equal(legacy.check(member('p1'), 'create_port:device_owner', { ...port, device_owner: 'network:dhcp' }), true);
  assert.deepEqual([...legacy.parentKeys('create_port:fixed_ips')].sort(), ['network:shared', 'network:tenant_id']);
  assert.deepEqual(legacy.parentKeys('get_network:provider:network_type'), []);
  assert.deepEqual(legacy.parentKeys(['create_port', 'create_port:mac_address']), ['network:tenant_id']);
});

test('advsvc reaches ports of other projects', () => {
  const port = { tenant_id: 'p2', project_id: 'p2', network_id: 'n1', 'network:tenant_id': 'p1', device_owner: 'network:dhcp' };
  const svc = ctx('svc', ['advsvc'], { isAdvsvc: true });
  assert.equal(legacy.check(svc, 'get_port', port), true);
  assert.equal(legacy.check(svc, 'update_port', port), true);
  assert.equal(legacy.check(svc, ['create_port', 'create_port:device_owner', 'create_port:mac_address'], port), true);
  assert.equal(legacy.check(svc, 'update_port:binding:host_id', port), false);
  assert.equal(legacy.isAdvsvc(policyCredentials(svc)), true);
  assert.equal(legacy.isAdvsvc(policyCredentials(member('p1'))), false);
});

test('admin-only attributes', () => {
  const net = { tenant_id: 'p1', project_id: 'p1' };
  for (const a of ['get_network:provider:network_type', 'get_network:segments', 'create_network:shared', 'update_network:router:external']) {
    assert.equal(legacy.check(member('p1'), a, net), false, a);
  }
  assert.equal(legacy.check(member('p1'), 'get_network:router:external', net), true);
  assert.equal(legacy.check(member('p1'), 'get_port:binding:vif_type', net), false);
  assert.equal(legacy.check(member('p1'), 'create_router:external_gateway_info:enable_snat', net), false);
  assert.equal(legacy.check(member('p1'), 'create_router:external_gateway_info:network_id', net), true);
});

test('other parent owners: security group, ext_parent, rbac wildcard', () => {
  const rule = { tenant_id: 'p2', project_id: 'p2', security_group_id: 'sg', 'security_group:tenant_id': 'p1' };
  assert.equal(legacy.check(member('p1'), 'get_security_group_rule', rule), true);
  assert.equal(legacy.check(member('p3'), 'get_security_group_rule', rule), false);
  const pf = { floatingip_id: 'f1', 'ext_parent:tenant_id': 'p1' };
  assert.equal(legacy.check(member('p1'), 'get_floatingip_port_forwarding', pf), true);
  assert.equal(legacy.check(member('p2'), 'get_floatingip_port_forwarding', pf), false);
  const rbac = { tenant_id: 'p1', project_id: 'p1', target_tenant: '*', target_project: '*' };
  assert.equal(legacy.check(member('p1'), ['create_rbac_policy', 'create_rbac_policy:target_tenant'], rbac), false);
  assert.equal(legacy.check(member('p1'), ['create_rbac_policy', 'create_rbac_policy:target_tenant'], { ...rbac, target_tenant: 'p2', target_project: 'p2' }), true);
  assert.equal(legacy.check(ctx('p1', ['data_plane_integrator']), 'update_port:data_plane_status', {}), true);
});

test('new defaults off: new OR deprecated; on: only the new check', () => {
  const net = { tenant_id: 'p1', project_id: 'p1', shared: false };
  const legacyToken = ctx('p1', []); // no member/reader roles
  assert.equal(legacy.check(legacyToken, 'update_network', net), true);
  assert.equal(fresh.check(legacyToken, 'update_network', net), false);
  assert.equal(legacy.check(legacyToken, 'create_network', {}), true); // deprecated: regular_user
  assert.equal(fresh.check(legacyToken, 'create_network', { project_id: 'p1' }), false);
  assert.equal(fresh.check(member('p1'), 'create_network', { project_id: 'p1' }), true);
  // a reader may read but not write under the new defaults
  const reader = ctx('p1', ['reader']);
  assert.equal(fresh.check(reader, 'get_network', net), true);
  assert.equal(fresh.check(reader, 'update_network', net), false);
  // qos policies: admin only in both
  assert.equal(legacy.check(member('p1'), 'create_policy', net), false);
  assert.equal(fresh.check(member('p1'), 'create_policy', net), false);
});

test('undefined rules fall back to default (admin_or_owner)', () => {
  assert.equal(legacy.ruleExists('frobnicate_network'), false);
  assert.equal(legacy.check(member('p1'), 'frobnicate_network', { tenant_id: 'p1' }), true);
  assert.equal(legacy.check(member('p2'), 'frobnicate_network', { tenant_id: 'p1' }), false);
  // might_not_exist: an attribute rule that does not exist passes
  assert.equal(legacy.check(member('p2'), 'get_network:name', { tenant_id: 'p1' }, { mightNotExist: true }), true);
  assert.equal(legacy.check(member('p2'), 'get_network:segments', { tenant_id: 'p1' }, { mightNotExist: true }), false);
});

test('enforce names the composed rule as Neutron does', () => {
  assert.throws(() => legacy.enforce(member('p1'), ['create_network', 'create_network:shared'], { tenant_id: 'p1' }), (e: unknown) => {
    assert.ok(e instanceof NeutronError);
    assert.equal(e.status, 403);
    assert.equal(e.type, 'PolicyNotAuthorized');
    assert.equal(e.message, '(rule:create_network and rule:create_network:shared) is disallowed by policy');
    return true;
  });
  assert.throws(() => legacy.enforce(member('p2'), 'update_port', { tenant_id: 'p1' }), { message: 'rule:update_port is disallowed by policy' });
  legacy.enforce(member('p1'), ['create_network'], { tenant_id: 'p1' });
  assert.equal(describeRule(['a', 'a:x', 'a:y']), '((rule:a and rule:a:x) and rule:a:y)');
  assert.equal(describeRule(['create_port', 'create_port:fixed_ips', 'create_port:fixed_ips:subnet_id', 'create_port:fixed_ips:ip_address', 'create_port:mac_address']),
    '((rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and rule:create_port:fixed_ips:ip_address))) and rule:create_port:mac_address)');
  assert.equal(describeRule(['create_router', 'create_router:external_gateway_info', 'create_router:external_gateway_info:network_id']),
    '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id)))');
});

test('enforce_scope rejects system- and domain-scoped tokens on project rules', () => {
  const scoped = new PolicyEngine({ logger: recorder(), enforceScope: true, enforceNewDefaults: true });
  const system = ctx(null, ['admin', 'member', 'reader'], { systemScope: 'all' });
  assert.equal(scoped.check(system, 'get_network', { project_id: 'p1' }), false);
  assert.throws(() => scoped.enforce(system, 'create_network', {}), (e: unknown) => {
    assert.ok(e instanceof NeutronError);
    assert.equal(e.status, 403);
    assert.equal(e.type, 'InvalidScope');
    assert.equal(e.message, "rule:create_network requires a scope of ['project'], request was made with system scope.");
    return true;
  });
  assert.equal(scoped.check(ctx(null, ['admin'], { domainId: 'd1' }), 'create_network:shared', {}), false);
  assert.equal(scoped.check(member('p1'), 'create_network', { project_id: 'p1' }), true);
  // without enforce_scope the same system token is judged by the rules only
  assert.equal(fresh.check(system, 'create_network:shared', {}), true);
});

test('isAdmin reads context_is_admin on the caller credentials', () => {
  assert.equal(legacy.isAdmin(policyCredentials(ctx('p1', ['Admin']))), true);
  assert.equal(legacy.isAdmin(policyCredentials(member('p1'))), false);
});

test('credentials follow a context whose roles are replaced', () => {
  const c = member('p1');
  assert.equal(legacy.check(c, 'create_network:shared', {}), false);
  c.roles = ['admin'];
  assert.equal(legacy.check(c, 'create_network:shared', {}), true);
});
