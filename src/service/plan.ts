import { availableParallelism, totalmem } from 'node:os';
import type { Config } from '../config/index.js';
import type { Plugin, WorkerRole } from '../plugins/plugin.js';

/** A set of identical worker processes. */
export interface WorkerGroup {
  role: WorkerRole;
  /** what the logs and the process title call it: "api worker", "rpc worker", "plugin worker ml2:health" */
  desc: string;
  count: number;
  /**
   * the `plugin:worker` names of the WorkerSpecs to run: in each process of a plugin group, in the
   * first process (index 0) of an RPC group
   */
  specs?: string[];
}

export interface WorkerPlan {
  /** API processes; 0 = the supervisor serves the API itself */
  apiWorkers: number;
  groups: WorkerGroup[];
  /** things an operator should know, logged once by the supervisor */
  notes: string[];
}

/** neutron.service._get_worker_count: the CPUs, at most one per 2 GiB of RAM, at least one. */
export function defaultWorkerCount(): number {
  const byMemory = Math.floor(totalmem() / (2 * 1024 ** 3));
  return Math.max(1, Math.min(availableParallelism(), byMemory));
}

/** api_workers; unset means one per CPU (capped by memory), as Neutron. */
export function apiWorkerCount(config: Config): number {
  return config.DEFAULT.api_workers ?? defaultWorkerCount();
}

/** rpc_workers; unset means half the API workers; at least 1 (neutron.service._get_rpc_workers). */
export function rpcWorkerCount(config: Config): number {
  return Math.max(1, config.DEFAULT.rpc_workers ?? Math.floor(apiWorkerCount(config) / 2));
}

export function isInProcessTransport(url: string | null): boolean {
  return url === null || /^(memory|fake):/i.test(url);
}

/** The processes the supervisor runs for this configuration and these (not yet started) plugins. */
export function planWorkers(config: Config, plugins: readonly Plugin[]): WorkerPlan {
  const notes: string[] = [];
  const groups: WorkerGroup[] = [];
  const apiWorkers = apiWorkerCount(config);
  if (apiWorkers > 0) groups.push({ role: 'api', desc: 'api worker', count: apiWorkers });

  const rpcInProcess = isInProcessTransport(config.DEFAULT.transport_url);
  const hasRpc = plugins.some((p) => p.rpcListeners);
  const hasReports = plugins.some((p) => p.rpcStateReportListeners);
  if (config.DEFAULT.transport_url === null) {
    notes.push('No transport_url: agent RPC is unavailable (agents cannot reach this server); RPC runs in-process only');
  } else if (rpcInProcess) {
    notes.push('transport_url is in-process: the RPC listeners run in the API processes, agents cannot reach them');
  } else {
    if (hasRpc) groups.push({ role: 'rpc', desc: 'rpc worker', count: rpcWorkerCount(config) });
    else if (config.DEFAULT.rpc_workers) notes.push(`'rpc_workers = ${config.DEFAULT.rpc_workers}' ignored: no loaded plugin has RPC listeners`);
    const reports = config.DEFAULT.rpc_state_report_workers;
    if (reports > 0 && hasReports) groups.push({ role: 'rpc-state-report', desc: 'rpc reports worker', count: reports });
  }

  const shared: string[] = [];
  for (const plugin of plugins) {
    for (const spec of plugin.getWorkers?.(config) ?? []) {
      const id = `${plugin.name}:${spec.name}`;
      const processes = spec.processes ?? 1;
      if (processes < 1) shared.push(id);
      else groups.push({ role: 'plugin', desc: `plugin worker ${id}`, count: processes, specs: [id] });
    }
  }
  // Neutron gives these a process of their own (AllServicesNeutronWorker); tasks as light as the
  // DHCP agent status check share the first state-report (or RPC) worker: a process of ~75 MB less
  if (shared.length) {
    const host = groups.find((g) => g.role === 'rpc-state-report') ?? groups.find((g) => g.role === 'rpc');
    if (host) host.specs = shared;
    else groups.push({ role: 'plugin', desc: 'services worker', count: 1, specs: shared });
  }
  return { apiWorkers, groups, notes };
}
