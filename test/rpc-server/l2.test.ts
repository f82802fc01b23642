// L2 agents: port binding through an Open vSwitch agent's report, the fanouts L2 agents hear, and
// their calls on q-plugin (device details, device up/down, tunnel_sync, security group info).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { createThrough, eventually, FakeAgent, OVS_STATE, Recorder } from './support.js';

let ts: TestServer;
let agent: FakeAgent;
let lb: Recorder;
let tunnels: Recorder;

before(async () => {
  ts = await startServer({
    ml2: { mechanism_drivers: ['openvswitch'], tenant_network_types: ['vxlan'] },
    ml2_type_vxlan: { vni_ranges: ['1001:2000'] },
    ml2_type_vlan: { network_vlan_ranges: ['physnet1:100:199'] },
  });
  agent = new FakeAgent(ts.server.transport);
  // a Linux bridge agent's fanout consumers
  lb = new Recorder(ts.server.transport, 'q-agent-notifier-port-update', 'compute9', ['port_update']);
  const deletes = ['q-agent-notifier-port-delete', 'q-agent-notifier-network-delete', 'q-agent-notifier-network-update', 'q-agent-notifier-tunnel-delete', 'q-agent-notifier-security_group-update'];
  const more = deletes.map((t) => new Recorder(ts.server.transport, t, 'compute9', ['port_delete', 'network_delete', 'network_update', 'tunnel_delete', 'security_groups_member_updated'], '1.7'));
  tunnels = new Recorder(ts.server.transport, 'q-agent-notifier-tunnel-update', 'compute9', ['tunnel_update'], '1.7');
  await Promise.all([lb.start(), tunnels.start(), ...more.map((m) => m.start())]);
  (lb as any).more = more;
  assert.equal(await agent.reportState(OVS_STATE('compute1')), 'new');
});
after(async () => {
  await Promise.all([lb.stop(), tunnels.stop(), ...((lb as any).more as Recorder[]).map((m) => m.stop())]);
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>) => createThrough(ts, collection, body);

async function boundPort(name: string) {
  const net = await create('network', { name });
  await create('subnet', { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 });
  // the answer carries the binding (Nova reads binding:vif_type from it)
  const port = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-1', 'binding:host_id': 'compute1' });
  assert.equal(port['binding:vif_type'], 'ovs');
  return { net, port };
}

test('a port on a host with an alive OVS agent is bound to the network\'s segment; L2 agents get port_update', async () => {
  const { net, port } = await boundPort('bound');
  assert.equal(port['binding:vif_type'], 'ovs');
  assert.deepEqual(port['binding:vif_details'], { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: false, datapath_type: 'system', bridge_name: 'br-int' });
  assert.equal(port.status, 'DOWN');
  const update = await eventually(() => lb.of('port_update').find((m) => m.args.port.id === port.id), 5000, 'port_update fanout');
  assert.equal(update.args.network_type, 'vxlan');
  assert.equal(update.args.segmentation_id, net['provider:segmentation_id']);
  assert.equal(update.args.physical_network, null);

  const count = lb.of('port_update').length;
  assert.equal((await ts.request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'renamed' } })).status, 200);
  assert.equal((await ts.request('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } })).status, 200);
  const down = await eventually(() => lb.of('port_update').slice(count).find((m) => m.args.port.admin_state_up === false), 5000, 'port_update after PUT');
  assert.equal(down.args.port.name, 'renamed');
  assert.equal(lb.of('port_update').length, count + 1, 'a name change alone is not sent to the agents');
});

test('a port on a host without a suitable agent fails to bind; a VLAN port binds to the mapped physnet', async () => {
  const net = await create('network', { name: 'nohost' });
  const failed = await create('port', { network_id: net.id, 'binding:host_id': 'nowhere' });
  assert.equal(failed['binding:vif_type'], 'binding_failed');
  assert.deepEqual(failed['binding:vif_details'], {});
  // moving it to a host with an agent binds it, in the PUT's answer
  const moved = await ts.request('PUT', `/v2.0/ports/${failed.id}`, { port: { 'binding:host_id': 'compute1' } });
  assert.equal(moved.body.port['binding:vif_type'], 'ovs');
  assert.equal(moved.body.port['binding:host_id'], 'compute1');

  const vlan = await create('network', { name: 'vlan', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' });
  const vport = await create('port', { network_id: vlan.id, 'binding:host_id': 'compute1' });
  const update = await eventually(() => lb.of('port_update').find((m) => m.args.port.id === vport.id), 5000, 'port_update');
  assert.equal(update.args.network_type, 'vlan');
  assert.equal(update.args.physical_network, 'physnet1');
  assert.equal(update.args.segmentation_id, vlan['provider:segmentation_id']);
});

test('a port whose binding failed is bound when an agent asks for its details, once the host has an agent', async () => {
  const net = await create('network', { name: 'late-agent' });
  const port = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-late', 'binding:host_id': 'compute3' });
  assert.equal(port['binding:vif_type'], 'binding_failed');
  // no agent on compute3 yet: asking binds nothing and answers no details
  assert.deepEqual(await agent.call('get_device_details', '1.9', { device: port.id, agent_id: 'x', host: 'compute3' }), { device: port.id });
  assert.equal(await agent.reportState(OVS_STATE('compute3')), 'new');
  const details = await agent.call<any>('get_device_details', '1.9', { device: port.id, agent_id: 'ovs-agent-compute3', host: 'compute3' });
  assert.equal(details.port_id, port.id);
  assert.equal(details.network_type, 'vxlan');
  const shown = (await ts.request('GET', `/v2.0/ports/${port.id}`)).body.port;
  assert.equal(shown['binding:vif_type'], 'ovs');
  assert.equal(shown.status, 'BUILD');
  assert.ok(shown.revision_number > port.revision_number);
});

test('device details, device up and down move the port through BUILD, ACTIVE and DOWN', async () => {
  const { net, port } = await boundPort('devices');
  const tap = `tap${port.id.slice(0, 11)}`;
  const details = await agent.call<any>('get_device_details', '1.9', { device: tap, agent_id: 'ovs-agent-compute1', host: 'compute1' });
  assert.deepEqual(Object.keys(details).sort(), ['admin_state_up', 'allowed_address_pairs', 'device', 'device_owner', 'fixed_ips', 'mac_address', 'mtu',
    'network_id', 'network_type', 'physical_network', 'port_id', 'port_security_enabled', 'profile', 'propagate_uplink_status', 'qos_network_policy_id',
    'qos_policy_id', 'segmentation_id'].sort());
  assert.equal(details.device, tap);
  assert.equal(details.port_id, port.id);
  assert.equal(details.network_type, 'vxlan');
  assert.equal(details.segmentation_id, net['provider:segmentation_id']);
  assert.equal(details.mtu, net.mtu);
  assert.deepEqual(details.fixed_ips, port.fixed_ips);
  assert.equal((await ts.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'BUILD');

  assert.deepEqual(await agent.call('get_device_details', '1.9', { device: port.id, agent_id: 'x', host: 'compute2' }), { device: port.id, no_active_binding: true });
  assert.deepEqual(await agent.call('get_device_details', '1.9', { device: 'tapdeadbeef-00', agent_id: 'x', host: 'compute1' }), { device: 'tapdeadbeef-00' });
  const both = await agent.call<any>('get_devices_details_list_and_failed_devices', '1.5', { devices: [port.id, 'nope'], agent_id: 'x', host: 'compute1' });
  assert.deepEqual(both.failed_devices, []);
  assert.deepEqual(both.devices.map((d: any) => d.device), [port.id, 'nope']);
  assert.equal((await agent.call<any[]>('get_devices_details_list', '1.9', { devices: [port.id], agent_id: 'x', host: 'compute1' }))[0].port_id, port.id);

  const list = await agent.call<any>('update_device_list', '1.9', { devices_up: [tap], devices_down: [], agent_id: 'x', host: 'compute1', refresh_tunnels: false });
  assert.deepEqual(list, { devices_up: [tap], failed_devices_up: [], devices_down: [], failed_devices_down: [] });
  assert.equal((await ts.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE', 'no DHCP agent hosts the network: only the L2 block');

  assert.deepEqual(await agent.call('update_device_down', '1.9', { device: tap, agent_id: 'x', host: 'compute1' }), { device: tap, exists: true });
  assert.equal((await ts.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'DOWN');
  assert.deepEqual(await agent.call('update_device_down', '1.9', { device: 'tap00000000-00', agent_id: 'x', host: 'compute1' }), { device: 'tap00000000-00', exists: false });

  assert.equal((await ts.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
  const more = (lb as any).more as Recorder[];
  await eventually(() => more[0]!.of('port_delete').find((m) => m.args.port_id === port.id), 5000, 'port_delete fanout');
  assert.equal((await ts.request('DELETE', `/v2.0/networks/${net.id}`)).status, 204);
  await eventually(() => more[1]!.of('network_delete').find((m) => m.args.network_id === net.id), 5000, 'network_delete fanout');
});

test('tunnel_sync registers the endpoint, lists every one and announces it; bad input is InvalidInput', async () => {
  const first = await agent.call<any>('tunnel_sync', '1.4', { tunnel_ip: '192.0.2.11', tunnel_type: 'vxlan', host: 'compute1' });
  assert.deepEqual(first, { tunnels: [{ ip_address: '192.0.2.11', udp_port: 4789, host: 'compute1' }] });
  const second = await agent.call<any>('tunnel_sync', '1.4', { tunnel_ip: '192.0.2.12', tunnel_type: 'vxlan', host: 'compute2' });
  assert.deepEqual(second.tunnels.map((t: any) => t.host), ['compute1', 'compute2']);
  await eventually(() => tunnels.of('tunnel_update').find((m) => m.args.tunnel_ip === '192.0.2.12'), 5000, 'tunnel_update fanout');
  // the host moved to another address: the old one is withdrawn
  const moved = await agent.call<any>('tunnel_sync', '1.4', { tunnel_ip: '192.0.2.21', tunnel_type: 'vxlan', host: 'compute1' });
  assert.deepEqual(moved.tunnels.map((t: any) => t.ip_address), ['192.0.2.12', '192.0.2.21']);
  const tunnelDeletes = ((lb as any).more as Recorder[])[3]!;
  await eventually(() => tunnelDeletes.of('tunnel_delete').find((m) => m.args.tunnel_ip === '192.0.2.11'), 5000, 'tunnel_delete fanout');
  for (const args of [{ tunnel_type: 'vxlan', host: 'h' }, { tunnel_ip: '2001:db8::1', tunnel_type: 'vxlan', host: 'h' }, { tunnel_ip: '192.0.2.9', tunnel_type: 'stt', host: 'h' }]) {
    await assert.rejects(agent.call('tunnel_sync', '1.4', args), (e: any) => e.excType === 'InvalidInput');
  }
});

test('security_group_info_for_devices: rules by group, remote group members with MACs', async () => {
  const { port } = await boundPort('sg');
  const info = await agent.call<any>('security_group_info_for_devices', '1.3', { devices: [port.id], call_version: '1.3' });
  const device = info.devices[port.id];
  assert.ok(device, 'the port is described');
  assert.deepEqual(device.fixed_ips, port.fixed_ips.map((f: any) => f.ip_address));
  assert.ok(port.security_groups.length, 'the port is in its project\'s default group');
  let remoteRules = 0;
  for (const sg of port.security_groups) {
    assert.ok(Array.isArray(info.security_groups[sg]));
    for (const rule of info.security_groups[sg]) {
      assert.equal(typeof rule.stateful, 'boolean');
      assert.ok(!('remote_ip_prefix' in rule), 'remote_ip_prefix becomes source_ip_prefix / dest_ip_prefix');
      if (!rule.remote_group_id) continue;
      remoteRules++;
      assert.ok(device.security_group_source_groups.includes(rule.remote_group_id));
      const members = info.sg_member_ips[rule.remote_group_id][rule.ethertype];
      // every port of the group is a member (the other tests' ports too), as [ip, mac] from 1.3 on
      const self = members.some((m: unknown) => JSON.stringify(m) === JSON.stringify([port.fixed_ips[0].ip_address, port.mac_address]));
      assert.equal(self, rule.ethertype === 'IPv4', JSON.stringify(members));
      assert.ok(members.every((m: unknown) => Array.isArray(m) && (m as string[]).length === 2));
    }
  }
  assert.ok(remoteRules > 0, 'the default group allows its members in');
  // provider rules: DHCP replies to the port's address and to broadcast, whatever the groups say
  const ip = port.fixed_ips[0].ip_address;
  assert.deepEqual(device.security_group_rules.filter((r: any) => r.ethertype === 'IPv4').map((r: any) => r.dest_ip_prefix), [`${ip}/32`, '255.255.255.255/32']);
  assert.deepEqual(device.security_group_rules[0], {
    direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 68, port_range_max: 68,
    source_port_range_min: 67, source_port_range_max: 67, dest_ip_prefix: `${ip}/32`,
  });

  const legacy = await agent.call<any>('security_group_rules_for_devices', '1.1', { devices: [port.id] });
  const rules = legacy[port.id].security_group_rules;
  assert.ok(rules.some((r: any) => r.source_ip_prefix === `${ip}/32`) === false, 'a port is not its own remote member');
  assert.ok(rules.some((r: any) => r.direction === 'egress' && r.security_group_id === port.security_groups[0]));
  assert.ok(rules.some((r: any) => r.dest_ip_prefix === '255.255.255.255/32'));

  const sgUpdates = ((lb as any).more as Recorder[])[4]!;
  const member = await eventually(() => sgUpdates.of('security_groups_member_updated').find((m) => m.args.security_groups.includes(port.security_groups[0])), 5000, 'security_groups_member_updated');
  assert.equal(member.version, '1.1');
});

test('security group info: a rule with a remote address group brings the group\'s addresses', async () => {
  const ag = (await ts.request('POST', '/v2.0/address-groups', { address_group: { name: 'ag-l2', addresses: ['198.51.100.0/24', '2001:db8::/64'] } })).body.address_group;
  const g = (await ts.request('POST', '/v2.0/security-groups', { security_group: { name: 'ag-rules' } })).body.security_group;
  const r = await ts.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_address_group_id: ag.id } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const net = await create('network', { name: 'ag-net' });
  await create('subnet', { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 });
  const port = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-ag', 'binding:host_id': 'compute1', security_groups: [g.id] });

  const info = await agent.call<any>('security_group_info_for_devices', '1.3', { devices: [port.id], call_version: '1.3' });
  assert.deepEqual(info.devices[port.id].security_group_remote_address_groups, [ag.id]);
  assert.ok(info.security_groups[g.id].some((x: any) => x.remote_address_group_id === ag.id && x.port_range_min === 22));
  assert.deepEqual(info.sg_member_ips[ag.id], { IPv4: [['198.51.100.0/24', null]] }, 'only the ethertypes its rules have');

  const legacy = await agent.call<any>('security_group_rules_for_devices', '1.1', { devices: [port.id] });
  const expanded = legacy[port.id].security_group_rules.filter((x: any) => x.port_range_min === 22);
  assert.deepEqual(expanded.map((x: any) => [x.source_ip_prefix, 'remote_address_group_id' in x]), [['198.51.100.0/24', false]]);
});
