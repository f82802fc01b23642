import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ServerProcess } from '../service/process.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('neutron-ts command', () => {
  test('a bad value stops start-up naming the option, the section and the file', () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, '[DEFAULT]\nbind_port = not-a-port\n');
    const r = spawnSync(process.execPath, [...CLI, 'server', '--config-file', conf], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bind_port/);
    assert.match(r.stderr, /\[DEFAULT\]/);
    assert.ok(r.stderr.includes(conf), r.stderr);
  });

  test('db upgrade is idempotent', () => {
    const conf = join(dir, 'db.conf');
    writeFileSync(conf, `[DEFAULT]\nstate_path = ${join(dir, 'db-state')}\n`);
    const first = spawnSync(process.execPath, [...CLI, 'db', 'upgrade', '--config-file', conf], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Applied: 0001_networks/);
    const second = spawnSync(process.execPath, [...CLI, 'db', 'upgrade', '--config-file', conf], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /Already at head/);
  });

  test('serves with later files overriding earlier ones, warns about unknown options, stops on SIGTERM', async () => {
    const base = join(dir, 'base.conf');
    const override = join(dir, 'override.conf');
    // bind_port = 0 in the later file: the kernel picks a free port as the server binds, and the
    // server says which in its log; with the earlier file's port 1 it would serve there instead
    writeFileSync(base, `[DEFAULT]\nbind_port = 1\nstate_path = ${join(dir, 'serve-state')}\nno_such_option = 1\n`);
    writeFileSync(override, `[DEFAULT]\nbind_port = 0\n`);
    const server = await ServerProcess.serving(ServerProcess.run(mkdtempSync(join(dir, 'serve-')), [base, override]));
    try {
      assert.notEqual(new URL(server.url).port, '1', 'the later file sets bind_port');
      assert.equal((await fetch(`${server.url}/`)).status, 200);
      const created = await fetch(`${server.url}/v2.0/networks`, { method: 'POST', body: JSON.stringify({ network: { name: 'cli' } }) });
      assert.equal(created.status, 201);
      assert.match(server.logs.map((e) => JSON.stringify(e)).join('\n') + server.describe(), /no_such_option/);
    } finally {
      server.child.kill('SIGTERM');
      assert.equal((await server.exited).code, 0);
    }
  });
});
