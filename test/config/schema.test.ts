import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { type Opt, OptValueError, bool, choice, dict, float, hostAddress, int, limit, list, mac, multi, port, schema, str } from '../../src/config/schema.js';
import { defaultConfig } from '../../src/config/load.js';

function rejects(opt: Opt<unknown>, value: unknown, reason: RegExp) {
  assert.throws(() => opt.coerce(value), (err: unknown) => err instanceof OptValueError && reason.test(err.message));
}

test('booleans: true/false, yes/no, on/off, 1/0 in any case', () => {
  const b = bool({ default: false });
  for (const s of ['true', 'TRUE', 'True', 'yes', 'YES', 'on', 'On', '1']) assert.equal(b.coerce(s), true, s);
  for (const s of ['false', 'FALSE', 'no', 'No', 'off', 'OFF', '0']) assert.equal(b.coerce(s), false, s);
  assert.equal(b.coerce(true), true);
  for (const s of ['', 'y', 'n', 'enabled', '2', 't']) rejects(b, s, /is not a boolean/);
});

test('integers: Python int() syntax, ranges, empty means null only for options without a default', () => {
  const i = int({ default: 5, min: 1, max: 10 });
  assert.equal(i.coerce('7'), 7);
  assert.equal(i.coerce(' +8 '), 8);
  assert.equal(i.coerce(9), 9);
  rejects(i, 'abc', /^'abc' is not an integer$/);
  rejects(i, '1.5', /is not an integer/);
  rejects(i, '0x10', /is not an integer/);
  rejects(i, '', /^'' is not an integer$/);
  rejects(i, 2.5, /^2.5 is not an integer$/);
  rejects(i, '0', /^0 is less than the minimum 1$/);
  rejects(i, '11', /^11 is greater than the maximum 10$/);
  const nullable = int();
  assert.equal(nullable.default, null);
  assert.equal(nullable.coerce(''), null);
  assert.equal(nullable.coerce('1_000'), 1000);
  assert.equal(nullable.coerce('-3'), -3);
  rejects(int({ default: 4, choices: [4, 6] }), '5', /^5 is not one of: 4, 6$/);
});

test('ports are integers from 0 to 65535', () => {
  const p = port({ default: 9696 });
  assert.equal(p.coerce('0'), 0);
  assert.equal(p.coerce('65535'), 65535);
  rejects(p, '65536', /greater than the maximum 65535/);
  rejects(p, '-1', /less than the minimum 0/);
  rejects(p, 'http', /'http' is not an integer/);
});

test('floats', () => {
  const f = float({ default: 1.0, min: 0 });
  assert.equal(f.coerce('2.5'), 2.5);
  assert.equal(f.coerce('3'), 3);
  assert.equal(f.coerce('1e2'), 100);
  assert.equal(f.coerce('.5'), 0.5);
  rejects(f, 'fast', /'fast' is not a number/);
  rejects(f, '0x1', /is not a number/);
  rejects(f, '-1', /less than the minimum 0/);
});

test('lists: comma separated, trimmed, empty items dropped', () => {
  const l = list();
  assert.deepEqual(l.default, []);
  assert.deepEqual(l.coerce('a, b ,c'), ['a', 'b', 'c']);
  assert.deepEqual(l.coerce('a,,b,'), ['a', 'b']);
  assert.deepEqual(l.coerce(''), []);
  assert.deepEqual(l.coerce('  '), []);
  assert.deepEqual(l.coerce(['x']), ['x']);
  rejects(l, [1], /is not a list of strings/);
});

test('multi-valued strings take a value per key', () => {
  const m = multi({ default: ['policy.d'] });
  assert.equal(m.multi, true);
  assert.deepEqual(m.coerce('a,b'), ['a,b']);
  assert.deepEqual(m.coerce(['a', 'b']), ['a', 'b']);
});

test('dicts: key:value pairs', () => {
  const d = dict();
  assert.deepEqual(d.coerce('physnet1:9000, physnet2 : 1500'), { physnet1: '9000', physnet2: '1500' });
  assert.deepEqual(d.coerce('url:http://x:80'), { url: 'http://x:80' });
  assert.deepEqual(d.coerce(''), {});
  rejects(d, 'a:1,b', /'b' is not a key:value pair/);
  rejects(d, ':1', /empty key/);
  rejects(d, 'a:1,a:2', /duplicate key 'a'/);
});

test('choices (enums) are exact', () => {
  const c = choice({ choices: ['noauth', 'keystone'], default: 'noauth' });
  assert.equal(c.coerce('keystone'), 'keystone');
  rejects(c, 'Keystone', /^'Keystone' is not one of: noauth, keystone$/);
});

test('strings: without a default, empty means unset', () => {
  assert.equal(str().coerce(''), null);
  assert.equal(str().coerce('x'), 'x');
  assert.equal(str({ default: 'd' }).coerce(''), '');
  rejects(str({ default: 'd' }), 3, /3 is not a string/);
});

test('MAC addresses must be unicast', () => {
  const m = mac({ default: 'fa:16:3e:00:00:00' });
  assert.equal(m.coerce('FA:16:3E:4F:00:00'), 'FA:16:3E:4F:00:00');
  rejects(m, 'fb:16:3e:00:00:00', /not a valid unicast MAC address/);
  rejects(m, 'fa:16:3e:00:00', /not a valid unicast MAC address/);
  rejects(m, 'fa-16-3e-00-00-00', /not a valid unicast MAC address/);
});

test('host addresses: IPv4, IPv6 or a host name', () => {
  const h = hostAddress({ default: '127.0.0.1' });
  for (const ok of ['0.0.0.0', '::', '::1', 'fe80::1', 'controller', 'neutron.example.org', 'node-1.']) {
    assert.equal(h.coerce(ok), ok);
  }
  for (const nok of ['', '999.1.1.1', '1.2.3', 'under_score', '-bad.example', 'a b']) {
    rejects(h, nok, /not a valid IP address or host name/);
  }
});

test('pagination limit: positive, or negative / "infinite" for no limit; 0 refused', () => {
  const l = limit({ default: -1 });
  assert.equal(l.coerce('100'), 100);
  assert.equal(l.coerce('-1'), -1);
  assert.equal(l.coerce('-5'), -1);
  assert.equal(l.coerce('Infinite'), -1);
  assert.equal(l.coerce(50), 50);
  rejects(l, '0', /is not a positive integer/);
  rejects(l, 'lots', /is not a positive integer/);
});

test('typed defaults match Neutron (and ours where deliberately different)', () => {
  const c = defaultConfig();
  const port: number = c.DEFAULT.bind_port;
  const drivers: string[] = c.ml2.type_drivers;
  const workers: number | null = c.DEFAULT.api_workers;
  const auth: 'noauth' | 'keystone' = c.DEFAULT.auth_strategy;
  assert.equal(port, 9696);
  assert.deepEqual(drivers, ['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve']);
  assert.equal(workers, null);
  assert.equal(auth, 'noauth');
  assert.equal(c.DEFAULT.bind_host, '127.0.0.1');
  assert.equal(c.DEFAULT.state_path, resolve('./state'));
  assert.equal(c.DEFAULT.rpc_workers, null);
  assert.equal(c.DEFAULT.rpc_state_report_workers, 1);
  assert.equal(c.DEFAULT.core_plugin, 'ml2');
  assert.deepEqual(c.DEFAULT.service_plugins, []);
  assert.equal(c.DEFAULT.base_mac, 'fa:16:3e:00:00:00');
  assert.equal(c.DEFAULT.pagination_max_limit, -1);
  assert.equal(c.DEFAULT.max_header_line, 16384);
  assert.equal(c.DEFAULT.global_physnet_mtu, 1500);
  assert.equal(c.DEFAULT.max_dns_nameservers, 5);
  assert.equal(c.DEFAULT.max_subnet_host_routes, 20);
  assert.equal(c.DEFAULT.max_allowed_address_pair, 10);
  assert.equal(c.DEFAULT.ipam_driver, 'internal');
  assert.equal(c.DEFAULT.dns_domain, 'openstacklocal');
  assert.equal(c.DEFAULT.dhcp_agents_per_network, 1);
  assert.equal(c.DEFAULT.agent_down_time, 75);
  assert.equal(c.DEFAULT.dhcp_lease_duration, 86400);
  assert.equal(c.DEFAULT.enable_dvr, true);
  assert.equal(c.DEFAULT.router_distributed, false);
  assert.equal(c.DEFAULT.l3_ha, false);
  assert.equal(c.DEFAULT.filter_validation, true);
  assert.equal(c.DEFAULT.wsgi_default_pool_size, 100);
  assert.equal(c.DEFAULT.wsgi_keep_alive, true);
  assert.equal(c.DEFAULT.client_socket_timeout, 900);
  assert.equal(c.DEFAULT.graceful_shutdown_timeout, 60);
  assert.equal(c.DEFAULT.transport_url, null);
  assert.equal(c.DEFAULT.control_exchange, 'neutron');
  assert.equal(c.DEFAULT.rpc_response_timeout, 60);
  assert.equal(c.DEFAULT.allow_bulk, true);
  assert.equal(c.DEFAULT.vlan_transparent, false);
  assert.equal(c.DEFAULT.debug, false);
  assert.equal(c.DEFAULT.log_file, null);
  assert.equal(c.DEFAULT.network_link_prefix, null);
  assert.equal(c.DEFAULT.api_extensions_path, '');

  assert.equal(c.database.connection, null);
  assert.equal(c.database.max_pool_size, 5);
  assert.equal(c.database.max_overflow, 50);
  assert.equal(c.database.pool_timeout, null);
  assert.equal(c.database.connection_recycle_time, 3600);
  assert.equal(c.database.max_retries, 10);
  assert.equal(c.database.retry_interval, 10);
  assert.equal(c.database.db_max_retries, 20);
  assert.equal(c.database.mysql_sql_mode, 'TRADITIONAL');
  assert.equal(c.database.connection_debug, 0);

  assert.deepEqual(c.ml2.tenant_network_types, ['local']);
  assert.deepEqual(c.ml2.mechanism_drivers, []);
  assert.equal(c.ml2.path_mtu, 0);
  assert.equal(c.ml2.overlay_ip_version, 4);
  assert.deepEqual(c.ml2_type_flat.flat_networks, ['*']);
  assert.deepEqual(c.ml2_type_vlan.network_vlan_ranges, []);
  assert.equal(c.ml2_type_vxlan.vxlan_group, null);
  assert.equal(c.ml2_type_geneve.max_header_size, 30);
  assert.deepEqual(c.ml2_type_gre.tunnel_id_ranges, []);

  assert.deepEqual(
    [c.quotas.quota_network, c.quotas.quota_subnet, c.quotas.quota_port, c.quotas.quota_router, c.quotas.quota_floatingip],
    [100, 100, 500, 10, 50],
  );
  assert.deepEqual([c.quotas.quota_security_group, c.quotas.quota_security_group_rule, c.quotas.default_quota], [10, 100, -1]);
  assert.equal(c.quotas.track_quota_usage, true);

  assert.equal(c.oslo_policy.policy_file, 'policy.yaml');
  assert.deepEqual(c.oslo_policy.policy_dirs, ['policy.d']);
  assert.equal(c.oslo_middleware.max_request_body_size, 114688);
  assert.equal(c.oslo_messaging_rabbit.heartbeat_timeout_threshold, 60);
  assert.equal(c.oslo_messaging_rabbit.kombu_reconnect_delay, 1.0);
  assert.equal(c.oslo_messaging_rabbit.rabbit_transient_queues_ttl, 1800);
  assert.deepEqual(c.oslo_messaging_notifications.topics, ['notifications']);
  assert.deepEqual(c.oslo_messaging_notifications.driver, []);
  assert.equal(c.keystone_authtoken.token_cache_time, 300);
  assert.deepEqual(c.keystone_authtoken.service_token_roles, ['service']);
  assert.equal(c.keystone_authtoken.service_token_roles_required, false);
  assert.equal(c.keystone_authtoken.password, null);
  assert.equal(c.securitygroup.enable_security_group, true);
  assert.deepEqual(c.nova, {});
});

test('every schema default is valid for its own option', () => {
  for (const [name, section] of Object.entries(schema)) {
    if ('freeform' in section) continue;
    for (const [key, opt] of Object.entries(section as Record<string, Opt<unknown>>)) {
      assert.doesNotThrow(() => opt.coerce(opt.default), `[${name}] ${key}`);
    }
  }
});

test('the config is frozen', () => {
  const c = defaultConfig();
  assert.throws(() => {
    (c.DEFAULT as { bind_port: number }).bind_port = 1;
  }, TypeError);
  assert.throws(() => c.ml2.type_drivers.push('x'), TypeError);
});
