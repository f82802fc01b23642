// GET /v2.0/openapi.json and .yaml: a valid OpenAPI 3.1 document (checked with
// @seriousme/openapi-schema-validator) that follows the configuration, and whose schemas the
// server's own answers match: each resource's create, show and list, and the error paths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { ADMIN, asProject, startServer, type Response, type TestServer } from '../support/server.js';
import { DHCP_STATE, FakeAgent } from '../rpc-server/support.js';

const Ajv2020 = ((Ajv2020Module as any).default ?? Ajv2020Module) as typeof import('ajv/dist/2020.js').default;
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as typeof import('ajv-formats').default;

const A = asProject('project-a');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Doc = any;

/** Checks answers against the document: the schema of (template, method, status), or `default`. */
class Conformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, (v: unknown) => boolean>();
  readonly checked = new Set<string>();

  constructor(private readonly doc: Doc) {
    addFormats(this.ajv);
  }

  private validator(key: string, schema: unknown) {
    let v = this.compiled.get(key);
    if (!v) {
      const fn = this.ajv.compile({ ...(schema as object), components: this.doc.components });
      v = (value: unknown) => {
        const ok = fn(value);
        if (!ok) assert.fail(`${key}: ${this.ajv.errorsText(fn.errors, { separator: '\n  ' })}\n${JSON.stringify(value).slice(0, 1500)}`);
        return ok;
      };
      this.compiled.set(key, v);
    }
    return v;
  }

  /** The response answers as the document says for this operation. */
  response(method: string, template: string, res: Response): void {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in the document (answered ${res.status})`);
    let described = op.responses[String(res.status)] ?? op.responses.default;
    assert.ok(described, `${method} ${template}: status ${res.status} is not described`);
    if (described.$ref) described = this.doc.components.responses[described.$ref.split('/').pop()];
    this.checked.add(`${method} ${template} ${res.status}`);
    const schema = described.content?.['application/json']?.schema;
    if (!schema) {
      assert.ok(res.body === null || res.body === '', `${method} ${template} ${res.status} has a body the document does not describe`);
      return;
    }
    this.validator(`${method} ${template} ${res.status in op.responses ? res.status : 'default'}`, schema)(res.body);
  }

  /** The request body is one the document accepts. */
  request(method: string, template: string, body: unknown): void {
    const schema = this.doc.paths[template]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
    assert.ok(schema, `${method} ${template} takes no body in the document`);
    this.validator(`request ${method} ${template}`, schema)(body);
  }
}

let s: TestServer;
let doc: Doc;
let check: Conformance;

/** A request whose answer is checked against the document; `status` is what the test expects. */
async function call(method: string, template: string, path: string, status: number, body?: unknown, headers: Record<string, string> = ADMIN): Promise<any> {
  if (body !== undefined && status < 300) check.request(method, template, body);
  const res = await s.request(method, path, body, headers);
  assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
  check.response(method, template, res);
  return res.body;
}

before(async () => {
  s = await startServer({
    DEFAULT: { service_plugins: ['router'] },
    ml2: { extension_drivers: ['port_security', 'dns'], type_drivers: ['flat', 'vxlan'], tenant_network_types: ['vxlan'] },
    ml2_type_vxlan: { vni_ranges: ['100:200'] },
    ml2_type_flat: { flat_networks: ['public'] },
  });
  const res = await s.request('GET', '/v2.0/openapi.json', undefined, A);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  doc = res.body;
  check = new Conformance(doc);
});
after(() => s?.close());

describe('the document', () => {
  test('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 4000));
    assert.equal(doc.openapi, '3.1.0');
  });

  test('is served as YAML too, the same document', async () => {
    const res = await s.request('GET', '/v2.0/openapi.yaml', undefined, A);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/yaml/);
    assert.deepEqual(parseYaml(res.body), doc);
  });

  test('gives every attribute a type, and marks what only admins may see or set', () => {
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [attr, p] of Object.entries<any>(schema.properties ?? {})) {
        if (p.type === undefined && p.$ref === undefined && p.oneOf === undefined && p.anyOf === undefined) untyped.push(`${name}.${attr}`);
      }
    }
    assert.deepEqual(untyped, []);
    const network = doc.components.schemas.Network.properties;
    assert.deepEqual(network['provider:network_type']['x-neutron-admin-only'], ['read', 'create', 'update']);
    assert.deepEqual(network.shared['x-neutron-admin-only'], ['create', 'update']);
    assert.equal(network.name['x-neutron-admin-only'], undefined);
    assert.equal(network.name.maxLength, 255);
    assert.equal(network.id.readOnly, true);
    const create = doc.components.schemas.NetworkCreate;
    assert.equal(create.properties.admin_state_up.default, true);
    assert.equal(create.additionalProperties, false);
    assert.deepEqual(doc.components.schemas.SubnetCreate.required.sort(), ['ip_version', 'network_id']);
    assert.deepEqual(doc.components.schemas.SubnetCreate.properties.ipv6_ra_mode.enum, ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac']);
    assert.deepEqual(doc.components.schemas.Subnet.properties.ipv6_ra_mode.enum, ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac', null], 'null on an IPv4 subnet');
    assert.equal(doc.components.schemas.Port.properties['binding:vnic_type'].enum.includes('direct'), true);
    assert.equal('id' in doc.components.schemas.NetworkUpdate.properties, false, 'id cannot be updated');
  });

  test('describes the list parameters: filters, fields, sorting and pagination', () => {
    const params = Object.fromEntries(doc.paths['/v2.0/ports'].get.parameters.map((p: any) => [p.name, p]));
    for (const name of ['network_id', 'device_id', 'fixed_ips', 'tags', 'not-tags-any', 'fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'watch']) {
      assert.ok(params[name], `no ${name} parameter`);
    }
    assert.equal(params.network_id.schema.type, 'array', 'a filter is repeated to OR values');
    assert.equal(params.admin_state_up.schema.items.type, 'boolean');
    assert.equal(params.fixed_ips.schema.items.type, 'string');
    assert.ok(params.sort_key.schema.items.enum.includes('name'));
    assert.ok(!params.sort_key.schema.items.enum.includes('fixed_ips'), 'only sortable attributes');
    assert.ok(params.fields.schema.items.enum.includes('mac_address'));
    assert.equal(params.dns_assignment, undefined, 'not a filter');
  });

  test('describes Neutron\'s error body and the security scheme in use', () => {
    assert.deepEqual(doc.components.schemas.NeutronError.required, ['NeutronError']);
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ['noauth']);
    assert.deepEqual(doc.paths['/'].get.security, []);
  });
});

describe('a representative run matches the document', () => {
  const ids: Record<string, string> = {};

  test('every resource: create, show, list', async () => {
    // agents report, so that agents and availability zones have something to show
    const agent = new FakeAgent(s.server.transport);
    await agent.reportState(DHCP_STATE('net1'));
    await agent.reportState({ ...DHCP_STATE('net1'), binary: 'neutron-l3-agent', topic: 'l3_agent', agent_type: 'L3 agent', configurations: { agent_mode: 'legacy' } });

    const ext = await call('POST', '/v2.0/networks', '/v2.0/networks', 201, {
      network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public' },
    });
    await call('POST', '/v2.0/subnets', '/v2.0/subnets', 201, { subnet: { network_id: ext.network.id, cidr: '203.0.113.0/24', ip_version: 4 } });
    const creates: Array<[string, (ids: Record<string, string>) => unknown, Record<string, string>?]> = [
      ['/v2.0/networks', () => ({ network: { name: 'n1', description: 'd', dns_domain: 'example.org.' } }), A],
      ['/v2.0/subnets', (i) => ({ subnet: { network_id: i.networks, cidr: '10.0.0.0/24', ip_version: 4, dns_nameservers: ['192.0.2.53'], host_routes: [{ destination: '192.0.2.0/24', nexthop: '10.0.0.9' }] } }), A],
      ['/v2.0/address-scopes', () => ({ address_scope: { name: 'as1', ip_version: 4 } }), A],
      ['/v2.0/subnetpools', (i) => ({ subnetpool: { name: 'pool1', prefixes: ['10.10.0.0/16'], default_prefixlen: 24, address_scope_id: i.address_scopes } }), A],
      ['/v2.0/security-groups', () => ({ security_group: { name: 'sg1', description: 'web' } }), A],
      ['/v2.0/security-group-rules', (i) => ({ security_group_rule: { security_group_id: i.security_groups, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } }), A],
      ['/v2.0/ports', (i) => ({ port: { network_id: i.networks, name: 'p1', dns_name: 'vm1', extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }] } }), A],
      ['/v2.0/routers', () => ({ router: { name: 'r1', external_gateway_info: { network_id: ext.network.id } } }), A],
      ['/v2.0/floatingips', () => ({ floatingip: { floating_network_id: ext.network.id } }), A],
      ['/v2.0/address-groups', () => ({ address_group: { name: 'ag1', addresses: ['192.0.2.0/24'] } }), A],
      ['/v2.0/rbac-policies', (i) => ({ rbac_policy: { object_type: 'network', object_id: i.networks, action: 'access_as_shared', target_tenant: 'project-b' } }), A],
      ['/v2.0/flavors', () => ({ flavor: { name: 'f1', service_type: 'L3_ROUTER_NAT' } }), ADMIN],
      ['/v2.0/service_profiles', () => ({ service_profile: { metainfo: '{}' } }), ADMIN],
    ];
    const posts = Object.keys(doc.paths).filter((p) => doc.paths[p].post && /^\/v2\.0\/[^/{]+$/.test(p) && p !== '/v2.0/quotas');
    assert.deepEqual(creates.map(([p]) => p).sort(), posts.sort(), 'a create for every resource the document says can be created');
    for (const [path, body, headers] of creates) {
      const created = await call('POST', path, path, 201, body(ids), headers);
      const [value] = Object.values<any>(created);
      ids[path.split('/')[2]!.replace(/-/g, '_')] = value.id;
    }
    // the router gets an interface on the subnet, and the floating IP a port behind it (member actions)
    await call('PUT', '/v2.0/routers/{id}/add_router_interface', `/v2.0/routers/${ids.routers}/add_router_interface`, 200, { subnet_id: ids.subnets }, A);
    await call('PUT', '/v2.0/floatingips/{id}', `/v2.0/floatingips/${ids.floatingips}`, 200, { floatingip: { port_id: ids.ports } }, A);

    // list and show every collection the document has, as the owner and as an admin
    const collections = Object.keys(doc.paths).filter((p) => doc.paths[p].get && /^\/v2\.0\/[^/{]+$/.test(p) && !/openapi|extensions|quotas/.test(p));
    for (const path of collections) {
      for (const headers of [A, ADMIN]) {
        const listed = await call('GET', path, path, 200, undefined, headers);
        const [items] = Object.values<any[]>(listed);
        const key = items[0]?.id ?? items[0]?.network_id;
        if (key && doc.paths[`${path}/{id}`]?.get) await call('GET', `${path}/{id}`, `${path}/${key}`, 200, undefined, headers);
      }
      // one attribute only, and a page of one
      await call('GET', path, `${path}?limit=1`, 200);
    }
    await call('GET', '/v2.0/ports', `/v2.0/ports?fields=id&fields=fixed_ips&sort_key=name&sort_dir=desc&network_id=${ids.networks}`, 200, undefined, A);
    await call('GET', '/v2.0/networks', '/v2.0/networks?limit=1&page_reverse=True', 200, undefined, A);
  });

  test('updates, deletes, tags, quotas and the agent schedulers', async () => {
    const net = ids.networks!;
    await call('PUT', '/v2.0/networks/{id}', `/v2.0/networks/${net}`, 200, { network: { name: 'renamed', mtu: 1400 } }, A);
    await call('PUT', '/v2.0/networks/{id}/tags', `/v2.0/networks/${net}/tags`, 200, { tags: ['a', 'b'] }, A);
    await call('GET', '/v2.0/networks/{id}/tags', `/v2.0/networks/${net}/tags`, 200, undefined, A);
    await call('PUT', '/v2.0/networks/{id}/tags/{tag}', `/v2.0/networks/${net}/tags/c`, 201, undefined, A);
    await call('GET', '/v2.0/networks/{id}/tags/{tag}', `/v2.0/networks/${net}/tags/c`, 204, undefined, A);
    await call('GET', '/v2.0/networks/{id}/tags/{tag}', `/v2.0/networks/${net}/tags/nope`, 404, undefined, A);
    await call('DELETE', '/v2.0/networks/{id}/tags', `/v2.0/networks/${net}/tags`, 204, undefined, A);
    await call('GET', '/v2.0/quotas/{id}', '/v2.0/quotas/project-a', 200, undefined, A);
    await call('GET', '/v2.0/quotas/{id}/details', '/v2.0/quotas/project-a/details', 200, undefined, A);
    await call('GET', '/v2.0/quotas/{id}/default', '/v2.0/quotas/project-a/default', 200, undefined, A);
    await call('PUT', '/v2.0/quotas/{id}', '/v2.0/quotas/project-b', 200, { quota: { network: 5 } });
    await call('GET', '/v2.0/quotas', '/v2.0/quotas', 200);
    await call('GET', '/v2.0/quotas/project', '/v2.0/quotas/project', 200, undefined, A);
    const agents = (await s.request('GET', '/v2.0/agents')).body.agents as any[];
    const dhcp = agents.find((a) => a.agent_type === 'DHCP agent');
    const l3 = agents.find((a) => a.agent_type === 'L3 agent');
    await call('GET', '/v2.0/agents/{id}/dhcp-networks', `/v2.0/agents/${dhcp.id}/dhcp-networks`, 200);
    await call('GET', '/v2.0/networks/{id}/dhcp-agents', `/v2.0/networks/${net}/dhcp-agents`, 200);
    await call('GET', '/v2.0/agents/{id}/l3-routers', `/v2.0/agents/${l3.id}/l3-routers`, 200);
    await call('GET', '/v2.0/routers/{id}/l3-agents', `/v2.0/routers/${ids.routers}/l3-agents`, 200);
    await call('PUT', '/v2.0/agents/{id}', `/v2.0/agents/${dhcp.id}`, 200, { agent: { description: 'the DHCP agent' } });
    await call('DELETE', '/v2.0/security-group-rules/{id}', `/v2.0/security-group-rules/${ids.security_group_rules}`, 204, undefined, A);
    await call('GET', '/v2.0/extensions', '/v2.0/extensions', 200, undefined, A);
    await call('GET', '/v2.0/extensions/{alias}', '/v2.0/extensions/router', 200, undefined, A);
    await call('GET', '/v2.0', '/v2.0', 200, undefined, A);
    await call('GET', '/', '/', 200);
  });

  test('the error paths answer Neutron\'s error body, as described', async () => {
    const missing = crypto.randomUUID();
    for (const path of Object.keys(doc.paths).filter((p) => /^\/v2\.0\/[^/{]+\/\{id\}$/.test(p) && doc.paths[p].get && !p.startsWith('/v2.0/quotas'))) {
      await call('GET', path, path.replace('{id}', missing), 404, undefined, ADMIN);
    }
    await call('POST', '/v2.0/networks', '/v2.0/networks', 400, { network: { bogus: 1 } }, A);
    await call('POST', '/v2.0/networks', '/v2.0/networks', 400, {}, A);
    await call('POST', '/v2.0/subnets', '/v2.0/subnets', 400, { subnet: { network_id: ids.networks, cidr: 'nonsense', ip_version: 4 } }, A);
    await call('PUT', '/v2.0/networks/{id}', `/v2.0/networks/${ids.networks}`, 400, { network: { id: missing } }, A);
    await call('PUT', '/v2.0/networks/{id}', `/v2.0/networks/${ids.networks}`, 403, { network: { shared: true } }, A);
    const stale = await s.request('PUT', `/v2.0/networks/${ids.networks}`, { network: { name: 'x' } }, { ...A, 'if-match': 'revision_number=1' });
    assert.equal(stale.status, 412);
    check.response('PUT', '/v2.0/networks/{id}', stale);
    await call('DELETE', '/v2.0/networks/{id}', `/v2.0/networks/${ids.networks}`, 409, undefined, A);
    await call('GET', '/v2.0/networks', '/v2.0/networks?no_such_filter=1', 400, undefined, A);
    await call('GET', '/v2.0/networks', '/v2.0/networks?sort_key=subnets&sort_dir=asc', 400, undefined, A);
    await call('PUT', '/v2.0/quotas/{id}', '/v2.0/quotas/project-b', 403, { quota: { network: 5 } }, A);
    await call('GET', '/v2.0/extensions/{alias}', '/v2.0/extensions/no-such', 404, undefined, A);
    const notFound = await s.request('GET', '/v2.0/no-such-collection', undefined, A);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.NeutronError.type, 'HTTPNotFound');
  });

  test('what the document leaves out is not served: its methods answer 405', async () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      if (!/^\/v2\.0\/[^/{]+(\/\{id\})?$/.test(path) || /openapi|quotas|extensions/.test(path)) continue;
      for (const method of METHODS) {
        if (item[method]) continue;
        const res = await s.request(method.toUpperCase(), path.replace('{id}', crypto.randomUUID()), method === 'get' || method === 'delete' ? undefined : {}, ADMIN);
        assert.ok([405, 404, 501].includes(res.status) || (res.status === 400 && method !== 'patch'), `${method} ${path} answered ${res.status}`);
        assert.ok(res.body?.NeutronError, `${method} ${path}: Neutron's error body`);
      }
    }
  });
});

describe('the document follows the configuration', () => {
  test('without the router plugin and the dns extension driver, neither is described', async () => {
    const plain = await startServer({ change_stream: { enabled: false } });
    try {
      const other = (await plain.request('GET', '/v2.0/openapi.json')).body;
      assert.equal(other.paths['/v2.0/routers'], undefined);
      assert.equal(other.paths['/v2.0/floatingips'], undefined);
      assert.equal(other.paths['/v2.0/agents/{id}/l3-routers'], undefined);
      assert.equal(other.components.schemas.Router, undefined);
      assert.equal(other.components.schemas.Port.properties.dns_name, undefined);
      assert.ok(!other.info['x-neutron-extensions'].includes('router'));
      assert.ok(doc.components.schemas.Port.properties.dns_name, 'the run above has it');
      assert.ok(doc.info['x-neutron-extensions'].includes('router'));
      // sorting and pagination follow the options too
      assert.match(other.paths['/v2.0/networks'].get.parameters.find((p: any) => p.name === 'limit').description, /^page size/);
      // and the change stream
      assert.equal(other.paths['/v2.0/networks'].get.parameters.find((p: any) => p.name === 'watch'), undefined);
      assert.ok(doc.paths['/v2.0/networks'].get.responses['200'].content['text/event-stream']);
    } finally {
      await plain.close();
    }
  });

  test('behind Keystone: the token scheme, and keystonemiddleware\'s 401', async () => {
    const ks = await startServer({
      DEFAULT: { auth_strategy: 'keystone' },
      keystone_authtoken: { www_authenticate_uri: 'http://127.0.0.1:9/identity', auth_url: 'http://127.0.0.1:9/identity', auth_type: 'password', username: 'neutron', password: 'x', project_name: 'service' },
    });
    try {
      const res = await ks.request('GET', '/v2.0/openapi.json');
      assert.equal(res.status, 401, 'the document is behind the same authentication as the rest of /v2.0');
      const { buildOpenApi } = await import('../../src/api/openapi.js');
      const keystoneDoc = buildOpenApi({
        api: ks.server.api, controllers: new Map(), routes: {}, policy: ks.server.policy, authStrategy: 'keystone',
        quotaResources: [], paginationMaxLimit: -1, version: '0',
      }).document as any;
      assert.deepEqual(Object.keys(keystoneDoc.components.securitySchemes), ['keystone']);
      assert.deepEqual(keystoneDoc.security, [{ keystone: [] }]);
      assert.equal(keystoneDoc.paths['/v2.0'].get.responses[401].$ref, '#/components/responses/Unauthorized');
      new Conformance(keystoneDoc).response('GET', '/v2.0/openapi.json', res);
      const result = await new Validator().validate(keystoneDoc);
      assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    } finally {
      await ks.close();
    }
  });
});
