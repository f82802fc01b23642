import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApp, type Authenticator } from '../api/app.js';
import { Controller, type ResourceHandler } from '../api/controller.js';
import { allExtensions, apiExtensionAliases, coreResources } from '../api/definitions/index.js';
import { buildApiModel, type ApiModel } from '../api/registry.js';
import { PolicyEngine } from '../auth/policy/engine.js';
import { databaseUrl, type Config } from '../config/index.js';
import { Database } from '../db/database.js';
import { pendingMigrations, upgrade } from '../db/migrate.js';
import { quotaRoutes } from '../quota/api.js';
import { QuotaEngine } from '../quota/engine.js';
import { loadPlugins } from '../plugins/registry.js';
import type { Plugin, PluginContext } from '../plugins/plugin.js';

export interface NeutronServer {
  app: FastifyInstance;
  api: ApiModel;
  db: Database;
  plugins: Plugin[];
  policy: PolicyEngine;
  close(): Promise<void>;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  /** directories of the config files, where a relative policy_file is looked for */
  configDirs?: string[];
  authenticate?: Authenticator;
}

/** Opens the database, starts the plugins and builds the API app (not yet listening). */
export async function buildServer({ config, log, configDirs = [], authenticate }: ServerOptions): Promise<NeutronServer> {
  const db = new Database({ url: databaseUrl(config), maxRetries: config.database.db_max_retries ?? 10 });
  try {
    await ensureSchema(db, log);
    const { core, services, unavailable } = loadPlugins(config);
    for (const name of unavailable) log.warn(`service plugin '${name}' is not implemented by neutron-ts yet; its API is not served`);
    const plugins = [core, ...services];
    const supported = new Set([...apiExtensionAliases, ...plugins.flatMap((p) => p.supportedExtensionAliases)]);
    const api = buildApiModel(coreResources, allExtensions, supported, (m) => log.warn(m));
    const policy = new PolicyEngine({
      policyFile: config.oslo_policy.policy_file ?? undefined,
      searchDirs: configDirs,
      enforceNewDefaults: config.oslo_policy.enforce_new_defaults,
      enforceScope: config.oslo_policy.enforce_scope,
      logger: log,
    });
    const byName = new Map(plugins.map((p) => [p.name, p]));
    const pluginContext: PluginContext = { config, api, db, log, plugins: byName };
    const handlers: Record<string, ResourceHandler> = {};
    for (const p of plugins) Object.assign(handlers, await p.start(pluginContext));

    const queryOptions = { paginationMaxLimit: config.DEFAULT.pagination_max_limit, filterValidation: config.DEFAULT.filter_validation };
    const quotas = new QuotaEngine(db, config, api);
    const controllers = new Map<string, Controller>();
    for (const [collection, def] of api.resources) {
      const handler = handlers[collection];
      if (handler) controllers.set(collection, new Controller(def, handler, policy, queryOptions, quotas));
      else log.debug(`no handler for ${collection}; not served`);
    }
    const app = createApp({
      api, controllers, policy, log, authenticate,
      maxBodySize: config.oslo_middleware.max_request_body_size,
      linkPrefix: config.DEFAULT.network_link_prefix,
      routes: quotaRoutes(quotas, policy),
    });
    return {
      app, api, db, plugins, policy,
      async close() {
        await app.close();
        for (const p of plugins) await p.stop?.();
        await db.close();
      },
    };
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}

/**
 * The embedded SQLite database is created and upgraded on start; a server database
 * (PostgreSQL, MariaDB) must be upgraded by the operator, as with neutron-db-manage.
 */
async function ensureSchema(db: Database, log: Logger): Promise<void> {
  if (db.dialect === 'sqlite') {
    const applied = await upgrade(db);
    if (applied.length) log.info({ migrations: applied }, 'database schema upgraded');
    return;
  }
  const pending = await pendingMigrations(db);
  if (pending.length) {
    throw new Error(`The database schema is older than this server (missing ${pending.join(', ')}): run 'neutron-ts db upgrade' first`);
  }
}

export function configDirsOf(files: string[]): string[] {
  return [...new Set(files.map((f) => dirname(f)))];
}
