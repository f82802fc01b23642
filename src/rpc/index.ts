/**
 * The RPC layer, wire-compatible with oslo.messaging 14's rabbit driver.
 *
 *   const transport = createTransport('rabbit://neutron:secret@ctl1:5672,neutron:secret@ctl2:5672/',
 *     { control_exchange: 'neutron', oslo_messaging_rabbit: { amqp_durable_queues: false } });
 *   const server = new RpcServer(transport, { topic: 'q-reports-plugin', server: host }, [endpoint]);
 *   await server.start();
 *   const client = new RpcClient(transport, { topic: 'dhcp_agent', version: '1.0' });
 *   await client.prepare({ server: 'net1' }).cast(ctx, 'network_create_end', { payload });
 */
export { RpcClient, type ClientTarget } from './client.js';
export { fromRpcContext, toRpcContext } from './context.js';
export {
  InvalidTarget, MessageDeliveryFailure, MessageUndeliverable, MessagingError, MessagingTimeout, NoSuchMethod,
  RemoteError, UnsupportedVersion, deserializeFailure, serializeFailure,
} from './errors.js';
import { InProcessTransport, memoryBroker } from './memory.js';
export { InProcessTransport, MemoryBroker, memoryBroker } from './memory.js';
export { Notifier, type NotificationPriority, type NotifierOptions } from './notifier.js';
import { parseTransportUrl, type TransportOptions } from './options.js';
export { parseTransportUrl, RABBIT_DEFAULTS, redact, resolveRabbitOptions, type BrokerHost, type RabbitOptions, type RpcLogger, type TransportOptions, type TransportUrl } from './options.js';
import { RabbitTransport } from './rabbit.js';
export { RabbitTransport } from './rabbit.js';
export { dispatch, RpcServer, type Endpoint, type EndpointTarget, type IncomingCall, type RpcMethod, type RpcServerOptions, type ServerTarget } from './server.js';
import type { Transport } from './transport.js';
export { Transport, type Destination, type PublishOptions, type QueueSpec, type Subscription } from './transport.js';
export { versionIsCompatible } from './wire.js';

/**
 * A transport for `transport_url`: rabbit:// (also kombu://, amqp://) → RabbitTransport;
 * memory:// (also fake://) → InProcessTransport on the process-wide broker of that vhost.
 * Nothing connects before the first subscribe or publish.
 */
export function createTransport(url = 'rabbit://', options: TransportOptions = {}): Transport {
  const u = parseTransportUrl(url);
  switch (u.scheme) {
    case 'rabbit':
    case 'kombu':
    case 'amqp':
      return new RabbitTransport(u, options);
    case 'memory':
    case 'fake':
      return new InProcessTransport({ ...options, broker: memoryBroker(u.virtualHost || '/') });
    default:
      throw new Error(`Unsupported transport_url scheme "${u.scheme}" (rabbit:// or memory://)`);
  }
}
