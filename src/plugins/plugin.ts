import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { ResourceHandler } from '../api/controller.js';
import type { ApiModel } from '../api/registry.js';
import type { Database } from '../db/database.js';

/** What a plugin gets when the server starts it. */
export interface PluginContext {
  config: Config;
  api: ApiModel;
  db: Database;
  log: Logger;
  /** every loaded plugin, by name, for plugins that work with others (L3 with the core plugin) */
  plugins: ReadonlyMap<string, Plugin>;
}

/** A worker process a plugin asks the supervisor for (Neutron's get_workers). */
export interface WorkerSpec {
  name: string;
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
  getWorkers?(): WorkerSpec[];
}
