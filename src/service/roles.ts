import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { WorkerRole } from '../plugins/plugin.js';
import { HttpFront, type ListeningSocket } from './http.js';
import { processMetrics } from './metrics.js';
import { rpcListenersOf, startRpcServers } from './rpc.js';
import { buildServer, startPlugins, type NeutronServer, type PluginRuntime } from './server.js';

/** What a worker process runs; `stop` ends it gracefully (within graceful_shutdown_timeout). */
export interface Running {
  stop(): Promise<void>;
  /** API: where it listens */
  address?: { host: string; port: number };
  /** API: a count that moves while it works (its requests so far), see idle-gc.ts */
  activity?: () => number;
}

export interface RoleOptions {
  role: WorkerRole;
  config: Config;
  log: Logger;
  configDirs: string[];
  /** plugin role: the `plugin:worker` names of the WorkerSpecs to run */
  specs?: string[];
  /** API role: the supervisor's socket to listen on */
  socket?: ListeningSocket;
  /** called if the role cannot go on (an RPC server failed): the process must exit */
  fatal(err: unknown): void;
}

export function runRole(opts: RoleOptions): Promise<Running> {
  switch (opts.role) {
    case 'api':
      return runApi(opts);
    case 'rpc':
    case 'rpc-state-report':
      return runRpc(opts);
    case 'plugin':
      return runPluginWorkers(opts);
  }
}

/** graceful_shutdown_timeout in ms; 0 means wait for ever, as oslo.service. */
export function gracefulMs(config: Config): number {
  return config.DEFAULT.graceful_shutdown_timeout * 1000;
}

/** An app and its HTTP front, for an API worker or for the supervisor when api_workers = 0. */
export async function serveApi(config: Config, log: Logger, configDirs: string[], socket?: ListeningSocket): Promise<{ server: NeutronServer; front: HttpFront; address: { host: string; port: number } }> {
  const server = await buildServer({ config, log, configDirs, schema: 'check' });
  try {
    await server.app.ready();
    const front = new HttpFront(config, server.app.routing);
    processMetrics()?.trackInFlight(front);
    server.draining = () => front.isDraining;
    const address = await front.listen(socket ?? { host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port }, config.DEFAULT.backlog);
    return { server, front, address };
  } catch (e) {
    await server.close();
    throw e;
  }
}

/** Drains the front (graceful_shutdown_timeout), then closes the app, its plugins and pools. */
export async function stopApi({ server, front }: { server: NeutronServer; front: HttpFront }, config: Config, log: Logger): Promise<void> {
  log.info({ requests_in_flight: front.requestsInFlight }, 'draining');
  const clean = await front.drain(gracefulMs(config));
  if (clean) log.info('drained');
  else log.warn({ requests_in_flight: front.requestsInFlight }, 'graceful_shutdown_timeout reached: connections still open were closed');
  await server.close();
}

async function runApi({ config, log, configDirs, socket }: RoleOptions): Promise<Running> {
  const api = await serveApi(config, log, configDirs, socket);
  return { address: api.address, activity: () => api.front.requestsStarted, stop: () => stopApi(api, config, log) };
}

async function runRpc({ role, config, log, configDirs, specs = [], fatal }: RoleOptions): Promise<Running> {
  const rt = await startPlugins({ config, log, configDirs, role, schema: 'check' });
  const { servers, started } = startRpcServers(rt.context, rpcListenersOf(rt.plugins, rt.context, role === 'rpc' ? 'rpc' : 'rpc-state-report'));
  started.catch(fatal);
  const stopServers = () => Promise.all(servers.map((s) => s.stop()));
  const stops = await runSpecs(rt, specs).catch(async (e) => {
    await stopServers();
    await rt.close();
    throw e;
  });
  return {
    async stop() {
      await Promise.allSettled(stops.map((s) => s()));
      await stopServers();
      await rt.close();
    },
  };
}

async function runPluginWorkers({ config, log, configDirs, specs = [] }: RoleOptions): Promise<Running> {
  const rt = await startPlugins({ config, log, configDirs, role: 'plugin', schema: 'check' });
  const stops = await runSpecs(rt, specs).catch(async (e) => {
    await rt.close();
    throw e;
  });
  return {
    async stop() {
      await Promise.allSettled(stops.map((s) => s()));
      await rt.close();
    },
  };
}

/** Starts the plugin workers `specs` (`plugin:worker` names); if one cannot start, stops those started. */
async function runSpecs(rt: PluginRuntime, specs: string[]): Promise<Array<() => Promise<void>>> {
  const stops: Array<() => Promise<void>> = [];
  try {
    for (const id of specs) {
      const [pluginName, name] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
      const plugin = rt.plugins.find((p) => p.name === pluginName);
      const spec = plugin?.getWorkers?.(rt.config).find((w) => w.name === name);
      if (!spec) throw new Error(`plugin worker ${id} is not provided by the loaded plugins`);
      stops.push(await spec.run(rt.context));
      rt.log.info({ plugin_worker: id }, 'plugin worker started');
    }
    return stops;
  } catch (e) {
    await Promise.allSettled(stops.map((s) => s()));
    throw e;
  }
}
