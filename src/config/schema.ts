/**
 * The typed option schema: Neutron's section and option names with Neutron's defaults (and those
 * of the oslo libraries it uses), except where a comment says ours differs.
 * To add an option, add one line to its section; its type in `Config` follows.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';

/** Thrown by Opt.coerce; the loader adds the option, section and origin to the message. */
export class OptValueError extends Error {}

export interface Opt<T> {
  readonly kind: string;
  readonly default: T;
  /** masked by dumpConfig */
  readonly secret: boolean;
  /** a multi-valued option: repeated keys (and files) accumulate instead of overriding */
  readonly multi: boolean;
  /** Converts a raw string from a file, or an already typed value, into the option's value. */
  coerce(value: unknown): T;
}

/** A section we know but do not check: every key is kept as a string, none warns. */
export interface Freeform {
  readonly freeform: true;
}

export type Section = { readonly [option: string]: Opt<unknown> } | Freeform;

interface Flags {
  secret?: boolean;
}

export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function bad(reason: string): never {
  throw new OptValueError(reason);
}

function define<T>(kind: string, dflt: T, coerce: (value: unknown) => T, flags: Flags = {}, multi = false): Opt<T> {
  return { kind, default: dflt, secret: flags.secret ?? false, multi, coerce };
}

// Strings ------------------------------------------------------------------------------------

/** A string; with no default the option is nullable and an empty value means "unset" (null). */
export function str(o: Flags & { default: string }): Opt<string>;
export function str(o?: Flags & { default?: null }): Opt<string | null>;
export function str(o: Flags & { default?: string | null } = {}): Opt<string | null> {
  const dflt = o.default ?? null;
  return define('string', dflt, (v) => {
    if ((v === '' || v === null) && dflt === null) return null;
    if (typeof v !== 'string') bad(`${quote(v)} is not a string`);
    return v;
  }, o);
}

export function choice<const C extends readonly string[]>(o: Flags & { choices: C; default: C[number] }): Opt<C[number]> {
  return define('choice', o.default, (v) => {
    if (typeof v !== 'string' || !o.choices.includes(v)) bad(`${quote(v)} is not one of: ${o.choices.join(', ')}`);
    return v as C[number];
  }, o);
}

/** A filesystem path, made absolute against the current directory. */
export function path(o: Flags & { default: string }): Opt<string> {
  return define('path', o.default, (v) => {
    if (typeof v !== 'string' || v === '') bad(`${quote(v)} is not a path`);
    return resolve(v);
  }, o);
}

const MAC = /^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/i; // neutron_lib's MAC_PATTERN: unicast only

export function mac(o: Flags & { default: string }): Opt<string> {
  return define('mac', o.default, (v) => {
    if (typeof v !== 'string' || !MAC.test(v)) bad(`${quote(v)} is not a valid unicast MAC address`);
    return v;
  }, o);
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** An IP address or a host name (oslo's HostAddressOpt). */
export function hostAddress(o: Flags & { default: string }): Opt<string> {
  return define('host address', o.default, (v) => {
    if (typeof v !== 'string' || !isHostAddress(v)) bad(`${quote(v)} is not a valid IP address or host name`);
    return v;
  }, o);
}

function isHostAddress(s: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s)) return true;
  const labels = s.replace(/\.$/, '').split('.');
  // an all-numeric last label would be a malformed IPv4 address, not a name
  return s.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

// Numbers and booleans -----------------------------------------------------------------------

interface NumberFlags extends Flags {
  min?: number;
  max?: number;
  choices?: readonly number[];
}

const INTEGER = /^[+-]?\d+(_\d+)*$/; // what Python's int() accepts (after trimming)
const FLOAT = /^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+)?$/;

function numeric(kind: 'int' | 'float' | 'port', o: NumberFlags & { default?: number | null }): Opt<number | null> {
  const dflt = o.default ?? null;
  const noun = kind === 'float' ? 'a number' : 'an integer';
  return define(kind, dflt, (v) => {
    let n: number;
    if (typeof v === 'string') {
      const s = v.trim();
      // oslo: an empty value for an integer option means None
      if (s === '' && dflt === null) return null;
      if (!(kind === 'float' ? FLOAT : INTEGER).test(s)) bad(`${quote(v)} is not ${noun}`);
      n = Number(s.replaceAll('_', ''));
      if (kind !== 'float' && !Number.isSafeInteger(n)) bad(`${quote(v)} is not ${noun}`);
    } else if (typeof v === 'number' && (kind === 'float' ? Number.isFinite(v) : Number.isSafeInteger(v))) {
      n = v;
    } else if (v === null && dflt === null) {
      return null;
    } else {
      bad(`${quote(v)} is not ${noun}`);
    }
    if (o.choices && !o.choices.includes(n)) bad(`${n} is not one of: ${o.choices.join(', ')}`);
    if (o.min !== undefined && n < o.min) bad(`${n} is less than the minimum ${o.min}`);
    if (o.max !== undefined && n > o.max) bad(`${n} is greater than the maximum ${o.max}`);
    return n;
  }, o);
}

/** An integer; with no default the option is nullable and an empty value means null, as oslo. */
export function int(o: NumberFlags & { default: number }): Opt<number>;
export function int(o?: NumberFlags & { default?: null }): Opt<number | null>;
export function int(o: NumberFlags & { default?: number | null } = {}): Opt<number | null> {
  return numeric('int', o);
}

export function float(o: NumberFlags & { default: number }): Opt<number>;
export function float(o?: NumberFlags & { default?: null }): Opt<number | null>;
export function float(o: NumberFlags & { default?: number | null } = {}): Opt<number | null> {
  return numeric('float', o);
}

export function port(o: Flags & { default: number }): Opt<number> {
  return numeric('port', { ...o, min: 0, max: 65535 }) as Opt<number>;
}

const TRUE = ['true', '1', 'on', 'yes'];
const FALSE = ['false', '0', 'off', 'no'];

export function bool(o: Flags & { default: boolean }): Opt<boolean> {
  return define('bool', o.default, (v) => {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && TRUE.includes(v.toLowerCase())) return true;
    if (typeof v === 'string' && FALSE.includes(v.toLowerCase())) return false;
    return bad(`${quote(v)} is not a boolean (use true/false, yes/no, on/off or 1/0)`);
  }, o);
}

/** An integer where "infinite" or any negative number means no limit (-1); 0 is refused. */
export function limit(o: Flags & { default: number }): Opt<number> {
  return define('limit', o.default, (v) => {
    const s = typeof v === 'string' ? v.trim() : v;
    if (typeof s === 'string' && s.toLowerCase() === 'infinite') return -1;
    const n = typeof s === 'string' && INTEGER.test(s) ? Number(s.replaceAll('_', '')) : s;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n === 0) {
      bad(`${quote(v)} is not a positive integer, a negative integer or 'infinite'`);
    }
    return n < 0 ? -1 : n;
  }, o);
}

// Collections --------------------------------------------------------------------------------

function strings(v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(`${quote(v)} is not a list of strings`);
  return [...v];
}

/** Comma separated; items trimmed, empty items dropped. */
export function list(o: Flags & { default?: string[] } = {}): Opt<string[]> {
  return define('list', o.default ?? [], (v) =>
    typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : strings(v), o);
}

/** Multi-valued string (oslo's MultiStrOpt): each repeated key adds one value. */
export function multi(o: Flags & { default?: string[] } = {}): Opt<string[]> {
  return define('multi', o.default ?? [], (v) => (typeof v === 'string' ? [v] : strings(v)), o, true);
}

/** `key:value,key:value`; keys and values trimmed. */
export function dict(o: Flags & { default?: Record<string, string> } = {}): Opt<Record<string, string>> {
  return define('dict', o.default ?? {}, (v) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      if (!Object.values(v).every((x) => typeof x === 'string')) bad(`${quote(v)} is not a mapping of strings`);
      return { ...(v as Record<string, string>) };
    }
    if (typeof v !== 'string') bad(`${quote(v)} is not a key:value list`);
    const result: Record<string, string> = {};
    for (const pair of v.split(',')) {
      if (pair.trim() === '') continue;
      const at = pair.indexOf(':');
      if (at < 0) bad(`${quote(pair.trim())} is not a key:value pair`);
      const key = pair.slice(0, at).trim();
      if (key === '') bad(`${quote(pair.trim())} has an empty key`);
      if (key in result) bad(`duplicate key ${quote(key)}`);
      result[key] = pair.slice(at + 1).trim();
    }
    return result;
  }, o);
}

export function freeform(): Freeform {
  return { freeform: true };
}

export function isFreeform(section: Section): section is Freeform {
  return (section as Freeform).freeform === true;
}

// The schema ---------------------------------------------------------------------------------

export const schema = {
  DEFAULT: {
    // API server (neutron/conf/common.py, service.py, wsgi.py, oslo.service)
    bind_host: hostAddress({ default: '127.0.0.1' }), // Neutron: 0.0.0.0; ours serves unauthenticated by default
    bind_port: port({ default: 9696 }),
    api_workers: int({ min: 0 }), // null: number of CPUs
    rpc_workers: int({ min: 0 }), // null: half the API workers
    rpc_state_report_workers: int({ default: 1, min: 0 }),
    periodic_interval: int({ default: 40 }),
    periodic_fuzzy_delay: int({ default: 5 }),
    backlog: int({ default: 4096 }),
    retry_until_window: int({ default: 30 }),
    use_ssl: bool({ default: false }),
    tcp_keepidle: int({ default: 600 }),
    wsgi_default_pool_size: int({ default: 100 }),
    wsgi_keep_alive: bool({ default: true }),
    client_socket_timeout: int({ default: 900 }),
    max_header_line: int({ default: 16384 }),
    graceful_shutdown_timeout: int({ default: 60 }),
    api_paste_config: str({ default: 'api-paste.ini' }),
    api_extensions_path: str({ default: '' }),
    // Neutron's default is keystone; ours is noauth so that the server runs with zero config.
    auth_strategy: choice({ choices: ['noauth', 'keystone'], default: 'noauth' }),
    core_plugin: str({ default: 'ml2' }), // Neutron: no default (required)
    service_plugins: list(),
    state_path: path({ default: './state' }), // Neutron: /var/lib/neutron
    host: str({ default: hostname() }),
    network_link_prefix: str(),
    allow_bulk: bool({ default: true }),
    pagination_max_limit: limit({ default: -1 }),
    filter_validation: bool({ default: true }),
    // Removed from Neutron in Zed (overlap across networks is always allowed); false still refuses it.
    allow_overlapping_ips: bool({ default: true }),

    // Networking
    base_mac: mac({ default: 'fa:16:3e:00:00:00' }),
    dvr_base_mac: mac({ default: 'fa:16:3f:00:00:00' }),
    global_physnet_mtu: int({ default: 1500 }),
    vlan_transparent: bool({ default: false }),
    ipam_driver: str({ default: 'internal' }),
    ipv6_pd_enabled: bool({ default: false }),
    default_availability_zones: list(),
    max_dns_nameservers: int({ default: 5 }),
    max_subnet_host_routes: int({ default: 20 }),
    max_allowed_address_pair: int({ default: 10 }),
    max_routes: int({ default: 30 }),
    dns_domain: str({ default: 'openstacklocal' }),
    external_dns_driver: str(),
    dhcp_lease_duration: int({ default: 86400 }),
    dhcp_agent_notification: bool({ default: true }),
    enable_traditional_dhcp: bool({ default: true }),

    // Agents and scheduling
    agent_down_time: int({ default: 75 }),
    dhcp_load_type: choice({ choices: ['networks', 'subnets', 'ports'], default: 'networks' }),
    enable_new_agents: bool({ default: true }),
    rpc_resources_processing_step: int({ default: 20, min: 1 }),
    network_scheduler_driver: str({ default: 'neutron.scheduler.dhcp_agent_scheduler.WeightScheduler' }),
    network_auto_schedule: bool({ default: true }),
    allow_automatic_dhcp_failover: bool({ default: true }),
    dhcp_agents_per_network: int({ default: 1, min: 1 }),
    enable_services_on_agents_with_admin_state_down: bool({ default: false }),
    router_scheduler_driver: str({ default: 'neutron.scheduler.l3_agent_scheduler.LeastRoutersScheduler' }),
    router_auto_schedule: bool({ default: true }),
    // ndp_proxy service plugin: enable_ndp_proxy of routers that do not say
    enable_ndp_proxy_by_default: bool({ default: false }),
    // conntrack_helper service plugin: `helper:protocol` items (oslo's ListOpt of Dict items)
    allowed_conntrack_helpers: list({
      default: ['amanda:tcp', 'ftp:tcp', 'h323:udp', 'h323:tcp', 'irc:tcp', 'netbios-ns:udp', 'pptp:tcp', 'sane:tcp', 'sip:udp', 'sip:tcp', 'snmp:udp', 'tftp:udp'],
    }),
    allow_automatic_l3agent_failover: bool({ default: false }),
    router_distributed: bool({ default: false }),
    enable_dvr: bool({ default: true }),
    host_dvr_for_dhcp: bool({ default: true }),
    enable_snat_by_default: bool({ default: true }),
    l3_ha: bool({ default: false }),
    max_l3_agents_per_router: int({ default: 3 }),
    l3_ha_net_cidr: str({ default: '169.254.192.0/18' }),
    l3_ha_network_type: str({ default: '' }),
    l3_ha_network_physical_name: str({ default: '' }),

    // Nova notifications: Neutron defaults both to true; the zero-config server has no Nova.
    notify_nova_on_port_status_changes: bool({ default: false }),
    notify_nova_on_port_data_changes: bool({ default: false }),
    send_events_interval: int({ default: 2 }),
    http_retries: int({ default: 3, min: 0 }),

    // Messaging (oslo.messaging; Neutron sets control_exchange)
    // oslo.messaging's default is rabbit://; unset means the in-process transport.
    transport_url: str({ secret: true }),
    control_exchange: str({ default: 'neutron' }),
    rpc_response_timeout: int({ default: 60 }),
    rpc_response_max_timeout: int({ default: 600 }),
    executor_thread_pool_size: int({ default: 64 }),

    // Logging (oslo.log)
    debug: bool({ default: false }),
    log_file: str(),
    log_dir: str(),
    log_config_append: str(),
    use_stderr: bool({ default: false }),
    use_json: bool({ default: false }),
    use_syslog: bool({ default: false }),
    default_log_levels: list(),
    setproctitle: str({ default: 'on' }),
  },

  // oslo.db
  database: {
    connection: str({ secret: true }), // null: sqlite file <state_path>/neutron.db (see databaseUrl)
    slave_connection: str({ secret: true }),
    connection_parameters: str({ default: '' }),
    mysql_sql_mode: str({ default: 'TRADITIONAL' }),
    mysql_wsrep_sync_wait: int(),
    sqlite_synchronous: bool({ default: true }),
    max_pool_size: int({ default: 5 }),
    max_overflow: int({ default: 50 }),
    pool_timeout: int(),
    connection_recycle_time: int({ default: 3600 }),
    max_retries: int({ default: 10 }),
    retry_interval: int({ default: 10 }),
    use_db_reconnect: bool({ default: false }),
    db_retry_interval: int({ default: 1 }),
    db_inc_retry_interval: bool({ default: true }),
    db_max_retry_interval: int({ default: 10 }),
    db_max_retries: int({ default: 20 }),
    connection_debug: int({ default: 0, min: 0, max: 100 }),
    connection_trace: bool({ default: false }),
  },

  ml2: {
    type_drivers: list({ default: ['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve'] }),
    tenant_network_types: list({ default: ['local'] }),
    mechanism_drivers: list(),
    extension_drivers: list(),
    path_mtu: int({ default: 0 }),
    physical_network_mtus: list(),
    external_network_type: str(),
    overlay_ip_version: int({ default: 4, choices: [4, 6] }),
  },
  ml2_type_flat: {
    flat_networks: list({ default: ['*'] }),
  },
  ml2_type_vlan: {
    network_vlan_ranges: list(),
  },
  ml2_type_vxlan: {
    vni_ranges: list(),
    vxlan_group: str(),
  },
  ml2_type_geneve: {
    vni_ranges: list(),
    max_header_size: int({ default: 30 }),
  },
  ml2_type_gre: {
    tunnel_id_ranges: list(),
  },

  // Neutron registers these as QUOTAS and SECURITYGROUP; oslo matches group names ignoring case.
  quotas: {
    default_quota: int({ default: -1 }),
    quota_network: int({ default: 100 }),
    quota_subnet: int({ default: 100 }),
    quota_port: int({ default: 500 }),
    quota_router: int({ default: 10 }),
    quota_floatingip: int({ default: 50 }),
    quota_security_group: int({ default: 10 }),
    quota_security_group_rule: int({ default: 100 }),
    quota_rbac_policy: int({ default: 10 }),
    quota_driver: str({ default: 'neutron.db.quota.driver_nolock.DbQuotaNoLockDriver' }),
    track_quota_usage: bool({ default: true }),
  },
  securitygroup: {
    enable_security_group: bool({ default: true }),
    firewall_driver: str(),
    enable_ipset: bool({ default: true }),
    permitted_ethertypes: list(),
  },
  service_providers: {
    service_provider: multi(),
  },

  oslo_policy: {
    policy_file: str({ default: 'policy.yaml' }), // oslo.policy says policy.json; Neutron sets this
    policy_default_rule: str({ default: 'default' }),
    policy_dirs: multi({ default: ['policy.d'] }),
    enforce_scope: bool({ default: false }),
    enforce_new_defaults: bool({ default: false }),
  },
  oslo_middleware: {
    max_request_body_size: int({ default: 114688 }),
    enable_proxy_headers_parsing: bool({ default: false }),
    secure_proxy_ssl_header: str({ default: 'X-Forwarded-Proto' }),
  },
  // oslo.middleware's healthcheck app (GET/HEAD /healthcheck) and its disable_by_file backends
  healthcheck: {
    path: str({ default: '/healthcheck' }),
    detailed: bool({ default: false }),
    backends: list(),
    disable_by_file_path: str(),
    disable_by_file_paths: list(),
  },

  // neutron-ts's own: the Prometheus scrape listener of the supervisor (src/service/metrics.ts), off while bind_port is unset
  metrics: {
    bind_host: hostAddress({ default: '127.0.0.1' }),
    bind_port: int({ min: 0, max: 65535 }), // 0: any free port (logged)
  },

  // oslo.messaging 14 (Zed)
  oslo_messaging_rabbit: {
    amqp_durable_queues: bool({ default: false }),
    amqp_auto_delete: bool({ default: false }),
    rabbit_quorum_queue: bool({ default: false }),
    rabbit_ha_queues: bool({ default: false }),
    rabbit_transient_queues_ttl: int({ default: 1800, min: 1 }),
    rabbit_qos_prefetch_count: int({ default: 0 }),
    rabbit_retry_interval: int({ default: 1 }),
    rabbit_retry_backoff: int({ default: 2 }),
    rabbit_interval_max: int({ default: 30 }),
    rabbit_login_method: choice({ choices: ['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'RABBIT-CR-DEMO'], default: 'AMQPLAIN' }),
    heartbeat_timeout_threshold: int({ default: 60 }),
    heartbeat_rate: int({ default: 2 }),
    kombu_reconnect_delay: float({ default: 1.0, min: 0, max: 4.5 }),
    kombu_missing_consumer_retry_timeout: int({ default: 60 }),
    kombu_failover_strategy: choice({ choices: ['round-robin', 'shuffle'], default: 'round-robin' }),
    direct_mandatory_flag: bool({ default: true }),
    enable_cancel_on_failover: bool({ default: false }),
    ssl: bool({ default: false }),
    ssl_ca_file: str({ default: '' }),
    ssl_cert_file: str({ default: '' }),
    ssl_key_file: str({ default: '' }),
    ssl_version: str({ default: '' }),
  },
  oslo_messaging_notifications: {
    driver: multi(),
    topics: list({ default: ['notifications'] }),
    transport_url: str({ secret: true }), // null: [DEFAULT] transport_url
    retry: int({ default: -1 }),
  },

  // keystonemiddleware, plus the keystoneauth "password" plugin options it loads
  keystone_authtoken: {
    www_authenticate_uri: str(),
    auth_uri: str(),
    auth_url: str(),
    auth_type: str(),
    auth_version: str(),
    username: str(),
    user_id: str(),
    password: str({ secret: true }),
    project_name: str(),
    project_id: str(),
    user_domain_name: str(),
    user_domain_id: str(),
    project_domain_name: str(),
    project_domain_id: str(),
    system_scope: str(),
    region_name: str(),
    interface: str({ default: 'internal' }),
    service_type: str(),
    delay_auth_decision: bool({ default: false }),
    include_service_catalog: bool({ default: true }),
    token_cache_time: int({ default: 300 }),
    service_token_roles: list({ default: ['service'] }),
    service_token_roles_required: bool({ default: false }),
    cafile: str(),
    certfile: str(),
    keyfile: str(),
    insecure: bool({ default: false }),
    http_connect_timeout: int(),
    http_request_max_retries: int({ default: 3 }),
    memcached_servers: list(),
    memcache_security_strategy: choice({ choices: ['None', 'MAC', 'ENCRYPT'], default: 'None' }),
    memcache_secret_key: str({ secret: true }),
  },

  // neutron-ts's own: the change stream (GET /v2.0/<collection>?watch=true), see README
  change_stream: {
    enabled: bool({ default: true }),
    /** seconds a change is kept for watchers that resume */
    retention: int({ default: 3600, min: 60 }),
  },

  // Known sections whose options we do not use: kept as strings, never warned about.
  nova: freeform(),
  placement: freeform(),
  ironic: freeform(),
  designate: freeform(),
  agent: freeform(),
  oslo_concurrency: freeform(),
  cors: freeform(),
  profiler: freeform(),
  ovs: freeform(),
  ovn: freeform(),
} satisfies Record<string, Section>;

export type Schema = typeof schema;
export type OptValue<O> = O extends Opt<infer T> ? T : never;
export type SectionValues<S> = S extends Freeform
  ? { readonly [option: string]: string }
  : { readonly [K in keyof S]: OptValue<S[K]> };
/** The loaded configuration: `config.DEFAULT.bind_port` is a number, `config.ml2.type_drivers` a string[]. */
export type Config = { readonly [S in keyof Schema]: SectionValues<Schema[S]> };
