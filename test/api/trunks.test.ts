import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';
import { FakeAgent, OVS_STATE } from '../rpc-server/support.js';

const A = asProject('project-a');
const B = asProject('project-b');

const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('trunks', () => {
  let s: TestServer;
  let net: any;
  before(async () => {
    s = await startServer({
      DEFAULT: { service_plugins: ['trunk'] },
      ml2: { mechanism_drivers: ['openvswitch'] },
      ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:199'] },
    });
    net = await post('/v2.0/networks', { network: { name: 'n1' } });
    await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const put = (path: string, body: unknown, headers: Record<string, string> = A) => s.request('PUT', path, body, headers);
  const port = (extra: Record<string, unknown> = {}, headers = A) => post('/v2.0/ports', { port: { network_id: net.id, ...extra } }, headers);
  const trunk = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/trunks', { trunk: body }, headers);

  test('a trunk with subports: DOWN, its subports, trunk_details on the parent port', async () => {
    const exts = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(exts.includes('trunk') && exts.includes('trunk-details'));
    const [parent, sub1, sub2] = [await port(), await port(), await port()];
    const r = await trunk({ port_id: parent.id, name: 't1', sub_ports: [
      { port_id: sub1.id, segmentation_type: 'vlan', segmentation_id: 101 },
      { port_id: sub2.id, segmentation_type: 'vlan', segmentation_id: '100' },
    ] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const t = r.body.trunk;
    assert.equal(t.status, 'DOWN');
    assert.equal(t.admin_state_up, true);
    assert.equal(t.tenant_id, 'project-a');
    assert.equal(t.project_id, 'project-a');
    assert.equal(t.description, '');
    assert.deepEqual(t.tags, []);
    assert.equal(t.revision_number, 0);
    assert.deepEqual(t.sub_ports, [
      { port_id: sub2.id, segmentation_type: 'vlan', segmentation_id: 100 },
      { port_id: sub1.id, segmentation_type: 'vlan', segmentation_id: 101 },
    ]);
    assert.deepEqual((await s.request('GET', `/v2.0/trunks/${t.id}`, undefined, A)).body.trunk, t);
    assert.deepEqual((await s.request('GET', `/v2.0/trunks?port_id=${parent.id}`, undefined, A)).body.trunks.map((x: any) => x.id), [t.id]);

    const shown = (await s.request('GET', `/v2.0/ports/${parent.id}`, undefined, A)).body.port;
    assert.deepEqual(shown.trunk_details, {
      trunk_id: t.id,
      sub_ports: [
        { segmentation_id: 100, segmentation_type: 'vlan', port_id: sub2.id, mac_address: sub2.mac_address },
        { segmentation_id: 101, segmentation_type: 'vlan', port_id: sub1.id, mac_address: sub1.mac_address },
      ],
    });
    const listed = (await s.request('GET', `/v2.0/ports?id=${parent.id}&id=${sub1.id}`, undefined, A)).body.ports;
    assert.equal(listed.find((p: any) => p.id === sub1.id).trunk_details, undefined, 'only parents have trunk_details');
    assert.equal(listed.find((p: any) => p.id === parent.id).trunk_details.trunk_id, t.id);

    // other projects do not see it
    assert.equal((await s.request('GET', `/v2.0/trunks/${t.id}`, undefined, B)).status, 404);
    assert.equal(type(await s.request('GET', `/v2.0/trunks/${t.id}`, undefined, B)), 'TrunkNotFound');
    assert.deepEqual((await s.request('GET', '/v2.0/trunks', undefined, B)).body.trunks, []);

    // the ports of a trunk cannot be deleted
    const delParent = await s.request('DELETE', `/v2.0/ports/${parent.id}`, undefined, A);
    assert.equal(delParent.status, 409);
    assert.equal(type(delParent), 'PortInUseAsTrunkParent');
    assert.equal(message(delParent), `Port ${parent.id} is currently a parent port for trunk ${t.id}.`);
    const delSub = await s.request('DELETE', `/v2.0/ports/${sub1.id}`, undefined, A);
    assert.equal(type(delSub), 'PortInUseAsSubPort');
    assert.equal(message(delSub), `Port ${sub1.id} is currently a subport for trunk ${t.id}.`);

    // update: name and admin_state_up; port_id is not writable
    const renamed = await put(`/v2.0/trunks/${t.id}`, { trunk: { name: 'renamed', description: 'd' } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.trunk.name, 'renamed');
    assert.equal(renamed.body.trunk.revision_number, 1);
    assert.equal((await put(`/v2.0/trunks/${t.id}`, { trunk: { port_id: sub1.id } })).status, 400);

    // delete: an unbound parent can be untrunked; its ports are free again
    assert.equal((await s.request('DELETE', `/v2.0/trunks/${t.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/trunks/${t.id}`, undefined, A)).status, 404);
    assert.equal((await s.request('GET', `/v2.0/ports/${parent.id}`, undefined, A)).body.port.trunk_details, undefined);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${sub1.id}`, undefined, A)).status, 204);
  });

  test('what a trunk create refuses', async () => {
    const [parent, sub, other] = [await port(), await port(), await port()];
    const expectError = async (body: Record<string, unknown>, status: number, errType: string, msg?: string) => {
      const r = await trunk(body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(type(r), errType);
      if (msg) assert.equal(message(r), msg);
    };
    const missing = '11111111-2222-3333-4444-555555555555';
    await expectError({ port_id: missing }, 404, 'PortNotFound');
    await expectError({ port_id: 'nope' }, 400, 'HTTPBadRequest', "Invalid input for port_id. Reason: 'nope' is not a valid UUID.");
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: parent.id, segmentation_type: 'vlan', segmentation_id: 10 }] },
      409, 'ParentPortInUse', `Port ${parent.id} is currently in use and is not eligible for use as a parent port.`);
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 4095 }] },
      400, 'InvalidInput', "Invalid input for operation: Segmentation ID '4095' is not in range.");
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vxlan', segmentation_id: 10 }] },
      400, 'InvalidInput', "Invalid input for operation: Unknown segmentation_type 'vxlan'.");
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan' }] },
      400, 'HTTPBadRequest', `Invalid input for sub_ports. Reason: Invalid subport details '{'port_id': '${sub.id}', 'segmentation_type': 'vlan'}': missing segmentation information. Must specify both segmentation_id and segmentation_type.`);
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id }] },
      400, 'InvalidInput', `Invalid input for operation: Invalid subport details '{'port_id': '${sub.id}'}': missing segmentation information. Must specify both segmentation_id and segmentation_type.`);
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 'x' }] },
      400, 'InvalidInput', "Invalid input for operation: Invalid subport details: segmentation_id 'x' is not an integer.");
    await expectError({ port_id: parent.id, sub_ports: [
      { port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 10 }, { port_id: other.id, segmentation_type: 'vlan', segmentation_id: 10 },
    ] }, 400, 'HTTPBadRequest', `Invalid input for sub_ports. Reason: Segmentation ID '10' for '${other.id}' is not unique.`);
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 10 }, { port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 11 }] },
      400, 'HTTPBadRequest', `Invalid input for sub_ports. Reason: Non unique UUID for subport: '${sub.id}'.`);
    await expectError({ port_id: parent.id, sub_ports: 'x' }, 400, 'HTTPBadRequest', "Invalid input for sub_ports. Reason: Invalid data format for subports: 'x' is not a list.");
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: missing, segmentation_type: 'vlan', segmentation_id: 10 }] }, 404, 'PortNotFound');
    const used = await port({ device_id: 'vm-1', device_owner: 'compute:nova' });
    await expectError({ port_id: parent.id, sub_ports: [{ port_id: used.id, segmentation_type: 'vlan', segmentation_id: 10 }] },
      409, 'PortInUse', `Unable to complete operation on port ${used.id} for network ${net.id}. Port already has an attached device vm-1.`);
    // an MTU larger than the parent's
    const small = await post('/v2.0/networks', { network: { name: 'small', mtu: 1400 } });
    const smallParent = await post('/v2.0/ports', { port: { network_id: small.id } });
    await expectError({ port_id: smallParent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 10 }] },
      409, 'SubPortMtuGreaterThanTrunkPortMtu', `MTU 1500 of subport ${sub.id} cannot be greater than MTU 1400 of trunk ${smallParent.id}.`);
    // another project's port is not found
    const theirNet = await post('/v2.0/networks', { network: { name: 'b' } }, B);
    const theirs = await post('/v2.0/ports', { port: { network_id: theirNet.id } }, B);
    await expectError({ port_id: theirs.id }, 404, 'PortNotFound');

    // a port is in one trunk only
    const ok = await trunk({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 10 }] });
    assert.equal(ok.status, 201);
    await expectError({ port_id: parent.id }, 409, 'ParentPortInUse');
    await expectError({ port_id: sub.id }, 409, 'TrunkPortInUse', `Port ${sub.id} is in use by another trunk.`);
    await expectError({ port_id: other.id, sub_ports: [{ port_id: parent.id, segmentation_type: 'vlan', segmentation_id: 10 }] }, 409, 'ParentPortInUse');
    await expectError({ port_id: other.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 10 }] }, 409, 'TrunkPortInUse');
    // nothing was left behind by the refused creates
    assert.equal((await s.request('GET', `/v2.0/trunks?port_id=${other.id}`, undefined, A)).body.trunks.length, 0);
  });

  test('add_subports, remove_subports, get_subports', async () => {
    const [parent, s1, s2, s3] = [await port(), await port(), await port(), await port()];
    const t = (await trunk({ port_id: parent.id })).body.trunk;
    assert.deepEqual(t.sub_ports, []);
    const added = await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [
      { port_id: s1.id, segmentation_type: 'vlan', segmentation_id: 5 }, { port_id: s2.id, segmentation_type: 'vlan', segmentation_id: 6 },
    ] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    // the trunk itself, not wrapped, as Neutron answers member actions
    assert.equal(added.body.id, t.id);
    assert.equal(added.body.status, 'DOWN');
    assert.deepEqual(added.body.sub_ports.map((x: any) => x.port_id), [s1.id, s2.id]);
    const dup = await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: s3.id, segmentation_type: 'vlan', segmentation_id: 5 }] });
    assert.equal(dup.status, 409);
    assert.equal(type(dup), 'DuplicateSubPort');
    assert.equal(message(dup), `segmentation_type vlan and segmentation_id 5 already in use on trunk ${t.id}.`);
    const again = await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: s1.id, segmentation_type: 'vlan', segmentation_id: 7 }] });
    assert.equal(type(again), 'TrunkPortInUse');
    const bad = await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: 'x' }] });
    assert.equal(bad.status, 400);
    assert.equal(message(bad), "Invalid input for operation: Invalid UUID for subport: 'x'.");

    const got = await s.request('GET', `/v2.0/trunks/${t.id}/get_subports`, undefined, A);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { sub_ports: [
      { port_id: s1.id, segmentation_type: 'vlan', segmentation_id: 5 }, { port_id: s2.id, segmentation_type: 'vlan', segmentation_id: 6 },
    ] });
    assert.equal((await s.request('GET', `/v2.0/trunks/${t.id}/get_subports`, undefined, B)).status, 404);
    assert.equal((await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [] }, B)).status, 404);

    const missing = await put(`/v2.0/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: s3.id }] });
    assert.equal(missing.status, 404);
    assert.equal(type(missing), 'SubPortNotFound');
    assert.equal(message(missing), `SubPort ${s3.id} on trunk ${t.id} could not be found.`);
    const removed = await put(`/v2.0/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: s1.id }] });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.sub_ports.map((x: any) => x.port_id), [s2.id]);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${s1.id}`, undefined, A)).status, 204);

    // a disabled trunk cannot be changed nor deleted
    assert.equal((await put(`/v2.0/trunks/${t.id}`, { trunk: { admin_state_up: false } })).status, 200);
    for (const r of [
      await put(`/v2.0/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: s3.id, segmentation_type: 'vlan', segmentation_id: 9 }] }),
      await put(`/v2.0/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: s2.id }] }),
      await s.request('DELETE', `/v2.0/trunks/${t.id}`, undefined, A),
    ]) {
      assert.equal(r.status, 409);
      assert.equal(type(r), 'TrunkDisabled');
      assert.equal(message(r), `Trunk ${t.id} is currently disabled.`);
    }
    assert.equal((await put(`/v2.0/trunks/${t.id}`, { trunk: { admin_state_up: true } })).status, 200);
    assert.equal((await s.request('DELETE', `/v2.0/trunks/${t.id}`, undefined, A)).status, 204);
  });

  test('inherit takes the segmentation of the subport\'s network', async () => {
    const vlanNet = await post('/v2.0/networks', { network: {
      name: 'vlan', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 150, shared: true,
    } }, ADMIN);
    const sub = await post('/v2.0/ports', { port: { network_id: vlanNet.id } });
    const parent = await port();
    const r = await trunk({ port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'inherit' }] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.trunk.sub_ports, [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 150 }]);
    // a network without a segmentation id (local, the default tenant type here) has nothing to inherit
    const parent2 = await port();
    const sub2 = await port();
    assert.equal(net['provider:network_type'], undefined, 'provider attributes are admin-only');
    const refused = await trunk({ port_id: parent2.id, sub_ports: [{ port_id: sub2.id, segmentation_type: 'inherit' }] });
    assert.equal(refused.status, 400);
    assert.equal(message(refused), "Invalid input for operation: Invalid subport details: segmentation_id 'None' is not an integer.");
    // a vxlan network's segmentation is not one the drivers wire
    const vxlan = await post('/v2.0/networks', { network: { name: 'vx', 'provider:network_type': 'vxlan', 'provider:segmentation_id': 77, shared: true } }, ADMIN);
    const sub3 = await post('/v2.0/ports', { port: { network_id: vxlan.id } });
    const refused2 = await trunk({ port_id: parent2.id, sub_ports: [{ port_id: sub3.id, segmentation_type: 'inherit' }] });
    assert.equal(message(refused2), "Invalid input for operation: Unknown segmentation_type 'vxlan'.");
  });

  test('a bound Open vSwitch parent: no trunk made on it, none deleted from it; unbinding takes the trunk DOWN', async () => {
    const agent = new FakeAgent(s.server.transport);
    await agent.reportState(OVS_STATE('compute1'));
    const bound = await port({ 'binding:host_id': 'compute1', device_owner: 'compute:nova', device_id: 'vm-2' }, ADMIN);
    assert.equal(bound['binding:vif_type'], 'ovs');
    const r = await trunk({ port_id: bound.id }, ADMIN);
    assert.equal(r.status, 409);
    assert.equal(type(r), 'ParentPortInUse');

    const parent = await port({}, ADMIN);
    const t = (await trunk({ port_id: parent.id }, ADMIN)).body.trunk;
    const boundParent = (await put(`/v2.0/ports/${parent.id}`, { port: { 'binding:host_id': 'compute1' } }, ADMIN)).body.port;
    assert.equal(boundParent['binding:vif_type'], 'ovs');
    assert.equal(boundParent['binding:vif_details'].bridge_name, `tbr-${t.id.slice(0, 10)}`, 'Nova plugs a trunk parent into its trunk bridge');
    assert.equal(bound['binding:vif_details'].bridge_name, 'br-int');
    const refused = await s.request('DELETE', `/v2.0/trunks/${t.id}`, undefined, ADMIN);
    assert.equal(refused.status, 409);
    assert.equal(type(refused), 'TrunkInUse');
    assert.equal(message(refused), `Trunk ${t.id} is currently in use.`);
    // the agent reports it ACTIVE; the parent unbound takes it DOWN
    assert.equal((await put(`/v2.0/ports/${parent.id}`, { port: { 'binding:host_id': '' } }, ADMIN)).status, 200);
    assert.equal((await s.request('GET', `/v2.0/trunks/${t.id}`, undefined, ADMIN)).body.trunk.status, 'DOWN');
    assert.equal((await s.request('DELETE', `/v2.0/trunks/${t.id}`, undefined, ADMIN)).status, 204);
  });

  test('a bound Linux bridge parent can be trunked and untrunked', async () => {
    const lb = await startServer({ DEFAULT: { service_plugins: ['trunk'] }, ml2: { mechanism_drivers: ['linuxbridge'] } });
    try {
      const agent = new FakeAgent(lb.server.transport);
      await agent.reportState({
        binary: 'neutron-linuxbridge-agent', host: 'lbhost', topic: 'N/A', agent_type: 'Linux bridge agent', start_flag: true,
        configurations: { interface_mappings: {}, bridge_mappings: {}, extensions: [], devices: 0 },
      });
      const n = (await lb.request('POST', '/v2.0/networks', { network: { name: 'lb' } }, ADMIN)).body.network;
      const p = (await lb.request('POST', '/v2.0/ports', { port: { network_id: n.id, 'binding:host_id': 'lbhost', device_owner: 'compute:nova' } }, ADMIN)).body.port;
      assert.equal(p['binding:vif_type'], 'bridge');
      const t = await lb.request('POST', '/v2.0/trunks', { trunk: { port_id: p.id } }, ADMIN);
      assert.equal(t.status, 201, JSON.stringify(t.body));
      assert.equal((await lb.request('DELETE', `/v2.0/trunks/${t.body.trunk.id}`, undefined, ADMIN)).status, 204);
    } finally {
      await lb.close();
    }
  });

  test('two trunks claiming one port: one wins', async () => {
    const parent = await port();
    const [p1, p2] = [await port(), await port()];
    const results = await Promise.all([
      trunk({ port_id: parent.id }), trunk({ port_id: parent.id }),
      trunk({ port_id: p1.id, sub_ports: [{ port_id: p2.id, segmentation_type: 'vlan', segmentation_id: 3 }] }),
      trunk({ port_id: p2.id, sub_ports: [{ port_id: p1.id, segmentation_type: 'vlan', segmentation_id: 3 }] }),
    ]);
    assert.deepEqual(results.slice(0, 2).map((r) => r.status).sort(), [201, 409]);
    assert.deepEqual(results.slice(2).map((r) => r.status).sort(), [201, 409]);
    const trunks = (await s.request('GET', '/v2.0/trunks', undefined, ADMIN)).body.trunks;
    assert.equal(trunks.filter((t: any) => t.port_id === parent.id).length, 1);
    assert.equal(trunks.filter((t: any) => t.port_id === p1.id || t.port_id === p2.id).length, 1);
  });
  test('the OpenAPI document gives every attribute of trunks and trunk_details a type', async () => {
    const doc = (await s.request('GET', '/v2.0/openapi.json', undefined, ADMIN)).body;
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const [attr, p] of Object.entries<any>(schema.properties ?? {})) {
        if (p.type === undefined && p.$ref === undefined && p.oneOf === undefined && p.anyOf === undefined) untyped.push(`${name}.${attr}`);
      }
    }
    assert.deepEqual(untyped, []);
    assert.ok(doc.components.schemas.Trunk);
  });
});
