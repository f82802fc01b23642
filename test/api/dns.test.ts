import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminContext } from '../../src/lib/context.js';
import { FakeAgent } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');

function errorOf(res: { status: number; body: any }): [number, string, string] {
  return [res.status, res.body?.NeutronError?.type, res.body?.NeutronError?.message];
}

async function aliases(s: TestServer): Promise<string[]> {
  return (await s.request('GET', '/v2.0/extensions', undefined, A)).body.extensions.map((e: any) => e.alias);
}

describe('DNS integration (dns_domain_ports, subnet_dns_publish_fixed_ip)', () => {
  let s: TestServer;
  let net: any;
  let sub: any;
  const port = (body: Record<string, unknown>, headers = A) => s.request('POST', '/v2.0/ports', { port: { network_id: net.id, ...body } }, headers);
  const update = (id: string, body: Record<string, unknown>) => s.request('PUT', `/v2.0/ports/${id}`, { port: body }, A);

  before(async () => {
    s = await startServer({
      DEFAULT: { dns_domain: 'example.org', service_plugins: ['router'] },
      ml2: { extension_drivers: ['port_security', 'subnet_dns_publish_fixed_ip'] },
    });
    net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n', dns_domain: 'Corp.Example.COM.' } }, A)).body.network;
    sub = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } }, A)).body.subnet;
  });
  after(() => s.close());

  test('the driver brings dns-integration and dns-domain-ports with it', async () => {
    const listed = await aliases(s);
    for (const a of ['dns-integration', 'dns-domain-ports', 'subnet-dns-publish-fixed-ip']) assert.ok(listed.includes(a), a);
    assert.equal(net.dns_domain, 'corp.example.com.', 'lower-cased');
  });

  test('a port: dns_name and dns_domain stored, dns_assignment from the fixed IPs and [DEFAULT] dns_domain', async () => {
    const res = await port({ dns_name: 'VM-1', dns_domain: 'Port.Example.NET.' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.port;
    assert.equal(p.dns_name, 'vm-1');
    assert.equal(p.dns_domain, 'port.example.net.');
    const ip = p.fixed_ips[0].ip_address;
    assert.deepEqual(p.dns_assignment, [{ ip_address: ip, hostname: 'vm-1', fqdn: 'vm-1.example.org.' }]);
    assert.deepEqual((await s.request('GET', `/v2.0/ports/${p.id}`, undefined, A)).body.port, p, 'the create answer is what a GET shows');

    const renamed = await update(p.id, { dns_name: 'vm-2.example.org.', dns_domain: '' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.port.dns_domain, '');
    assert.deepEqual(renamed.body.port.dns_assignment, [{ ip_address: ip, hostname: 'vm-2.example.org.', fqdn: 'vm-2.example.org.' }]);
    const fields = await s.request('GET', `/v2.0/ports/${p.id}?fields=dns_domain&fields=dns_assignment`, undefined, A);
    assert.deepEqual(fields.body.port, { dns_domain: '', dns_assignment: renamed.body.port.dns_assignment });

    const plain = (await port({})).body.port;
    assert.equal(plain.dns_name, '');
    assert.equal(plain.dns_domain, '');
    const host = `host-${plain.fixed_ips[0].ip_address.replace(/\./g, '-')}`;
    assert.deepEqual(plain.dns_assignment, [{ ip_address: plain.fixed_ips[0].ip_address, hostname: host, fqdn: `${host}.example.org.` }]);
  });

  test("dns_name: an FQDN must end with [DEFAULT] dns_domain; a PQDN must fit with it; the format is checked", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ dns_name: 'vm.other.org.' }, "Invalid input for dns_name. Reason: The dns_name passed is a FQDN. Its higher level labels must be equal to the dns_domain option in neutron.conf, that has been set to 'example.org'. It must also include one or more valid DNS labels to the left of 'example.org'."],
      [{ dns_name: 'example.org.' }, "Invalid input for dns_name. Reason: The dns_name passed is a FQDN. Its higher level labels must be equal to the dns_domain option in neutron.conf, that has been set to 'example.org'. It must also include one or more valid DNS labels to the left of 'example.org'."],
      [{ dns_name: `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}` }, "Invalid input for dns_name. Reason: The dns_name passed is a PQDN and its size is '243'. The dns_domain option in neutron.conf is set to example.org, with a length of '13'. When the two are concatenated to form a FQDN (with a '.' at the end), the resulting length exceeds the maximum size of '255'."],
      [{ dns_name: '-bad-' }, "Invalid input for dns_name. Reason: '-bad-' not a valid PQDN or FQDN. Reason: Name '-bad-' must not start or end with a hyphen."],
      [{ dns_name: 'host.123' }, "Invalid input for dns_name. Reason: 'host.123' not a valid PQDN or FQDN. Reason: TLD '123' must not be all numeric."],
      [{ dns_domain: 'example.org' }, "Invalid input for dns_domain. Reason: 'example.org' is not a FQDN."],
      [{ dns_name: 42 }, 'Invalid input for operation: Input value 42 must be string type.'],
    ];
    for (const [body, message] of cases) {
      const [status, , msg] = errorOf(await port(body));
      assert.deepEqual([status, msg], [400, message], JSON.stringify(body));
    }
    const p = (await port({ dns_name: 'ok' })).body.port;
    assert.deepEqual(errorOf(await update(p.id, { dns_name: 'x.other.org.' })).slice(0, 2), [400, 'HTTPBadRequest']);
    assert.equal((await s.request('GET', `/v2.0/ports/${p.id}`, undefined, A)).body.port.dns_name, 'ok', 'a refused update changes nothing');
  });

  test('networks: dns_domain is validated and updatable', async () => {
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/networks', { network: { dns_domain: 'no-dot' } }, A)),
      [400, 'HTTPBadRequest', "Invalid input for dns_domain. Reason: 'no-dot' is not a FQDN."]);
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.`;
    assert.deepEqual(errorOf(await s.request('POST', '/v2.0/networks', { network: { dns_domain: long } }, A)).slice(0, 2), [400, 'HTTPBadRequest']);
    const upd = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { dns_domain: 'new.example.com.' } }, A);
    assert.equal(upd.body.network.dns_domain, 'new.example.com.');
  });

  test('subnets: dns_publish_fixed_ip defaults to false and is updatable', async () => {
    assert.equal(sub.dns_publish_fixed_ip, false);
    const on = await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.1.0/24', ip_version: 4, dns_publish_fixed_ip: 'true' } }, A);
    assert.equal(on.status, 201, JSON.stringify(on.body));
    assert.equal(on.body.subnet.dns_publish_fixed_ip, true);
    const off = await s.request('PUT', `/v2.0/subnets/${on.body.subnet.id}`, { subnet: { dns_publish_fixed_ip: false } }, A);
    assert.equal(off.body.subnet.dns_publish_fixed_ip, false);
    assert.equal((await s.request('GET', `/v2.0/subnets/${on.body.subnet.id}`, undefined, A)).body.subnet.dns_publish_fixed_ip, false);
    const pull = (id: string) => new FakeAgent(s.server.transport).call<any[]>('bulk_pull', '1.1', { resource_type: 'Subnet', version: '1.1', filter_kwargs: { id: [id] } });
    assert.equal((await pull(on.body.subnet.id))[0]['versioned_object.data'].dns_publish_fixed_ip, false);
    await s.request('PUT', `/v2.0/subnets/${on.body.subnet.id}`, { subnet: { dns_publish_fixed_ip: true } }, A);
    assert.equal((await pull(on.body.subnet.id))[0]['versioned_object.data'].dns_publish_fixed_ip, true, "the agents' Subnet object");
    assert.deepEqual(errorOf(await s.request('PUT', `/v2.0/subnets/${sub.id}`, { subnet: { dns_publish_fixed_ip: 'maybe' } }, A)).slice(0, 2), [400, 'InvalidInput']);
  });

  test('floating IPs: dns_name is a relative name', async () => {
    const ext = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } }, ADMIN)).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '172.24.0.0/24', ip_version: 4 } }, ADMIN);
    const fqdn = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, dns_name: 'www.', dns_domain: 'example.org.' } }, A);
    assert.deepEqual(errorOf(fqdn), [400, 'HTTPBadRequest', "Invalid input for dns_name. Reason: 'www.' is a FQDN. It should be a relative domain name."]);
    const ok = await s.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, dns_name: 'www', dns_domain: 'example.org.' } }, A);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  test("the DHCP agent's get_network_info carries dns_name and dns_assignment", async () => {
    const p = (await port({ dns_name: 'dhcp-seen' })).body.port;
    const ml2 = s.server.plugins.find((x) => x.name === 'ml2')!;
    const endpoint = ml2.rpcListeners!().flatMap((l) => l.endpoints).find((e: any) => typeof e.get_network_info === 'function') as any;
    const info = await endpoint.get_network_info(adminContext(), { network_id: net.id, host: 'h1' });
    const seen = info.ports.find((x: any) => x.id === p.id);
    assert.equal(seen.dns_name, 'dhcp-seen');
    assert.deepEqual(seen.dns_assignment, p.dns_assignment);
  });
});

describe('DNS without [DEFAULT] dns_domain set, and without the drivers', () => {
  test('the default dns_domain keeps no names on ports', async () => {
    const s = await startServer({ ml2: { extension_drivers: ['dns_domain_ports'] } });
    try {
      const listed = await aliases(s);
      assert.ok(listed.includes('dns-domain-ports') && !listed.includes('subnet-dns-publish-fixed-ip'));
      const net = (await s.request('POST', '/v2.0/networks', { network: {} }, A)).body.network;
      await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } }, A);
      const p = (await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, dns_name: 'vm.any.where.', dns_domain: 'd.org.' } }, A)).body.port;
      assert.equal(p.dns_name, '');
      assert.equal(p.dns_domain, '');
      assert.equal(p.dns_assignment[0].fqdn, `${p.dns_assignment[0].hostname}.openstacklocal.`);
      assert.deepEqual(errorOf(await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.1.0/24', ip_version: 4, dns_publish_fixed_ip: true } }, A)),
        [400, 'HTTPBadRequest', "Unrecognized attribute(s) 'dns_publish_fixed_ip'"]);
    } finally {
      await s.close();
    }
  });

  test('no dns driver: no DNS attribute and no alias', async () => {
    const s = await startServer({ ml2: { extension_drivers: ['port_security'] } });
    try {
      const listed = await aliases(s);
      for (const a of ['dns-integration', 'dns-domain-ports']) assert.ok(!listed.includes(a), a);
      const net = (await s.request('POST', '/v2.0/networks', { network: {} }, A)).body.network;
      assert.equal('dns_domain' in net, false);
      assert.deepEqual(errorOf(await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, dns_name: 'x' } }, A)),
        [400, 'HTTPBadRequest', "Unrecognized attribute(s) 'dns_name'"]);
    } finally {
      await s.close();
    }
  });
});
