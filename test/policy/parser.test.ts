import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRule, pyStr, type Check, type Creds, type RuleEnv, type Target } from '../../src/auth/policy/parser.js';
import { makeCreds } from '../../src/auth/policy/engine.js';

const noRules: RuleEnv = { lookup: () => undefined };

function parse(rule: unknown): { check: Check; warnings: string[] } {
  const warnings: string[] = [];
  return { check: parseRule(rule, (m) => warnings.push(m)), warnings };
}

function run(rule: unknown, target: Target = {}, creds: Creds = makeCreds({}), env = noRules): boolean {
  return parse(rule).check.test(target, creds, env);
}

test('special atoms and the empty rule', () => {
  assert.equal(run('@'), true);
  assert.equal(run('!'), false);
  assert.equal(run(''), true);
  assert.equal(run(null), true);
  assert.equal(run([]), true);
});

test('precedence: not binds tighter than and, and tighter than or', () => {
  assert.equal(parse('@ or ! and !').check.text, '(@ or (! and !))');
  assert.equal(run('@ or ! and !'), true);
  assert.equal(run('! and ! or @'), true);
  assert.equal(run('not @ and @'), false); // (not @) and @
  assert.equal(run('not ! and @'), true);
  assert.equal(run('not @ or @'), true);
  assert.equal(parse('a:1 or not b:2 and c:3').check.text, '(a:1 or (not b:2 and c:3))');
  assert.equal(run('not not @'), true);
});

test('parentheses override precedence, also glued to atoms', () => {
  assert.equal(run('(@ or !) and !'), false);
  assert.equal(run('not (! or !)'), true);
  assert.equal(run('((@))'), true);
  assert.equal(parse('(role:a or role:b) and role:c').check.text, '((role:a or role:b) and role:c)');
  assert.equal(run('(role:A)', {}, makeCreds({ roles: ['a'] })), true);
});

test('keywords are case-insensitive', () => {
  assert.equal(run('! OR @'), true);
  assert.equal(run('NOT @'), false);
  assert.equal(run('@ And !'), false);
});

test('bad rules never pass and warn', () => {
  for (const rule of ['@ or', 'and @', '(@', '@)', '@ @', 'not', "'quoted'", '   ', 'tenant_id:tenant_id', 'field:networks', 'field:port:x=~(']) {
    const { check, warnings } = parse(rule);
    assert.equal(check.test({}, makeCreds({}), noRules), false, rule);
    assert.ok(warnings.length > 0, rule);
  }
  const { check, warnings } = parse(42);
  assert.equal(check.test({}, makeCreds({}), noRules), false);
  assert.equal(warnings.length, 1);
});

test('an atom without a colon fails alone, not the whole rule', () => {
  const { check, warnings } = parse('nonsense or @');
  assert.equal(check.test({}, makeCreds({}), noRules), true);
  assert.equal(warnings.length, 1);
});

test('role: compares case-insensitively and may substitute from the target', () => {
  const creds = makeCreds({ roles: ['Admin', 'member'] });
  assert.equal(run('role:admin', {}, creds), true);
  assert.equal(run('role:MEMBER', {}, creds), true);
  assert.equal(run('role:reader', {}, creds), false);
  assert.equal(run('role:%(r)s', { r: 'ADMIN' }, creds), true);
  assert.equal(run('role:%(r)s', {}, creds), false);
});

test('generic checks against credentials', () => {
  const creds = makeCreds({ project_id: 'p1', user_id: 'u1', roles: ['member'], is_admin: false, nested: { a: [{ b: 'x' }, { b: 'y' }] } });
  assert.equal(run('project_id:%(project_id)s', { project_id: 'p1' }, creds), true);
  assert.equal(run('project_id:%(project_id)s', { project_id: 'p2' }, creds), false);
  assert.equal(run('project_id:%(project_id)s', {}, creds), false); // missing key: KeyError → false
  assert.equal(run('user_id:u1', {}, creds), true);
  assert.equal(run('is_admin:False', {}, creds), true);
  assert.equal(run('roles:member', {}, creds), true); // a list matches any element
  assert.equal(run('roles:Member', {}, creds), false); // only role: ignores case
  assert.equal(run('nested.a.b:y', {}, creds), true);
  assert.equal(run('nested.a.c:y', {}, creds), false);
  assert.equal(run('unknown:x', {}, creds), false);
  assert.equal(run('project_id:p1-%(x)s', { x: 5 }, makeCreds({ project_id: 'p1-5' })), true);
});

test('generic checks with a literal kind compare the target only', () => {
  assert.equal(run("'Member':%(role.name)s", { 'role.name': 'Member' }), true);
  assert.equal(run('"Member":%(name)s', { name: 'member' }), false);
  assert.equal(run('True:%(enabled)s', { enabled: true }), true);
  assert.equal(run('True:%(enabled)s', { enabled: false }), false);
  assert.equal(run('None:%(x)s', { x: null }), true);
  assert.equal(run('42:%(n)s', { n: 42 }), true);
});

test('Python str() of values', () => {
  assert.equal(pyStr(null), 'None');
  assert.equal(pyStr(true), 'True');
  assert.equal(pyStr(3), '3');
  assert.equal(pyStr(['a', 1]), "['a', 1]");
});

test('rule: resolves through the environment', () => {
  const rules = new Map<string, Check>([['yes', parse('@').check], ['no', parse('!').check]]);
  const env: RuleEnv = { lookup: (n) => rules.get(n) };
  assert.equal(run('rule:yes', {}, makeCreds({}), env), true);
  assert.equal(run('rule:no or rule:yes', {}, makeCreds({}), env), true);
  assert.equal(run('rule:missing', {}, makeCreds({}), env), false);
  assert.deepEqual(parse('rule:a and (rule:b or not rule:c)').check.refs, ['a', 'b', 'c']);
});

test('OwnerCheck: tenant_id against the target or a supplied parent field', () => {
  const creds = makeCreds({ tenant_id: 'p1', project_id: 'p1' });
  assert.equal(run('tenant_id:%(tenant_id)s', { tenant_id: 'p1' }, creds), true);
  assert.equal(run('tenant_id:%(tenant_id)s', { tenant_id: 'p2' }, creds), false);
  assert.equal(run('tenant_id:%(tenant_id)s', { project_id: 'p1' }, creds), true); // either name
  assert.equal(run('tenant_id:%(network:tenant_id)s', { tenant_id: 'p2', 'network:tenant_id': 'p1' }, creds), true);
  assert.equal(run('tenant_id:%(network:tenant_id)s', { tenant_id: 'p1' }, creds), false); // not supplied
  assert.equal(run('tenant_id:%(ext_parent:tenant_id)s', { 'ext_parent:tenant_id': 'p1' }, creds), true);
  assert.equal(run('tenant_id:%(security_group:tenant_id)s', { 'security_group:tenant_id': 'p9' }, creds), false);
  assert.deepEqual(parse('tenant_id:%(network:tenant_id)s').check.parentKeys, ['network:tenant_id']);
  assert.deepEqual(parse('tenant_id:%(tenant_id)s').check.parentKeys, []);
});

test('FieldCheck: booleans, literals, regexes and the shared network', () => {
  assert.equal(run('field:networks:shared=True', { shared: true }), true);
  assert.equal(run('field:networks:shared=True', { shared: false }), false);
  assert.equal(run('field:networks:shared=False', { shared: false }), true);
  assert.equal(run('field:networks:shared=True', { shared: 'True' }), false);
  assert.equal(run('field:networks:router:external=True', { 'router:external': true }), true);
  assert.equal(run('field:networks:router:external=True', { 'network:router:external': true }), false);
  // a port or subnet: the network's shared flag comes under network:shared
  assert.equal(run('field:networks:shared=True', { network_id: 'n', 'network:shared': true }), true);
  assert.equal(run('field:networks:shared=True', { network_id: 'n', shared: null, 'network:shared': true }), false);
  assert.equal(run('field:subnetpools:shared=True', { 'network:shared': true }), false);
  assert.equal(run('field:rbac_policy:target_tenant=*', { target_tenant: '*' }), true);
  assert.equal(run('field:rbac_policy:target_tenant=*', { target_tenant: 'p1' }), false);
  assert.equal(run('field:networks:mtu=1500', { mtu: 1500 }), true);
  // ~ is re.match: anchored at the start only
  assert.equal(run('field:port:device_owner=~^network:', { device_owner: 'network:dhcp' }), true);
  assert.equal(run('field:port:device_owner=~^network:', { device_owner: 'compute:nova' }), false);
  assert.equal(run('field:port:device_owner=~dhcp', { device_owner: 'network:dhcp' }), false);
  assert.equal(run('field:port:device_owner=~network', { device_owner: 'network:dhcp' }), true);
  assert.equal(run('field:port:device_owner=~^network:', {}), false);
  assert.equal(run('not field:port:device_owner=~^network:', { device_owner: '' }), true);
  assert.equal(parse('field:networks:shared=True').check.text, 'field:networks:shared:True');
});

test('legacy list-of-lists rules', () => {
  const creds = makeCreds({ roles: ['member'], project_id: 'p1' });
  assert.equal(run([['role:admin'], ['role:member', 'project_id:%(project_id)s']], { project_id: 'p1' }, creds), true);
  assert.equal(run([['role:admin'], ['role:member', 'project_id:%(project_id)s']], { project_id: 'p2' }, creds), false);
  assert.equal(run(['role:member'], {}, creds), true); // bare strings inside
  assert.equal(run([[]]), false); // only empty inner lists
  assert.equal(parse([['a:1', 'b:2'], ['c:3']]).check.text, '((a:1 and b:2) or c:3)');
});
