// A neutron-ts RPC server in its own process, for the RabbitMQ tests.
// Usage: node --import tsx test/rpc/peer.ts <transport_url> <topic> <host>
// Prints "READY <fanout queue>" once its queues are declared; SIGTERM stops it cleanly.
import { pino } from 'pino';
import type { RequestContext } from '../../src/lib/context.js';
import { NetworkNotFound } from '../../src/lib/errors.js';
import { createTransport, RpcServer, type IncomingCall } from '../../src/rpc/index.js';

const [url, topic, host] = process.argv.slice(2);
const logger = pino({ level: process.env.RPC_TEST_LOG ?? 'silent' }, pino.destination(2));
const transport = createTransport(url, {
  logger,
  oslo_messaging_rabbit: { rabbit_retry_interval: 0.2, rabbit_retry_backoff: 0.2, rabbit_interval_max: 1, kombu_reconnect_delay: 0.2 },
});

const remembered: unknown[] = [];

const endpoint = {
  target: { version: '1.5' },
  echo: (_ctx: RequestContext, kw: { value: unknown }) => kw.value,
  whoami: () => host,
  remember: (_ctx: RequestContext, kw: { value: unknown }) => void remembered.push(kw.value),
  recall: () => remembered,
  sleep: async (_ctx: RequestContext, kw: { seconds: number }) => {
    await new Promise((r) => setTimeout(r, kw.seconds * 1000));
    return 'slept';
  },
  fail_not_found: (_ctx: RequestContext, kw: { net_id: string }) => {
    throw new NetworkNotFound({ net_id: kw.net_id });
  },
  context: (_ctx: RequestContext, _kw: unknown, call: IncomingCall) => call.context,
};

const server = new RpcServer(transport, { topic, server: host }, [endpoint]);
await server.start();
process.stdout.write(`READY ${server.fanoutQueue}\n`);

process.on('SIGTERM', async () => {
  await server.stop();
  await transport.close();
  // nothing else may keep the process alive: a clean close lets it end on its own
});
