import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configWith } from '../../src/config/index.js';
import type { Plugin } from '../../src/plugins/plugin.js';
import { planWorkers } from '../../src/service/plan.js';

const run = async () => async () => {};
const plugin: Plugin = {
  name: 'p', supportedExtensionAliases: [], start: async () => ({}),
  rpcListeners: () => [], rpcStateReportListeners: () => [],
  getWorkers: () => [{ name: 'own', run }, { name: 'shared', processes: 0, run }],
};

test('workers that share a process run in the first state-report worker, else in a services worker', () => {
  const broker = configWith({ DEFAULT: { transport_url: 'rabbit://guest:guest@127.0.0.1:5672/', api_workers: 2, rpc_workers: 2 } });
  assert.deepEqual(planWorkers(broker, [plugin]).groups, [
    { role: 'api', desc: 'api worker', count: 2 },
    { role: 'rpc', desc: 'rpc worker', count: 2 },
    { role: 'rpc-state-report', desc: 'rpc reports worker', count: 1, specs: ['p:shared'] },
    { role: 'plugin', desc: 'plugin worker p:own', count: 1, specs: ['p:own'] },
  ]);
  const noReports = configWith({ DEFAULT: { transport_url: 'rabbit://guest:guest@127.0.0.1:5672/', api_workers: 1, rpc_state_report_workers: 0 } });
  assert.deepEqual(planWorkers(noReports, [plugin]).groups.find((g) => g.role === 'rpc'), { role: 'rpc', desc: 'rpc worker', count: 1, specs: ['p:shared'] });
  const inProcess = configWith({ DEFAULT: { transport_url: null, api_workers: 1 } });
  assert.deepEqual(planWorkers(inProcess, [plugin]).groups.at(-1), { role: 'plugin', desc: 'services worker', count: 1, specs: ['p:shared'] });
});
