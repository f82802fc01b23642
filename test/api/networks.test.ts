import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

function errorType(res: { body: any }): string {
  return res.body?.NeutronError?.type;
}

describe('networks', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      ml2: { type_drivers: ['local', 'flat', 'vlan', 'vxlan', 'geneve', 'gre'], tenant_network_types: ['vlan', 'vxlan'] },
      ml2_type_flat: { flat_networks: ['physnet1'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:199', 'physnet2'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1999'] },
      ml2_type_geneve: { vni_ranges: ['1:10'] },
    });
  });
  after(() => s.close());

  test('create, show, list, update and delete with standard attributes', async () => {
    const created = await s.request('POST', '/v2.0/networks', { network: { name: 'net1', description: 'd' } }, A);
    assert.equal(created.status, 201);
    const net = created.body.network;
    assert.match(net.id, /^[0-9a-f-]{36}$/);
    assert.equal(net.name, 'net1');
    assert.equal(net.tenant_id, 'project-a');
    assert.equal(net.project_id, 'project-a');
    assert.equal(net.admin_state_up, true);
    assert.equal(net.status, 'ACTIVE');
    assert.equal(net.shared, false);
    assert.equal(net['router:external'], false);
    assert.deepEqual(net.subnets, []);
    assert.deepEqual(net.availability_zone_hints, []);
    assert.deepEqual(net.availability_zones, []);
    assert.equal(net.port_security_enabled, true);
    assert.equal(net.l2_adjacency, true);
    assert.match(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(typeof net.revision_number, 'number');
    // provider attributes are admin-only
    assert.equal('provider:network_type' in net, false);
    assert.equal(net.mtu, 1500, 'a VLAN tenant network gets global_physnet_mtu');

    const shown = await s.request('GET', `/v2.0/networks/${net.id}`, undefined, A);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.network, net);

    const asAdmin = await s.request('GET', `/v2.0/networks/${net.id}`, undefined, ADMIN);
    assert.equal(asAdmin.body.network['provider:network_type'], 'vlan');
    assert.equal(asAdmin.body.network['provider:physical_network'], 'physnet1');
    assert.equal(asAdmin.body.network['provider:segmentation_id'], 100);

    const updated = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'renamed', admin_state_up: 'false' } }, A);
    assert.equal(updated.status, 200);
    assert.equal(updated.body.network.name, 'renamed');
    assert.equal(updated.body.network.admin_state_up, false);
    assert.equal(updated.body.network.revision_number, net.revision_number + 1);

    const listed = await s.request('GET', '/v2.0/networks?name=renamed', undefined, A);
    assert.deepEqual(listed.body.networks.map((n: any) => n.id), [net.id]);

    const del = await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, A);
    assert.equal(del.status, 204);
    assert.equal(del.body, null);
    const gone = await s.request('GET', `/v2.0/networks/${net.id}`, undefined, A);
    assert.equal(gone.status, 404);
    assert.equal(errorType(gone), 'NetworkNotFound');
    assert.equal(gone.body.NeutronError.message, `Network ${net.id} could not be found.`);

    // the VLAN id went back to the pool with the network
    const again = await s.request('POST', '/v2.0/networks', { network: { name: 'again' } }, ADMIN);
    assert.equal(again.body.network['provider:segmentation_id'], 100);
    await s.request('DELETE', `/v2.0/networks/${again.body.network.id}`, undefined, ADMIN);
  });

  test('every response carries a request id', async () => {
    const r = await s.request('GET', '/v2.0/networks', undefined, A);
    assert.match(String(r.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
    const e = await s.request('GET', '/v2.0/nothing', undefined, A);
    assert.match(String(e.headers['x-openstack-request-id']), /^req-/);
  });

  test('version document, resource index and extensions', async () => {
    const root = await s.request('GET', '/');
    assert.equal(root.body.versions[0].id, 'v2.0');
    assert.equal(root.body.versions[0].links[0].href, `${s.url}/v2.0/`);
    const index = await s.request('GET', '/v2.0/');
    assert.equal(index.body.resources[0].collection, 'networks');
    const exts = await s.request('GET', '/v2.0/extensions');
    const aliases = exts.body.extensions.map((e: any) => e.alias);
    for (const a of ['provider', 'external-net', 'net-mtu', 'standard-attr-revisions', 'pagination', 'sorting', 'filter-validation']) {
      assert.ok(aliases.includes(a), `extension ${a} listed`);
    }
    const one = await s.request('GET', '/v2.0/extensions/provider');
    assert.equal(one.body.extension.name, 'Provider Network');
    const missing = await s.request('GET', '/v2.0/extensions/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.NeutronError.message, 'Extension with alias nope does not exist');
  });

  test('unknown paths are 404 and wrong methods 405, in Neutron\'s format', async () => {
    const r = await s.request('GET', '/v2.0/widgets');
    assert.equal(r.status, 404);
    assert.equal(errorType(r), 'HTTPNotFound');
    const m = await s.request('PATCH', '/v2.0/networks');
    assert.equal(m.status, 405);
    const m2 = await s.request('POST', '/v2.0/networks/x');
    assert.equal(m2.status, 405);
  });

  test('bad bodies are 400 and create nothing', async () => {
    const before = (await s.request('GET', '/v2.0/networks', undefined, ADMIN)).body.networks.length;
    const cases: Array<[unknown, string]> = [
      ['{not json', 'Body contains invalid data'],
      ['[1,2]', 'Body contains invalid data'],
      [{}, 'Resource body required'],
      [{ network: 'x' }, "Object 'network' contains invalid data"],
      [{ netwrk: {} }, "Unable to find 'network' in request body"],
      [{ network: { name: 5 } }, "Invalid input for name. Reason: '5' is not a valid string."],
      [{ network: { admin_state_up: 'maybe' } }, "Invalid input for operation: 'maybe' cannot be converted to boolean."],
      [{ network: { colour: 'red' } }, "Unrecognized attribute(s) 'colour'"],
      [{ network: { status: 'DOWN' } }, "Attribute 'status' not allowed in POST"],
      [{ network: { name: 'x'.repeat(256) } }, `Invalid input for name. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`],
      [{ networks: [] }, 'Resources required'],
    ];
    for (const [body, message] of cases) {
      const r = await s.request('POST', '/v2.0/networks', body, A);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.NeutronError.message, message);
    }
    const after = (await s.request('GET', '/v2.0/networks', undefined, ADMIN)).body.networks.length;
    assert.equal(after, before);
  });

  test('read-only attributes, tenant mismatch and DELETE bodies', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: {} }, A)).body.network;
    const ro = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { status: 'DOWN' } }, A);
    assert.equal(ro.status, 400);
    assert.equal(ro.body.NeutronError.message, 'Cannot update read-only attribute status');
    const mismatch = await s.request('POST', '/v2.0/networks', { network: { tenant_id: 'x', project_id: 'y' } }, ADMIN);
    assert.equal(mismatch.body.NeutronError.message, "'project_id' and 'tenant_id' do not match");
    const other = await s.request('POST', '/v2.0/networks', { network: { project_id: 'project-b' } }, A);
    assert.equal(other.status, 400);
    const body = await s.request('DELETE', `/v2.0/networks/${net.id}`, { network: {} }, A);
    assert.equal(body.status, 400);
    assert.equal(body.body.NeutronError.message, 'Request body is not supported in DELETE.');
    await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, A);
  });

  test('admin may create for another project; bulk create is all or nothing', async () => {
    const r = await s.request('POST', '/v2.0/networks', { networks: [{ name: 'b1', tenant_id: 'project-b' }, { network: { name: 'b2', tenant_id: 'project-b' } }] }, ADMIN);
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.networks.map((n: any) => [n.name, n.project_id]), [['b1', 'project-b'], ['b2', 'project-b']]);
    const bad = await s.request('POST', '/v2.0/networks', { networks: [{ name: 'b3', tenant_id: 'project-b' }, { name: 'b4', admin_state_up: 'nah' }] }, ADMIN);
    assert.equal(bad.status, 400);
    // an item that fails in the plugin rolls back the ones before it
    const exhaust = await s.request('POST', '/v2.0/networks', {
      networks: [{ name: 'b5', tenant_id: 'project-b' }, { name: 'b6', 'provider:network_type': 'flat', 'provider:physical_network': 'nope' }],
    }, ADMIN);
    assert.equal(exhaust.status, 400);
    const names = (await s.request('GET', '/v2.0/networks?tenant_id=project-b', undefined, ADMIN)).body.networks.map((n: any) => n.name).sort();
    assert.deepEqual(names, ['b1', 'b2']);
    for (const n of r.body.networks) await s.request('DELETE', `/v2.0/networks/${n.id}`, undefined, ADMIN);
  });

  test('filters: exact match, repeated keys OR, unknown filter 400, boolean conversion', async () => {
    const ids: string[] = [];
    for (const [name, up] of [['f-a', true], ['f-b', false], ['f-c', true]] as const) {
      ids.push((await s.request('POST', '/v2.0/networks', { network: { name, admin_state_up: up } }, A)).body.network.id);
    }
    const two = await s.request('GET', '/v2.0/networks?name=f-a&name=f-b', undefined, A);
    assert.deepEqual(two.body.networks.map((n: any) => n.name).sort(), ['f-a', 'f-b']);
    const down = await s.request('GET', '/v2.0/networks?admin_state_up=False&name=f-a&name=f-b&name=f-c', undefined, A);
    assert.deepEqual(down.body.networks.map((n: any) => n.name), ['f-b']);
    const none = await s.request('GET', '/v2.0/networks?name=f', undefined, A);
    assert.deepEqual(none.body.networks, []);
    const bad = await s.request('GET', '/v2.0/networks?colour=red', undefined, A);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.NeutronError.message, "['colour'] is invalid attribute for filtering");
    const badBool = await s.request('GET', '/v2.0/networks?shared=sometimes', undefined, A);
    assert.equal(badBool.status, 400);
    const fields = await s.request('GET', `/v2.0/networks?id=${ids[0]}&fields=name&fields=id`, undefined, A);
    assert.deepEqual(fields.body.networks, [{ id: ids[0], name: 'f-a' }]);
    const showFields = await s.request('GET', `/v2.0/networks/${ids[1]}?fields=name`, undefined, A);
    assert.deepEqual(showFields.body.network, { name: 'f-b' });
    for (const id of ids) await s.request('DELETE', `/v2.0/networks/${id}`, undefined, A);
  });

  test('sorting and pagination with links, markers and page_reverse', async () => {
    const P = asProject('project-page');
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const name of names) await s.request('POST', '/v2.0/networks', { network: { name } }, P);
    const desc = await s.request('GET', '/v2.0/networks?sort_key=name&sort_dir=desc', undefined, P);
    assert.deepEqual(desc.body.networks.map((n: any) => n.name), [...names].reverse());

    const page1 = await s.request('GET', '/v2.0/networks?sort_key=name&sort_dir=asc&limit=2', undefined, P);
    assert.deepEqual(page1.body.networks.map((n: any) => n.name), ['p1', 'p2']);
    const next = page1.body.networks_links.find((l: any) => l.rel === 'next');
    assert.ok(next, 'a full page has a next link');
    assert.ok(page1.body.networks_links.find((l: any) => l.rel === 'previous'));
    const page2 = await s.request('GET', next.href.slice(s.url.length), undefined, P);
    assert.deepEqual(page2.body.networks.map((n: any) => n.name), ['p3', 'p4']);
    const page3 = await s.request('GET', page2.body.networks_links.find((l: any) => l.rel === 'next').href.slice(s.url.length), undefined, P);
    assert.deepEqual(page3.body.networks.map((n: any) => n.name), ['p5']);
    assert.equal(page3.body.networks_links.find((l: any) => l.rel === 'next'), undefined, 'a short forward page has no next link');
    const prev = page3.body.networks_links.find((l: any) => l.rel === 'previous');
    const back = await s.request('GET', prev.href.slice(s.url.length), undefined, P);
    assert.deepEqual(back.body.networks.map((n: any) => n.name), ['p3', 'p4']);

    const badKey = await s.request('GET', '/v2.0/networks?sort_key=subnets&sort_dir=asc', undefined, P);
    assert.equal(badKey.status, 400);
    assert.equal(badKey.body.NeutronError.message, "['subnets'] is invalid attribute for sort_keys");
    const uneven = await s.request('GET', '/v2.0/networks?sort_key=name', undefined, P);
    assert.equal(uneven.body.NeutronError.message, 'The number of sort_keys and sort_dirs must be same');
    const badDir = await s.request('GET', '/v2.0/networks?sort_key=name&sort_dir=up', undefined, P);
    assert.equal(badDir.status, 400);
    const badLimit = await s.request('GET', '/v2.0/networks?limit=-1', undefined, P);
    assert.equal(badLimit.body.NeutronError.message, "Limit must be an integer 0 or greater and not '-1'");
    const marker = await s.request('GET', '/v2.0/networks?limit=2&marker=00000000-0000-0000-0000-000000000000', undefined, P);
    assert.equal(marker.status, 404);
    assert.equal(errorType(marker), 'NetworkNotFound');
    for (const n of desc.body.networks) await s.request('DELETE', `/v2.0/networks/${n.id}`, undefined, P);
  });

  test('If-Match revision_number constrains updates and deletes', async () => {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'rev' } }, A)).body.network;
    const wrong = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'x' } }, { ...A, 'if-match': `revision_number=${net.revision_number + 5}` });
    assert.equal(wrong.status, 412);
    assert.equal(errorType(wrong), 'RevisionNumberConstraintFailed');
    assert.equal(wrong.body.NeutronError.message, `Constrained to ${net.revision_number + 5}, but current revision is ${net.revision_number}`);
    const unchanged = await s.request('GET', `/v2.0/networks/${net.id}`, undefined, A);
    assert.equal(unchanged.body.network.name, 'rev');
    const right = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'x' } }, { ...A, 'if-match': `revision_number=${net.revision_number}` });
    assert.equal(right.status, 200);
    const malformed = await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, { ...A, 'if-match': 'revision_number=abc' });
    assert.equal(malformed.status, 400);
    const two = await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, { ...A, 'if-match': '"revision_number=1", "revision_number=2"' });
    assert.equal(two.body.NeutronError.message, 'Bad if-match request: Multiple revision_number etags are not supported..');
    const staleDelete = await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, { ...A, 'if-match': `revision_number=${net.revision_number}` });
    assert.equal(staleDelete.status, 412);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${net.id}`, undefined, A)).status, 204);
  });

  test('policy: other projects\' networks are 404, shared ones visible but not writable (403)', async () => {
    const priv = (await s.request('POST', '/v2.0/networks', { network: { name: 'private-a' } }, A)).body.network;
    assert.equal((await s.request('GET', `/v2.0/networks/${priv.id}`, undefined, B)).status, 404);
    assert.equal((await s.request('PUT', `/v2.0/networks/${priv.id}`, { network: { name: 'mine' } }, B)).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${priv.id}`, undefined, B)).status, 404);
    const listB = await s.request('GET', '/v2.0/networks', undefined, B);
    assert.ok(!listB.body.networks.some((n: any) => n.id === priv.id));

    const shareByMember = await s.request('POST', '/v2.0/networks', { network: { name: 'try-share', shared: true } }, A);
    assert.equal(shareByMember.status, 403);
    assert.equal(errorType(shareByMember), 'PolicyNotAuthorized');
    assert.equal(shareByMember.body.NeutronError.message, '(rule:create_network and rule:create_network:shared) is disallowed by policy');
    const providerByMember = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }, A);
    assert.equal(providerByMember.status, 403);
    const externalByMember = await s.request('POST', '/v2.0/networks', { network: { 'router:external': true } }, A);
    assert.equal(externalByMember.status, 403);

    const shared = (await s.request('POST', '/v2.0/networks', { network: { name: 'shared', shared: true, tenant_id: 'project-a' } }, ADMIN)).body.network;
    assert.equal(shared.shared, true);
    const seenByB = await s.request('GET', `/v2.0/networks/${shared.id}`, undefined, B);
    assert.equal(seenByB.status, 200);
    assert.equal(seenByB.body.network.shared, true);
    const writeByB = await s.request('PUT', `/v2.0/networks/${shared.id}`, { network: { name: 'hijack' } }, B);
    assert.equal(writeByB.status, 403);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${shared.id}`, undefined, B)).status, 403);
    const sharedFilter = await s.request('GET', '/v2.0/networks?shared=true', undefined, B);
    assert.deepEqual(sharedFilter.body.networks.map((n: any) => n.id), [shared.id]);
    const unshareByOwner = await s.request('PUT', `/v2.0/networks/${shared.id}`, { network: { shared: false } }, A);
    assert.equal(unshareByOwner.status, 403);
    const unshare = await s.request('PUT', `/v2.0/networks/${shared.id}`, { network: { shared: false } }, ADMIN);
    assert.equal(unshare.body.network.shared, false);
    assert.equal((await s.request('GET', `/v2.0/networks/${shared.id}`, undefined, B)).status, 404);

    const external = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } }, ADMIN)).body.network;
    const extByB = await s.request('GET', `/v2.0/networks/${external.id}`, undefined, B);
    assert.equal(extByB.status, 200, 'external networks are visible to every project');
    assert.equal(extByB.body.network['router:external'], true);
    for (const id of [priv.id, shared.id, external.id]) await s.request('DELETE', `/v2.0/networks/${id}`, undefined, ADMIN);
  });

  test('provider networks: flat, vlan, vxlan; validation and duplicates', async () => {
    const flat = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }, ADMIN);
    assert.equal(flat.status, 201);
    assert.equal(flat.body.network.mtu, 1500);
    const flatAgain = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }, ADMIN);
    assert.equal(flatAgain.status, 409);
    assert.equal(errorType(flatAgain), 'FlatNetworkInUse');

    const vlan = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 42 } }, ADMIN);
    assert.equal(vlan.status, 201);
    assert.equal(vlan.body.network['provider:segmentation_id'], 42);
    const dup = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': '42' } }, ADMIN);
    assert.equal(dup.status, 409);
    assert.equal(errorType(dup), 'VlanIdInUse');
    assert.equal(dup.body.NeutronError.message, 'Unable to create the network. The VLAN 42 on physical network physnet2 is in use.');

    const vx = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 5000 } }, ADMIN);
    assert.equal(vx.status, 201);
    assert.equal(vx.body.network.mtu, 1450);
    const gre = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'gre', 'provider:segmentation_id': 7 } }, ADMIN);
    assert.equal(gre.body.network.mtu, 1458);
    const geneve = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'geneve' } }, ADMIN);
    assert.equal(geneve.body.network['provider:segmentation_id'], 1);
    assert.equal(geneve.body.network.mtu, 1450);

    const invalid: Array<[object, number, string]> = [
      [{ 'provider:network_type': 'flat' }, 400, 'Invalid input for operation: physical_network required for flat provider network.'],
      [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet9' }, 400, "Invalid input for operation: physical_network 'physnet9' unknown for VLAN provider network."],
      [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 5000 }, 400, 'Invalid input for operation: segmentation_id out of range (1 through 4094).'],
      [{ 'provider:network_type': 'vxlan', 'provider:physical_network': 'physnet1' }, 400, 'Invalid input for operation: provider:physical_network specified for vxlan network.'],
      [{ 'provider:network_type': 'bogus' }, 400, "Invalid input for operation: network_type value 'bogus' not supported."],
      [{ 'provider:segmentation_id': 3 }, 400, 'Invalid input for operation: network_type required.'],
      [{ 'provider:network_type': 'local', 'provider:physical_network': 'physnet1' }, 400, 'Invalid input for operation: physical_network prohibited for local provider network.'],
      [{ 'provider:network_type': 'vxlan', segments: [] }, 400, 'Invalid input for operation: Segments and provider values cannot both be set..'],
      [{ mtu: 9000 }, 400, 'Invalid input for operation: Requested MTU is too big, maximum is 1500.'],
    ];
    for (const [body, status, message] of invalid) {
      const r = await s.request('POST', '/v2.0/networks', { network: body }, ADMIN);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.body.NeutronError.message, message, JSON.stringify(body));
    }

    const multi = await s.request('POST', '/v2.0/networks', { network: { segments: [
      { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 50 },
      { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 6000 },
    ] } }, ADMIN);
    assert.equal(multi.status, 201);
    assert.equal(multi.body.network.segments.length, 2);
    assert.equal(multi.body.network.mtu, 1450, 'the smallest segment MTU');
    assert.equal('provider:network_type' in multi.body.network, false);
    const filtered = await s.request('GET', '/v2.0/networks?provider:network_type=gre', undefined, ADMIN);
    assert.deepEqual(filtered.body.networks.map((n: any) => n.id), [gre.body.network.id]);

    // only a VLAN network's segmentation id can change
    const moved = await s.request('PUT', `/v2.0/networks/${vlan.body.network.id}`, { network: { 'provider:segmentation_id': 43 } }, ADMIN);
    assert.equal(moved.status, 200);
    assert.equal(moved.body.network['provider:segmentation_id'], 43);
    const notVlan = await s.request('PUT', `/v2.0/networks/${vx.body.network.id}`, { network: { 'provider:segmentation_id': 5001 } }, ADMIN);
    assert.equal(notVlan.body.NeutronError.message, 'Invalid input for operation: Only VLAN type networks can be updated..');

    for (const r of [flat, vlan, vx, gre, geneve, multi]) await s.request('DELETE', `/v2.0/networks/${r.body.network.id}`, undefined, ADMIN);
    const reuse = await s.request('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 43 } }, ADMIN);
    assert.equal(reuse.status, 201, 'deleting a network releases its segment');
    await s.request('DELETE', `/v2.0/networks/${reuse.body.network.id}`, undefined, ADMIN);
  });

  test('tenant ranges exhausted: VLAN first, then VXLAN, then 503 NoNetworkAvailable', async () => {
    const small = await startServer({
      ml2: { tenant_network_types: ['vlan', 'vxlan'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:101'] },
      ml2_type_vxlan: { vni_ranges: ['1000:1001'] },
    });
    try {
      const types: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await small.request('POST', '/v2.0/networks', { network: { name: `t${i}` } }, ADMIN);
        assert.equal(r.status, 201);
        types.push(`${r.body.network['provider:network_type']}:${r.body.network['provider:segmentation_id']}`);
      }
      assert.deepEqual(types, ['vlan:100', 'vlan:101', 'vxlan:1000', 'vxlan:1001']);
      const full = await small.request('POST', '/v2.0/networks', { network: { name: 'one-too-many' } }, ADMIN);
      assert.equal(full.status, 503);
      assert.equal(errorType(full), 'NoNetworkAvailable');
      assert.equal(full.body.NeutronError.message, 'Unable to create the network. No tenant network is available for allocation.');
      const count = (await small.request('GET', '/v2.0/networks?name=one-too-many', undefined, ADMIN)).body.networks.length;
      assert.equal(count, 0);
    } finally {
      await small.close();
    }
  });

  test('data survives a restart of the server on the same state directory', async () => {
    const { startServer: start } = await import('../support/server.js');
    const first = await start();
    const net = (await first.request('POST', '/v2.0/networks', { network: { name: 'durable' } })).body.network;
    await first.server.close();
    const { configWith } = await import('../../src/config/index.js');
    const { buildServer } = await import('../../src/service/server.js');
    const pino = (await import('pino')).default;
    const second = await buildServer({ config: configWith(first.overrides), log: pino({ level: 'silent' }) });
    const r = await second.app.inject({ method: 'GET', url: `/v2.0/networks/${net.id}` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().network.name, 'durable');
    await second.close();
    await first.close().catch(() => {});
  });
});
