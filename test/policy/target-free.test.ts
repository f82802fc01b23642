import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestContext } from '../../src/lib/context.js';
import { PolicyEngine } from '../../src/auth/policy/engine.js';

const quiet = { debug: () => {}, warn: () => {}, error: () => {} };
const caller = (projectId: string, roles: string[]): RequestContext =>
  ({ requestId: 'r', userId: 'u', projectId, roles, isAdmin: false, isAdvsvc: false });

// Rules that read only the credentials are decided once per request context (a list of 10,000
// ports asks get_port:binding:host_id 10,000 times); the answers must stay right.
test('rules that read only the credentials give per-caller answers, and follow a policy file reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-policy-'));
  const file = join(dir, 'policy.yaml');
  try {
    writeFileSync(file, '');
    const engine = new PolicyEngine({ logger: quiet, policyFile: file, reloadIntervalMs: 0 });
    const member = caller('p1', ['member', 'reader']);
    const other = caller('p2', ['member', 'reader', 'netops']);
    const port = (project: string) => ({ id: 'x', tenant_id: project, project_id: project });

    // target-free (rule:admin_only): the same answer for every port, per caller
    for (let i = 0; i < 3; i++) assert.equal(engine.check(member, 'get_port:binding:host_id', port(i % 2 ? 'p1' : 'p2')), false);
    // target-dependent (owner): still decided per object for the same context
    assert.equal(engine.check(member, 'get_port', port('p1')), true);
    assert.equal(engine.check(member, 'get_port', port('p2')), false);
    assert.equal(engine.check(member, 'get_port', port('p1')), true);
    assert.equal(engine.check(other, 'get_port:binding:host_id', port('p1')), false);

    writeFileSync(file, '"get_port:binding:host_id": "role:netops"\n"get_port": "project_id:%(project_id)s or role:netops"\n');
    assert.equal(engine.check(member, 'get_port:binding:host_id', port('p1')), false);
    assert.equal(engine.check(other, 'get_port:binding:host_id', port('p1')), true, 'another caller gets its own answer');
    assert.equal(engine.check(other, 'get_port', port('p1')), true);
    assert.equal(engine.check(member, 'get_port', port('p2')), false);

    writeFileSync(file, '"get_port:binding:host_id": "project_id:%(project_id)s"\n');
    assert.equal(engine.check(other, 'get_port:binding:host_id', port('p2')), true, 'a reloaded rule that reads the target');
    assert.equal(engine.check(other, 'get_port:binding:host_id', port('p1')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Rules that read the target are decided once per request for each set of values of the keys they
// read (a list of 10,000 ports has few owners); values that differ in type or presence only
// must not share an answer.
test('answers memoised by the values a rule reads stay per-object right', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-policy-'));
  const file = join(dir, 'policy.json');
  try {
    writeFileSync(file, JSON.stringify({
      get_port: 'tenant_id:%(network:tenant_id)s or field:ports:admin_state_up=True',
    }));
    const engine = new PolicyEngine({ logger: quiet, policyFile: file, reloadIntervalMs: 0 });
    assert.deepEqual([...engine.targetKeys('get_port')].sort(), ['admin_state_up', 'network:tenant_id']);
    const member = caller('p1', ['member']);
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ 'network:tenant_id': 'p1' }, true],
      [{ 'network:tenant_id': 'p2' }, false],
      [{}, false],
      [{ 'network:tenant_id': 'p1' }, true],
      [{ 'network:tenant_id': 'p2', admin_state_up: true }, true],
      [{ 'network:tenant_id': 'p2', admin_state_up: 'True' }, false],
      [{ 'network:tenant_id': 'p2', admin_state_up: null }, false],
      [{ 'network:tenant_id': 'p2', admin_state_up: true }, true],
      [{ 'network:tenant_id': ['p1'] }, false],
    ];
    for (const [target, expected] of cases) assert.equal(engine.check(member, 'get_port', target), expected, JSON.stringify(target));
    assert.deepEqual(engine.targetKeys('get_port:binding:host_id'), [], 'rule:admin_only reads no target key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
