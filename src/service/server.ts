import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { Database } from '../db/database.js';
import { pendingMigrations, upgrade } from '../db/migrate.js';
import { authtokenOptions, KeystoneAuth } from '../auth/keystone.js';
import { PolicyEngine } from '../auth/policy/engine.js';
import { EventRegistry } from '../registry/events.js';
import { RbacObjectTypes } from '../registry/rbac.js';
import type { ResourceHandler } from '../registry/handler.js';
import type { Authenticator } from '../api/app.js';
import { Controller } from '../api/controller.js';
import { allExtensions, apiExtensionAliases, coreResources } from '../api/definitions/index.js';
import { buildApiModel, type ApiModel } from '../api/model.js';
import { ChangeFeed } from '../api/watch.js';
import { quotaRoutes } from '../quota/api.js';
import { QuotaEngine } from '../quota/engine.js';
import type { RpcServer, Transport } from '../rpc/index.js';
import type { Plugin, PluginContext, WorkerRole } from '../plugins/plugin.js';
import { healthcheck } from './healthcheck.js';
import { processMetrics } from './metrics.js';
import { openApiRoutesFor } from './openapi.js';
import type { SubRoutes } from '../api/tags.js';
import { isInProcessTransport } from './plan.js';
import { loadPlugins } from './plugins.js';
import { createRpcTransport, rpcListenersOf, startRpcServers } from './rpc.js';

/** The started plugins of one process, with what they use. */
export interface PluginRuntime {
  config: Config;
  log: Logger;
  api: ApiModel;
  db: Database;
  plugins: Plugin[];
  policy: PolicyEngine;
  transport: Transport;
  context: PluginContext;
  /** the plugins' resource handlers, by collection */
  handlers: Record<string, ResourceHandler>;
  /** stops the plugins, closes the transport and the database pool */
  close(): Promise<void>;
}

export interface NeutronServer extends PluginRuntime {
  app: FastifyInstance;
  /** the RPC servers of an in-process transport (none when RPC workers consume a broker) */
  rpcServers: RpcServer[];
  /** the change stream's feed of this process ([change_stream] enabled) */
  changes?: ChangeFeed;
  /** set by whoever serves the app: true once it stops serving (the healthcheck then says 503) */
  draining: () => boolean;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  /** directories of the config files, where a relative policy_file is looked for */
  configDirs?: string[];
  authenticate?: Authenticator;
  /** default 'api' */
  role?: WorkerRole;
  /**
   * 'upgrade' (default): the embedded SQLite database is created and upgraded here; 'check': the
   * supervisor has done it (prepareDatabase) and a worker only checks that the schema is current.
   */
  schema?: 'upgrade' | 'check';
}

/** Opens the database and the transport, and starts the plugins. */
export async function startPlugins({ config, log, configDirs = [], role = 'api', schema = 'upgrade' }: ServerOptions): Promise<PluginRuntime> {
  const db = await openDatabase(config, log, schema);
  const transport = createRpcTransport(config, log);
  // the agents hear of one object's writes in commit order, whichever worker made them
  if (!isInProcessTransport(config.DEFAULT.transport_url)) db.takeTurnsAcrossProcesses();
  const plugins: Plugin[] = [];
  const close = async () => {
    for (const p of plugins) await p.stop?.();
    await transport.close();
    await db.close();
  };
  try {
    const { core, services, unavailable } = loadPlugins(config);
    if (role === 'api') for (const name of unavailable) log.warn(`service plugin '${name}' is not implemented by neutron-ts yet; its API is not served`);
    const candidates = [core, ...services];
    const supported = new Set([...apiExtensionAliases, ...candidates.flatMap((p) => p.supportedExtensionAliases)]);
    const api = buildApiModel(coreResources, allExtensions, supported, (m) => (role === 'api' ? log.warn(m) : log.debug(m)));
    const policy = new PolicyEngine({
      policyFile: config.oslo_policy.policy_file ?? undefined,
      searchDirs: configDirs,
      enforceNewDefaults: config.oslo_policy.enforce_new_defaults,
      enforceScope: config.oslo_policy.enforce_scope,
      logger: log,
    });
    const events = new EventRegistry(log);
    const context: PluginContext = { config, api, db, events, log, plugins: new Map(candidates.map((p) => [p.name, p])), transport, role, rbac: new RbacObjectTypes() };
    const handlers: Record<string, ResourceHandler> = {};
    for (const p of candidates) {
      Object.assign(handlers, await p.start(context));
      plugins.push(p);
    }
    return { config, log, api, db, plugins, policy, transport, context, handlers, close };
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
}

/** Starts the plugins and builds the API app (not yet listening). */
export async function buildServer(opts: ServerOptions): Promise<NeutronServer> {
  const rt = await startPlugins({ ...opts, role: 'api' });
  const { config, log, api, policy, handlers } = rt;
  let rpcServers: RpcServer[] = [];
  let keystone: KeystoneAuth | undefined;
  try {
    let authenticate = opts.authenticate;
    if (!authenticate && config.DEFAULT.auth_strategy === 'keystone') {
      const ks = keystone = new KeystoneAuth(authtokenOptions(config.keystone_authtoken, log), { logger: log });
      authenticate = (req) => ks.authenticate({ method: req.method, path: req.originalUrl.split('?')[0]!, headers: req.headers }, req.id);
    }
    const queryOptions = { paginationMaxLimit: config.DEFAULT.pagination_max_limit, filterValidation: config.DEFAULT.filter_validation };
    const quotas = new QuotaEngine(rt.db, config, api);
    const controllers = new Map<string, Controller>();
    for (const [collection, def] of api.resources) {
      const handler = handlers[collection];
      if (handler) controllers.set(collection, new Controller(def, handler, policy, queryOptions, quotas));
      else log.debug(`no handler for ${collection}; not served`);
    }
    const changes = config.change_stream.enabled ? new ChangeFeed(rt.db, config.change_stream.retention, log) : undefined;
    const withOpenApi = (routes: SubRoutes) => ({ ...routes, ...openApiRoutesFor(config, api, controllers, routes, policy, quotas, log) });
    const server: NeutronServer = {
      ...rt,
      app: undefined as unknown as FastifyInstance,
      rpcServers,
      changes,
      draining: () => false,
      async close() {
        changes?.close();
        await Promise.all(rpcServers.map((s) => s.stop()));
        await server.app.close();
        await keystone?.close();
        await rt.close();
      },
    };
    // loaded here, not at the top: the processes that serve no API (RPC and plugin workers, the supervisor) do without fastify
    const { createApp } = await import('../api/app.js');
    server.app = createApp({
      api, controllers, policy, log, authenticate, authChallenge: keystone?.wwwAuthenticate,
      maxBodySize: config.oslo_middleware.max_request_body_size,
      linkPrefix: config.DEFAULT.network_link_prefix,
      // the quotas API, the plugins' routes that are not resources (agent scheduler sub-resources), and the OpenAPI document of it all
      routes: withOpenApi(Object.assign(quotaRoutes(quotas, policy), ...rt.plugins.map((p) => p.routes?.(policy) ?? {}))),
      unauthenticated: { [config.healthcheck.path]: healthcheck({ config, db: rt.db, log, draining: () => server.draining() }) },
      changes,
    });
    processMetrics()?.instrumentApi(server.app, api, rt.db, config.DEFAULT.agent_down_time);
    // With no broker there are no RPC workers: the listeners run here, on the in-process transport.
    if (isInProcessTransport(config.DEFAULT.transport_url)) {
      const started = startRpcServers(rt.context, rpcListenersOf(rt.plugins, rt.context, 'all'));
      server.rpcServers = rpcServers = started.servers;
      await started.started;
    }
    return server;
  } catch (e) {
    await Promise.all(rpcServers.map((s) => s.stop())).catch(() => {});
    await keystone?.close().catch(() => {});
    await rt.close().catch(() => {});
    throw e;
  }
}

/**
 * In the supervisor, before any worker starts: waits for a server database, creates or upgrades
 * the embedded SQLite schema (a server database must be upgraded by the operator, as with
 * neutron-db-manage) and closes the connection, so that none is shared with a worker.
 */
export async function prepareDatabase(config: Config, log: Logger): Promise<void> {
  const db = await openDatabase(config, log, 'upgrade');
  await db.close();
}

async function openDatabase(config: Config, log: Logger, schema: 'upgrade' | 'check'): Promise<Database> {
  const db = Database.fromConfig(config, log);
  try {
    if (db.dialect !== 'sqlite') await db.waitUntilReachable(config.database.max_retries, config.database.retry_interval);
    if (db.dialect === 'sqlite' && schema === 'upgrade') {
      const applied = await upgrade(db);
      if (applied.length) log.info({ migrations: applied }, 'database schema upgraded');
    } else {
      const pending = await pendingMigrations(db);
      if (pending.length) {
        throw new Error(`The database schema is older than this server (missing ${pending.join(', ')}): run 'neutron-ts db upgrade' first`);
      }
    }
    return db;
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}

export function configDirsOf(files: string[]): string[] {
  return [...new Set(files.map((f) => dirname(f)))];
}
