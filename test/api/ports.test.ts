import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

describe('ports', () => {
  let s: TestServer;
  let n = 0;
  const network = async (headers = A, body: Record<string, unknown> = {}) =>
    (await s.request('POST', '/v2.0/networks', { network: { name: `net${n++}`, ...body } }, headers)).body.network;
  const subnet = async (body: Record<string, unknown>, headers = A) => {
    const res = await s.request('POST', '/v2.0/subnets', { subnet: { ip_version: 4, ...body } }, headers);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.subnet;
  };
  const port = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/ports', { port: body }, headers);
  const update = (id: string, body: Record<string, unknown>, headers = A) => s.request('PUT', `/v2.0/ports/${id}`, { port: body }, headers);

  before(async () => {
    s = await startServer({ DEFAULT: { max_allowed_address_pair: 2, dns_domain: 'example.org' }, ml2: { extension_drivers: ['port_security', 'dns'] } });
  });
  after(() => s.close());

  test('a port with the defaults: one IPv4 address, a SLAAC address, a MAC from base_mac', async () => {
    const net = await network();
    const v4 = await subnet({ network_id: net.id, cidr: '10.0.0.0/24' });
    const v4b = await subnet({ network_id: net.id, cidr: '10.0.1.0/24' });
    const slaac = await subnet({ network_id: net.id, cidr: '2001:db8::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const stateful = await subnet({ network_id: net.id, cidr: '2001:db8:1::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateful' });
    const res = await port({ network_id: net.id, name: 'p1' });
    assert.equal(res.status, 201);
    const p = res.body.port;
    assert.deepEqual(p, (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, A)).body.port);
    assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(p.status, 'DOWN');
    assert.equal(p.admin_state_up, true);
    assert.equal(p.device_owner, '');
    assert.equal(p.device_id, '');
    assert.equal(p.port_security_enabled, true);
    const defaultGroup = (await s.request('GET', '/v2.0/security-groups?name=default', undefined, A)).body.security_groups;
    assert.deepEqual(p.security_groups, [defaultGroup[0].id], "the project's default security group");
    assert.deepEqual(p.allowed_address_pairs, []);
    assert.deepEqual(p.extra_dhcp_opts, []);
    assert.equal(p.dns_name, '');
    assert.equal(p['binding:vnic_type'], 'normal');
    assert.equal('binding:vif_type' in p, false, 'binding details are admin-only');
    const bySubnet = new Map(p.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address]));
    assert.equal(p.fixed_ips.length, 3, JSON.stringify(p.fixed_ips));
    assert.ok(bySubnet.has(v4.id) !== bySubnet.has(v4b.id), 'one IPv4 address, from one of the IPv4 subnets');
    assert.ok(bySubnet.has(stateful.id), 'one stateful IPv6 address');
    const mac = p.mac_address.split(':');
    const eui = `2001:db8::${(parseInt(mac[0], 16) ^ 2).toString(16)}${mac[1]}:${mac[2]}ff:fe${mac[3]}:${mac[4]}${mac[5]}`
      .replace(/:0+([0-9a-f])/g, ':$1');
    assert.equal(bySubnet.get(slaac.id), eui, 'an EUI-64 address on the SLAAC subnet');
    assert.deepEqual(p.dns_assignment.map((d: any) => d.ip_address).sort(), p.fixed_ips.map((f: any) => f.ip_address).sort());
    assert.match(p.dns_assignment[0].fqdn, /^host-.*\.example\.org\.$/);

    const admin = (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port;
    assert.equal(admin['binding:vif_type'], 'unbound');
    assert.deepEqual(admin['binding:vif_details'], {});
    assert.equal(admin['binding:host_id'], '');
    assert.deepEqual(admin['binding:profile'], {});
    assert.equal(admin.ip_allocation, undefined, 'ip_allocation is not an attribute without the ip_allocation extension');

    const empty = await port({ network_id: (await network()).id });
    assert.deepEqual(empty.body.port.fixed_ips, [], 'a network without subnets gives no address');
  });

  test('fixed_ips by subnet, by address, by both, or none; failures', async () => {
    const net = await network();
    const sn = await subnet({ network_id: net.id, cidr: '10.1.0.0/24' });
    const sn2 = await subnet({ network_id: net.id, cidr: '10.1.1.0/24' });
    const other = await network();
    const foreign = await subnet({ network_id: other.id, cidr: '10.9.0.0/24' });

    const bySubnet = await port({ network_id: net.id, fixed_ips: [{ subnet_id: sn2.id }] });
    assert.equal(bySubnet.body.port.fixed_ips[0].subnet_id, sn2.id);
    const byIp = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.1.0.10' }] });
    assert.deepEqual(byIp.body.port.fixed_ips, [{ subnet_id: sn.id, ip_address: '10.1.0.10' }]);
    const both = await port({ network_id: net.id, fixed_ips: [{ subnet_id: sn.id, ip_address: '10.1.0.11' }, { subnet_id: sn.id }] });
    assert.equal(both.body.port.fixed_ips.length, 2);
    const none = await port({ network_id: net.id, fixed_ips: [] });
    assert.deepEqual(none.body.port.fixed_ips, []);
    const outside = await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.1.0.1' }] }, ADMIN);
    assert.equal(outside.status, 201, 'an explicit address may be outside the pools (here the gateway)');

    const cases: Array<[unknown, number, string, string]> = [
      [[{ ip_address: '10.1.0.10' }], 409, 'IpAddressAlreadyAllocated', `IP address 10.1.0.10 already allocated in subnet ${sn.id}`],
      [[{ ip_address: '10.7.0.3' }], 400, 'InvalidIpForNetwork', 'IP address 10.7.0.3 is not a valid IP for any of the subnets on the specified network.'],
      [[{ subnet_id: sn.id, ip_address: '10.1.1.5' }], 400, 'InvalidIpForSubnet', 'IP address 10.1.1.5 is not a valid IP for the specified subnet.'],
      [[{ subnet_id: sn.id, ip_address: '10.1.0.255' }], 400, 'InvalidIpForSubnet', 'IP address 10.1.0.255 is not a valid IP for the specified subnet.'],
      [[{ subnet_id: sn.id, ip_address: '10.1.0.0' }], 400, 'InvalidIpForSubnet', 'IP address 10.1.0.0 is not a valid IP for the specified subnet.'],
      [[{ subnet_id: foreign.id }], 400, 'InvalidInput', `Invalid input for operation: Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${foreign.id}.`],
      [[{ subnet_id: '11111111-2222-3333-4444-555555555555' }], 404, 'SubnetNotFound', 'Subnet 11111111-2222-3333-4444-555555555555 could not be found.'],
      [[{}], 400, 'InvalidInput', 'Invalid input for operation: IP allocation requires subnet_id or ip_address.'],
      [[{ ip_address: '10.1.0.20' }, { ip_address: '10.1.0.20' }], 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: Duplicate IP address '10.1.0.20'."],
      [[{ ip_address: 'x' }], 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: 'x' is not a valid IP address."],
      ['10.1.0.4', 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: Invalid data format for fixed IP: '10.1.0.4'."],
    ];
    for (const [fixed, status, type, message] of cases) {
      assert.deepEqual(errorOf(await port({ network_id: net.id, fixed_ips: fixed })), [status, type, message], JSON.stringify(fixed));
    }
    const noSubnets = await network();
    assert.deepEqual(errorOf(await port({ network_id: noSubnets.id, fixed_ips: [{ ip_address: '10.1.0.30' }] })),
      [400, 'InvalidInput', 'Invalid input for operation: IP allocation requires subnets for network.']);
    assert.deepEqual(errorOf(await port({ network_id: '11111111-2222-3333-4444-555555555555' })).slice(0, 2), [404, 'NetworkNotFound']);
    const listed = await s.request('GET', `/v2.0/ports?network_id=${net.id}`, undefined, A);
    assert.equal(listed.body.ports.length, 5, 'failed creates left nothing behind');
  });

  test('IPv6: SLAAC addresses cannot be chosen, EUI-64 for dhcpv6-stateless too, the network address only for routers', async () => {
    const net = await network(ADMIN);
    const slaac = await subnet({ network_id: net.id, cidr: '2001:db8:a::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }, ADMIN);
    const stateless = await subnet({ network_id: net.id, cidr: '2001:db8:b::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateless' }, ADMIN);
    const stateful = await subnet({ network_id: net.id, cidr: '2001:db8:c::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateful' }, ADMIN);
    const chosen = await port({ network_id: net.id, fixed_ips: [{ subnet_id: slaac.id, ip_address: '2001:db8:a::5' }] }, ADMIN);
    assert.deepEqual(errorOf(chosen), [400, 'AllocationOnAutoAddressSubnet',
      `IPv6 address 2001:db8:a::5 cannot be directly assigned to a port on subnet ${slaac.id} as the subnet is configured for automatic addresses`]);
    const p = (await port({ network_id: net.id, mac_address: 'fa:16:3e:12:34:56', fixed_ips: [{ subnet_id: stateful.id }] }, ADMIN)).body.port;
    const ips = new Map(p.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address]));
    assert.equal(ips.get(slaac.id), '2001:db8:a:0:f816:3eff:fe12:3456');
    assert.equal(ips.get(stateless.id), '2001:db8:b:0:f816:3eff:fe12:3456');
    assert.ok(ips.has(stateful.id), 'explicit fixed_ips still get the SLAAC addresses');
    const router = await port({ network_id: net.id, device_owner: 'network:router_interface', fixed_ips: [{ subnet_id: slaac.id, ip_address: '2001:db8:a::' }] }, ADMIN);
    assert.equal(router.status, 201);
    assert.deepEqual(router.body.port.fixed_ips, [{ subnet_id: slaac.id, ip_address: '2001:db8:a::' }], 'router ports get no SLAAC addresses');
    const vm = await port({ network_id: net.id, device_owner: 'compute:nova', fixed_ips: [{ subnet_id: stateful.id, ip_address: '2001:db8:c::' }] }, ADMIN);
    assert.deepEqual(errorOf(vm).slice(0, 2), [400, 'InvalidIpForSubnet'], 'the subnet-router anycast address is for routers');
    const taken = await port({ network_id: net.id, mac_address: 'fa:16:3e:12:34:56' }, ADMIN);
    assert.deepEqual(errorOf(taken).slice(0, 2), [409, 'MacAddressInUse']);

    // a new SLAAC subnet adds an address to the network's ports at once, not to router ports
    const added = await subnet({ network_id: net.id, cidr: '2001:db8:d::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }, ADMIN);
    const after = (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port;
    assert.ok(after.fixed_ips.some((f: any) => f.subnet_id === added.id && f.ip_address === '2001:db8:d:0:f816:3eff:fe12:3456'));
    assert.equal(after.revision_number, p.revision_number + 1);
    const r = (await s.request('GET', `/v2.0/ports/${router.body.port.id}`, undefined, ADMIN)).body.port;
    assert.equal(r.fixed_ips.length, 1);

    // a new MAC moves the EUI-64 addresses with it
    const moved = await update(p.id, { mac_address: 'fa:16:3e:00:00:01' }, ADMIN);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const moves = new Map(moved.body.port.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address]));
    assert.equal(moves.get(slaac.id), '2001:db8:a:0:f816:3eff:fe00:1');
    assert.equal(moves.get(added.id), '2001:db8:d:0:f816:3eff:fe00:1');
    assert.equal(moves.get(stateful.id), ips.get(stateful.id), 'other addresses stay');
  });

  test('updates that add and remove fixed IPs', async () => {
    const net = await network();
    const sn = await subnet({ network_id: net.id, cidr: '10.2.0.0/24' });
    const sn2 = await subnet({ network_id: net.id, cidr: '10.2.1.0/24' });
    const p = (await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.2.0.5' }] })).body.port;
    const added = await update(p.id, { fixed_ips: [{ ip_address: '10.2.0.5' }, { subnet_id: sn2.id }, { ip_address: '10.2.0.6' }] });
    assert.equal(added.status, 200);
    const addrs = added.body.port.fixed_ips.map((f: any) => f.ip_address);
    assert.equal(addrs.length, 3);
    assert.ok(addrs.includes('10.2.0.5') && addrs.includes('10.2.0.6'));
    assert.equal(added.body.port.revision_number, p.revision_number + 1);
    const kept = await update(p.id, { fixed_ips: [{ subnet_id: sn.id }, { subnet_id: sn2.id }] });
    assert.equal(kept.body.port.fixed_ips.length, 2, 'a {subnet_id} keeps one of the port\'s addresses on that subnet');
    assert.deepEqual(new Set(kept.body.port.fixed_ips.map((f: any) => f.subnet_id)), new Set([sn.id, sn2.id]));
    const released = kept.body.port.fixed_ips.find((f: any) => f.subnet_id === sn.id).ip_address === '10.2.0.5' ? '10.2.0.6' : '10.2.0.5';
    const reuse = await port({ network_id: net.id, fixed_ips: [{ ip_address: released }] });
    assert.equal(reuse.status, 201, 'a removed address is free again');
    const cleared = await update(p.id, { fixed_ips: [] });
    assert.deepEqual(cleared.body.port.fixed_ips, []);
    const conflict = await update(p.id, { fixed_ips: [{ ip_address: released }] });
    assert.deepEqual(errorOf(conflict).slice(0, 2), [409, 'IpAddressAlreadyAllocated']);
    assert.deepEqual((await s.request('GET', `/v2.0/ports/${p.id}`, undefined, A)).body.port.fixed_ips, [], 'a failed update changes nothing');
  });

  test('MAC addresses: explicit under policy, unique per network, regenerated with null', async () => {
    const net = await network();
    await subnet({ network_id: net.id, cidr: '10.3.0.0/24' });
    const p = await port({ network_id: net.id, mac_address: 'FA-16-3E-AA-BB-CC' });
    assert.equal(p.body.port.mac_address, 'fa:16:3e:aa:bb:cc', 'MACs are normalised');
    assert.deepEqual(errorOf(await port({ network_id: net.id, mac_address: 'fa:16:3e:aa:bb:cc' })),
      [409, 'MacAddressInUse', `Unable to complete operation for network ${net.id}. The mac address fa:16:3e:aa:bb:cc is in use.`]);
    const elsewhere = await network();
    assert.equal((await port({ network_id: elsewhere.id, mac_address: 'fa:16:3e:aa:bb:cc' })).status, 201, 'the same MAC on another network');
    assert.deepEqual(errorOf(await port({ network_id: net.id, mac_address: '00:00:00:00:00:00' })).slice(0, 2), [400, 'HTTPBadRequest']);

    const shared = await network(ADMIN, { shared: true });
    await subnet({ network_id: shared.id, cidr: '10.4.0.0/24' }, ADMIN);
    assert.deepEqual(errorOf(await port({ network_id: shared.id, mac_address: 'fa:16:3e:01:02:03' }, B)).slice(0, 2), [403, 'PolicyNotAuthorized'],
      'only the network owner (or admin) picks a MAC');

    assert.deepEqual(errorOf(await update(p.body.port.id, { mac_address: 'fa:16:3e:00:00:09' })).slice(0, 2), [403, 'PolicyNotAuthorized'], 'MAC updates are admin-only');
    const regen = await update(p.body.port.id, { mac_address: null }, ADMIN);
    assert.equal(regen.status, 200);
    assert.match(regen.body.port.mac_address, /^fa:16:3e:/);
    assert.notEqual(regen.body.port.mac_address, 'fa:16:3e:aa:bb:cc');
    const dhcp = (await port({ network_id: net.id, device_owner: 'network:dhcp' })).body.port;
    assert.deepEqual(errorOf(await update(dhcp.id, { mac_address: 'fa:16:3e:00:00:0a' }, ADMIN)),
      [409, 'UnsupportedPortDeviceOwner', `Operation mac address update is not supported for device_owner network:dhcp on port ${dhcp.id}.`]);
  });

  test('policy and visibility: owners, network owners, shared networks', async () => {
    const priv = await network(A);
    await subnet({ network_id: priv.id, cidr: '10.5.0.0/24' });
    assert.deepEqual(errorOf(await port({ network_id: priv.id }, B)).slice(0, 2), [404, 'NetworkNotFound']);
    const ext = await network(ADMIN, { 'router:external': true });
    assert.deepEqual(errorOf(await port({ network_id: ext.id }, B)), [403, 'HTTPForbidden', 'Tenant project-b not allowed to create port on this network']);

    const shared = await network(A, {});
    await s.request('PUT', `/v2.0/networks/${shared.id}`, { network: { shared: true } }, ADMIN);
    const sn = await subnet({ network_id: shared.id, cidr: '10.6.0.0/24' });
    const mine = await port({ network_id: shared.id, fixed_ips: [{ subnet_id: sn.id }] }, B);
    assert.equal(mine.status, 201, 'a shared network takes ports of other projects, with subnet_id fixed IPs');
    assert.deepEqual(errorOf(await port({ network_id: shared.id, fixed_ips: [{ ip_address: '10.6.0.50' }] }, B)).slice(0, 2), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(errorOf(await port({ network_id: shared.id, device_owner: 'network:dhcp' }, B)).slice(0, 2), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(errorOf(await port({ network_id: shared.id, 'binding:host_id': 'h1' }, B)).slice(0, 2), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(errorOf(await update(mine.body.port.id, { 'binding:host_id': 'h1' }, B)).slice(0, 2), [403, 'PolicyNotAuthorized']);
    // the network owner sees (and may delete) other projects' ports on its network
    const seenByOwner = await s.request('GET', `/v2.0/ports?network_id=${shared.id}`, undefined, A);
    assert.deepEqual(seenByOwner.body.ports.map((p: any) => p.id), [mine.body.port.id]);
    assert.equal((await s.request('GET', `/v2.0/ports/${mine.body.port.id}`, undefined, asProject('project-c'))).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${mine.body.port.id}`, undefined, asProject('project-c'))).status, 404);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${mine.body.port.id}`, undefined, A)).status, 204);
  });

  test('bindings, port security, allowed address pairs, extra DHCP options, DNS names, security groups', async () => {
    const net = await network(ADMIN);
    await subnet({ network_id: net.id, cidr: '10.7.0.0/24' }, ADMIN);
    const sg = (await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'sg' } }, ADMIN)).body.security_group.id;
    const res = await port({
      network_id: net.id, 'binding:host_id': 'compute-1', 'binding:vnic_type': 'direct', 'binding:profile': { pci_slot: '0000:01:00.1' },
      allowed_address_pairs: [{ ip_address: '10.7.0.200' }, { ip_address: '10.8.0.0/24', mac_address: 'fa:16:3e:00:00:99' }],
      extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }, { opt_name: 'tftp-server', opt_value: '10.7.0.5', ip_version: 4 }],
      dns_name: 'VM-1', security_groups: [sg],
    }, ADMIN);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.port;
    assert.equal(p['binding:host_id'], 'compute-1');
    assert.equal(p['binding:vnic_type'], 'direct');
    assert.deepEqual(p['binding:profile'], { pci_slot: '0000:01:00.1' });
    assert.equal(p['binding:vif_type'], 'unbound', 'no mechanism driver bound it');
    assert.deepEqual(new Set(p.allowed_address_pairs.map((x: any) => JSON.stringify(x))), new Set([
      JSON.stringify({ ip_address: '10.7.0.200', mac_address: p.mac_address }), JSON.stringify({ ip_address: '10.8.0.0/24', mac_address: 'fa:16:3e:00:00:99' }),
    ]));
    assert.deepEqual(p.extra_dhcp_opts.map((o: any) => [o.opt_name, o.opt_value, o.ip_version]).sort(), [['bootfile-name', 'pxelinux.0', 4], ['tftp-server', '10.7.0.5', 4]]);
    assert.equal(p.dns_name, 'vm-1');
    assert.deepEqual(p.dns_assignment, [{ ip_address: p.fixed_ips[0].ip_address, hostname: 'vm-1', fqdn: 'vm-1.example.org.' }]);
    assert.deepEqual(p.security_groups, [sg]);
    // the create's answer is built from what it wrote, not read back: it must be what a GET shows
    assert.deepEqual(p, (await s.request('GET', `/v2.0/ports/${p.id}`, undefined, ADMIN)).body.port);
    // an address p does not hold: its own was picked at random from the same subnet
    const chosen = p.fixed_ips[0].ip_address === '10.7.0.77' ? '10.7.0.78' : '10.7.0.77';
    const dual = await port({
      network_id: net.id, fixed_ips: [{ subnet_id: p.fixed_ips[0].subnet_id }, { ip_address: chosen }],
      extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }, { opt_name: 'router', opt_value: null }, { opt_name: 'mtu', opt_value: '1450' }],
      allowed_address_pairs: [{ ip_address: '10.9.0.1' }, { ip_address: '10.9.0.1', mac_address: 'fa:16:3e:00:00:98' }],
    }, ADMIN);
    assert.equal(dual.status, 201, JSON.stringify(dual.body));
    assert.deepEqual(dual.body.port, (await s.request('GET', `/v2.0/ports/${dual.body.port.id}`, undefined, ADMIN)).body.port);
    const bySg = await s.request('GET', `/v2.0/ports?security_groups=${sg}`, undefined, ADMIN);
    assert.deepEqual(bySg.body.ports.map((x: any) => x.id), [p.id]);
    const byHost = await s.request('GET', '/v2.0/ports?binding:host_id=compute-1', undefined, ADMIN);
    assert.deepEqual(byHost.body.ports.map((x: any) => x.id), [p.id]);

    const upd = await update(p.id, {
      extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: null }, { opt_name: 'server-ip-address', opt_value: '10.7.0.6' }],
      'binding:host_id': 'compute-2', allowed_address_pairs: [], security_groups: [],
    }, ADMIN);
    assert.equal(upd.status, 200);
    assert.deepEqual(upd.body.port.extra_dhcp_opts.map((o: any) => o.opt_name).sort(), ['server-ip-address', 'tftp-server']);
    assert.equal(upd.body.port['binding:host_id'], 'compute-2');
    assert.deepEqual(upd.body.port.allowed_address_pairs, []);
    assert.deepEqual(upd.body.port.security_groups, []);

    assert.deepEqual(errorOf(await port({ network_id: net.id, port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.7.0.9' }] }, ADMIN)),
      [409, 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, allowed_address_pairs: [1, 2, 3].map((i) => ({ ip_address: `10.7.0.${i}` })) }, ADMIN)),
      [400, 'AllowedAddressPairExhausted', 'The number of allowed address pair exceeds the maximum 2.']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, allowed_address_pairs: [{ mac_address: 'fa:16:3e:00:00:01' }] }, ADMIN)).slice(0, 2), [400, 'AllowedAddressPairsMissingIP']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, allowed_address_pairs: [{ ip_address: '10.7.0.9' }, { ip_address: '10.7.0.9' }] }, ADMIN)).slice(0, 2), [400, 'DuplicateAddressPairInRequest']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, 'binding:vnic_type': 'fancy' }, ADMIN)).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, extra_dhcp_opts: [{ opt_name: 'x' }] }, ADMIN)).slice(0, 2), [400, 'InvalidInput']);
    assert.deepEqual(errorOf(await port({ network_id: net.id, dns_name: '-bad-' }, ADMIN)).slice(0, 2), [400, 'HTTPBadRequest']);
    const insecure = await port({ network_id: net.id, port_security_enabled: false }, ADMIN);
    assert.equal(insecure.body.port.port_security_enabled, false);
    const netOff = await network(ADMIN, { port_security_enabled: false });
    assert.equal((await port({ network_id: netOff.id }, ADMIN)).body.port.port_security_enabled, false, 'a port takes its network\'s port security by default');
  });

  test('list filters: fixed_ips (address, subnet, substring), mac_address, device_owner; set-based listing', async () => {
    const net = await network();
    const sn = await subnet({ network_id: net.id, cidr: '10.20.0.0/24' });
    const p1 = (await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.11' }], device_owner: 'compute:az1' })).body.port;
    const p2 = (await port({ network_id: net.id, fixed_ips: [{ ip_address: '10.20.0.21' }] })).body.port;
    const ids = async (q: string) => (await s.request('GET', `/v2.0/ports?network_id=${net.id}&${q}`, undefined, A)).body.ports.map((p: any) => p.id).sort();
    assert.deepEqual(await ids('fixed_ips=ip_address%3D10.20.0.11'), [p1.id]);
    assert.deepEqual(await ids(`fixed_ips=subnet_id%3D${sn.id}`), [p1.id, p2.id].sort());
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D.0.21'), [p2.id]);
    assert.deepEqual(await ids('fixed_ips=ip_address%3D10.20.0.11&fixed_ips=ip_address%3D10.20.0.21'), [p1.id, p2.id].sort(), 'one key\'s values OR together');
    assert.deepEqual(await ids(`fixed_ips=ip_address%3D10.20.0.11&fixed_ips=subnet_id%3D${sn.id}`), [p1.id], 'keys AND');
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D.0.21&fixed_ips=ip_address_substr%3D.0.11'), [p1.id, p2.id].sort());
    assert.deepEqual(await ids('fixed_ips=ip_address_substr%3D%25'), [], 'LIKE wildcards are matched literally');
    assert.deepEqual(await ids(`mac_address=${p1.mac_address}`), [p1.id]);
    assert.deepEqual(await ids('device_owner=compute:az1'), [p1.id]);
    const bad = await s.request('GET', '/v2.0/ports?fixed_ips=nonsense', undefined, A);
    assert.deepEqual(errorOf(bad).slice(0, 2), [400, 'InvalidInput']);
    const page = await s.request('GET', `/v2.0/ports?network_id=${net.id}&limit=1&sort_key=mac_address&sort_dir=asc`, undefined, A);
    assert.equal(page.body.ports.length, 1);
    assert.ok(page.body.ports_links.some((l: any) => l.rel === 'next'));
  });

  test('device_owner semantics: router interfaces need the router\'s owner', async () => {
    const net = await network();
    await subnet({ network_id: net.id, cidr: '10.21.0.0/24' });
    assert.deepEqual(errorOf(await port({ network_id: net.id, device_owner: 'network:router_interface', device_id: '11111111-2222-3333-4444-555555555555' })),
      [409, 'DeviceIDNotOwnedByTenant', 'The following device_id 11111111-2222-3333-4444-555555555555 is not owned by your tenant or matches another tenants router.']);
    const p = (await port({ network_id: net.id, device_owner: 'compute:nova', device_id: 'vm-1' })).body.port;
    const moved = await update(p.id, { device_id: 'vm-2', admin_state_up: false, name: 'n' });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.port.device_id, 'vm-2');
    assert.equal(moved.body.port.admin_state_up, false);
    assert.equal((await s.request('DELETE', `/v2.0/ports/${p.id}`, undefined, A)).status, 204);
    assert.deepEqual(errorOf(await s.request('GET', `/v2.0/ports/${p.id}`, undefined, A)), [404, 'PortNotFound', `Port ${p.id} could not be found.`]);
  });
});
