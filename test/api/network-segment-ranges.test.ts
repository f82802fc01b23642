import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('network segment ranges', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      DEFAULT: { service_plugins: ['network_segment_range'] },
      ml2: { tenant_network_types: ['vlan'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:102'] },
      ml2_type_vxlan: { vni_ranges: ['1001:1010'] },
    });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const get = (path: string, headers: Record<string, string> = ADMIN) => s.request('GET', path, undefined, headers);
  const range = (body: Record<string, unknown>) => s.request('POST', '/v2.0/network_segment_ranges', { network_segment_range: body }, ADMIN);

  test('the default ranges mirror the ML2 config and are read-only', async () => {
    const exts = (await get('/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(exts.includes('network-segment-range'));
    const listed = await get('/v2.0/network_segment_ranges?default=true&sort_key=network_type&sort_dir=asc');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const ranges = listed.body.network_segment_ranges;
    assert.deepEqual(ranges.map((r: any) => [r.network_type, r.physical_network, r.minimum, r.maximum, r.shared, r.project_id, r.name]),
      [['vlan', 'physnet1', 100, 102, true, null, ''], ['vxlan', null, 1001, 1010, true, null, '']]);
    const vlan = ranges[0];
    assert.deepEqual(vlan.available, [100, 101, 102]);
    assert.deepEqual(vlan.used, {});
    assert.deepEqual(vlan.tags, []);
    const update = await s.request('PUT', `/v2.0/network_segment_ranges/${vlan.id}`, { network_segment_range: { name: 'x' } }, ADMIN);
    assert.equal(update.status, 400);
    assert.equal(type(update), 'NetworkSegmentRangeDefaultReadOnly');
    assert.equal(message(update), `Network Segment Range ${vlan.id} is a default segment range which could not be updated or deleted.`);
    assert.equal(type(await s.request('DELETE', `/v2.0/network_segment_ranges/${vlan.id}`, undefined, ADMIN)), 'NetworkSegmentRangeDefaultReadOnly');
    // admin only
    assert.equal((await s.request('POST', '/v2.0/network_segment_ranges', { network_segment_range: { network_type: 'vxlan', minimum: 1, maximum: 2 } }, A)).status, 403);
    assert.deepEqual((await get('/v2.0/network_segment_ranges', A)).body.network_segment_ranges, []);
  });

  test('what a range create refuses', async () => {
    const noPhysnet = await range({ network_type: 'vlan', minimum: 10, maximum: 20 });
    assert.equal(noPhysnet.status, 400);
    assert.equal(message(noPhysnet), "Bad network_segment_range request: Network type vlan requires 'physical_network' to be specified while creating new range.");
    const badTag = await range({ network_type: 'vlan', physical_network: 'physnet1', minimum: 10, maximum: 5000 });
    assert.equal(type(badTag), 'NetworkVlanRangeError');
    assert.equal(message(badTag), "Invalid network VLAN range: '10:5000' - '5000 is not a valid VLAN tag'.");
    const reversed = await range({ network_type: 'vxlan', minimum: 20, maximum: 10 });
    assert.equal(message(reversed), "Invalid network tunnel range: '20:10' - End of tunnel range is less than start of tunnel range.");
    const flat = await range({ network_type: 'flat', minimum: 1, maximum: 2 });
    assert.equal(flat.status, 400);
    assert.equal(type(flat), 'HTTPBadRequest');
    const first = await range({ network_type: 'vxlan', minimum: 2000, maximum: 2010, name: 'a' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.network_segment_range.default, false);
    assert.equal(first.body.network_segment_range.project_id, null, 'shared ranges belong to no project');
    const overlap = await range({ network_type: 'vxlan', minimum: 2005, maximum: 2020 });
    assert.equal(overlap.status, 409);
    assert.equal(message(overlap), `Network segment range overlaps with range(s) with id ${first.body.network_segment_range.id}`);
    assert.equal((await s.request('DELETE', `/v2.0/network_segment_ranges/${first.body.network_segment_range.id}`, undefined, ADMIN)).status, 204);
  });

  test('a project\'s networks come from its own ranges first; a range in use is neither changed nor deleted', async () => {
    const made = await range({ network_type: 'vlan', physical_network: 'physnet1', minimum: 200, maximum: 201, shared: false, project_id: 'project-a', name: 'a' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const own = made.body.network_segment_range;
    assert.equal(own.project_id, 'project-a');
    assert.equal(own.shared, false);
    const netA = await post('/v2.0/networks', { network: { name: 'a1' } }, A);
    const netB = await post('/v2.0/networks', { network: { name: 'b1' } }, B);
    const seg = async (net: any) => (await get(`/v2.0/networks/${net.id}`)).body.network['provider:segmentation_id'];
    assert.equal(await seg(netA), 200);
    assert.equal(await seg(netB), 100, 'other projects use the shared ranges');
    const shown = (await get(`/v2.0/network_segment_ranges/${own.id}`)).body.network_segment_range;
    assert.deepEqual(shown.used, { 200: 'project-a' });
    assert.deepEqual(shown.available, [201]);

    const refused = await s.request('DELETE', `/v2.0/network_segment_ranges/${own.id}`, undefined, ADMIN);
    assert.equal(refused.status, 409);
    assert.equal(type(refused), 'NetworkSegmentRangeReferencedByProject');
    assert.equal(message(refused), `Network Segment Range ${own.id} is referenced by one or more tenant networks.`);
    assert.equal(type(await s.request('PUT', `/v2.0/network_segment_ranges/${own.id}`, { network_segment_range: { maximum: 210 } }, ADMIN)), 'NetworkSegmentRangeReferencedByProject');

    // its own range exhausted, a project falls back to the shared ones
    const netA2 = await post('/v2.0/networks', { network: { name: 'a2' } }, A);
    const netA3 = await post('/v2.0/networks', { network: { name: 'a3' } }, A);
    assert.deepEqual([await seg(netA2), await seg(netA3)], [201, 101]);

    for (const n of [netA, netA2]) assert.equal((await s.request('DELETE', `/v2.0/networks/${n.id}`, undefined, ADMIN)).status, 204);
    const grown = await s.request('PUT', `/v2.0/network_segment_ranges/${own.id}`, { network_segment_range: { maximum: 205, name: 'grown' } }, ADMIN);
    assert.equal(grown.status, 200, JSON.stringify(grown.body));
    assert.equal(grown.body.network_segment_range.maximum, 205);
    assert.equal(grown.body.network_segment_range.revision_number, 1);
    assert.equal((await s.request('DELETE', `/v2.0/network_segment_ranges/${own.id}`, undefined, ADMIN)).status, 204);
    // without it, project-a's next network comes from the shared range
    const netA4 = await post('/v2.0/networks', { network: { name: 'a4' } }, A);
    assert.equal(await seg(netA4), 102);
  });

  test('a range deleted while its project allocates from it: never a network in a deleted range', async () => {
    const made = await range({ network_type: 'vlan', physical_network: 'physnet1', minimum: 400, maximum: 401, shared: false, project_id: 'project-c' });
    const id = made.body.network_segment_range.id;
    const C = asProject('project-c');
    const [n1, n2, del] = await Promise.all([
      s.request('POST', '/v2.0/networks', { network: { name: 'c1' } }, C),
      s.request('POST', '/v2.0/networks', { network: { name: 'c2' } }, C),
      s.request('DELETE', `/v2.0/network_segment_ranges/${id}`, undefined, ADMIN),
    ]);
    const ids: number[] = [];
    for (const n of [n1, n2]) {
      if (n.status !== 201) continue;
      ids.push((await get(`/v2.0/networks/${n.body.network.id}`)).body.network['provider:segmentation_id']);
    }
    if (del.status === 204) assert.ok(ids.every((x) => x < 400 || x > 401), `deleted range, ids ${ids}`);
    else assert.equal(type(del), 'NetworkSegmentRangeReferencedByProject');
  });

  test('a restart keeps the default ranges (same ids), a config change replaces them', async () => {
    const before = (await get('/v2.0/network_segment_ranges?default=true')).body.network_segment_ranges.map((r: any) => r.id).sort();
    const again = await startServer({ ...s.overrides, ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:102', 'physnet2:300:301'] } });
    try {
      const ranges = (await again.request('GET', '/v2.0/network_segment_ranges?default=true', undefined, ADMIN)).body.network_segment_ranges;
      assert.equal(ranges.length, 3);
      for (const id of before) assert.ok(ranges.some((r: any) => r.id === id), 'unchanged defaults keep their ids');
      assert.ok(ranges.some((r: any) => r.physical_network === 'physnet2' && r.minimum === 300));
    } finally {
      await again.close();
    }
  });
  test('the OpenAPI document gives every attribute of the ranges a type', async () => {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, ADMIN)).body;
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [attr, p] of Object.entries<any>(schema.properties ?? {})) {
        if (p.type === undefined && p.$ref === undefined && p.oneOf === undefined && p.anyOf === undefined) untyped.push(`${name}.${attr}`);
      }
    }
    assert.deepEqual(untyped, []);
    assert.ok(doc.components.schemas.NetworkSegmentRange);
  });
});
