import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;
const DRIVER = 'neutron.services.l3_router.service_providers.single_node.SingleNodeDriver';

describe('flavors, service profiles and service providers (flavors service plugin)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      DEFAULT: { service_plugins: ['router'] },
      service_providers: { service_provider: ['LOADBALANCERV2:Octavia:octavia.driver:default'] },
    });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }

  test('service providers: the configured ones and the router plugin\'s L3 providers', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('flavors') && aliases.includes('service-type'));
    const r = await s.request('GET', '/v2.0/service-providers', undefined, A);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.service_providers, [
      { service_type: 'LOADBALANCERV2', name: 'octavia', default: true },
      { service_type: 'L3_ROUTER_NAT', name: 'dvrha', default: false },
      { service_type: 'L3_ROUTER_NAT', name: 'dvr', default: false },
      { service_type: 'L3_ROUTER_NAT', name: 'ha', default: false },
      { service_type: 'L3_ROUTER_NAT', name: 'single_node', default: false },
    ]);
  });

  test('flavors: admin-made, visible to all, service_type a loaded plugin\'s', async () => {
    const flavor = await post('/v2.0/flavors', { flavor: { name: 'gold', service_type: 'L3_ROUTER_NAT', description: 'fast' } });
    assert.deepEqual(flavor, { id: flavor.id, name: 'gold', description: 'fast', service_type: 'L3_ROUTER_NAT', enabled: true, service_profiles: [] });
    const refused = await s.request('POST', '/v2.0/flavors', { flavor: { name: 'x', service_type: 'L3_ROUTER_NAT' } }, A);
    assert.equal(refused.status, 403);
    const badType = await s.request('POST', '/v2.0/flavors', { flavor: { name: 'x', service_type: 'LOADBALANCERV2' } }, ADMIN);
    assert.equal(badType.status, 400);
    assert.equal(type(badType), 'InvalidServiceType');
    assert.equal(message(badType), 'Invalid service type: LOADBALANCERV2.');
    assert.deepEqual((await s.request('GET', `/v2.0/flavors/${flavor.id}`, undefined, A)).body.flavor, flavor);
    const updated = await s.request('PUT', `/v2.0/flavors/${flavor.id}`, { flavor: { enabled: false, name: 'silver' } }, ADMIN);
    assert.equal(updated.status, 200);
    assert.equal(updated.body.flavor.enabled, false);
    assert.equal((await s.request('PUT', `/v2.0/flavors/${flavor.id}`, { flavor: { service_type: 'METERING' } }, ADMIN)).status, 400);
    assert.deepEqual((await s.request('GET', '/v2.0/flavors?enabled=false', undefined, A)).body.flavors.map((f: any) => f.id), [flavor.id]);
    assert.equal((await s.request('DELETE', `/v2.0/flavors/${flavor.id}`, undefined, ADMIN)).status, 204);
    const gone = await s.request('GET', `/v2.0/flavors/${flavor.id}`, undefined, A);
    assert.equal(type(gone), 'FlavorNotFound');
    assert.equal(message(gone), `Flavor ${flavor.id} could not be found.`);
  });

  test('service profiles and their association with flavors', async () => {
    const empty = await s.request('POST', '/v2.0/service_profiles', { service_profile: { description: 'x' } }, ADMIN);
    assert.equal(empty.status, 400);
    assert.equal(type(empty), 'ServiceProfileEmpty');
    assert.equal(message(empty), 'Service Profile needs either a driver or metainfo.');
    const noDriver = await s.request('POST', '/v2.0/service_profiles', { service_profile: { driver: 'no.such.Driver' } }, ADMIN);
    assert.equal(noDriver.status, 404);
    assert.equal(message(noDriver), 'Service Profile driver no.such.Driver could not be found.');
    const sp = await post('/v2.0/service_profiles', { service_profile: { driver: DRIVER, description: 'single' } });
    assert.deepEqual(sp, { id: sp.id, description: 'single', driver: DRIVER, enabled: true, metainfo: '' });
    const meta = await post('/v2.0/service_profiles', { service_profile: { metainfo: '{"a": 1}' } });
    assert.equal(meta.driver, '');
    assert.equal((await s.request('GET', '/v2.0/service_profiles', undefined, A)).status, 200);
    assert.equal((await s.request('GET', `/v2.0/service_profiles/${sp.id}`, undefined, A)).status, 404, 'admin only');

    const flavor = await post('/v2.0/flavors', { flavor: { name: 'ha', service_type: 'L3_ROUTER_NAT' } });
    const noBinding = await s.request('GET', `/v2.0/flavors/${flavor.id}/next_providers`, undefined, ADMIN);
    assert.equal(type(noBinding), 'FlavorServiceProfileBindingNotFound');
    const assoc = await s.request('POST', `/v2.0/flavors/${flavor.id}/service_profiles`, { service_profile: { id: sp.id } }, ADMIN);
    assert.equal(assoc.status, 201);
    assert.deepEqual(assoc.body, { service_profile: { id: flavor.id } });
    const twice = await s.request('POST', `/v2.0/flavors/${flavor.id}/service_profiles`, { service_profile: { id: sp.id } }, ADMIN);
    assert.equal(twice.status, 409);
    assert.equal(message(twice), `Service Profile ${sp.id} is already associated with flavor ${flavor.id}.`);
    assert.equal((await s.request('POST', `/v2.0/flavors/${flavor.id}/service_profiles`, { service_profile: { id: sp.id } }, A)).status, 403);
    assert.deepEqual((await s.request('GET', `/v2.0/flavors/${flavor.id}`, undefined, A)).body.flavor.service_profiles, [sp.id]);
    assert.deepEqual((await s.request('GET', `/v2.0/flavors/${flavor.id}/next_providers`, undefined, ADMIN)).body,
      { next_providers: [{ driver: DRIVER, provider: 'single_node' }] });

    const busy = await s.request('DELETE', `/v2.0/service_profiles/${sp.id}`, undefined, ADMIN);
    assert.equal(busy.status, 409);
    assert.equal(type(busy), 'ServiceProfileInUse');
    assert.equal((await s.request('PUT', `/v2.0/service_profiles/${sp.id}`, { service_profile: { description: 'y' } }, ADMIN)).status, 409);
    assert.equal((await s.request('DELETE', `/v2.0/flavors/${flavor.id}/service_profiles/${sp.id}`, undefined, ADMIN)).status, 204);
    const notBound = await s.request('DELETE', `/v2.0/flavors/${flavor.id}/service_profiles/${sp.id}`, undefined, ADMIN);
    assert.equal(notBound.status, 404);
    assert.equal(message(notBound), `Service Profile ${sp.id} is not associated with flavor ${flavor.id}.`);
    assert.equal((await s.request('DELETE', `/v2.0/service_profiles/${sp.id}`, undefined, ADMIN)).status, 204);
  });

  test('l3-flavors: a router\'s flavor resolves to an L3 provider, and keeps the flavor in use', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('l3-flavors'));
    const plain = await post('/v2.0/routers', { router: { name: 'plain' } }, A);
    assert.equal(plain.flavor_id, null);
    const flavor = await post('/v2.0/flavors', { flavor: { name: 'single', service_type: 'L3_ROUTER_NAT' } });
    const unbound = await s.request('POST', '/v2.0/routers', { router: { name: 'r', flavor_id: flavor.id } }, A);
    assert.equal(unbound.status, 404);
    assert.equal(type(unbound), 'FlavorServiceProfileBindingNotFound');
    const missing = await s.request('POST', '/v2.0/routers', { router: { name: 'r', flavor_id: 'nope' } }, A);
    assert.equal(type(missing), 'FlavorNotFound');
    const sp = await post('/v2.0/service_profiles', { service_profile: { driver: DRIVER } });
    assert.equal((await s.request('POST', `/v2.0/flavors/${flavor.id}/service_profiles`, { service_profile: { id: sp.id } }, ADMIN)).status, 201);
    const router = await post('/v2.0/routers', { router: { name: 'flavored', flavor_id: flavor.id } }, A);
    assert.equal(router.flavor_id, flavor.id);
    const ha = await s.request('POST', '/v2.0/routers', { router: { name: 'ha', flavor_id: flavor.id, ha: true } }, ADMIN);
    assert.equal(ha.status, 400);
    assert.equal(message(ha), 'Invalid input for operation: Provider single_node does not support ha=True.');
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { flavor_id: flavor.id } }, A)).status, 400, 'not updatable');
    const inUse = await s.request('DELETE', `/v2.0/flavors/${flavor.id}`, undefined, ADMIN);
    assert.equal(inUse.status, 409);
    assert.equal(message(inUse), `Flavor ${flavor.id} is used by some service instance.`);
    assert.equal((await s.request('DELETE', `/v2.0/routers/${router.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/flavors/${flavor.id}`, undefined, ADMIN)).status, 204);
  });
});
