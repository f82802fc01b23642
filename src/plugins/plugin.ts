import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Database } from '../db/database.js';
import type { EventRegistry } from '../registry/events.js';
import type { ResourceHandler } from '../registry/handler.js';
import type { RbacObjectTypes } from '../registry/rbac.js';
import type { Authorizer } from '../api/controller.js';
import type { ApiModel } from '../api/model.js';
import type { SubRoutes } from '../api/tags.js';
import type { Endpoint, Transport } from '../rpc/index.js';

/**
 * What a process of the server is for (src/service/): serving the API, consuming the plugins' RPC
 * topics, consuming agents' state reports, or running plugin workers.
 */
export type WorkerRole = 'api' | 'rpc' | 'rpc-state-report' | 'plugin';

/** What a plugin gets when the server starts it (in every process: each one starts the plugins). */
export interface PluginContext {
  config: Config;
  api: ApiModel;
  db: Database;
  /** the event registry of this process: every resource's writes are published there */
  events: EventRegistry;
  log: Logger;
  /** every loaded plugin, by name, for plugins that work with others (L3 with the core plugin) */
  plugins: ReadonlyMap<string, Plugin>;
  /**
   * This process's RPC transport, for notifiers and RPC clients: the broker of transport_url, or
   * an in-process transport when transport_url is unset (embedded mode: no agent can reach it).
   */
  transport: Transport;
  role: WorkerRole;
  /** the shareable object types of /v2.0/rbac-policies: each plugin registers those it owns */
  rbac: RbacObjectTypes;
}

/** One RPC server: consumes `topic`, `topic.<host>` and the `topic_fanout` exchange. */
export interface RpcListener {
  topic: string;
  /** dispatched in order (oslo's dispatcher: first endpoint with the method and a compatible version) */
  endpoints: Endpoint[];
}

/**
 * A worker a plugin asks the supervisor for (Neutron's get_workers). It runs in its own process
 * (`processes` of them, default 1), started after the plugins and respawned if it dies; workers
 * with `processes: 0` share one "services" process, as Neutron's AllServicesNeutronWorker.
 */
export interface WorkerSpec {
  name: string;
  processes?: number;
  /** starts the work; resolves to a function that stops it */
  run(ctx: PluginContext): Promise<() => Promise<void>>;
}

/** The core plugin and each service plugin. */
export interface Plugin {
  readonly name: string;
  /** the API extensions it implements; only these are served and listed */
  readonly supportedExtensionAliases: readonly string[];
  /** the handlers of the resources it serves, by collection */
  start(ctx: PluginContext): Promise<Record<string, ResourceHandler>>;
  stop?(): Promise<void>;
  /** called in the supervisor, before any plugin is started */
  getWorkers?(config: Config): WorkerSpec[];
  /**
   * Neutron's start_rpc_listeners: the topics every RPC worker (rpc_workers processes) consumes.
   * ML2's list includes q-reports-plugin too, so that reports are handled with no reports worker.
   */
  rpcListeners?(ctx: PluginContext): RpcListener[];
  /** Neutron's start_rpc_state_reports_listener: what the rpc_state_report_workers processes consume */
  rpcStateReportListeners?(ctx: PluginContext): RpcListener[];
  /** API routes that are not resources (e.g. the agent scheduler's /agents/<id>/l3-routers), after start */
  routes?(policy: Authorizer): SubRoutes;
}
