import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  configWith,
  databaseUrl,
  defaultConfig,
  dumpConfig,
  loadConfig,
} from '../../src/config/load.js';

const root = mkdtempSync(join(tmpdir(), 'neutron-ts-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** Writes a file under a fresh temporary directory and returns its path. */
function file(text: string, name = `f${++counter}.conf`, dir = root): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('zero files gives all defaults', () => {
  const result = loadConfig({ configFiles: [], configDirs: [] });
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.sources, []);
  assert.deepEqual(result.config, defaultConfig());
});

test('values are typed from strings', () => {
  const { config } = loadConfig({
    configFiles: [
      file(`
[DEFAULT]
bind_port = 8080
debug = yes
service_plugins = router, qos,segments
api_workers = 4
[ml2]
type_drivers = flat,vlan
[oslo_messaging_rabbit]
kombu_reconnect_delay = 2.5
`),
    ],
  });
  assert.equal(config.DEFAULT.bind_port, 8080);
  assert.equal(config.DEFAULT.debug, true);
  assert.deepEqual(config.DEFAULT.service_plugins, ['router', 'qos', 'segments']);
  assert.equal(config.DEFAULT.api_workers, 4);
  assert.deepEqual(config.ml2.type_drivers, ['flat', 'vlan']);
  assert.equal(config.oslo_messaging_rabbit.kombu_reconnect_delay, 2.5);
});

test('later files override earlier ones; within a file the last value wins', () => {
  const a = file('[DEFAULT]\nbind_port = 1000\nbind_port = 1001\napi_workers = 2\n');
  const b = file('[DEFAULT]\nbind_port = 2000\n');
  const result = loadConfig({ configFiles: [a, b] });
  assert.equal(result.config.DEFAULT.bind_port, 2000);
  assert.equal(result.config.DEFAULT.api_workers, 2);
  assert.deepEqual(result.sources, [a, b]);
  assert.equal(loadConfig({ configFiles: [b, a] }).config.DEFAULT.bind_port, 1001);
});

test('config dirs: *.conf files in alphabetical order, after the config files', () => {
  const dir = mkdtempSync(join(root, 'dir-'));
  file('[DEFAULT]\nbind_port = 2\n', '20-b.conf', dir);
  file('[DEFAULT]\nbind_port = 1\napi_workers = 7\n', '10-a.conf', dir);
  file('[DEFAULT]\nbind_port = 99\n', 'ignored.conf.sample', dir);
  file('[DEFAULT]\nbind_port = 98\n', '.hidden.conf', dir);
  mkdirSync(join(dir, 'sub.conf'));
  const main = file('[DEFAULT]\nbind_port = 5\nrpc_workers = 3\n');
  const result = loadConfig({ configFiles: [main], configDirs: [dir] });
  assert.deepEqual(result.sources, [main, join(dir, '10-a.conf'), join(dir, '20-b.conf')]);
  assert.equal(result.config.DEFAULT.bind_port, 2);
  assert.equal(result.config.DEFAULT.api_workers, 7);
  assert.equal(result.config.DEFAULT.rpc_workers, 3);
});

test('multi-valued options accumulate across keys and files', () => {
  const a = file('[service_providers]\nservice_provider = A:a:drv.A\nservice_provider = B:b:drv.B\n');
  const b = file('[service_providers]\nservice_provider = C:c:drv.C:default\n');
  assert.deepEqual(loadConfig({ configFiles: [a, b] }).config.service_providers.service_provider, [
    'A:a:drv.A',
    'B:b:drv.B',
    'C:c:drv.C:default',
  ]);
  // a file value replaces the default rather than adding to it
  const p = file('[oslo_policy]\npolicy_dirs = /etc/neutron/policy.d\n');
  assert.deepEqual(loadConfig({ configFiles: [p] }).config.oslo_policy.policy_dirs, ['/etc/neutron/policy.d']);
});

test('single-valued list options do not accumulate: the last line wins', () => {
  const f = file('[ml2]\nmechanism_drivers = openvswitch\nmechanism_drivers = linuxbridge,l2population\n');
  assert.deepEqual(loadConfig({ configFiles: [f] }).config.ml2.mechanism_drivers, ['linuxbridge', 'l2population']);
});

test('section names other than DEFAULT ignore case, as oslo.config does', () => {
  const f = file('[QUOTAS]\nquota_port = 7\n[SecurityGroup]\nenable_security_group = false\n');
  const result = loadConfig({ configFiles: [f] });
  assert.equal(result.config.quotas.quota_port, 7);
  assert.equal(result.config.securitygroup.enable_security_group, false);
  assert.deepEqual(result.warnings, []);
});

test('[default] is not [DEFAULT]', () => {
  const f = file('[default]\nbind_port = 1\n');
  const result = loadConfig({ configFiles: [f] });
  assert.equal(result.config.DEFAULT.bind_port, 9696);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /Unknown section \[default\].*did you mean \[DEFAULT\]/);
});

test('interpolation: $name and ${name} from the same section or DEFAULT', () => {
  const state = join(root, 'st');
  const f = file(`
[DEFAULT]
state_path = ${state}
api_extensions_path = $state_path/ext:\${state_path}/more
dns_domain = example.org
[database]
connection = sqlite:///$state_path/neutron.db
[keystone_authtoken]
auth_url = http://keystone.$dns_domain:5000
www_authenticate_uri = $auth_url/v3
project_name = \${DEFAULT.host}
`);
  const { config } = loadConfig({ configFiles: [f] });
  assert.equal(config.DEFAULT.api_extensions_path, `${state}/ext:${state}/more`);
  assert.equal(config.database.connection, `sqlite:///${state}/neutron.db`);
  assert.equal(config.keystone_authtoken.auth_url, 'http://keystone.example.org:5000');
  assert.equal(config.keystone_authtoken.www_authenticate_uri, 'http://keystone.example.org:5000/v3');
  assert.equal(config.keystone_authtoken.project_name, config.DEFAULT.host);
});

test('interpolation uses resolved values: defaults, later files, typed values', () => {
  const a = file('[DEFAULT]\nnetwork_link_prefix = http://h:$bind_port/$debug/$service_plugins\n');
  const b = file('[DEFAULT]\nbind_port = 1234\nservice_plugins = router,qos\n');
  const { config } = loadConfig({ configFiles: [a, b] });
  assert.equal(config.DEFAULT.network_link_prefix, 'http://h:1234/False/router,qos');
  // the default state_path is ./state, resolved against the current directory
  const c = loadConfig({ configFiles: [file('[database]\nconnection = sqlite:///$state_path/x.db\n')] }).config;
  assert.equal(c.database.connection, `sqlite:///${resolve('state')}/x.db`);
});

test('interpolation: $$ and \\$ are a literal dollar; a lone $ or $5 stays', () => {
  const f = file('[keystone_authtoken]\npassword = pa$$word\nusername = a\\$b\nproject_name = cost $5 $\n');
  const { config } = loadConfig({ configFiles: [f] });
  assert.equal(config.keystone_authtoken.password, 'pa$word');
  assert.equal(config.keystone_authtoken.username, 'a$b');
  assert.equal(config.keystone_authtoken.project_name, 'cost $5 $');
});

test('interpolation of an unknown name is an error that names the option', () => {
  const f = file('[keystone_authtoken]\npassword = pa$word\n');
  const err = configError(() => loadConfig({ configFiles: [f] }));
  assert.equal(
    err.message,
    `Invalid value for option password in [keystone_authtoken] (file ${f}): 'pa$word' refers to unknown option 'word' (write $$ for a literal $)`,
  );
});

test('interpolated values are checked like any other value', () => {
  const f = file('[DEFAULT]\ndns_domain = abc\nbind_port = $dns_domain\n');
  const err = configError(() => loadConfig({ configFiles: [f] }));
  assert.match(err.message, /^Invalid value for option bind_port in \[DEFAULT\] \(file .*\): 'abc' is not an integer$/);
});

test('circular references are reported', () => {
  const f = file('[DEFAULT]\ndns_domain = $host\nhost = $dns_domain\n');
  assert.match(configError(() => loadConfig({ configFiles: [f] })).message, /refer to each other in a circle: .*dns_domain.*host/);
});

test('unknown options and sections warn once each, naming the file', () => {
  const a = file('[DEFAULT]\nbind_prot = 1\nbind_prot = 2\n[nonsense]\nx = 1\n');
  const b = file('[DEFAULT]\nbind_prot = 3\n[nonsense]\ny = 2\n');
  const result = loadConfig({ configFiles: [a, b] });
  assert.deepEqual(result.warnings, [
    `Unknown option bind_prot in [DEFAULT] (file ${a}, line 2), ignored`,
    `Unknown section [nonsense] (file ${a}, line 4), ignored`,
  ]);
  assert.equal(result.config.DEFAULT.bind_port, 9696);
});

test('known free-form sections keep their options as strings, without warnings', () => {
  const f = file('[nova]\nauth_type = password\npassword = $auth_type-x\nregion_name = RegionOne\n');
  const result = loadConfig({ configFiles: [f] });
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.config.nova, { auth_type: 'password', password: 'password-x', region_name: 'RegionOne' });
});

test('a bad value names the option, section, file and value', () => {
  const f = file('[DEFAULT]\nbind_port = abc\n');
  assert.equal(
    configError(() => loadConfig({ configFiles: [f] })).message,
    `Invalid value for option bind_port in [DEFAULT] (file ${f}): 'abc' is not an integer`,
  );
  const g = file('[QUOTAS]\ntrack_quota_usage = maybe\n');
  assert.match(
    configError(() => loadConfig({ configFiles: [g] })).message,
    /^Invalid value for option track_quota_usage in \[QUOTAS\] \(file .*\): 'maybe' is not a boolean/,
  );
  const h = file('[DEFAULT]\nauth_strategy = basic\n');
  assert.match(configError(() => loadConfig({ configFiles: [h] })).message, /'basic' is not one of: noauth, keystone/);
  const i = file('[DEFAULT]\nbase_mac = fa:16:3e:00:00\n');
  assert.match(configError(() => loadConfig({ configFiles: [i] })).message, /option base_mac .*not a valid unicast MAC/);
  const j = file('[database]\nconnection_debug = 101\n');
  assert.match(configError(() => loadConfig({ configFiles: [j] })).message, /101 is greater than the maximum 100/);
});

test('an empty integer is null where Neutron allows None, an error elsewhere', () => {
  const f = file('[DEFAULT]\napi_workers =\n[database]\nconnection =\n');
  const { config } = loadConfig({ configFiles: [f] });
  assert.equal(config.DEFAULT.api_workers, null);
  assert.equal(config.database.connection, null);
  const g = file('[DEFAULT]\nbind_port =\n');
  assert.match(configError(() => loadConfig({ configFiles: [g] })).message, /bind_port .*'' is not an integer/);
});

test('missing files and directories are errors; so are parse errors, with the line', () => {
  const missing = join(root, 'nope.conf');
  assert.equal(configError(() => loadConfig({ configFiles: [missing] })).message, `Config file not found: ${missing}`);
  assert.match(configError(() => loadConfig({ configDirs: [join(root, 'nodir')] })).message, /Config directory not found/);
  const bad = file('[DEFAULT]\nbind_port = 1\nnot an assignment\n');
  assert.equal(
    configError(() => loadConfig({ configFiles: [bad] })).message,
    `Cannot parse config file ${bad}, line 3: No ':' or '=' found in assignment: "not an assignment"`,
  );
});

test('configWith: typed or string overrides, validated like file values', () => {
  const c = configWith({
    DEFAULT: { api_workers: 0, bind_port: '8000', debug: 'on', service_plugins: ['router'] },
    ml2: { type_drivers: 'vlan, vxlan', mechanism_drivers: ['openvswitch'] },
    nova: { region_name: 'R1' },
  });
  assert.equal(c.DEFAULT.api_workers, 0);
  assert.equal(c.DEFAULT.bind_port, 8000);
  assert.equal(c.DEFAULT.debug, true);
  assert.deepEqual(c.DEFAULT.service_plugins, ['router']);
  assert.deepEqual(c.ml2.type_drivers, ['vlan', 'vxlan']);
  assert.deepEqual(c.ml2.mechanism_drivers, ['openvswitch']);
  assert.equal(c.nova.region_name, 'R1');
  assert.equal(c.DEFAULT.rpc_workers, null);

  assert.equal(
    configError(() => configWith({ DEFAULT: { bind_port: 70000 } })).message,
    'Invalid value for option bind_port in [DEFAULT] (override): 70000 is greater than the maximum 65535',
  );
  assert.match(configError(() => configWith({ DEFAULT: { api_workers: -1 } })).message, /less than the minimum 0/);
  assert.match(
    configError(() => configWith({ DEFAULT: { bind_prot: 1 } } as never)).message,
    /Unknown option bind_prot in \[DEFAULT\] in overrides/,
  );
  assert.match(configError(() => configWith({ nosuch: {} } as never)).message, /Unknown section \[nosuch\]/);
});

test('overrides win over files and are interpolated when given as strings', () => {
  const f = file('[DEFAULT]\nbind_port = 1000\nstate_path = /srv/neutron\n');
  const { config } = loadConfig({
    configFiles: [f],
    overrides: { DEFAULT: { bind_port: 2000 }, database: { connection: 'sqlite:///$state_path/o.db' } },
  });
  assert.equal(config.DEFAULT.bind_port, 2000);
  assert.equal(config.database.connection, 'sqlite:////srv/neutron/o.db');
});

test('databaseUrl defaults to a SQLite file under state_path', () => {
  assert.equal(databaseUrl(defaultConfig()), `sqlite:///${resolve('state')}/neutron.db`);
  assert.equal(databaseUrl(configWith({ DEFAULT: { state_path: 'rel/dir' } })), `sqlite:///${resolve('rel/dir')}/neutron.db`);
  assert.equal(databaseUrl(configWith({ database: { connection: 'postgresql://u:p@h/n' } })), 'postgresql://u:p@h/n');
});

test('dumpConfig masks secrets but keeps URLs readable', () => {
  const dump = dumpConfig(
    configWith({
      DEFAULT: { transport_url: 'rabbit://guest:pw1@h1:5672,admin:pw2@h2:5672/' },
      database: { connection: 'mysql+pymysql://neutron:s3cret@db/neutron?charset=utf8' },
      keystone_authtoken: { password: 'hunter2', username: 'neutron' },
      nova: { password: 'novapw', region_name: 'R' },
    }),
  );
  assert.equal(dump.DEFAULT!.transport_url, 'rabbit://guest:****@h1:5672,admin:****@h2:5672/');
  assert.equal(dump.database!.connection, 'mysql+pymysql://neutron:****@db/neutron?charset=utf8');
  assert.equal(dump.keystone_authtoken!.password, '****');
  assert.equal(dump.keystone_authtoken!.username, 'neutron');
  assert.equal(dump.keystone_authtoken!.memcache_secret_key, null);
  assert.deepEqual(dump.nova, { password: '****', region_name: 'R' });
  assert.equal(dump.DEFAULT!.bind_port, 9696);
  assert.ok(!JSON.stringify(dump).includes('s3cret'));
});
