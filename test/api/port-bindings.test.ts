import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, FakeAgent, OVS_STATE, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('binding-extended: /v2.0/ports/<id>/bindings', () => {
  let s: TestServer;
  let net: any;
  let activations: Recorder;
  let deactivations: Recorder;
  const bindingsOf = (id: string, query = '', headers: Record<string, string> = ADMIN) => s.request('GET', `/v2.0/ports/${id}/bindings${query}`, undefined, headers);
  const bind = (id: string, binding: Record<string, unknown>, headers: Record<string, string> = ADMIN) =>
    s.request('POST', `/v2.0/ports/${id}/bindings`, { binding }, headers);
  const activate = (id: string, host: string) => s.request('PUT', `/v2.0/ports/${id}/bindings/${host}/activate`, undefined, ADMIN);
  const computePort = async (body: Record<string, unknown> = {}) => {
    const res = await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-1', ...body } }, ADMIN);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.port;
  };

  before(async () => {
    s = await startServer({
      ml2: { mechanism_drivers: ['openvswitch'], tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['1001:2000'] },
    });
    const agent = new FakeAgent(s.server.transport);
    await agent.reportState(OVS_STATE('compute1'));
    await agent.reportState({ ...OVS_STATE('compute2'), configurations: { ...OVS_STATE('compute2').configurations, tunneling_ip: '192.0.2.12' } });
    activations = new Recorder(s.server.transport, 'q-agent-notifier-port_binding-activate', 'compute2', ['binding_activate']);
    deactivations = new Recorder(s.server.transport, 'q-agent-notifier-port_binding-deactivate', 'compute1', ['binding_deactivate']);
    await Promise.all([activations.start(), deactivations.start()]);
    net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n' } }, A)).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.6.0.0/24', ip_version: 4 } }, A);
  });
  after(async () => {
    await Promise.all([activations.stop(), deactivations.stop()]);
    await s.close();
  });

  test('advertised', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions', undefined, A)).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('binding-extended'));
  });

  test('live migration: bind the destination inactive, activate it, delete the source', async () => {
    const p = await computePort({ 'binding:host_id': 'compute1' });
    assert.equal(p['binding:vif_type'], 'ovs');
    const listed = await bindingsOf(p.id);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.bindings.map((b: any) => [b.host, b.status, b.vif_type, b.vnic_type]), [['compute1', 'ACTIVE', 'ovs', 'normal']]);

    const created = await bind(p.id, { host: 'compute2', profile: { migrating_to: 'compute2' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const b = created.body.binding;
    assert.deepEqual([b.host, b.status, b.vif_type, b.vnic_type, b.profile], ['compute2', 'INACTIVE', 'ovs', 'normal', { migrating_to: 'compute2' }]);
    assert.equal(typeof b.vif_details, 'object');
    assert.deepEqual(errorOf(await bind(p.id, { host: 'compute2' })),
      [409, 'PortBindingAlreadyExists', `Binding for port ${p.id} on host compute2 already exists.`]);
    assert.deepEqual(errorOf(await bind(p.id, { host: 'compute9' })),
      [500, 'PortBindingError', `Binding for port ${p.id} on host compute9 could not be created or updated.`]);

    let port = (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port;
    assert.equal(port['binding:host_id'], 'compute1', 'the active binding drives binding:*');
    assert.deepEqual(port['binding:profile'], {});
    assert.deepEqual((await bindingsOf(p.id, '?status=INACTIVE')).body.bindings.map((x: any) => x.host), ['compute2']);
    assert.deepEqual((await bindingsOf(p.id, '?host=compute1&fields=host&fields=status')).body.bindings, [{ host: 'compute1', status: 'ACTIVE' }]);
    const shown = await s.request('GET', `/v2.0/ports/${p.id}/bindings/compute2`, undefined, ADMIN);
    assert.deepEqual(shown.body.binding, b);

    const activated = await activate(p.id, 'compute2');
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.equal(activated.body.host, 'compute2');
    assert.equal(activated.body.status, 'ACTIVE');
    port = (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port;
    assert.equal(port['binding:host_id'], 'compute2');
    assert.deepEqual(port['binding:profile'], { migrating_to: 'compute2' });
    assert.equal(port.status, 'DOWN');
    assert.ok(port.revision_number > p.revision_number);
    assert.deepEqual((await bindingsOf(p.id)).body.bindings.map((x: any) => [x.host, x.status]), [['compute1', 'INACTIVE'], ['compute2', 'ACTIVE']]);
    await eventually(() => activations.of('binding_activate').find((r) => r.args.port_id === p.id && r.args.host === 'compute2'), 5000, 'binding_activate');
    await eventually(() => deactivations.of('binding_deactivate').find((r) => r.args.port_id === p.id && r.args.host === 'compute1' && r.args.network_id === net.id), 5000, 'binding_deactivate');

    assert.deepEqual(errorOf(await activate(p.id, 'compute2')), [409, 'PortBindingAlreadyActive', `Binding for port ${p.id} on host compute2 is already active.`]);
    assert.deepEqual(errorOf(await activate(p.id, 'compute7')), [404, 'PortBindingNotFound', `Binding for port ${p.id} for host compute7 could not be found.`]);

    const removed = await s.request('DELETE', `/v2.0/ports/${p.id}/bindings/compute1`, undefined, ADMIN);
    assert.equal(removed.status, 204);
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/ports/${p.id}/bindings/compute1`, undefined, ADMIN)).slice(0, 2), [404, 'PortBindingNotFound']);
    assert.deepEqual(errorOf(await s.request('DELETE', `/v2.0/ports/${p.id}/bindings/compute1`, undefined, ADMIN)).slice(0, 2), [404, 'PortBindingNotFound']);
    assert.equal((await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port['binding:vif_type'], 'ovs');
    // the port still updates and deletes as usual
    assert.equal((await s.request('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'moved' } }, ADMIN)).status, 200);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${p.id}`, undefined, ADMIN)).status, 204);
  });

  test('an inactive binding can be updated; the body is checked', async () => {
    const p = await computePort({ 'binding:host_id': 'compute1' });
    assert.equal((await bind(p.id, { host: 'compute2' })).status, 201);
    const upd = await s.request('PUT', `/v2.0/ports/${p.id}/bindings/compute2`, { binding: { profile: { a: 1 } } }, ADMIN);
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.deepEqual([upd.body.binding.profile, upd.body.binding.status], [{ a: 1 }, 'INACTIVE']);
    assert.deepEqual(errorOf(await bind(p.id, {})), [400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'host' not specified"]);
    assert.deepEqual(errorOf(await bind(p.id, { host: 'compute3', vnic_type: 'bogus' })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await bind(p.id, { host: 'compute3', status: 'ACTIVE' })), [400, 'HTTPBadRequest', "Attribute 'status' not allowed in POST"]);
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/ports/${p.id}/bindings/compute8`, { binding: { profile: {} } }, ADMIN)).slice(0, 2), [404, 'PortBindingNotFound']);
  });

  test('compute ports only; other projects see no port', async () => {
    const plain = (await s.request('POST', '/v2.0/ports', { port: { network_id: net.id } }, A)).body.port;
    assert.deepEqual(errorOf(await bindingsOf(plain.id)), [400, 'BadRequest', `Bad port request: Invalid port ${plain.id}. Operation only valid on compute ports.`]);
    assert.deepEqual(errorOf(await bind(plain.id, { host: 'compute2' })).slice(0, 2), [400, 'BadRequest']);
    const p = await computePort();
    assert.deepEqual(errorOf(await bindingsOf(p.id, '', asProject('project-b'))).slice(0, 2), [404, 'PortNotFound']);
    assert.deepEqual(errorOf(await bindingsOf('00000000-0000-0000-0000-000000000000')).slice(0, 2), [404, 'PortNotFound']);
  });
});
