// The property-based suite: for every resource the server serves and every action on it, requests
// generated from its definition with random and adversarial values (wrong types, huge and negative
// numbers, unicode, NUL, prototype names, deep nesting) in every attribute, filter, sort key,
// fields, marker and limit. Whatever the request: never a 5xx, a 4xx in Neutron's error format,
// the database unchanged by a refused write, and the server still healthy.
//
// A fixed seed and a few runs per property in `npm test`; NEUTRON_TS_FUZZ_RUNS=<n> runs more,
// NEUTRON_TS_FUZZ_SEED=<n> another seed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { collectionPath } from '../../src/api/model.js';
import type { ResourceDef } from '../../src/lib/definitions.js';
import { ADMIN, asProject, startServer, type Response, type TestServer } from '../support/server.js';
import {
  adversarialValue, changedTables, listQuery, pathId, PROTO_NAMES, serialize, snapshot, SWEEP_QUERY_VALUES, SWEEP_VALUES,
  writeBody,
} from '../support/fuzz.js';

const RUNS = Number(process.env.NEUTRON_TS_FUZZ_RUNS ?? 15);
const SEED = Number(process.env.NEUTRON_TS_FUZZ_SEED ?? 23);
const A = asProject('project-a');
const B = asProject('project-b');
const CALLERS = [ADMIN, A, B];

let s: TestServer;
let cases = 0;
const statuses = new Map<number, number>();
const fixtures: Record<string, string> = {};
/** valid bodies, by collection: what a create needs, to be spoiled */
const bases: Record<string, Record<string, unknown>> = {};
let plausible: unknown[] = [];
/** the database as it was after the last accepted write (null: unknown) */
let known: Map<string, string> | null = null;

async function post(path: string, body: unknown, headers = ADMIN): Promise<any> {
  const res = await s.request('POST', path, body, headers);
  assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
  return Object.values(res.body)[0];
}

/** Sends one generated request and checks what every answer must be. */
async function send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Response> {
  const write = method !== 'GET';
  if (write && !known) known = await snapshot(s.server.db);
  cases++;
  const res = await s.request(method, path, body, body === undefined ? headers : { ...headers, 'content-type': 'application/json' });
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const what = `${method} ${path.slice(0, 300)} ${body?.slice(0, 300) ?? ''} -> ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
  assert.ok(res.status < 500, what);
  if (res.status >= 400) {
    const err = res.body?.NeutronError;
    assert.ok(err && typeof err.type === 'string' && typeof err.message === 'string' && typeof err.detail === 'string', `not Neutron's error format: ${what}`);
    // this client never aborts: such an answer would be a server error in disguise
    assert.notEqual(err.message, 'Request aborted', what);
    if (write) {
      const now = await snapshot(s.server.db);
      const changed = changedTables(known!, now);
      assert.deepEqual(changed, [], `a refused write changed ${changed.join(', ')}: ${what}`);
    }
  } else {
    // an accepted write changes the database, and so may a read (a project's default security group)
    known = null;
  }
  return res;
}

async function healthy(): Promise<void> {
  const res = await s.request('GET', '/v2.0/networks?limit=1', undefined, ADMIN);
  assert.equal(res.status, 200);
}

const caller = fc.constantFrom(...CALLERS);
const run = (prop: fc.IAsyncPropertyWithHooks<any>) => fc.assert(prop, { numRuns: RUNS, seed: SEED, includeErrorInReport: true });

before(async () => {
  // every service plugin and ML2 extension driver neutron-ts serves: each adds resources or attributes to fuzz
  s = await startServer({
    DEFAULT: {
      service_plugins: ['router', 'qos', 'trunk', 'segments', 'network_segment_range', 'port_forwarding', 'metering',
        'conntrack_helper', 'local_ip', 'log', 'ndp_proxy'],
    },
    ml2: {
      extension_drivers: ['port_security', 'qos', 'dns_domain_ports', 'subnet_dns_publish_fixed_ip', 'data_plane_status',
        'uplink_status_propagation', 'port_device_profile', 'port_numa_affinity_policy'],
    },
  });
  const ext = await post('/v2.0/networks', { network: { name: 'ext', 'router:external': true } });
  const extSubnet = await post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } });
  const net = await post('/v2.0/networks', { network: { name: 'net' } }, A);
  const subnet = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } }, A);
  const port = await post('/v2.0/ports', { port: { network_id: net.id } }, A);
  const sg = await post('/v2.0/security-groups', { security_group: { name: 'sg' } }, A);
  const rule = await post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp' } }, A);
  const router = await post('/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } }, A);
  const scope = await post('/v2.0/address-scopes', { address_scope: { name: 'as', ip_version: 4 } }, A);
  const pool = await post('/v2.0/subnetpools', { subnetpool: { name: 'sp', prefixes: ['10.200.0.0/16'], address_scope_id: scope.id } }, A);
  const fip = await post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } }, A);
  const qosPolicy = await post('/v2.0/qos/policies', { policy: { name: 'qp' } });
  Object.assign(fixtures, {
    policies: qosPolicy.id,
    networks: net.id, subnets: subnet.id, ports: port.id, security_groups: sg.id, security_group_rules: rule.id,
    routers: router.id, address_scopes: scope.id, subnetpools: pool.id, floatingips: fip.id,
    network_ip_availabilities: net.id, ext: ext.id, extSubnet: extSubnet.id,
  });
  Object.assign(bases, {
    networks: { name: 'fz' },
    subnets: { network_id: net.id, cidr: '10.78.0.0/24', ip_version: 4 },
    ports: { network_id: net.id },
    security_groups: { name: 'fz' },
    security_group_rules: { security_group_id: sg.id, direction: 'egress' },
    routers: { name: 'fz' },
    floatingips: { floating_network_id: ext.id },
    address_scopes: { name: 'fz', ip_version: 6 },
    subnetpools: { name: 'fz', prefixes: ['10.201.0.0/16'] },
    policies: { name: 'fz' },
    address_groups: { name: 'fz', addresses: ['192.0.2.0/24'] },
    rbac_policies: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'fz' },
    trunks: { port_id: port.id },
    metering_labels: { name: 'fz' },
    port_forwardings: { internal_port_id: port.id, internal_ip_address: '10.77.0.50', internal_port: 22, external_port: 2222, protocol: 'tcp' },
  });
  plausible = [
    ...Object.values(fixtures), '10.79.0.0/24', '10.77.0.50', '172.24.4.99', 'fd00::/64', 4, 6, 24, 64, 'ingress', 'egress', 'tcp', 'icmp', 'IPv6',
    80, 65535, 'normal', 'direct', 'compute:nova', 'slaac', 'vlan', 'vxlan', 'flat', 'physnet1', 1500, 9000,
    { subnet_id: subnet.id }, [{ subnet_id: subnet.id, ip_address: '10.77.0.60' }], { network_id: ext.id },
    [{ start: '10.77.0.10', end: '10.77.0.20' }], ['8.8.8.8'], [{ destination: '10.0.0.0/8', nexthop: '10.77.0.1' }],
    [{ ip_address: '10.1.1.1' }], [{ opt_name: 'mtu', opt_value: '1400' }], [sg.id], ['10.202.0.0/16'],
  ];
});

after(async () => {
  console.log(`# property-based suite: ${cases} generated requests (seed ${SEED}, ${RUNS} runs per property); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  await s?.close();
});

/** The resources, their definitions as served (read once the server is up). */
const COLLECTIONS = [
  'networks', 'subnets', 'ports', 'security_groups', 'security_group_rules', 'routers', 'floatingips', 'address_scopes',
  'subnetpools', 'agents', 'availability_zones', 'network_ip_availabilities', 'floatingip_pools',
];

/** A collection's path; a parent-scoped one's under its parent's fixture (a made-up id if there is none). */
function pathOf(def: ResourceDef): string {
  const parentId = def.parent ? fixtures[def.parent.collection] ?? '11111111-1111-1111-1111-111111111111' : undefined;
  return `/v2.0/${collectionPath(s.server.api, def, parentId)}`;
}

function defOf(collection: string): ResourceDef {
  const def = s.server.api.resources.get(collection);
  assert.ok(def, collection);
  return def;
}

describe('property: generated requests never get a 5xx', () => {
  test('the served API has every resource the suite covers', () => {
    for (const c of COLLECTIONS) defOf(c);
    // and a resource added later is covered too, without being listed here
    for (const c of s.server.api.resources.keys()) if (!COLLECTIONS.includes(c)) COLLECTIONS.push(c);
  });

  for (const collection of COLLECTIONS) {
    test(`${collection}: every attribute as sort key, field and filter, every value in every attribute`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const path = pathOf(def);
      const names = [...Object.keys(def.attributes), 'tenant_id', 'project_id', ...PROTO_NAMES];
      for (const name of names) {
        await send('GET', `${path}?sort_key=${encodeURIComponent(name)}&sort_dir=asc&limit=2`, undefined, ADMIN);
        await send('GET', `${path}?fields=${encodeURIComponent(name)}`, undefined, A);
      }
      for (const [name, attr] of Object.entries(def.attributes)) {
        if (!attr.isFilter) continue;
        for (const v of SWEEP_QUERY_VALUES) await send('GET', `${path}?${new URLSearchParams([[name, v]])}`, undefined, ADMIN);
      }
      for (const v of ['-1', '0', '9223372036854775808', '1e3', 'x', '']) await send('GET', `${path}?limit=${v}`, undefined, ADMIN);
      for (const v of ['11111111-1111-1111-1111-111111111111', 'x', '\u0000', '']) await send('GET', `${path}?limit=1&${new URLSearchParams([['marker', v]])}`, undefined, ADMIN);
      const id = fixtures[collection] ?? '11111111-1111-1111-1111-111111111111';
      for (const name of PROTO_NAMES) {
        const res = await send('POST', path, `{"${def.name}": {"${name}": 1}}`, ADMIN);
        assert.equal(res.status, 400, `${name} in a body is an unknown attribute`);
      }
      for (const [name, attr] of Object.entries(def.attributes)) {
        for (const v of SWEEP_VALUES) {
          const value = { [name]: v };
          if (attr.allowPost || !attr.allowPut) await send('POST', path, serialize({ [def.name]: { ...bases[collection], ...value } }), ADMIN);
          if (attr.allowPut) await send('PUT', `${path}/${id}`, serialize({ [def.name]: value }), ADMIN);
        }
      }
      await healthy();
    });

    test(`${collection}: list with random filters, sorts, fields, markers and limits`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const ids = Object.values(fixtures);
      await run(fc.asyncProperty(listQuery(def, ids), caller, async (query, who) => {
        await send('GET', `${pathOf(def)}?${query}`, undefined, who);
      }));
      await healthy();
    });

    test(`${collection}: show and delete of any id`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const ids = Object.values(fixtures);
      await run(fc.asyncProperty(pathId(ids), listQuery(def, ids), caller, async (id, query, who) => {
        await send('GET', `${pathOf(def)}/${id}?${query}`, undefined, who);
      }));
      // no fixture is deleted: ids that are none
      await run(fc.asyncProperty(pathId(['11111111-1111-1111-1111-111111111111']).filter((id) => !ids.some((f) => id.includes(f))), caller,
        fc.option(adversarialValue(plausible), { nil: undefined }), async (id, who, body) => {
          await send('DELETE', `${pathOf(def)}/${id}`, body === undefined ? undefined : serialize(body), who);
        }));
      await healthy();
    });

    test(`${collection}: create and update with adversarial attribute values`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const path = pathOf(def);
      const postable = Object.entries(def.attributes).filter(([, a]) => a.allowPost).map(([n]) => n);
      const puttable = Object.entries(def.attributes).filter(([, a]) => a.allowPut).map(([n]) => n);
      const all = Object.keys(def.attributes);
      await run(fc.asyncProperty(writeBody(def, bases[collection] ?? {}, postable.length ? postable : all, plausible), caller, fc.boolean(), async (body, who, bulk) => {
        const sent = bulk ? { [def.collection]: [body[def.name], body[def.name]] } : body;
        await send('POST', path, serialize(sent), who);
      }));
      const id = fixtures[collection] ?? '11111111-1111-1111-1111-111111111111';
      await run(fc.asyncProperty(writeBody(def, {}, puttable.length ? puttable : all, plausible), caller, async (body, who) => {
        await send('PUT', `${path}/${id}`, serialize(body), who);
      }));
      await healthy();
    });

    test(`${collection}: bodies that are no object of the resource`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const path = pathOf(def);
      const id = fixtures[collection] ?? '11111111-1111-1111-1111-111111111111';
      const raw = fc.oneof(
        fc.constantFrom(
          '', '{', 'null', '[]', '"x"', '1', '{}', `{"${def.name}": null}`, `{"${def.name}": []}`, `{"${def.name}": "x"}`,
          `{"${def.collection}": []}`, `{"${def.collection}": {}}`, `{"${def.collection}": [null, 1]}`,
          `{"__proto__": {"${def.name}": {}}}`, `{"${def.name}": {"__proto__": {"name": "x"}}}`,
          `{"${def.name}": {"name": 1e999}}`, `{"${def.name}": {"name": "a", "name": "b"}}`, '\u0000', '{"a":"\\ud800"}',
          `{"${def.name}": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
          `{"${def.name}": ${'{"a":'.repeat(30_000)}1${'}'.repeat(30_000)}}`,
        ),
        fc.string({ maxLength: 30 }),
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
        fc.dictionary(fc.constantFrom(...PROTO_NAMES, def.name, def.collection), adversarialValue(plausible), { maxKeys: 2 }).map(serialize),
      );
      await run(fc.asyncProperty(raw, fc.constantFrom('POST', 'PUT'), caller, async (body, method, who) => {
        await send(method, method === 'POST' ? path : `${path}/${id}`, body, who);
      }));
      await healthy();
    });

    test(`${collection}: member actions with adversarial bodies`, async () => {
      if (!s.server.api.resources.has(collection)) return;
      const def = defOf(collection);
      const actions = Object.entries(def.memberActions ?? {});
      if (!actions.length) return;
      const id = fixtures[collection] ?? '11111111-1111-1111-1111-111111111111';
      const keys = ['subnet_id', 'port_id', 'router', 'routes', 'prefixes', ...PROTO_NAMES];
      const body = fc.dictionary(fc.constantFrom(...keys), adversarialValue(plausible), { maxKeys: 3 });
      await run(fc.asyncProperty(fc.constantFrom(...actions), body, pathId([id]), caller, async ([action, method], b, target, who) => {
        await send(method, `${pathOf(def)}/${target}/${action}`, method === 'PUT' ? serialize(b) : undefined, who);
      }));
      await healthy();
    });
  }
});

describe('property: the sub-resources that are no generic resource', () => {
  test('tags: adversarial tag names and bodies on every taggable resource', async () => {
    const taggable = [...s.server.api.resources.values()].filter((d) => d.taggable && fixtures[d.collection]);
    assert.ok(taggable.length > 3);
    const tag = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom(...PROTO_NAMES, '\u0000', 'x'.repeat(300), ',', '%2F'));
    await run(fc.asyncProperty(fc.constantFrom(...taggable), tag, fc.constantFrom('GET', 'PUT', 'DELETE'), caller, async (def, name, method, who) => {
      await send(method, `${pathOf(def)}/${fixtures[def.collection]}/tags/${encodeURIComponent(name)}`, undefined, who);
    }));
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom('tags', ...PROTO_NAMES), adversarialValue(['a', 'b']), { maxKeys: 2 }),
      fc.record({ tags: fc.array(tag, { maxLength: 4 }) }),
    );
    await run(fc.asyncProperty(fc.constantFrom(...taggable), body, caller, async (def, b, who) => {
      await send('PUT', `${pathOf(def)}/${fixtures[def.collection]}/tags`, serialize(b), who);
    }));
    await healthy();
  });

  test('quotas: adversarial limits and project ids', async () => {
    const quotaBody = fc.dictionary(fc.constantFrom('network', 'port', 'subnet', 'router', 'security_group', 'check_limit', ...PROTO_NAMES),
      adversarialValue([10, -1, 0, '5', 'true']), { maxKeys: 3 }).map((q) => ({ quota: q }));
    const project = fc.oneof(fc.constantFrom('project-a', 'project-b', '__proto__', 'constructor'), fc.string({ maxLength: 10 }).filter((x) => x !== ''));
    await run(fc.asyncProperty(project, fc.option(quotaBody, { nil: undefined }), fc.constantFrom('GET', 'PUT', 'DELETE'), caller,
      async (p, b, method, who) => {
        const body = method === 'PUT' ? serialize(b ?? {}) : undefined;
        await send(method, `/v2.0/quotas/${encodeURIComponent(p)}`, body, who);
        await send('GET', `/v2.0/quotas/${encodeURIComponent(p)}/details`, undefined, who);
      }));
    await healthy();
  });
});
