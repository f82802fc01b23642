import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a', 'member,reader');
const B = asProject('project-b', 'member,reader');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;

describe('local IPs (local_ip service plugin)', () => {
  let s: TestServer;
  let net: any;
  let subnet: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['local_ip'] } });
    net = await post('/v2.0/networks', { network: { name: 'n' } });
    subnet = await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
  });
  after(() => s.close());

  async function post(path: string, body: unknown, headers: Record<string, string> = A) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const assocs = (id: string) => `/v2.0/local_ips/${id}/port_associations`;

  test('a local IP on a network gets a port of its own; on a port, one of its addresses', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('local_ip'));
    const lip = await post('/v2.0/local_ips', { local_ip: { name: 'lip', network_id: net.id, local_ip_address: '10.0.0.50' } });
    assert.equal(lip.local_ip_address, '10.0.0.50');
    assert.equal(lip.network_id, net.id);
    assert.equal(lip.ip_mode, 'translate');
    assert.equal(lip.project_id, 'project-a');
    assert.deepEqual(lip.tags, []);
    const port = (await s.request('GET', `/v2.0/ports/${lip.local_port_id}`, undefined, ADMIN)).body.port;
    assert.equal(port.device_owner, 'network:local_ip');
    assert.equal(port.device_id, lip.id);
    assert.equal(port.status, 'N/A');
    const held = await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, ADMIN);
    assert.equal(held.status, 409);
    assert.equal(message(held), `Port ${port.id} cannot be deleted directly via the port API: still referenced by Local IPs.`);

    const two = await post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id }, { subnet_id: subnet.id }] } });
    const several = await s.request('POST', '/v2.0/local_ips', { local_ip: { local_port_id: two.id } }, A);
    assert.equal(several.status, 400);
    assert.equal(type(several), 'LocalIPNoRequestedIP');
    const wrong = await s.request('POST', '/v2.0/local_ips', { local_ip: { local_port_id: two.id, local_ip_address: '192.0.2.99' } }, A);
    assert.equal(message(wrong), `Specified Port ${two.id} does not have requested IP address: 192.0.2.99.`);
    const onPort = await post('/v2.0/local_ips', { local_ip: { local_port_id: two.id, local_ip_address: two.fixed_ips[1].ip_address, ip_mode: 'passthrough' } });
    assert.equal(onPort.local_ip_address, two.fixed_ips[1].ip_address);
    assert.equal(onPort.ip_mode, 'passthrough');
    const neither = await s.request('POST', '/v2.0/local_ips', { local_ip: { name: 'x' } }, A);
    assert.equal(type(neither), 'LocalIPPortOrNetworkRequired');
    assert.equal(message(neither), 'Either Port ID or Network ID must be specified for Local IP create.');
    const v6 = await post('/v2.0/networks', { network: { name: 'v6' } });
    const noV4 = await s.request('POST', '/v2.0/local_ips', { local_ip: { network_id: v6.id } }, A);
    assert.equal(message(noV4), `Bad local_ip request: Network ${v6.id} does not contain any IPv4 subnet.`);

    assert.equal((await s.request('GET', `/v2.0/local_ips/${lip.id}`, undefined, B)).status, 404);
    const renamed = await s.request('PUT', `/v2.0/local_ips/${lip.id}`, { local_ip: { name: 'renamed' } }, A);
    assert.equal(renamed.body.local_ip.name, 'renamed');
    assert.equal((await s.request('PUT', `/v2.0/local_ips/${lip.id}`, { local_ip: { ip_mode: 'passthrough' } }, A)).status, 400);
    assert.equal((await s.request('DELETE', `/v2.0/local_ips/${lip.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/ports/${port.id}`, undefined, ADMIN)).status, 404, 'its own port goes with it');
    assert.equal((await s.request('DELETE', `/v2.0/local_ips/${onPort.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `/v2.0/ports/${two.id}`, undefined, A)).status, 200, 'a given port stays');
  });

  test('port associations: by port id, with the fixed IP, the host, and the uniqueness rules', async () => {
    const lip = await post('/v2.0/local_ips', { local_ip: { network_id: net.id } });
    const vm = await post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'compute-1' } }, ADMIN);
    const mine = await post('/v2.0/ports', { port: { network_id: net.id } });
    const assoc = await post(assocs(lip.id), { port_association: { fixed_port_id: mine.id } });
    assert.deepEqual(assoc, {
      local_ip_id: lip.id, local_ip_address: lip.local_ip_address, fixed_port_id: mine.id, fixed_ip: mine.fixed_ips[0].ip_address, host: '',
    });
    const bound = await post(assocs(lip.id), { port_association: { fixed_port_id: vm.id, fixed_ip: vm.fixed_ips[0].ip_address } }, ADMIN);
    assert.equal(bound.host, 'compute-1');
    const twice = await s.request('POST', assocs(lip.id), { port_association: { fixed_port_id: mine.id } }, A);
    assert.equal(twice.status, 409);
    const badIp = await s.request('POST', assocs(lip.id), { port_association: { fixed_port_id: mine.id, fixed_ip: '10.0.0.250' } }, A);
    assert.equal(type(badIp), 'LocalIPRequestedIPNotFound');

    const listed = await s.request('GET', assocs(lip.id), undefined, A);
    assert.deepEqual(listed.body.port_associations.map((a: any) => a.fixed_port_id).sort(), [mine.id, vm.id].sort());
    const filtered = await s.request('GET', `${assocs(lip.id)}?host=compute-1&fields=fixed_port_id`, undefined, A);
    assert.deepEqual(filtered.body.port_associations, [{ fixed_port_id: vm.id }]);
    assert.deepEqual((await s.request('GET', `${assocs(lip.id)}/${mine.id}`, undefined, A)).body.port_association, assoc);
    const hidden = await s.request('GET', assocs(lip.id), undefined, B);
    assert.equal(type(hidden), 'LocalIPNotFound');

    const inUse = await s.request('DELETE', `/v2.0/local_ips/${lip.id}`, undefined, A);
    assert.equal(inUse.status, 409);
    assert.equal(message(inUse), `Local IP ${lip.id} is still associated with one or more ports.`);
    assert.equal((await s.request('DELETE', `${assocs(lip.id)}/${mine.id}`, undefined, A)).status, 204);
    const gone = await s.request('DELETE', `${assocs(lip.id)}/${mine.id}`, undefined, A);
    assert.equal(gone.status, 404);
    assert.equal(message(gone), `Local IP ${lip.id} association with port ${mine.id} could not be found.`);
    // a port deleted takes its association with it
    assert.equal((await s.request('DELETE', `/v2.0/ports/${vm.id}`, undefined, ADMIN)).status, 204);
    assert.deepEqual((await s.request('GET', assocs(lip.id), undefined, A)).body.port_associations, []);
    assert.equal((await s.request('DELETE', `/v2.0/local_ips/${lip.id}`, undefined, A)).status, 204);
  });
});
