import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authtokenOptions } from '../../src/auth/keystone.js';
import { configWith, type Overrides } from '../../src/config/index.js';
import { startServer } from '../support/server.js';

const section = (o: Overrides['keystone_authtoken']) => configWith({ keystone_authtoken: o }).keystone_authtoken;
const operator = {
  auth_uri: 'http://keystone:5000', auth_url: 'http://keystone:5000', auth_type: 'password', username: 'neutron',
  password: 'secret', project_name: 'service', user_domain_name: 'Default', project_domain_name: 'Default',
  region_name: 'RegionOne', token_cache_time: '600', service_token_roles: 'service,admin', service_token_roles_required: 'true',
};

test('[keystone_authtoken] as operators write it becomes KeystoneAuth options', () => {
  const o = authtokenOptions(section(operator));
  assert.equal(o.www_authenticate_uri, 'http://keystone:5000', 'auth_uri is the old name of www_authenticate_uri');
  assert.equal(o.auth_url, 'http://keystone:5000');
  assert.equal(o.username, 'neutron');
  assert.equal(o.project_domain_name, 'Default');
  assert.equal(o.token_cache_time, 600);
  assert.deepEqual(o.service_token_roles, ['service', 'admin']);
  assert.equal(o.service_token_roles_required, true);
  assert.equal(o.interface, 'internal');
  // unset options stay unset, so that KeystoneAuth's defaults apply
  assert.equal('http_connect_timeout' in o && o.http_connect_timeout !== undefined, false);
  assert.equal(o.user_id, undefined);
});

test('what neutron-ts cannot honour fails at start-up, naming the option', async () => {
  assert.throws(() => authtokenOptions(section({ ...operator, auth_url: '' })), /\[keystone_authtoken\] auth_url is required/);
  assert.throws(() => authtokenOptions(section({ ...operator, password: '' })), /\[keystone_authtoken\] password is required/);
  assert.throws(() => authtokenOptions(section({ ...operator, auth_type: 'v3applicationcredential' })), /auth_type = v3applicationcredential is not supported/);
  assert.throws(() => authtokenOptions(section({ ...operator, interface: 'private' })), /interface = private/);
  await assert.rejects(startServer({ DEFAULT: { auth_strategy: 'keystone' } }), /\[keystone_authtoken\] auth_url is required with auth_strategy = keystone/);
});
