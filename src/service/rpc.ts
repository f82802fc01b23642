import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createTransport, InProcessTransport, RpcServer, type RabbitOptions, type Transport } from '../rpc/index.js';
import type { Plugin, PluginContext, RpcListener } from '../plugins/plugin.js';

/**
 * This process's transport. With no transport_url (embedded mode) it is a private in-process
 * transport, so that two servers in one process (tests) never consume each other's messages.
 */
export function createRpcTransport(config: Config, log: Logger): Transport {
  const options = {
    control_exchange: config.DEFAULT.control_exchange,
    rpc_response_timeout: config.DEFAULT.rpc_response_timeout,
    oslo_messaging_rabbit: config.oslo_messaging_rabbit as Partial<RabbitOptions>,
    logger: log,
  };
  const url = config.DEFAULT.transport_url;
  return url === null ? new InProcessTransport(options) : createTransport(url, options);
}

/** Which plugin hook feeds a process: Neutron's RpcWorker, RpcReportsWorker, or both in-process. */
export type ListenerSet = 'rpc' | 'rpc-state-report' | 'all';

export function rpcListenersOf(plugins: readonly Plugin[], ctx: PluginContext, set: ListenerSet): RpcListener[] {
  const main = set === 'rpc-state-report' ? [] : plugins.flatMap((p) => p.rpcListeners?.(ctx) ?? []);
  const reports = set === 'rpc' ? [] : plugins.flatMap((p) => p.rpcStateReportListeners?.(ctx) ?? []);
  // in-process, ML2's main listeners already include the reports topic: one consumer per topic
  const topics = new Set(main.map((l) => l.topic));
  return [...main, ...reports.filter((l) => !topics.has(l.topic))];
}

/**
 * Creates one RpcServer per listener (server = [DEFAULT] host) and starts them. `started` settles
 * once every server consumes: with a broker that is down it waits, as oslo.messaging does.
 */
export function startRpcServers(ctx: PluginContext, listeners: RpcListener[]): { servers: RpcServer[]; started: Promise<void> } {
  const { config, transport } = ctx;
  const servers = listeners.map((l) => new RpcServer(transport, { topic: l.topic, server: config.DEFAULT.host }, l.endpoints, {
    maxConcurrency: config.DEFAULT.executor_thread_pool_size,
  }));
  const started = Promise.all(servers.map((s) => s.start())).then(() => {
    if (servers.length) ctx.log.info({ topics: listeners.map((l) => l.topic) }, 'consuming RPC topics');
  });
  return { servers, started };
}
