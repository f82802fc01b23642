import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminContext } from '../../src/lib/context.js';
import { RpcClient } from '../../src/rpc/index.js';
import { eventually, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;
const LOGS = '/v2.0/log/logs';

describe('packet logging (log service plugin)', () => {
  let s: TestServer;
  let agent: Recorder;
  let net: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['log'] }, ml2: { mechanism_drivers: ['openvswitch'] } });
    agent = new Recorder(s.server.transport, 'neutron-vo-Log-1.0', 'ovs-1', ['push'], '1.1');
    await agent.start();
    net = await post('/v2.0/networks', { network: { name: 'n' } }, A);
    await post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } }, A);
  });
  after(async () => {
    await agent.stop();
    await s.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const pushed = (id: string, event: string) => eventually(() => agent.of('push')
    .find((m) => m.args.event_type === event && m.args.resource_list.some((o: any) => o['versioned_object.data'].id === id)), 5000, `${event} push`);

  test('loggable resources and logs of a security group, a port or both', async () => {
    const types = await s.request('GET', '/v2.0/log/loggable-resources', undefined, ADMIN);
    assert.deepEqual(types.body, { loggable_resources: [{ type: 'security_group' }] });
    const sg = await post('/v2.0/security-groups', { security_group: { name: 'web' } }, A);
    const other = await post('/v2.0/security-groups', { security_group: { name: 'other' } }, A);
    const port = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } }, A);

    const entry = await post(LOGS, { log: { name: 'all', resource_type: 'security_group', resource_id: sg.id, target_id: port.id, tenant_id: 'project-a' } });
    assert.equal(entry.event, 'ALL');
    assert.equal(entry.enabled, true);
    assert.equal(entry.project_id, 'project-a');
    assert.equal(entry.revision_number, 0);
    const created = await pushed(entry.id, 'created');
    assert.equal(created.args.resource_list[0]['versioned_object.name'], 'Log');
    assert.equal(created.args.resource_list[0]['versioned_object.data'].resource_id, sg.id);

    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ resource_type: 'firewall_group' }, 400, 'InvalidLogResourceType', 'Invalid log resource_type: firewall_group.'],
      [{ resource_type: 'security_group', event: 'SOME' }, 400, 'HTTPBadRequest', "Invalid input for event. Reason: SOME is not in ['ACCEPT', 'DROP', 'ALL']."],
      [{ resource_type: 'security_group', resource_id: '00000000-0000-0000-0000-000000000000' }, 404, 'ResourceNotFound', 'Resource 00000000-0000-0000-0000-000000000000 could not be found.'],
      [{ resource_type: 'security_group', target_id: '00000000-0000-0000-0000-000000000000' }, 404, 'TargetResourceNotFound', 'Target resource 00000000-0000-0000-0000-000000000000 could not be found.'],
      [{ resource_type: 'security_group', resource_id: other.id, target_id: port.id }, 400, 'InvalidResourceConstraint',
        `Invalid resource constraint between resource (security_group ${other.id}) and target resource (port ${port.id}).`],
    ];
    for (const [body, status, errType, msg] of cases) {
      const r = await s.request('POST', LOGS, { log: body }, ADMIN);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(type(r), errType);
      assert.equal(message(r), msg);
    }
    assert.equal((await s.request('POST', LOGS, { log: { resource_type: 'security_group' } }, A)).status, 403, 'admin only');

    const disabled = await s.request('PUT', `${LOGS}/${entry.id}`, { log: { enabled: false } }, ADMIN);
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.log.enabled, false);
    assert.equal((await pushed(entry.id, 'updated')).args.resource_list[0]['versioned_object.data'].enabled, false);
    assert.equal((await s.request('PUT', `${LOGS}/${entry.id}`, { log: { event: 'DROP' } }, ADMIN)).status, 400);
    assert.deepEqual((await s.request('GET', `${LOGS}?enabled=false`, undefined, ADMIN)).body.logs.map((l: any) => l.id), [entry.id]);
    assert.equal((await s.request('DELETE', `${LOGS}/${entry.id}`, undefined, ADMIN)).status, 204);
    await pushed(entry.id, 'deleted');
    const gone = await s.request('GET', `${LOGS}/${entry.id}`, undefined, ADMIN);
    assert.equal(type(gone), 'LogResourceNotFound');
    assert.equal(message(gone), `Log resource ${entry.id} could not be found.`);

    // logs go with their security group and their port
    const bySg = await post(LOGS, { log: { resource_type: 'security_group', resource_id: other.id, event: 'DROP' } });
    const byPort = await post(LOGS, { log: { resource_type: 'security_group', target_id: port.id, event: 'ACCEPT' } });
    assert.equal((await s.request('DELETE', `/v2.0/security-groups/${other.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `${LOGS}/${bySg.id}`, undefined, ADMIN)).status, 404);
    await pushed(bySg.id, 'deleted');
    assert.equal((await s.request('DELETE', `/v2.0/ports/${port.id}`, undefined, A)).status, 204);
    assert.equal((await s.request('GET', `${LOGS}/${byPort.id}`, undefined, ADMIN)).status, 404);
  });

  test('the OVS agent asks which rules a port\'s logs cover (logging-plugin RPC)', async () => {
    const rpc = new RpcClient(s.server.transport, { topic: 'logging-plugin', namespace: 'logging-plugin', version: '1.1', timeout: 10 });
    const call = (method: string, args: Record<string, unknown>) => rpc.call<any[]>(adminContext(), method, args);
    const sg = await post('/v2.0/security-groups', { security_group: { name: 'logged' } }, A);
    const rule = await post('/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '192.0.2.0/24' },
    }, A);
    const port = await post('/v2.0/ports', { port: { network_id: net.id, security_groups: [sg.id] } }, A);
    assert.deepEqual(await call('get_sg_log_info_for_port', { port_id: port.id, resource_type: 'security_group' }), []);
    const entry = await post(LOGS, { log: { resource_type: 'security_group', resource_id: sg.id, tenant_id: 'project-a', event: 'DROP' } });
    const [info] = await call('get_sg_log_info_for_port', { port_id: port.id });
    assert.equal(info.id, entry.id);
    assert.equal(info.event, 'DROP');
    assert.equal(info.project_id, 'project-a');
    assert.equal(info.ports_log.length, 1);
    assert.equal(info.ports_log[0].port_id, port.id);
    const rules = info.ports_log[0].security_group_rules;
    assert.deepEqual(rules.find((r: any) => r.direction === 'ingress'), {
      direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.0.2.0/24', security_group_id: sg.id,
    });
    assert.equal(rules.filter((r: any) => r.direction === 'egress').length, 2, "the group's default egress rules");
    assert.ok(rule.id);
    // by log resource: only active ports are logged
    const byLog = await call('get_sg_log_info_for_log_resources', { log_resources: [{ id: entry.id, project_id: 'project-a', resource_id: sg.id, target_id: null, event: 'DROP' }] });
    assert.deepEqual(byLog, [{ id: entry.id, ports_log: [], event: 'DROP', project_id: 'project-a' }], 'the port is DOWN');
    await s.request('DELETE', `${LOGS}/${entry.id}`, undefined, ADMIN);
  });

  test('without a log driver nothing is loggable', async () => {
    const plain = await startServer({ DEFAULT: { service_plugins: ['log'] } });
    try {
      assert.deepEqual((await plain.request('GET', '/v2.0/log/loggable-resources', undefined, ADMIN)).body.loggable_resources, []);
      const r = await plain.request('POST', LOGS, { log: { resource_type: 'security_group' } }, ADMIN);
      assert.equal(type(r), 'InvalidLogResourceType');
    } finally {
      await plain.close();
    }
  });
});
