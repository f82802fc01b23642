/**
 * transport_url parsing (oslo_messaging.TransportURL.parse) and the options that shape the wire:
 * [DEFAULT] control_exchange / rpc_response_timeout and [oslo_messaging_rabbit]. Names are oslo's so
 * that the config layer can pass its sections through unchanged. Durations are in seconds.
 */
import type { Logger } from 'pino';

export interface BrokerHost {
  hostname: string;
  port: number;
  username: string | null;
  password: string | null;
}

export interface TransportUrl {
  /** "rabbit" (alias "kombu", "amqp") or "memory" (alias "fake") */
  scheme: string;
  hosts: BrokerHost[];
  /** decoded; null when the URL has no path */
  virtualHost: string | null;
  query: Record<string, string>;
}

export function parseTransportUrl(url: string): TransportUrl {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!m) throw new Error(`Invalid transport URL: ${redact(url)}: no scheme specified`);
  const [, scheme, netloc, path, qs] = m;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(qs ?? '')) {
    if (v !== '') query[k] = k in query ? `${query[k]},${v}` : v; // parse_qs drops blank values
  }
  const hosts: BrokerHost[] = [];
  for (const part of netloc.split(',')) {
    if (!part) continue;
    let hostport = part;
    let username: string | null = null;
    let password: string | null = null;
    const at = part.lastIndexOf('@');
    if (at >= 0) {
      hostport = part.slice(at + 1);
      const cred = part.slice(0, at);
      const colon = cred.indexOf(':');
      username = decodeURIComponent(colon >= 0 ? cred.slice(0, colon) : cred);
      if (colon >= 0) password = decodeURIComponent(cred.slice(colon + 1));
    }
    let hostname = hostport;
    let port: string | undefined;
    if (hostport.startsWith('[')) {
      const end = hostport.indexOf(']');
      if (end < 0) throw new Error('Invalid IPv6 URL');
      hostname = hostport.slice(1, end);
      const rest = hostport.slice(end + 1);
      if (rest.startsWith(':')) port = rest.slice(1);
    } else if (hostport.includes(':')) {
      [hostname, port] = [hostport.slice(0, hostport.indexOf(':')), hostport.slice(hostport.indexOf(':') + 1)];
    }
    const portNum = port ? Number(port) : 5672;
    if (!Number.isInteger(portNum) || portNum <= 0 || portNum > 65535) throw new Error(`Invalid port in transport URL: ${port}`);
    hosts.push({ hostname: hostname || 'localhost', port: portNum, username, password });
  }
  const virtualHost = path.startsWith('/') ? decodeURIComponent(path.slice(1)) : null;
  return { scheme: scheme.toLowerCase(), hosts, virtualHost, query };
}

/** The URL with passwords replaced by "***", for logs and errors. */
export function redact(url: string): string {
  return url.replace(/([/,][^:/@,]*):[^@/,]*@/g, '$1:***@');
}

export interface RabbitOptions {
  amqp_durable_queues: boolean;
  amqp_auto_delete: boolean;
  rabbit_ha_queues: boolean;
  rabbit_quorum_queue: boolean;
  rabbit_quorum_delivery_limit: number;
  rabbit_quroum_max_memory_length: number;
  rabbit_quroum_max_memory_bytes: number;
  /** x-expires (s) of reply and fanout queues */
  rabbit_transient_queues_ttl: number;
  /** 0: no basic.qos */
  rabbit_qos_prefetch_count: number;
  /** AMQP heartbeat (s), 0 disables it */
  heartbeat_timeout_threshold: number;
  /** accepted for compatibility; amqplib checks heartbeats on its own schedule */
  heartbeat_rate: number;
  /** first reconnect delay (s); then + rabbit_retry_backoff per attempt, up to rabbit_interval_max */
  rabbit_retry_interval: number;
  rabbit_retry_backoff: number;
  rabbit_interval_max: number;
  /** delay (s) before re-subscribing a consumer whose channel was closed or cancelled */
  kombu_reconnect_delay: number;
  /** how long (s) a reply to a missing reply queue is retried */
  kombu_missing_consumer_retry_timeout: number;
  /** order in which several hosts are tried (after one initial shuffle, as oslo does) */
  kombu_failover_strategy: 'round-robin' | 'shuffle';
  rabbit_login_method: 'AMQPLAIN' | 'PLAIN' | 'EXTERNAL';
  ssl: boolean;
  ssl_version: string;
  ssl_key_file: string;
  ssl_cert_file: string;
  ssl_ca_file: string;
  ssl_enforce_hostname_verification: boolean;
  /** replies are published mandatory; if false an unroutable reply is dropped silently */
  direct_mandatory_flag: boolean;
  enable_cancel_on_failover: boolean;
}

export const RABBIT_DEFAULTS: Readonly<RabbitOptions> = Object.freeze({
  amqp_durable_queues: false,
  amqp_auto_delete: false,
  rabbit_ha_queues: false,
  rabbit_quorum_queue: false,
  rabbit_quorum_delivery_limit: 0,
  rabbit_quroum_max_memory_length: 0,
  rabbit_quroum_max_memory_bytes: 0,
  rabbit_transient_queues_ttl: 1800,
  rabbit_qos_prefetch_count: 0,
  heartbeat_timeout_threshold: 60,
  heartbeat_rate: 2,
  rabbit_retry_interval: 1,
  rabbit_retry_backoff: 2,
  rabbit_interval_max: 30,
  kombu_reconnect_delay: 1,
  kombu_missing_consumer_retry_timeout: 60,
  kombu_failover_strategy: 'round-robin',
  rabbit_login_method: 'AMQPLAIN',
  ssl: false,
  ssl_version: '',
  ssl_key_file: '',
  ssl_cert_file: '',
  ssl_ca_file: '',
  ssl_enforce_hostname_verification: false,
  direct_mandatory_flag: true,
  enable_cancel_on_failover: false,
});

export type RpcLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface TransportOptions {
  /** [DEFAULT] control_exchange; Neutron's default is "neutron" */
  control_exchange?: string;
  /** [DEFAULT] rpc_response_timeout (s), the default call timeout */
  rpc_response_timeout?: number;
  /** [oslo_messaging_rabbit]; values in the URL query override these, as in oslo */
  oslo_messaging_rabbit?: Partial<RabbitOptions>;
  /** messages kept in memory while the broker is unreachable; beyond it publishing fails */
  maxQueuedMessages?: number;
  logger?: RpcLogger;
}

const TRUE = new Set(['true', '1', 'on', 'yes']);
const FALSE = new Set(['false', '0', 'off', 'no']);

function coerce(name: string, raw: string, like: unknown): unknown {
  if (typeof like === 'boolean') {
    const v = raw.toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  } else if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
  } else {
    return raw;
  }
  throw new Error(`Invalid value for option ${name} in transport_url: ${JSON.stringify(raw)}`);
}

/** Defaults ← given options ← URL query (unknown query keys are reported, not fatal, as oslo's pool options exist there too). */
export function resolveRabbitOptions(given: Partial<RabbitOptions> = {}, query: Record<string, string> = {}, log?: RpcLogger): RabbitOptions {
  const out: Record<string, unknown> = { ...RABBIT_DEFAULTS };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) out[k] = v;
  for (const [k, raw] of Object.entries(query)) {
    if (k in RABBIT_DEFAULTS) out[k] = coerce(k, raw, (RABBIT_DEFAULTS as Record<string, unknown>)[k]);
    else log?.warn(`transport_url option ${k} is not used by neutron-ts`);
  }
  const o = out as unknown as RabbitOptions;
  if (o.rabbit_quorum_queue && o.rabbit_ha_queues) {
    throw new Error('Configuration Error: rabbit_quorum_queue and rabbit_ha_queues both enabled, queue type is quorum or HA (mirrored) not both');
  }
  if (!['AMQPLAIN', 'PLAIN', 'EXTERNAL'].includes(o.rabbit_login_method)) {
    throw new Error(`Invalid value for option rabbit_login_method: ${o.rabbit_login_method}`);
  }
  if (!(o.rabbit_transient_queues_ttl >= 1)) throw new Error('rabbit_transient_queues_ttl must be at least 1');
  return o;
}

/** Queue declaration arguments (impl_rabbit._get_queue_arguments). ttl in seconds, 0 for none. */
export function queueArguments(o: RabbitOptions, ttl: number, quorum: boolean): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (o.rabbit_ha_queues) args['x-ha-policy'] = 'all';
  if (quorum && o.rabbit_quorum_queue) {
    args['x-queue-type'] = 'quorum';
    if (o.rabbit_quorum_delivery_limit) args['x-delivery-limit'] = o.rabbit_quorum_delivery_limit;
    if (o.rabbit_quroum_max_memory_length) args['x-max-in-memory-length'] = o.rabbit_quroum_max_memory_length;
    if (o.rabbit_quroum_max_memory_bytes) args['x-max-in-memory-bytes'] = o.rabbit_quroum_max_memory_bytes;
  }
  if (ttl > 0) args['x-expires'] = ttl * 1000;
  return args;
}
