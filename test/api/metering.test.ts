import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminContext } from '../../src/lib/context.js';
import { RpcClient } from '../../src/rpc/index.js';
import { eventually, FakeAgent, Recorder } from '../rpc-server/support.js';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const type = (r: { body: any }) => r.body?.NeutronError?.type;
const message = (r: { body: any }) => r.body?.NeutronError?.message;
const LABELS = '/v2.0/metering/metering-labels';
const RULES = '/v2.0/metering/metering-label-rules';
const METHODS = ['add_metering_label', 'remove_metering_label', 'add_metering_label_rule', 'remove_metering_label_rule'];

describe('metering labels and rules (metering service plugin)', () => {
  let s: TestServer;
  let agentHost: Recorder;
  let sync: RpcClient;
  let router: any;
  before(async () => {
    s = await startServer({ DEFAULT: { service_plugins: ['router', 'metering'] } });
    agentHost = new Recorder(s.server.transport, 'metering_agent', 'net-1', METHODS, '1.0');
    await agentHost.start();
    sync = new RpcClient(s.server.transport, { topic: 'q-metering-plugin', version: '1.0', timeout: 10 });
    await new FakeAgent(s.server.transport).reportState({
      binary: 'neutron-l3-agent', host: 'net-1', topic: 'l3_agent', agent_type: 'L3 agent', start_flag: true,
      configurations: { agent_mode: 'legacy' },
    });
    router = await post('/v2.0/routers', { router: { name: 'r' } }, A);
  });
  after(async () => {
    await agentHost.stop();
    await s.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = ADMIN) {
    const r = await s.request('POST', path, body, headers);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body[Object.keys(r.body)[0]!];
  }
  const rule = (labelId: string, extra: Record<string, unknown>) => ({ metering_label_rule: { metering_label_id: labelId, direction: 'ingress', ...extra } });

  test('labels: admin-made, shown to their project, no update, deleted with their rules', async () => {
    const aliases = (await s.request('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
    assert.ok(aliases.includes('metering') && aliases.includes('metering_source_and_destination_fields'));
    const refused = await s.request('POST', LABELS, { metering_label: { name: 'x' } }, A);
    assert.equal(refused.status, 403);
    const label = await post(LABELS, { metering_label: { name: 'web', description: 'd', tenant_id: 'project-a' } });
    assert.deepEqual(Object.keys(label).sort(), ['description', 'id', 'name', 'project_id', 'shared', 'tenant_id']);
    assert.equal(label.shared, false);
    assert.equal(label.project_id, 'project-a');
    const shared = await post(LABELS, { metering_label: { name: 'all', shared: 'true' } });
    assert.equal(shared.shared, true);

    const mine = await s.request('GET', LABELS, undefined, asProject('project-a', 'reader'));
    assert.deepEqual(mine.body.metering_labels.map((l: any) => l.id), [label.id]);
    assert.equal((await s.request('GET', `${LABELS}?shared=true`, undefined, ADMIN)).body.metering_labels.length, 1);
    const hidden = await s.request('GET', `${LABELS}/${shared.id}`, undefined, A);
    assert.equal(hidden.status, 404);
    assert.equal(type(hidden), 'MeteringLabelNotFound');
    assert.equal(message(hidden), `Metering label '${shared.id}' does not exist.`);
    const update = await s.request('PUT', `${LABELS}/${label.id}`, { metering_label: { name: 'y' } }, ADMIN);
    assert.equal(update.status, 400);
    assert.equal(message(update), 'Cannot update read-only attribute name');

    const r = await post(RULES, rule(label.id, { remote_ip_prefix: '10.0.0.0/24' }));
    assert.equal((await s.request('DELETE', `${LABELS}/${label.id}`, undefined, ADMIN)).status, 204);
    const gone = await s.request('GET', `${RULES}/${r.id}`, undefined, ADMIN);
    assert.equal(gone.status, 404);
    assert.equal(type(gone), 'MeteringLabelRuleNotFound');
    assert.equal(message(gone), `Metering label rule '${r.id}' does not exist.`);
    assert.equal((await s.request('DELETE', `${LABELS}/${shared.id}`, undefined, ADMIN)).status, 204);
  });

  test('rules: direction, prefixes and excluded as Neutron checks them', async () => {
    const label = await post(LABELS, { metering_label: { name: 'rules', tenant_id: 'project-a' } });
    const r = await post(RULES, rule(label.id, { remote_ip_prefix: '10.0.0.0/24' }));
    assert.deepEqual(r, {
      id: r.id, metering_label_id: label.id, direction: 'ingress', remote_ip_prefix: '10.0.0.0/24', source_ip_prefix: null,
      destination_ip_prefix: null, excluded: false,
    });
    const src = await post(RULES, rule(label.id, { source_ip_prefix: '192.168.0.1', destination_ip_prefix: 'fd00::/64', excluded: true }));
    assert.equal(src.source_ip_prefix, '192.168.0.1/32');
    assert.equal(src.destination_ip_prefix, 'fd00::/64');
    assert.equal(src.excluded, true);

    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ remote_ip_prefix: '10.0.0.128/25' }, 409, 'MeteringLabelRuleOverlaps', "Metering label rule with remote_ip_prefix '10.0.0.128/25' overlaps another."],
      [{ remote_ip_prefix: '10.1.0.0/24', source_ip_prefix: '10.2.0.0/24' }, 400, 'Invalid', "Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'."],
      [{}, 400, 'Invalid', "You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'."],
      [{ source_ip_prefix: 'foo' }, 400, 'Invalid', "source_ip_prefix: foo is invalid ['foo' does not appear to be an IPv4 or IPv6 interface]."],
      [{ direction: 'up', remote_ip_prefix: '10.3.0.0/24' }, 400, 'HTTPBadRequest', "Invalid input for direction. Reason: up is not in ['ingress', 'egress']."],
    ];
    for (const [extra, status, errType, msg] of cases) {
      const res = await s.request('POST', RULES, rule(label.id, extra), ADMIN);
      assert.equal(res.status, status, JSON.stringify(extra));
      assert.equal(type(res), errType);
      assert.equal(message(res), msg);
    }
    const otherDirection = await post(RULES, rule(label.id, { direction: 'egress', remote_ip_prefix: '10.0.0.0/24' }));
    assert.equal(otherDirection.direction, 'egress', 'overlaps count within one direction only');
    const noLabel = await s.request('POST', RULES, rule('00000000-0000-0000-0000-000000000000', { remote_ip_prefix: '10.0.0.0/8' }), ADMIN);
    assert.equal(noLabel.status, 404);
    assert.equal(type(noLabel), 'MeteringLabelNotFound');
    const notAdmin = await s.request('POST', RULES, rule(label.id, { remote_ip_prefix: '10.9.0.0/24' }), A);
    assert.equal(notAdmin.status, 403);
    const listed = await s.request('GET', `${RULES}?metering_label_id=${label.id}&excluded=true`, undefined, ADMIN);
    assert.deepEqual(listed.body.metering_label_rules.map((x: any) => x.id), [src.id]);
    assert.equal((await s.request('PUT', `${RULES}/${r.id}`, { metering_label_rule: { source_ip_prefix: '10.0.0.0/8' } }, ADMIN)).status, 405);
    await s.request('DELETE', `${LABELS}/${label.id}`, undefined, ADMIN);
  });

  test('the metering agent syncs its routers\' labels and is told of changes', async () => {
    const scheduled = await s.request('POST', `/v2.0/agents/${(await s.request('GET', '/v2.0/agents?host=net-1', undefined, ADMIN)).body.agents[0].id}/l3-routers`,
      { router_id: router.id }, ADMIN);
    assert.ok([201, 409].includes(scheduled.status), JSON.stringify(scheduled.body));
    const label = await post(LABELS, { metering_label: { name: 'sync', tenant_id: 'project-a' } });
    const added = await eventually(() => agentHost.of('add_metering_label')
      .find((m) => m.args.routers.some((x: any) => x._metering_labels.some((l: any) => l.id === label.id))), 5000, 'add_metering_label');
    assert.deepEqual(added.args.routers.map((x: any) => x.id), [router.id]);
    const r = await post(RULES, rule(label.id, { remote_ip_prefix: '10.5.0.0/16' }));
    const ruleAdded = await eventually(() => agentHost.of('add_metering_label_rule')
      .find((m) => m.args.routers[0]._metering_labels[0].rule.id === r.id), 5000, 'add_metering_label_rule');
    assert.deepEqual(ruleAdded.args.routers[0]._metering_labels, [{ id: label.id, rule: r }]);

    const data = await sync.call<any[]>(adminContext(), 'get_sync_data_metering', { host: 'net-1' });
    assert.equal(data.length, 1);
    const [synced] = data;
    assert.equal(synced.id, router.id);
    assert.equal(synced.project_id, 'project-a');
    assert.equal(synced.admin_state_up, true);
    assert.equal(synced.distributed, false);
    assert.equal(synced.gw_port_id, null);
    assert.deepEqual(synced._metering_labels, [{ id: label.id, rules: [r], shared: false, name: 'sync' }]);
    assert.equal(await sync.call(adminContext(), 'get_sync_data_metering', { host: 'nowhere' }), null);

    assert.equal((await s.request('DELETE', `${RULES}/${r.id}`, undefined, ADMIN)).status, 204);
    await eventually(() => agentHost.of('remove_metering_label_rule')
      .find((m) => m.args.routers[0]._metering_labels[0].rule.id === r.id), 5000, 'remove_metering_label_rule');
    assert.equal((await s.request('DELETE', `${LABELS}/${label.id}`, undefined, ADMIN)).status, 204);
    const removed = await eventually(() => agentHost.of('remove_metering_label')
      .find((m) => m.args.routers[0]._metering_labels.some((l: any) => l.id === label.id)), 5000, 'remove_metering_label');
    assert.deepEqual(removed.args.routers.map((x: any) => x.id), [router.id]);
    assert.deepEqual(await sync.call(adminContext(), 'get_sync_data_metering', {}), []);
  });
});
