// The Open vSwitch agent's versioned-objects channel: bulk_pull/pull on q-plugin and the
// neutron-vo-<Type>-<version> pushes that follow changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startServer, type TestServer } from '../support/server.js';
import { createThrough, eventually, FakeAgent, OVS_STATE, Recorder } from './support.js';

// the fields of Neutron 21's objects (oslo.versionedobjects), which the agent's cache needs all of
const PORT_FIELDS = ['admin_state_up', 'allowed_address_pairs', 'binding_levels', 'bindings', 'created_at', 'data_plane_status', 'description',
  'device_id', 'device_owner', 'device_profile', 'dhcp_options', 'distributed_bindings', 'dns', 'fixed_ips', 'id', 'mac_address', 'name',
  'network_id', 'numa_affinity_policy', 'project_id', 'qos_network_policy_id', 'qos_policy_id', 'revision_number', 'security',
  'security_group_ids', 'status', 'updated_at'];
const NETWORK_FIELDS = ['admin_state_up', 'availability_zone_hints', 'created_at', 'description', 'dns_domain', 'id', 'mtu', 'name', 'project_id',
  'qos_policy_id', 'revision_number', 'security', 'segments', 'shared', 'status', 'updated_at', 'vlan_transparent'];
const SUBNET_FIELDS = ['allocation_pools', 'cidr', 'created_at', 'description', 'dns_nameservers', 'dns_publish_fixed_ip', 'enable_dhcp', 'gateway_ip',
  'host_routes', 'id', 'ip_version', 'ipv6_address_mode', 'ipv6_ra_mode', 'name', 'network_id', 'project_id', 'revision_number', 'segment_id',
  'service_types', 'shared', 'subnetpool_id', 'updated_at'];
const SEGMENT_FIELDS = ['created_at', 'description', 'hosts', 'id', 'is_dynamic', 'name', 'network_id', 'network_type', 'physical_network',
  'revision_number', 'segment_index', 'segmentation_id', 'updated_at'];
const RULE_FIELDS = ['created_at', 'description', 'direction', 'ethertype', 'id', 'normalized_cidr', 'port_range_max', 'port_range_min', 'project_id',
  'protocol', 'remote_address_group_id', 'remote_group_id', 'remote_ip_prefix', 'revision_number', 'security_group_id', 'updated_at'];
const GROUP_FIELDS = ['created_at', 'description', 'id', 'is_default', 'name', 'project_id', 'revision_number', 'rules', 'shared', 'stateful', 'updated_at'];

let ts: TestServer;
let agent: FakeAgent;
let ports: Recorder;

before(async () => {
  ts = await startServer({ ml2: { mechanism_drivers: ['openvswitch'], tenant_network_types: ['vxlan'] }, ml2_type_vxlan: { vni_ranges: ['1001:2000'] } });
  agent = new FakeAgent(ts.server.transport);
  ports = new Recorder(ts.server.transport, 'neutron-vo-Port-1.7', 'compute1', ['push'], '1.1');
  await ports.start();
  assert.equal(await agent.reportState(OVS_STATE('compute1')), 'new');
});
after(async () => {
  await ports.stop();
  await ts.close();
});

const create = (collection: string, body: Record<string, unknown>) => createThrough(ts, collection, body);

const data = (p: any) => p['versioned_object.data'];
const pushesOf = (id: string) => ports.of('push').filter((m) => m.args.resource_list.some((o: any) => data(o).id === id));

test('bulk_pull answers complete Port, Network, Subnet and security group primitives', async () => {
  const net = await create('network', { name: 'ovo', tags: undefined });
  const subnet = await create('subnet', { network_id: net.id, cidr: '10.30.0.0/24', ip_version: 4, dns_nameservers: ['192.0.2.53'], host_routes: [{ destination: '10.99.0.0/16', nexthop: '10.30.0.254' }] });
  const port = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm', 'binding:host_id': 'compute1', extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }], allowed_address_pairs: [{ ip_address: '10.30.0.100' }] });
  await eventually(() => pushesOf(port.id).length, 5000, 'a push after the binding');

  const [p] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Port', version: '1.7', filter_kwargs: { id: [port.id] } });
  assert.equal(p['versioned_object.name'], 'Port');
  assert.equal(p['versioned_object.namespace'], 'versionedobjects');
  assert.equal(p['versioned_object.version'], '1.7');
  const d = data(p);
  assert.deepEqual(Object.keys(d).sort(), PORT_FIELDS);
  assert.equal(d.mac_address, port.mac_address);
  assert.match(d.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(d.fixed_ips.map((f: any) => [f['versioned_object.name'], data(f).ip_address, data(f).network_id]), [['IPAllocation', port.fixed_ips[0].ip_address, net.id]]);
  const [binding] = d.bindings;
  assert.equal(binding['versioned_object.name'], 'PortBinding');
  assert.equal(data(binding).host, 'compute1');
  assert.equal(data(binding).vif_type, 'ovs');
  assert.equal(typeof data(binding).vif_details, 'string', 'dict fields travel as JSON strings');
  assert.equal(JSON.parse(data(binding).vif_details).port_filter, true);
  assert.equal(data(binding).profile, '{}');
  const [level] = d.binding_levels;
  assert.equal(level['versioned_object.version'], '1.1');
  assert.equal(data(level).driver, 'openvswitch');
  assert.deepEqual(Object.keys(data(data(level).segment)).sort(), SEGMENT_FIELDS);
  assert.equal(data(data(level).segment).segmentation_id, net['provider:segmentation_id']);
  assert.equal(data(d.security).port_security_enabled, true);
  assert.deepEqual(d.security_group_ids, port.security_groups);
  assert.equal(data(d.dhcp_options[0]).opt_value, '1400');
  assert.equal(data(d.allowed_address_pairs[0]).ip_address, '10.30.0.100');

  const [n] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Network', version: '1.1', filter_kwargs: { id: [net.id] } });
  assert.deepEqual(Object.keys(data(n)).sort(), NETWORK_FIELDS);
  assert.equal(data(data(n).segments[0]).network_type, 'vxlan');
  const [s] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Subnet', version: '1.1', filter_kwargs: { network_id: [net.id] } });
  assert.deepEqual(Object.keys(data(s)).sort(), SUBNET_FIELDS);
  assert.equal(data(s).id, subnet.id);
  assert.deepEqual(data(s).dns_nameservers.map((x: any) => data(x).address), ['192.0.2.53']);
  assert.deepEqual(data(s).host_routes.map((x: any) => data(x).nexthop), ['10.30.0.254']);
  assert.deepEqual(data(s).allocation_pools.map((x: any) => [data(x).start, data(x).end]), [['10.30.0.2', '10.30.0.254']]);

  const sg = port.security_groups[0];
  const rules = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'SecurityGroupRule', version: '1.2', filter_kwargs: { security_group_id: [sg] } });
  assert.ok(rules.length >= 2);
  for (const r of rules) assert.deepEqual(Object.keys(data(r)).sort(), RULE_FIELDS);
  const [g] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'SecurityGroup', version: '1.5', filter_kwargs: { id: [sg] } });
  assert.deepEqual(Object.keys(data(g)).sort(), GROUP_FIELDS);
  assert.equal(data(g).is_default, true);
  assert.equal(data(g).rules.length, rules.length);
  const members = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'Port', version: '1.7', filter_kwargs: { security_group_ids: [sg] } });
  assert.ok(members.some((m) => data(m).id === port.id));

  assert.equal(data(await agent.call('pull', '1.1', { resource_type: 'Port', version: '1.7', resource_id: port.id })).id, port.id);
  assert.equal(await agent.call('pull', '1.1', { resource_type: 'Port', version: '1.7', resource_id: 'gone' }), null);
  await assert.rejects(agent.call('bulk_pull', '1.1', { resource_type: 'Nope', version: '1.0', filter_kwargs: {} }), (e: any) => e.excType === 'InvalidResourceTypeClass');
  assert.deepEqual(await agent.call('bulk_pull', '1.1', { resource_type: 'AddressGroup', version: '1.2', filter_kwargs: { id: ['x'] } }), []);

  if (process.env.OVO_DUMP) writeFileSync(process.env.OVO_DUMP, JSON.stringify([p, n, s, g, ...rules]));
});

test('port changes are pushed as "updated" with the current state, and deletions as "deleted" with the id', async () => {
  const net = await create('network', { name: 'ovo-push' });
  const port = await create('port', { network_id: net.id, device_owner: 'compute:nova', device_id: 'vm', 'binding:host_id': 'compute1' });
  const first = await eventually(() => pushesOf(port.id)[0], 5000, 'push on binding');
  assert.equal(first.version, '1.1');
  assert.equal(first.args.event_type, 'updated');
  assert.equal(data(data(first.args.resource_list[0]).bindings[0]).vif_type, 'ovs', 'pushed after the binding');
  await agent.call('update_device_list', '1.9', { devices_up: [port.id], devices_down: [], agent_id: 'ovs', host: 'compute1', refresh_tunnels: false });
  const active = await eventually(() => pushesOf(port.id).find((m) => data(m.args.resource_list[0]).status === 'ACTIVE'), 5000, 'push of the ACTIVE port');
  assert.ok(data(active.args.resource_list[0]).revision_number > data(first.args.resource_list[0]).revision_number, 'the agent keeps the newest revision');
  assert.equal((await ts.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
  const deleted = await eventually(() => pushesOf(port.id).find((m) => m.args.event_type === 'deleted'), 5000, 'deleted push');
  assert.deepEqual(data(deleted.args.resource_list[0]), { id: port.id });
});

test('security group rule changes push the rule and its group', async () => {
  const rules = new Recorder(ts.server.transport, 'neutron-vo-SecurityGroupRule-1.2', 'compute1', ['push'], '1.1');
  const groups = new Recorder(ts.server.transport, 'neutron-vo-SecurityGroup-1.5', 'compute1', ['push'], '1.1');
  await Promise.all([rules.start(), groups.start()]);
  try {
    const g = (await ts.request('POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).body.security_group;
    const r = await ts.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.security_group_rule.id;
    const pushed = await eventually(() => rules.of('push').find((m) => data(m.args.resource_list[0]).id === id), 5000, 'rule push');
    assert.equal(data(pushed.args.resource_list[0]).port_range_min, 80);
    await eventually(() => groups.of('push').find((m) => data(m.args.resource_list[0]).id === g.id && data(m.args.resource_list[0]).rules.some((x: any) => data(x).id === id)), 5000, 'group push with the rule');
    assert.equal((await ts.request('DELETE', `/v2.0/security-group-rules/${id}`)).status, 204);
    await eventually(() => rules.of('push').find((m) => m.args.event_type === 'deleted' && data(m.args.resource_list[0]).id === id), 5000, 'rule deleted push');
  } finally {
    await Promise.all([rules.stop(), groups.stop()]);
  }
});

test('address groups: pulled as AddressGroup 1.2, pushed on every change of their addresses', async () => {
  const pushes = new Recorder(ts.server.transport, 'neutron-vo-AddressGroup-1.2', 'compute1', ['push'], '1.1');
  await pushes.start();
  try {
    const ag = (await ts.request('POST', '/v2.0/address-groups', { address_group: { name: 'ag', addresses: ['10.9.0.1/24'] } })).body.address_group;
    const created = await eventually(() => pushes.of('push').find((m) => data(m.args.resource_list[0]).id === ag.id), 5000, 'create push');
    assert.deepEqual(Object.keys(data(created.args.resource_list[0])).sort(),
      ['addresses', 'created_at', 'description', 'id', 'name', 'project_id', 'revision_number', 'shared', 'updated_at']);
    assert.deepEqual(data(created.args.resource_list[0]).addresses.map((a: any) => data(a)), [{ address: '10.9.0.0/24', address_group_id: ag.id }]);
    assert.equal((await ts.request('PUT', `/v2.0/address-groups/${ag.id}/add_addresses`, { addresses: ['10.8.0.0/16'] })).status, 200);
    await eventually(() => pushes.of('push').find((m) => data(m.args.resource_list[0]).addresses.length === 2), 5000, 'push after add_addresses');
    const [pulled] = await agent.call<any[]>('bulk_pull', '1.1', { resource_type: 'AddressGroup', version: '1.2', filter_kwargs: { id: [ag.id] } });
    assert.deepEqual(data(pulled).addresses.map((a: any) => data(a).address), ['10.8.0.0/16', '10.9.0.0/24']);
    assert.equal((await ts.request('DELETE', `/v2.0/address-groups/${ag.id}`)).status, 204);
    await eventually(() => pushes.of('push').find((m) => m.args.event_type === 'deleted' && data(m.args.resource_list[0]).id === ag.id), 5000, 'deleted push');
  } finally {
    await pushes.stop();
  }
});
