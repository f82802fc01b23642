/**
 * The benchmark's production profile in its short form (CI): a real Keystone, MariaDB, RabbitMQ,
 * the install guide's ML2. It checks that the profile runs and reports what it promises, never
 * how fast: the figures of a shared CI machine mean nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keystoneAvailable } from '../keystone/keystone-server.js';
import { brokerMissing, requires } from '../rpc/helpers.js';
import { unavailableReason } from '../support/databases.js';

const run = promisify(execFile);
const { skip: noKeystone } = keystoneAvailable();
const { skip: missing } = requires(await brokerMissing(), await unavailableReason('mysql'));

test('npm run bench -- --profile production: every request succeeds and is counted per request',
  { skip: noKeystone || missing, timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-bench-test-'));
    try {
      await run('npx', ['tsc', '-p', 'tsconfig.json'], { timeout: 120_000 });
      const out = join(dir, 'results.json');
      await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--profile', 'production',
        '--scenarios', 'create_networks,create_ports,update_ports,delete_ports', '--concurrency', '4',
        '--duration', '1', '--warmup', '0', '--out', out], { timeout: 240_000 });
      const report = JSON.parse(readFileSync(out, 'utf8'));
      assert.match(report.server, /mysql.*Keystone.*RabbitMQ/);
      assert.deepEqual(report.results.map((r: any) => r.scenario), ['create_networks', 'create_ports', 'update_ports', 'delete_ports']);
      for (const r of report.results) {
        assert.ok(r.ops > 0, `${r.scenario}: no operation ran`);
        assert.equal(r.errors, 0, `${r.scenario}: ${JSON.stringify(r.error_samples)}`);
        assert.ok(r.sql_statements_per_request > 0, `${r.scenario}: SQL statements counted`);
        assert.ok(r.per_request, `${r.scenario}: per-request figures from the metrics`);
      }
      for (const r of report.results) assert.ok(r.per_request.transactions >= 1, `${r.scenario} commits: ${JSON.stringify(r.per_request)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
