import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyCredentials, type RequestContext } from '../../src/lib/context.js';
import { PolicyEngine, type PolicyLogger } from '../../src/auth/policy/engine.js';

function recorder(): PolicyLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: () => {}, warn: (m: unknown) => void lines.push(`warn ${m}`), error: (m: unknown) => void lines.push(`error ${m}`) } as PolicyLogger & { lines: string[] };
}

function ctx(projectId: string, roles: string[], isAdmin = false): RequestContext {
  return { requestId: 'req-1', userId: 'u1', projectId, roles, isAdmin, isAdvsvc: false };
}

const member = ctx('p1', ['member', 'reader']);
const own = { tenant_id: 'p1', project_id: 'p1' };

let seq = 0;
/** Writes the file with a distinct mtime, so that a rewrite within the same millisecond is noticed. */
function write(path: string, text: string): void {
  writeFileSync(path, text);
  const t = new Date(Date.UTC(2020, 0, 1) + ++seq * 1000);
  utimesSync(path, t, t);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'policy-test-'));
}

test('a YAML policy file overrides rules by name, without the deprecated alternative', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, [
      '# operator overrides',
      'create_network: "rule:admin_only"',
      'update_network: "role:member and project_id:%(project_id)s"',
      'context_is_admin: "role:admin or role:cloud_admin"',
      'get_network:name:',
    ].join('\n'));
    const log = recorder();
    const e = new PolicyEngine({ policyFile: file, logger: log });
    assert.deepEqual(log.lines, []);
    assert.equal(e.check(member, 'create_network', own), false);
    // the deprecated admin_or_owner is no longer OR-ed in: a token without member fails
    assert.equal(e.check(ctx('p1', []), 'update_network', own), false);
    assert.equal(e.check(member, 'update_network', own), true);
    assert.equal(e.isAdmin(policyCredentials(ctx('p1', ['cloud_admin']))), true);
    assert.equal(e.check(ctx('p2', []), 'get_network:name', own), true); // empty value: always
    assert.equal(e.check(member, 'delete_network', own), true); // untouched defaults stay
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a JSON policy file, found relative to the search directories', () => {
  const first = tempDir();
  const second = tempDir();
  try {
    write(join(second, 'policy.json'), JSON.stringify({ get_network: 'rule:admin_only', default: '!', a: [['role:member']] }));
    const e = new PolicyEngine({ policyFile: 'policy.json', searchDirs: [first, second], logger: recorder() });
    assert.equal(e.check(member, 'get_network', own), false);
    assert.equal(e.check(member, 'no_such_action', own), false); // default overridden to never
    assert.equal(e.check(member, 'a', own), true);
    assert.equal(e.check(ctx('p1', ['x'], true), 'get_network', own), true); // admin bypass ignores rules
  } finally {
    rmSync(first, { recursive: true, force: true });
    rmSync(second, { recursive: true, force: true });
  }
});

test('a missing policy file is not an error; a file that appears later is picked up', () => {
  const dir = tempDir();
  try {
    const log = recorder();
    const e = new PolicyEngine({ policyFile: 'policy.yaml', searchDirs: [dir], logger: log, reloadIntervalMs: 0 });
    assert.equal(e.check(member, 'create_network', own), true);
    write(join(dir, 'policy.yaml'), 'create_network: "!"\n');
    assert.equal(e.check(member, 'create_network', own), false);
    assert.deepEqual(log.lines, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the file is re-read when it changes, and a deleted file leaves the defaults', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, 'create_network: "!"\n');
    const log = recorder();
    const e = new PolicyEngine({ policyFile: file, logger: log, reloadIntervalMs: 0 });
    assert.equal(e.check(member, 'create_network', own), false);
    write(file, 'create_network: "@"\ndelete_network: "!"\n');
    assert.equal(e.check(member, 'create_network', own), true);
    assert.equal(e.check(member, 'delete_network', own), false);
    rmSync(file);
    assert.equal(e.check(member, 'delete_network', own), true);
    assert.equal(log.lines.filter((l) => l.startsWith('error')).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('changes are looked for at most once per interval', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, 'create_network: "!"\n');
    const e = new PolicyEngine({ policyFile: file, logger: recorder(), reloadIntervalMs: 60_000 });
    assert.equal(e.check(member, 'create_network', own), false);
    write(file, 'create_network: "@"\n');
    assert.equal(e.check(member, 'create_network', own), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad file logs an error and keeps the previous rules', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, 'create_network: "!"\n');
    const log = recorder();
    const e = new PolicyEngine({ policyFile: file, logger: log, reloadIntervalMs: 0 });
    write(file, 'create_network: [unclosed\n  : :\n');
    assert.equal(e.check(member, 'create_network', own), false);
    write(file, '- a list\n- not a mapping\n');
    assert.equal(e.check(member, 'create_network', own), false);
    assert.equal(log.lines.filter((l) => l.startsWith('error')).length, 2);
    write(file, 'create_network: "@"\n');
    assert.equal(e.check(member, 'create_network', own), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad and cyclic rules in the file never pass and are logged', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, [
      'create_network: "role:member or"',
      'a: "rule:b"',
      'b: "rule:a or @"',
      'update_network: "rule:a"',
      'delete_network: "rule:not_defined"',
    ].join('\n'));
    const log = recorder();
    const e = new PolicyEngine({ policyFile: file, logger: log });
    assert.equal(e.check(member, 'create_network', own), false);
    assert.equal(e.check(member, 'update_network', own), false);
    assert.equal(e.check(member, 'delete_network', own), true); // undefined → default (owner)
    assert.ok(log.lines.some((l) => l.includes('create_network')));
    assert.ok(log.lines.some((l) => l.includes('cyclical')));
    assert.ok(log.lines.some((l) => l.includes('not defined')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an override of default that loops through an undefined rule does not recurse forever', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'policy.yaml');
    write(file, 'default: "rule:nowhere"\n');
    const e = new PolicyEngine({ policyFile: file, logger: recorder() });
    assert.equal(e.check(member, 'no_such_action', own), false);
    assert.equal(e.check(member, 'create_network', own), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
