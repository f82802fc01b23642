// End to end with the real agents: neutron-ts on RabbitMQ (ML2 openvswitch, VXLAN tenant networks,
// the L3 router plugin) and Debian's Neutron 21 Open vSwitch, DHCP and L3 agents, unmodified, on an
// Open vSwitch of the suite's own (userspace datapath). A "VM" is a namespace plugged into br-int.
//
//   npm run test:e2e        (root; scripts/ci/install-agents.sh installs the packages)
//
// Each step waits on conditions with generous bounds and prints its time; the RPC methods the
// agents call are counted from the broker's firehose on a private vhost. Everything the suite made
// (processes, namespaces, bridges, links, files, the vhost) is removed in a finally, and the last
// check is that nothing is left.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ServerProcess } from '../service/process.js';
import {
  AGENT_BINARIES, AgentProcess, type Allowance, Api, Cleanup, e2eMissing, eventually, failureLines, freePort, linkNames, netnsList,
  OpenVSwitch, packagesMissing, pidsMentioning, pings, removeNetns, sh, sleep, stopPids, TracedVhost, Vm, writeConf,
} from './harness.js';

// skipped where the packages could not be installed (or by request); anything else missing on a
// machine that has them fails under CI
const cannot = process.env.NEUTRON_TS_E2E === 'skip' ? 'NEUTRON_TS_E2E=skip' : packagesMissing();
const missing = cannot ?? (await e2eMissing());
if (!cannot && missing && process.env.CI === 'true') {
  test('requirements of the end-to-end suite with the real agents', () => assert.fail(missing));
}
if (missing) console.log(`SKIPPED: the end-to-end suite with the real agents: ${missing}`);

const HOST = 'e2e-host';
const REPORT_INTERVAL = 5;
const AGENT_DOWN_TIME = 25;
const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
/** bounds on conditions; a 2-core machine running three Python agents is slow, never this slow */
const SECONDS = 1000;

/** the OVS agent logs this after each loop; the first (iteration 0) includes the ports already on br-int */
const OVS_LOOP_DONE = /Agent rpc_loop - iteration:\d+ completed/;

/** An agent's heartbeat_timestamp ("YYYY-MM-DD HH:MM:SS", UTC) in ms. */
function agentTime(t: string): number {
  return Date.parse(`${t.replace(' ', 'T')}Z`);
}

interface StepTime { step: string; seconds: number; ok: boolean }

test('real Neutron agents end to end', { skip: missing ?? false, timeout: 20 * 60 * SECONDS }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-e2e-'));
  // dnsmasq re-reads its host file as nobody when the DHCP agent reloads it
  chmodSync(dir, 0o755);
  const cleanup = new Cleanup();
  // an interrupted run (Ctrl-C, the runner's SIGTERM) cleans up too
  const interrupted = (signal: NodeJS.Signals) => {
    console.log(`e2e: ${signal}: cleaning up`);
    void cleanup.run().then((f) => {
      for (const line of f) console.log(`e2e: clean-up: ${line}`);
      process.exit(1);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  cleanup.add(`remove ${dir}`, () => {
    // E2E_LOGS=DIR keeps the agents' logs and configuration there (to read after a failure)
    if (process.env.E2E_LOGS && existsSync(join(dir, 'agents'))) cpSync(join(dir, 'agents'), process.env.E2E_LOGS, { recursive: true, filter: (f) => !/\/(state|lock)(\/|$)/.test(f) });
    rmSync(dir, { recursive: true, force: true });
  });
  const nsBefore = await netnsList();
  const linksBefore = await linkNames();
  const times: StepTime[] = [];
  let failed = false;

  /** One step as a subtest, timed; after a failure the remaining steps are skipped (clean-up still runs). */
  const step = async (name: string, fn: () => Promise<void>) => {
    if (failed) {
      await t.test(name, { skip: 'an earlier step failed' }, () => undefined);
      return;
    }
    const t0 = performance.now();
    let ok = false;
    await t.test(name, async () => {
      try {
        await fn();
        ok = true;
      } finally {
        const seconds = Math.round(performance.now() - t0) / 1000;
        times.push({ step: name, seconds, ok });
        console.log(`e2e step: ${name}: ${seconds.toFixed(1)} s${ok ? '' : ' (failed)'}`);
      }
    });
    if (!ok) failed = true;
  };

  let vhost: TracedVhost | undefined;
  let server: ServerProcess | undefined;
  let ovs: OpenVSwitch | undefined;
  const agents: Record<'ovs' | 'dhcp' | 'l3', AgentProcess> = {} as any;
  /** every agent process of the run (the replaced DHCP agent too), for the log check */
  const allAgents: AgentProcess[] = [];
  /** every server process of the run (before and after the restart), for the log check */
  const allServers: ServerProcess[] = [];
  let agentDir = '';
  /** when the server, or the broker, was away on purpose: agents' report_state calls time out then */
  const serverAway: Array<[number, number]> = [];
  const brokerAway: Array<[number, number]> = [];
  let fipIp = '';
  let api!: Api;
  const ids: Record<string, string> = {};
  const vms: Vm[] = [];

  try {
    await step('start: Open vSwitch, RabbitMQ vhost, neutron-ts, the three agents', async () => {
      vhost = await TracedVhost.create(`neutron-ts-e2e-${RUN}`);
      cleanup.add('delete the vhost', () => vhost!.destroy());

      ovs = await OpenVSwitch.start(join(dir, 'ovs'));
      cleanup.add('stop Open vSwitch', () => ovs!.stop());
      await ovs.addBridge('br-ex');

      server = ServerProcess.spawn({
        conf: [
          // two API workers: one is killed in the port flow, the other keeps the listening socket
          'api_workers = 2', 'rpc_workers = 1', 'rpc_state_report_workers = 1', `transport_url = ${vhost.url()}`,
          'service_plugins = router', `agent_down_time = ${AGENT_DOWN_TIME}`, 'allow_automatic_dhcp_failover = true',
          '[ml2]', 'type_drivers = flat,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = openvswitch',
          '[ml2_type_flat]', 'flat_networks = extnet', '[ml2_type_vxlan]', 'vni_ranges = 1000:1999',
        ].join('\n'),
      });
      cleanup.add('stop neutron-ts', async () => {
        server!.child.kill('SIGTERM');
        const exited = await Promise.race([server!.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))]);
        await server!.kill();
        if (!exited) throw new Error('neutron-ts did not stop within 30 s of SIGTERM');
      });
      await ServerProcess.serving(server);
      allServers.push(server);
      api = new Api(server.url);

      agentDir = join(dir, 'agents');
      mkdirSync(join(agentDir, 'state'), { recursive: true });
      mkdirSync(join(agentDir, 'lock'), { recursive: true });
      const common = writeConf(agentDir, 'neutron.conf', [
        '[DEFAULT]', `host = ${HOST}`, `transport_url = ${vhost.url()}`, `state_path = ${join(agentDir, 'state')}`, 'debug = true',
        'rpc_response_timeout = 60',
        '[agent]', 'root_helper =', `report_interval = ${REPORT_INTERVAL}`,
        '[oslo_concurrency]', `lock_path = ${join(agentDir, 'lock')}`,
      ].join('\n'));
      const ovsSection = ['[ovs]', 'integration_bridge = br-int', 'ovsdb_connection = unix:/var/run/openvswitch/db.sock'];
      const ovsIni = writeConf(agentDir, 'openvswitch_agent.ini', [
        ...ovsSection, 'datapath_type = netdev', 'tunnel_bridge = br-tun', 'local_ip = 127.0.0.1', 'bridge_mappings = extnet:br-ex',
        `of_listen_port = ${freePort()}`,
        '[agent]', 'tunnel_types = vxlan', 'l2_population = false',
        '[securitygroup]', 'firewall_driver = openvswitch', 'enable_security_group = true',
      ].join('\n'));
      const dhcpIni = writeConf(agentDir, 'dhcp_agent.ini', [
        '[DEFAULT]', 'interface_driver = openvswitch', 'enable_isolated_metadata = false', ...ovsSection,
      ].join('\n'));
      const l3Ini = writeConf(agentDir, 'l3_agent.ini', [
        '[DEFAULT]', 'interface_driver = openvswitch', 'agent_mode = legacy', 'enable_metadata_proxy = false', ...ovsSection,
      ].join('\n'));
      agents.ovs = new AgentProcess('openvswitch', AGENT_BINARIES.ovs, [common, ovsIni], join(agentDir, 'openvswitch-agent.log'));
      agents.dhcp = new AgentProcess('dhcp', AGENT_BINARIES.dhcp, [common, dhcpIni], join(agentDir, 'dhcp-agent.log'));
      agents.l3 = new AgentProcess('l3', AGENT_BINARIES.l3, [common, l3Ini], join(agentDir, 'l3-agent.log'));
      // the agents stop before Open vSwitch and the server do; whatever they started (dnsmasq) goes with them,
      // and so do the namespaces they made if a step failed before the agents could remove them
      cleanup.add('remove the namespaces made during the run', async () => {
        for (const ns of await netnsList()) if (!nsBefore.includes(ns)) await removeNetns(ns);
      });
      cleanup.add('stop what the agents left running', () => stopPids(pidsMentioning(agentDir), 5000));
      for (const a of Object.values(agents)) {
        allAgents.push(a);
        cleanup.add(`stop the ${a.name} agent`, () => a.stop());
        a.start();
      }
    });

    await step('agents: the three are alive in /v2.0/agents with their configurations', async () => {
      const list = await eventually(async () => {
        const body = await api.ok('GET', '/agents');
        const mine = body.agents.filter((a: any) => a.host === HOST && a.alive);
        for (const a of Object.values(agents)) if (!a.running) throw new Error(`the ${a.name} agent exited: ${a.describeExit()}`);
        return mine.length === 3 ? mine : null;
      }, 120 * SECONDS, 'three alive agents on the test host', 500);
      const byType = Object.fromEntries(list.map((a: any) => [a.agent_type, a]));
      assert.deepEqual(Object.keys(byType).sort(), ['DHCP agent', 'L3 agent', 'Open vSwitch agent']);
      const o = byType['Open vSwitch agent'];
      assert.equal(o.binary, 'neutron-openvswitch-agent');
      assert.equal(o.configurations.datapath_type, 'netdev');
      assert.deepEqual(o.configurations.tunnel_types, ['vxlan']);
      assert.equal(o.configurations.tunneling_ip, '127.0.0.1');
      assert.deepEqual(o.configurations.bridge_mappings, { extnet: 'br-ex' });
      assert.equal(byType['DHCP agent'].configurations.dhcp_driver, 'neutron.agent.linux.dhcp.Dnsmasq');
      assert.equal(byType['DHCP agent'].topic, 'dhcp_agent');
      assert.equal(byType['L3 agent'].configurations.agent_mode, 'legacy');
      assert.equal(byType['L3 agent'].topic, 'l3_agent');
      for (const a of list) ids[a.agent_type] = a.id;
      // the OVS agent wires ports once its first loop has run
      await agents.ovs.waitForLog(OVS_LOOP_DONE, 120 * SECONDS, 'the OVS agent\'s first rpc_loop');
    });

    await step('DHCP: a network with a DHCP subnet is scheduled, its port bound and ACTIVE, its namespace served by dnsmasq', async () => {
      const net = await api.create('network', { name: 'e2e-net' });
      ids.net = net.id;
      assert.equal(net['provider:network_type'], 'vxlan');
      assert.equal(net.mtu, 1450);
      const sub = await api.create('subnet', { name: 'e2e-subnet', network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 });
      ids.subnet = sub.id;
      const hosting = await eventually(async () => {
        const b = await api.ok('GET', `/networks/${net.id}/dhcp-agents`);
        return b.agents.length ? b.agents : null;
      }, 60 * SECONDS, 'the network scheduled to a DHCP agent');
      assert.deepEqual(hosting.map((a: any) => a.id), [ids['DHCP agent']]);
      const dhcpPort = await eventually(async () => {
        const b = await api.ok('GET', `/ports?network_id=${net.id}&device_owner=network:dhcp`);
        const p = b.ports[0];
        return p && p.status === 'ACTIVE' ? p : null;
      }, 90 * SECONDS, 'an ACTIVE DHCP port');
      assert.equal(dhcpPort['binding:host_id'], HOST);
      assert.equal(dhcpPort['binding:vif_type'], 'ovs');
      const ip = dhcpPort.fixed_ips[0].ip_address;
      ids.dhcpIp = ip;
      ids.dhcpPort = dhcpPort.id;
      const ns = `qdhcp-${net.id}`;
      await eventually(async () => (await sh('ip', ['netns', 'exec', ns, 'ip', '-4', '-o', 'addr'])).includes(` ${ip}/24 `), 60 * SECONDS, `${ip} in ${ns}`);
      await eventually(() => pidsMentioning(`--dhcp-hostsfile=${join(dir, 'agents', 'state', 'dhcp', net.id, 'host')}`)
        .some((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'dnsmasq'), 60 * SECONDS, 'dnsmasq serving the network');
    });

    let vm!: Vm;
    let vmIp = '';
    await step('VM port: bound at create, ACTIVE once plugged, dhclient gets its IP and MTU, pings the DHCP port', async () => {
      const sg = await api.create('security_group', { name: 'e2e-egress-only' });
      ids.sg = sg.id;
      assert.deepEqual(sg.security_group_rules.map((r: any) => r.direction).sort(), ['egress', 'egress']);
      const port = await api.create('port', {
        name: 'e2e-vm-port', network_id: ids.net, device_owner: 'compute:nova', device_id: `e2e-vm-${RUN}`,
        'binding:host_id': HOST, security_groups: [sg.id],
      });
      ids.port = port.id;
      assert.equal(port['binding:vif_type'], 'ovs', JSON.stringify(port));
      assert.equal(port['binding:vif_details'].datapath_type, 'netdev');
      assert.equal(port.status, 'DOWN');
      vmIp = port.fixed_ips[0].ip_address;
      vm = new Vm(`e2e-vm-${RUN}`, port, ovs!, dir);
      vms.push(vm);
      cleanup.add('remove the VM', () => vm.destroy());
      await vm.create();
      await vm.plug();
      await eventually(async () => (await api.show('port', port.id)).status === 'ACTIVE', 90 * SECONDS, 'the VM port ACTIVE');
      const lease = await vm.dhcp();
      assert.equal(lease.address, vmIp);
      assert.equal(lease.mtu, 1450);
      await vm.configure(lease.address, 24, lease.mtu!, lease.routers ?? undefined);
      assert.ok(await eventually(() => pings(vm.ns, ids.dhcpIp!), 30 * SECONDS, 'the VM pinging the DHCP port'));
    });

    await step('security groups: unreachable with egress rules only, reachable soon after an ingress rule', async () => {
      // the VM reaches the DHCP port (previous step), so a silence the other way is the firewall's
      assert.equal(await pings(`qdhcp-${ids.net}`, vmIp, 3), false, 'the VM answered pings while its group had egress rules only');
      const t0 = performance.now();
      await api.create('security_group_rule', { security_group_id: ids.sg, direction: 'ingress', protocol: 'icmp', ethertype: 'IPv4' });
      await eventually(() => pings(`qdhcp-${ids.net}`, vmIp, 1), 60 * SECONDS, 'the ingress rule in effect', 100);
      console.log(`e2e: ingress rule in effect after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });

    await step('L3: the router is scheduled, its namespace holds the gateway IP, the VM pings its gateway', async () => {
      const router = await api.create('router', { name: 'e2e-router' });
      ids.router = router.id;
      await api.ok('PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: ids.subnet });
      const l3 = await eventually(async () => {
        const b = await api.ok('GET', `/routers/${router.id}/l3-agents`);
        return b.agents.length ? b.agents : null;
      }, 60 * SECONDS, 'the router scheduled to an L3 agent');
      assert.deepEqual(l3.map((a: any) => a.id), [ids['L3 agent']]);
      const ns = `qrouter-${router.id}`;
      await eventually(async () => (await sh('ip', ['netns', 'exec', ns, 'ip', '-4', '-o', 'addr'])).includes(' 10.77.0.1/24 '), 90 * SECONDS, `10.77.0.1 in ${ns}`);
      const rport = await eventually(async () => {
        const b = await api.ok('GET', `/ports?device_id=${router.id}&device_owner=network:router_interface`);
        return b.ports[0]?.status === 'ACTIVE' ? b.ports[0] : null;
      }, 90 * SECONDS, 'the router interface ACTIVE');
      assert.equal(rport['binding:host_id'], HOST);
      assert.ok(await eventually(() => pings(vm.ns, '10.77.0.1'), 60 * SECONDS, 'the VM pinging its gateway'));
    });

    await step('floating IP: an outside host on the external flat network reaches the VM through NAT', async () => {
      const ext = await api.create('network', {
        name: 'e2e-ext', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'extnet',
      });
      ids.ext = ext.id;
      await api.create('subnet', {
        name: 'e2e-ext-subnet', network_id: ext.id, cidr: '172.24.77.0/24', ip_version: 4, enable_dhcp: false,
        gateway_ip: '172.24.77.1', allocation_pools: [{ start: '172.24.77.10', end: '172.24.77.50' }],
      });
      // the outside host: a namespace on br-ex
      const outside = `e2e-ext-${RUN}`;
      const dev = `e2ex${RUN}`.slice(0, 15);
      cleanup.add('remove the outside host', async () => {
        await ovs!.vsctl('--if-exists', 'del-port', 'br-ex', dev).catch(() => undefined);
        await removeNetns(outside);
        await sh('ip', ['link', 'delete', dev]).catch(() => undefined);
      });
      await sh('ip', ['netns', 'add', outside]);
      await sh('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`.slice(0, 15)]);
      await sh('ip', ['link', 'set', `${dev}p`.slice(0, 15), 'netns', outside]);
      await sh('ip', ['netns', 'exec', outside, 'ip', 'addr', 'add', '172.24.77.100/24', 'dev', `${dev}p`.slice(0, 15)]);
      await sh('ip', ['netns', 'exec', outside, 'ip', 'link', 'set', `${dev}p`.slice(0, 15), 'up']);
      await sh('ip', ['link', 'set', dev, 'up']);
      await ovs!.vsctl('--may-exist', 'add-port', 'br-ex', dev);

      await api.ok('PUT', `/routers/${ids.router}`, { router: { external_gateway_info: { network_id: ext.id } } });
      const fip = await api.create('floatingip', { floating_network_id: ext.id, port_id: ids.port });
      ids.fip = fip.id;
      fipIp = fip.floating_ip_address;
      await eventually(async () => (await api.show('floatingip', fip.id)).status === 'ACTIVE', 90 * SECONDS, 'the floating IP ACTIVE');
      assert.ok(await eventually(() => pings(outside, fipIp, 2), 90 * SECONDS, `the outside host pinging the floating IP ${fipIp}`));
      // and SNAT the other way: the VM reaches the outside host from its floating IP
      assert.ok(await eventually(() => pings(vm.ns, '172.24.77.100', 2), 60 * SECONDS, 'the VM pinging the outside host'));
    });

    /** Waits until every agent of the run that should be alive has reported after `since` (ms). */
    const reportedSince = async (since: number, hosts: string[], what: string, timeoutMs = 120 * SECONDS) => {
      await eventually(async () => {
        const b = await api.ok('GET', '/agents');
        const fresh = b.agents.filter((a: any) => hosts.includes(`${a.agent_type}@${a.host}`) && a.alive && agentTime(a.heartbeat_timestamp) >= since);
        return fresh.length === hosts.length;
      }, timeoutMs, what, 500);
    };
    const liveAgents = () => [`Open vSwitch agent@${HOST}`, `L3 agent@${HOST}`, `DHCP agent@${dhcpHost}`];
    let dhcpHost = HOST;

    await step('server restart: after SIGTERM and a new start the agents are answered, restarted agents full-sync', async () => {
      const old = server!;
      const t0 = Date.now();
      old.child.kill('SIGTERM');
      const exit = await Promise.race([old.exited, sleep(60 * SECONDS).then(() => null)]);
      assert.deepEqual(exit, { code: 0, signal: null }, 'neutron-ts did not stop cleanly within 60 s of SIGTERM');
      const stopped = (Date.now() - t0) / 1000;
      server = await ServerProcess.serving(ServerProcess.run(old.dir, [old.confFile]));
      allServers.push(server);
      api.url = server.url;
      const serving = (Date.now() - t0) / 1000;
      const restartedAt = Date.now();
      await reportedSince(restartedAt, liveAgents(), 'every agent reporting to the new server');
      const reporting = (Date.now() - t0) / 1000;
      serverAway.push([t0, Date.now() + 2 * REPORT_INTERVAL * SECONDS]);
      // the running OVS agent's calls are answered: unplug and plug again
      await vm.unplug();
      await eventually(async () => (await api.show('port', ids.port!)).status === 'DOWN', 90 * SECONDS, 'the VM port DOWN');
      await vm.plug();
      await eventually(async () => (await api.show('port', ids.port!)).status === 'ACTIVE', 90 * SECONDS, 'the VM port ACTIVE again');
      // agents restarted now send start_flag and sync everything again
      const before = await api.ok('GET', '/agents');
      const startedAt = (type: string, b: any) => b.agents.find((a: any) => a.agent_type === type && a.host === HOST).started_at;
      const t1 = Date.now();
      await agents.ovs.stop();
      await agents.l3.stop();
      agents.ovs.start();
      agents.l3.start();
      await agents.ovs.waitForLog(OVS_LOOP_DONE, 180 * SECONDS, 'the restarted OVS agent\'s first rpc_loop');
      await agents.l3.waitForLog(/Finished a router update for /, 180 * SECONDS, 'the restarted L3 agent\'s router sync');
      await eventually(async () => {
        const now = await api.ok('GET', '/agents');
        return ['Open vSwitch agent', 'L3 agent'].every((t) => startedAt(t, now) !== startedAt(t, before) && now.agents.find((a: any) => a.agent_type === t && a.host === HOST).alive);
      }, 120 * SECONDS, 'the restarted agents registered with start_flag', 500);
      assert.ok(await eventually(() => pings(vm.ns, ids.dhcpIp!, 2), 120 * SECONDS, 'the VM pinging the DHCP port after the OVS agent resync'));
      assert.ok(await eventually(() => pings(`e2e-ext-${RUN}`, fipIp, 2), 120 * SECONDS, 'the floating IP after the L3 agent resync'));
      assert.equal((await api.show('port', ids.port!)).status, 'ACTIVE');
      const resynced = (Date.now() - t1) / 1000;
      console.log(`e2e: server restart: stopped ${stopped.toFixed(1)} s after SIGTERM, serving after ${serving.toFixed(1)} s, every agent reporting after ${reporting.toFixed(1)} s; OVS and L3 agents restarted and resynced in ${resynced.toFixed(1)} s`);
    });

    const brokerRestart = process.env.CI === 'true' || process.env.E2E_BROKER_RESTART === '1';
    await step(`broker restart: agents and server reconnect and reconcile${brokerRestart ? '' : ' (skipped: it restarts the machine\'s RabbitMQ; CI=true or E2E_BROKER_RESTART=1)'}`, async () => {
      if (!brokerRestart) return;
      const t0 = Date.now();
      await sh('rabbitmqctl', ['-q', 'stop_app'], 120_000);
      await sh('rabbitmqctl', ['-q', 'start_app'], 120_000);
      const up = (Date.now() - t0) / 1000;
      await vhost!.trace();
      await reportedSince(Date.now(), liveAgents(), 'every agent reporting again', 180 * SECONDS);
      const reporting = (Date.now() - t0) / 1000;
      brokerAway.push([t0, Date.now() + 2 * REPORT_INTERVAL * SECONDS]);
      // what was ACTIVE stays so, and a new port goes the whole way: server casts, agent calls
      assert.equal((await api.show('port', ids.port!)).status, 'ACTIVE');
      const port2 = await api.create('port', {
        name: 'e2e-vm2-port', network_id: ids.net, device_owner: 'compute:nova', device_id: `e2e-vm2-${RUN}`,
        'binding:host_id': HOST, security_groups: [ids.sg],
      });
      ids.port2 = port2.id;
      const vm2 = new Vm(`e2e-vm2-${RUN}`, port2, ovs!, dir);
      cleanup.add('remove the second VM', () => vm2.destroy());
      await vm2.create();
      await vm2.plug();
      await eventually(async () => (await api.show('port', port2.id)).status === 'ACTIVE', 120 * SECONDS, 'the new port ACTIVE after the broker restart');
      const lease = await vm2.dhcp();
      assert.equal(lease.address, port2.fixed_ips[0].ip_address);
      await vm2.configure(lease.address, 24, lease.mtu!);
      assert.ok(await eventually(() => pings(vm2.ns, vmIp, 2), 60 * SECONDS, 'the new VM pinging the first (same group, ICMP in)'));
      const reconciled = (Date.now() - t0) / 1000;
      await vm2.destroy();
      await api.ok('DELETE', `/ports/${port2.id}`);
      console.log(`e2e: broker restart: broker back after ${up.toFixed(1)} s, every agent reporting after ${reporting.toFixed(1)} s, a new port ACTIVE with its lease after ${reconciled.toFixed(1)} s`);
    });

    await step('API worker killed during the port flow: every port stored is whole and bound, every port answered reaches the DHCP agent', async () => {
      const workers = server!.workerPids('api worker');
      assert.equal(workers.length, 2);
      const mark = server!.logs.length;
      const deviceId = `e2e-burst-${RUN}`;
      const creates = Array.from({ length: 30 }, (_, i) => api.req('POST', '/ports', { port: {
        name: `e2e-burst-${i}`, network_id: ids.net, device_owner: 'compute:nova', device_id: deviceId, 'binding:host_id': HOST,
      } }).catch((err: Error) => ({ status: 0, body: String(err) })));
      await sleep(30);
      process.kill(workers[0]!, 'SIGKILL');
      const results = await Promise.all(creates);
      await server!.waitFor((e) => e.worker === 'supervisor' && /started api worker/.test(e.msg), 60 * SECONDS, mark);
      await eventually(async () => (await api.req('GET', '/ports?limit=1')).status === 200, 60 * SECONDS, 'the API served again');
      const created = results.filter((r) => r.status === 201).map((r) => r.body.port.id as string);
      const ports = (await api.ok('GET', `/ports?device_id=${deviceId}`)).ports;
      const stored = new Set(ports.map((p: any) => p.id));
      assert.deepEqual(created.filter((id) => !stored.has(id)), [], 'ports answered 201 but not stored');
      for (const p of ports) {
        assert.equal(p.fixed_ips.length, 1, `port ${p.id} without its address`);
        assert.equal(p['binding:vif_type'], 'ovs', `port ${p.id} not bound`);
      }
      // A port is bound in its own transaction, and the agents are told before the API answers; a
      // request cut by the kill after its commit may leave a port the agents never heard of, as in Neutron
      // (its notifications die with the worker): those are counted, not failed.
      const hostsFile = join(agentDir, 'state', 'dhcp', ids.net!, 'host');
      const answered = new Set(created);
      const missingAtDhcp = async () => {
        const text = readFileSync(hostsFile, 'utf8');
        return ports.filter((p: any) => !text.includes(p.mac_address)).map((p: any) => p.id as string);
      };
      let missing: string[] = [];
      try {
        await eventually(async () => (missing = await missingAtDhcp()).filter((id) => answered.has(id)).length === 0, 60 * SECONDS, 'every port answered 201 in the DHCP agent\'s host file');
      } catch { /* reported below */ }
      const lost = missing.filter((id) => answered.has(id));
      console.log(`e2e: API worker killed: ${results.length} creates, ${created.length} answered 201, ${results.filter((r) => r.status === 0).length} cut, ${ports.length} stored, ${lost.length} answered but not at the DHCP agent, ${missing.length - lost.length} cut after their commit and not at the DHCP agent`);
      for (const p of ports) await api.ok('DELETE', `/ports/${p.id}`);
      assert.deepEqual(lost, [], 'ports answered 201 but never sent to the DHCP agent');
    });

    await step('agent death: the DHCP agent is shown dead after agent_down_time, its network moves to another DHCP agent', async () => {
      // a second DHCP agent ("another node") takes over; both share this machine's namespaces, so the
      // dead node's qdhcp- namespace, dnsmasq and tap port go with it, as they would with the node
      const hostB = `${HOST}-b`;
      const stateB = join(agentDir, 'state-b');
      mkdirSync(stateB, { recursive: true });
      const confB = writeConf(agentDir, 'neutron-b.conf', [
        '[DEFAULT]', `host = ${hostB}`, `state_path = ${stateB}`,
      ].join('\n'));
      const dead = agents.dhcp;
      const t0 = Date.now();
      await dead.kill();
      await stopPids(pidsMentioning(join(agentDir, 'state', 'dhcp')), 5000);
      const tap = (await ovs!.vsctl('list-ports', 'br-int')).split('\n').find((p) => p.startsWith(`tap${ids.dhcpPort!.slice(0, 11)}`));
      if (tap) await ovs!.vsctl('--if-exists', 'del-port', 'br-int', tap);
      await removeNetns(`qdhcp-${ids.net}`);
      const b = new AgentProcess('dhcp-b', AGENT_BINARIES.dhcp, [...dead.configFiles.slice(0, 1), confB, ...dead.configFiles.slice(1)], join(agentDir, 'dhcp-agent-b.log'));
      allAgents.push(b);
      cleanup.add('stop the second DHCP agent', () => b.stop());
      b.start();
      agents.dhcp = b;
      dhcpHost = hostB;

      await eventually(async () => (await api.show('agent', ids['DHCP agent']!)).alive === false, (AGENT_DOWN_TIME + 60) * SECONDS, 'the killed DHCP agent shown dead');
      const deadAfter = (Date.now() - t0) / 1000;
      const moved = await eventually(async () => {
        const hosting = (await api.ok('GET', `/networks/${ids.net}/dhcp-agents`)).agents;
        return hosting.length === 1 && hosting[0].host === hostB ? hosting[0] : null;
      }, (2 * AGENT_DOWN_TIME + 90) * SECONDS, 'the network moved to the other DHCP agent', 500);
      const movedAfter = (Date.now() - t0) / 1000;
      ids['DHCP agent b'] = moved.id;
      await eventually(async () => (await sh('ip', ['netns', 'exec', `qdhcp-${ids.net}`, 'ip', '-4', '-o', 'addr'])).includes(` ${ids.dhcpIp}/24 `), 90 * SECONDS, 'the DHCP IP served again');
      await eventually(() => pidsMentioning(join(stateB, 'dhcp', ids.net!, 'host')).length > 0, 60 * SECONDS, 'dnsmasq of the other agent');
      const servedAfter = (Date.now() - t0) / 1000;
      // the other agent's dnsmasq knows the VM. (Its DHCP port is bound to a host with no L2 agent
      // here, as both "nodes" share one Open vSwitch, so the VM's lease is not asked of it.)
      const hostsB = readFileSync(join(stateB, 'dhcp', ids.net!, 'host'), 'utf8');
      assert.match(hostsB, new RegExp(`${vm.port.mac_address},[^,]*,${vmIp.replace(/\./g, '\\.')}`));
      console.log(`e2e: agent death (agent_down_time ${AGENT_DOWN_TIME} s, report_interval ${REPORT_INTERVAL} s): dead after ${deadAfter.toFixed(1)} s, network moved after ${movedAfter.toFixed(1)} s, served by the other agent after ${servedAfter.toFixed(1)} s`);
    });


    await step('unplug: the port turns DOWN', async () => {
      await vm.unplug();
      await eventually(async () => (await api.show('port', ids.port!)).status === 'DOWN', 90 * SECONDS, 'the VM port DOWN');
    });

    await step('clean-up: deleting everything makes the agents remove their namespaces and dnsmasq', async () => {
      if (ids.fip) await api.ok('DELETE', `/floatingips/${ids.fip}`);
      await api.ok('PUT', `/routers/${ids.router}`, { router: { external_gateway_info: {} } });
      await api.ok('PUT', `/routers/${ids.router}/remove_router_interface`, { subnet_id: ids.subnet });
      await api.ok('DELETE', `/routers/${ids.router}`);
      await api.ok('DELETE', `/ports/${ids.port}`);
      await api.ok('DELETE', `/networks/${ids.net}`);
      if (ids.ext) await api.ok('DELETE', `/networks/${ids.ext}`);
      await api.ok('DELETE', `/security-groups/${ids.sg}`);
      await eventually(async () => {
        const left = (await netnsList()).filter((n) => n === `qdhcp-${ids.net}` || n === `qrouter-${ids.router}`);
        return left.length === 0;
      }, 90 * SECONDS, 'the agents removing qdhcp- and qrouter-');
      await eventually(() => !pidsMentioning(join(dir, 'agents', 'state', 'dhcp')).length, 60 * SECONDS, 'dnsmasq stopped');
      // the agents' bridges hold only what they made themselves
      const brInt = (await ovs!.vsctl('list-ports', 'br-int')).split('\n').filter(Boolean);
      assert.deepEqual(brInt.filter((p) => /^(tap|qr-|qg-)/.test(p)), [], `ports left on br-int: ${brInt.join(' ')}`);
    });

    await step('versions: no agent logged a server error or an unknown method, no RPC reply was a failure', async () => {
      const allow: Allowance[] = [
        // the L3 agent's gratuitous ARP for a gateway runs in a thread of its own, late when the router
        // is deleted right after its gateway was set (an agent-side race, no RPC involved)
        { re: /Cmd: \['ip', 'netns', 'exec', 'qrouter-[0-9a-f-]+', 'arping', .*Cannot open network namespace/ },
        // while the server restarts or the broker is away, state reports time out (and are retried)
        { re: /Failed reporting state!: oslo_messaging\.exceptions\.MessagingTimeout/, windows: [...serverAway, ...brokerAway] },
        // the broker restart: every agent connection says so until the broker is back
        { re: / ERROR oslo\.messaging\._drivers\.impl_rabbit .*(AMQP server on 127\.0\.0\.1:5672 is unreachable|Connection failed)/, windows: brokerAway },
      ];
      const bad: string[] = [];
      for (const a of allAgents) for (const l of failureLines(a.log(), allow)) bad.push(`${a.name}: ${l}`);
      assert.deepEqual(bad, [], 'agent log lines showing a server error');
      const failures = vhost!.failures.map((f) => JSON.parse(f.failure));
      assert.deepEqual(failures.map((f: any) => `${f.class}: ${f.message}`), [], 'failure replies to the agents');
      // the broker restart is logged as an error by every worker until it is back
      const brokerNoise = (e: { time?: string; msg: string }) => /AMQP|broker/.test(e.msg) && brokerAway.some(([from, to]) => {
        const at = Date.parse(e.time ?? '');
        return at >= from && at <= to;
      });
      const serverErrors = allServers.flatMap((srv) => srv.logs.filter((e) => e.level >= 50 && !brokerNoise(e)).map((e) => JSON.stringify(e)));
      assert.deepEqual(serverErrors, [], 'error lines in the server log');
    });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    const failures = await cleanup.run();
    await t.test('nothing is left on the machine', async () => {
      assert.deepEqual(failures, [], 'clean-up actions that failed');
      const ns = (await netnsList()).filter((n) => !nsBefore.includes(n));
      assert.deepEqual(ns, [], 'namespaces left');
      const links = (await linkNames()).filter((l) => !linksBefore.includes(l));
      assert.deepEqual(links, [], 'links left');
      assert.deepEqual(pidsMentioning(dir), [], 'processes left');
      assert.equal(existsSync(dir), false, 'files left');
      assert.equal(existsSync('/var/run/openvswitch/db.sock'), false, 'the Open vSwitch socket left');
    });
    report(times, vhost);
  }
});

function report(times: StepTime[], vhost: TracedVhost | undefined): void {
  const lines = ['', 'e2e step times:'];
  for (const s of times) lines.push(`  ${s.seconds.toFixed(1).padStart(6)} s  ${s.step}${s.ok ? '' : ' (failed)'}`);
  if (vhost) {
    const table = (title: string, m: Map<string, number>) => {
      lines.push(title);
      for (const [k, n] of [...m.entries()].sort()) lines.push(`  ${String(n).padStart(5)}  ${k}`);
    };
    // agents call the server on these topics (the server's own fanouts go to q-agent-notifier-*, q-server-*)
    const toServer = (k: string) => /^(q-plugin|q-reports-plugin|q-l3-plugin)(\.\S+)? /.test(k);
    table('RPC calls by the agents (topic, method, version: count):', new Map([...vhost.calls].filter(([k]) => toServer(k))));
    table('RPC casts by the agents:', new Map([...vhost.casts].filter(([k]) => toServer(k))));
    table('RPC from the server to the agents (calls):', new Map([...vhost.calls].filter(([k]) => !toServer(k))));
    table('RPC from the server to the agents (casts and fanouts):', new Map([...vhost.casts].filter(([k]) => !toServer(k))));
    lines.push(`failure replies: ${vhost.failures.length}${vhost.failures.length ? ` (${vhost.failures.map((f) => JSON.parse(f.failure).class).join(', ')})` : ''}`);
  }
  console.log(lines.join('\n'));
  if (process.env.E2E_REPORT) {
    writeFileSync(process.env.E2E_REPORT, JSON.stringify({
      times, calls: Object.fromEntries(vhost?.calls ?? []), casts: Object.fromEntries(vhost?.casts ?? []),
      failures: vhost?.failures ?? [],
    }, null, 2));
  }
}

