import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';
import { FakeAgent, OVS_STATE } from '../rpc-server/support.js';

const A = asProject('project-a');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('segments and routed networks', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      DEFAULT: { service_plugins: ['segments'] },
      ml2: { tenant_network_types: ['vlan'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:109', 'physnet2:200:209'] },
    });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const get = (path: string, headers: Record<string, string> = ADMIN) => s.request('GET', path, undefined, headers);
  const put = (path: string, body: unknown, headers: Record<string, string> = ADMIN) => s.request('PUT', path, body, headers);

  test('a network\'s segment is listed; a second one makes it multi-segment; admin only', async () => {
    const exts = (await get('/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    for (const a of ['segment', 'standard-attr-segment', 'subnet-segmentid-writable', 'l2_adjacency']) assert.ok(exts.includes(a), a);
    const net = await post('/v2.0/networks', { network: { name: 'routed' } });
    const listed = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    assert.equal(listed.length, 1);
    const first = listed[0];
    assert.deepEqual(Object.keys(first).sort(), ['created_at', 'description', 'id', 'name', 'network_id', 'network_type', 'physical_network', 'revision_number', 'segmentation_id', 'updated_at']);
    assert.equal(first.network_type, 'vlan');
    assert.equal(first.physical_network, 'physnet1');
    assert.equal(first.segmentation_id, net['provider:segmentation_id']);
    assert.equal(first.name, null);
    assert.equal(first.created_at, net.created_at);

    const second = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2', name: 'seg2' } });
    assert.equal(second.segmentation_id, 200, 'allocated from the range');
    assert.equal(second.name, 'seg2');
    assert.equal(second.description, '');
    assert.equal(second.revision_number, 0);
    assert.equal('tenant_id' in second, false);
    const multi = (await get(`/v2.0/networks/${net.id}`)).body.network;
    assert.equal(multi['provider:network_type'], undefined);
    assert.deepEqual(multi.segments.map((x: any) => x['provider:physical_network']), ['physnet1', 'physnet2']);
    assert.equal(multi.l2_adjacency, true, 'no subnet on a segment yet');

    const renamed = await put(`/v2.0/segments/${second.id}`, { segment: { name: 'renamed', description: 'd' } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.segment.name, 'renamed');
    assert.equal(renamed.body.segment.revision_number, 1);
    assert.equal((await put(`/v2.0/segments/${second.id}`, { segment: { segmentation_id: 3 } })).status, 400);

    // the id is taken; a physnet without range; a type not loaded
    const taken = await s.request('POST', '/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2', segmentation_id: 200 } }, ADMIN);
    assert.equal(taken.status, 409);
    assert.equal(type(taken), 'VlanIdInUse');
    const unknown = await s.request('POST', '/v2.0/segments', { segment: { network_id: net.id, network_type: 'nope' } }, ADMIN);
    assert.equal(unknown.status, 400);
    assert.equal(message(unknown), "Invalid input for operation: network_type value 'nope' not supported.");
    const missingNet = await s.request('POST', '/v2.0/segments', { segment: { network_id: '11111111-2222-3333-4444-555555555555', network_type: 'vlan', physical_network: 'physnet1' } }, ADMIN);
    assert.equal(type(missingNet), 'NetworkNotFound');

    // admin only
    assert.equal((await s.request('POST', '/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2' } }, A)).status, 403);
    assert.deepEqual((await get('/v2.0/segments', A)).body.segments, []);
    assert.equal((await get(`/v2.0/segments/${second.id}`, A)).status, 404);
    assert.equal(type(await get(`/v2.0/segments/${second.id}`, A)), 'HTTPNotFound', 'as Neutron hides what policy forbids');

    // deleting a segment releases its id
    assert.equal((await s.request('DELETE', `/v2.0/segments/${second.id}`, undefined, ADMIN)).status, 204);
    const again = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2', segmentation_id: 200 } });
    assert.equal(again.segmentation_id, 200);
  });

  test('subnets bound to segments: all or none, one network, segment in use', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'routed2' } });
    const [seg1] = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    const seg2 = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2' } });
    const sub1 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.1.0.0/24', ip_version: 4, segment_id: seg1.id } });
    assert.equal(sub1.segment_id, seg1.id);
    const sub2 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.2.0.0/24', ip_version: 4, segment_id: seg2.id } });
    assert.equal((await get(`/v2.0/networks/${net.id}`)).body.network.l2_adjacency, false);
    assert.deepEqual((await get(`/v2.0/subnets?segment_id=${seg2.id}`)).body.subnets.map((x: any) => x.id), [sub2.id]);

    const none = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.3.0.0/24', ip_version: 4 } }, ADMIN);
    assert.equal(none.status, 400);
    assert.equal(type(none), 'SubnetsNotAllAssociatedWithSegments');
    assert.equal(message(none), `All of the subnets on network '${net.id}' must either all be associated with segments or all not associated with any segment.`);
    const other = await post('/v2.0/networks', { network: { name: 'other' } });
    const mismatch = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: other.id, cidr: '10.4.0.0/24', ip_version: 4, segment_id: seg1.id } }, ADMIN);
    assert.equal(mismatch.status, 400);
    assert.equal(type(mismatch), 'NetworkIdsDontMatch');
    assert.equal(message(mismatch), `The subnet's network id, '${other.id}', doesn't match the network_id of segment '${seg1.id}'`);
    const missing = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4, segment_id: '11111111-2222-3333-4444-555555555555' } }, ADMIN);
    assert.equal(missing.status, 404);
    assert.equal(type(missing), 'SegmentNotFound');
    assert.equal((await get(`/v2.0/subnets?network_id=${net.id}`)).body.subnets.length, 2, 'nothing left behind');

    const inUse = await s.request('DELETE', `/v2.0/segments/${seg1.id}`, undefined, ADMIN);
    assert.equal(inUse.status, 409);
    assert.equal(type(inUse), 'SegmentInUse');
    assert.equal(message(inUse), `Segment '${seg1.id}' cannot be deleted: The segment is still associated with subnet(s) ${sub1.id}.`);
    // the association cannot be changed, and not on a network with several segments
    const change = await put(`/v2.0/subnets/${sub1.id}`, { subnet: { segment_id: seg2.id } });
    assert.equal(change.status, 400);
    assert.equal(type(change), 'SubnetsNotAllAssociatedWithSegments');
    assert.equal((await s.request('DELETE', `/v2.0/subnets/${sub1.id}`, undefined, ADMIN)).status, 204);
    assert.equal((await s.request('DELETE', `/v2.0/segments/${seg1.id}`, undefined, ADMIN)).status, 204);
    // the network's segments go with it
    assert.equal((await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, ADMIN)).status, 204);
    assert.deepEqual((await get(`/v2.0/segments?network_id=${net.id}`)).body.segments, []);
  });

  test('subnet-segmentid-writable: a subnet of a single-segment network is bound once', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'single' } });
    const [seg] = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    const sub = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.6.0.0/24', ip_version: 4 } });
    assert.equal(sub.segment_id, null);
    const bound = await put(`/v2.0/subnets/${sub.id}`, { subnet: { segment_id: seg.id } });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.equal(bound.body.subnet.segment_id, seg.id);
    const seg2 = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2' } });
    const moved = await put(`/v2.0/subnets/${sub.id}`, { subnet: { segment_id: seg2.id } });
    assert.equal(moved.status, 400);
    assert.equal(type(moved), 'SubnetSegmentAssociationChangeNotAllowed');
    assert.equal(message(moved), 'A subnet that is already associated with a segment cannot have its segment association changed.');
    // a second subnet on an unbound multi-segment network cannot be bound afterwards
    const net2 = await post('/v2.0/networks', { network: { name: 'multi' } });
    const sub2 = await post('/v2.0/subnets', { subnet: { network_id: net2.id, cidr: '10.7.0.0/24', ip_version: 4 } });
    const extra = await post('/v2.0/segments', { segment: { network_id: net2.id, network_type: 'vlan', physical_network: 'physnet2' } });
    const refused = await put(`/v2.0/subnets/${sub2.id}`, { subnet: { segment_id: extra.id } });
    assert.equal(type(refused), 'NoUpdateSubnetWhenMultipleSegmentsOnNetwork');
    // segment_id has no enforce_policy flag: Neutron checks no attribute rule on writes, but hides it from members
    const own = await post('/v2.0/networks', { network: { name: 'mine' } }, A);
    const ownSub = await post('/v2.0/subnets', { subnet: { network_id: own.id, cidr: '10.8.0.0/24', ip_version: 4 } }, A);
    assert.equal('segment_id' in ownSub, false);
    assert.equal(type(await put(`/v2.0/subnets/${ownSub.id}`, { subnet: { segment_id: seg.id } }, A)), 'NetworkIdsDontMatch');
  });

  test('two subnets binding concurrently to the segments of one network: all or none still holds', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'race' } });
    const [seg] = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    const results = await Promise.all([
      s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4, segment_id: seg.id } }, ADMIN),
      s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.10.0.0/24', ip_version: 4 } }, ADMIN),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 400]);
    const subnets = (await get(`/v2.0/subnets?network_id=${net.id}`)).body.subnets;
    assert.equal(subnets.length, 1);
  });

  test('ip_allocation on a routed network: deferred without a host, from the host\'s segment once bound', async () => {
    const agent = new FakeAgent(s.server.transport);
    const mapped = (host: string, mappings: Record<string, string>) => agent.reportState(OVS_STATE(host, {
      configurations: { ...OVS_STATE(host).configurations, bridge_mappings: mappings },
    }));
    await mapped('rack1', { physnet1: 'br-1' });
    await mapped('rack2', { physnet2: 'br-2' });
    await mapped('both', { physnet1: 'br-1', physnet2: 'br-2' });
    await mapped('nowhere', {});
    const net = await post('/v2.0/networks', { network: { name: 'routed-ip', shared: true } });
    const [seg1] = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    assert.equal(seg1.physical_network, 'physnet1');
    const seg2 = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2' } });
    const sub1 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.21.0.0/24', ip_version: 4, segment_id: seg1.id } });
    const sub2 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.22.0.0/24', ip_version: 4, segment_id: seg2.id } });

    const deferred = await post('/v2.0/ports', { port: { network_id: net.id } }, A);
    assert.equal(deferred.ip_allocation, 'deferred');
    assert.deepEqual(deferred.fixed_ips, []);
    assert.deepEqual((await get(`/v2.0/ports?ip_allocation=deferred&network_id=${net.id}`)).body.ports.map((p: any) => p.id), [deferred.id]);
    const bound = await put(`/v2.0/ports/${deferred.id}`, { port: { 'binding:host_id': 'rack2' } });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.deepEqual(bound.body.port.fixed_ips.map((f: any) => f.subnet_id), [sub2.id]);

    const onRack1 = await post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'rack1' } });
    assert.equal(onRack1.ip_allocation, 'immediate');
    assert.deepEqual(onRack1.fixed_ips.map((f: any) => f.subnet_id), [sub1.id]);
    const moved = await put(`/v2.0/ports/${onRack1.id}`, { port: { 'binding:host_id': 'rack2' } });
    assert.equal(moved.status, 409);
    assert.equal(type(moved), 'HostNotCompatibleWithFixedIps');
    assert.equal(message(moved), `Host rack2 is not connected to a segment where the existing fixed_ips on port ${onRack1.id} will function given the routed network topology.`);

    const nowhere = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'nowhere' } }, ADMIN);
    assert.equal(nowhere.status, 409);
    assert.equal(type(nowhere), 'HostNotConnectedToAnySegment');
    assert.equal(message(nowhere), `Host nowhere is not connected to any segments on routed provider network '${net.id}'.  It should be connected to one.`);
    const both = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'both' } }, ADMIN);
    assert.equal(type(both), 'HostConnectedToMultipleSegments');
    const split = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: sub1.id }, { subnet_id: sub2.id }] } }, ADMIN);
    assert.equal(split.status, 400);
    assert.equal(message(split), 'Cannot allocate addresses from different segments.');
    const named = await post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: sub2.id }] } });
    assert.equal(named.ip_allocation, 'immediate');
    assert.deepEqual(named.fixed_ips.map((f: any) => f.subnet_id), [sub2.id]);
    const unaddressed = await post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [] } });
    assert.equal(unaddressed.ip_allocation, 'none');
    const plainNet = await post('/v2.0/networks', { network: { name: 'plain' } });
    await post('/v2.0/subnets', { subnet: { network_id: plainNet.id, cidr: '10.23.0.0/24', ip_version: 4 } });
    const plain = await post('/v2.0/ports', { port: { network_id: plainNet.id } });
    assert.equal(plain.ip_allocation, 'immediate');
    assert.equal(plain.fixed_ips.length, 1);
  });

  test('segments-peer-subnet-host-routes: each subnet routes to the other segments\' subnets through its gateway', async () => {
    const net = await post('/v2.0/networks', { network: { name: 'routes' } });
    const [seg1] = (await get(`/v2.0/segments?network_id=${net.id}`)).body.segments;
    const seg2 = await post('/v2.0/segments', { segment: { network_id: net.id, network_type: 'vlan', physical_network: 'physnet2' } });
    const sub1 = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.31.0.0/24', ip_version: 4, segment_id: seg1.id } });
    assert.deepEqual(sub1.host_routes, []);
    const sub2 = await post('/v2.0/subnets', { subnet: {
      network_id: net.id, cidr: '10.32.0.0/24', ip_version: 4, segment_id: seg2.id, allocation_pools: [{ start: '10.32.0.2', end: '10.32.0.200' }],
    } });
    assert.deepEqual(sub2.host_routes, [{ destination: '10.31.0.0/24', nexthop: '10.32.0.1' }]);
    const peer = (await get(`/v2.0/subnets/${sub1.id}`)).body.subnet;
    assert.deepEqual(peer.host_routes, [{ destination: '10.32.0.0/24', nexthop: '10.31.0.1' }]);
    assert.equal(peer.revision_number, sub1.revision_number + 1);
    // a summary route given by the user covers a peer: none is added for it
    const sub3 = await post('/v2.0/subnets', { subnet: {
      network_id: net.id, cidr: '10.33.0.0/24', ip_version: 4, segment_id: seg2.id, host_routes: [{ destination: '10.0.0.0/8', nexthop: '10.33.0.254' }],
    } });
    assert.deepEqual(sub3.host_routes, [{ destination: '10.0.0.0/8', nexthop: '10.33.0.254' }]);
    assert.deepEqual((await get(`/v2.0/subnets/${sub1.id}`)).body.subnet.host_routes.map((r: any) => r.destination).sort(), ['10.32.0.0/24', '10.33.0.0/24']);
    // a new gateway moves the routes
    const moved = await put(`/v2.0/subnets/${sub2.id}`, { subnet: { gateway_ip: '10.32.0.254' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(moved.body.subnet.host_routes, [{ destination: '10.31.0.0/24', nexthop: '10.32.0.254' }]);
    // a subnet deleted: the routes to it go
    assert.equal((await s.request('DELETE', `/v2.0/subnets/${sub3.id}`, undefined, ADMIN)).status, 204);
    assert.deepEqual((await get(`/v2.0/subnets/${sub1.id}`)).body.subnet.host_routes, [{ destination: '10.32.0.0/24', nexthop: '10.31.0.1' }]);
  });
  test('the OpenAPI document gives every attribute of segments a type', async () => {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, ADMIN)).body;
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [attr, p] of Object.entries<any>(schema.properties ?? {})) {
        if (p.type === undefined && p.$ref === undefined && p.oneOf === undefined && p.anyOf === undefined) untyped.push(`${name}.${attr}`);
      }
    }
    assert.deepEqual(untyped, []);
    assert.ok(doc.components.schemas.Segment);
  });
});
