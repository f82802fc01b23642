// With every L3 service plugin loaded, the OpenAPI document stays valid and types every attribute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { asProject, startServer } from '../support/server.js';

test('the L3 service plugins\' resources are described, typed, and the document valid', async () => {
  const s = await startServer({
    DEFAULT: { service_plugins: ['router', 'port_forwarding', 'conntrack_helper', 'metering', 'local_ip', 'log', 'ndp_proxy'] },
    ml2: { mechanism_drivers: ['openvswitch'] },
  });
  try {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, asProject('project-a'))).body;
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    for (const path of ['/v2.0/floatingips/{parent_id}/port_forwardings', '/v2.0/routers/{parent_id}/conntrack_helpers', '/v2.0/metering/metering-labels',
      '/v2.0/metering/metering-label-rules', '/v2.0/local_ips', '/v2.0/log/logs', '/v2.0/log/loggable-resources', '/v2.0/ndp_proxies', '/v2.0/flavors',
      '/v2.0/service_profiles', '/v2.0/service-providers']) {
      assert.ok(doc.paths[path]?.get, path);
    }
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [attr, p] of Object.entries<any>(schema.properties ?? {})) {
        if (p.type === undefined && p.$ref === undefined && p.oneOf === undefined && p.anyOf === undefined) untyped.push(`${name}.${attr}`);
      }
    }
    assert.deepEqual(untyped, []);
    assert.ok(doc.components.schemas.Router.properties.conntrack_helpers, 'expose-l3-conntrack-helper');
    assert.ok(doc.components.schemas.Router.properties.enable_ndp_proxy, 'l3-ext-ndp-proxy');
    assert.ok(doc.components.schemas.Floatingip.properties.port_forwardings, 'expose-port-forwarding-in-fip');
  } finally {
    await s.close();
  }
});
