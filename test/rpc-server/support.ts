// Agents for the server-side RPC tests: RPC clients and recording RPC servers on a transport, with
// the messages the real agents send.
import assert from 'node:assert/strict';
import { adminContext, type RequestContext } from '../../src/lib/context.js';
import { RpcClient, RpcServer, type IncomingCall, type Transport } from '../../src/rpc/index.js';
import type { TestServer } from '../support/server.js';

/** The agent's clock as report_state sends it: Python's "%Y-%m-%dT%H:%M:%S.%f" in UTC. */
export function agentClock(d = new Date()): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

export const DHCP_STATE = (host: string, extra: Record<string, unknown> = {}) => ({
  binary: 'neutron-dhcp-agent', host, availability_zone: 'nova', topic: 'dhcp_agent', agent_type: 'DHCP agent',
  start_flag: true, uuid: '7b1e0a52-5d7e-4c4e-9a63-0f0e8f5d2c11',
  configurations: { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 0, subnets: 0, ports: 0 },
  ...extra,
});

export const OVS_STATE = (host: string, extra: Record<string, unknown> = {}) => ({
  binary: 'neutron-openvswitch-agent', host, topic: 'N/A', agent_type: 'Open vSwitch agent', start_flag: true,
  configurations: { bridge_mappings: { physnet1: 'br-ex' }, tunnel_types: ['vxlan'], tunneling_ip: '192.0.2.11', l2_population: false, integration_bridge: 'br-int', datapath_type: 'system', ovs_hybrid_plug: false },
  resource_versions: { Port: '1.7', Network: '1.1', Subnet: '1.1', SecurityGroup: '1.5', SecurityGroupRule: '1.2', AddressGroup: '1.2' },
  ...extra,
});

/** An agent's side of the RPC: calls the server on q-plugin and q-reports-plugin as the agents do. */
export class FakeAgent {
  readonly ctx: RequestContext = adminContext();
  private readonly reports: RpcClient;
  private readonly plugin: RpcClient;

  constructor(transport: Transport) {
    this.reports = new RpcClient(transport, { topic: 'q-reports-plugin', version: '1.2', timeout: 10 });
    this.plugin = new RpcClient(transport, { topic: 'q-plugin', timeout: 10 });
  }

  reportState(state: Record<string, unknown>, time = agentClock()): Promise<unknown> {
    return this.reports.call(this.ctx, 'report_state', { agent_state: { agent_state: state }, time });
  }

  /** a q-plugin call at the version the agent's client sends */
  call<T = any>(method: string, version: string, args: Record<string, unknown>): Promise<T> {
    return this.plugin.prepare({ version }).call<T>(this.ctx, method, args);
  }
}

export interface Received {
  method: string;
  version: string;
  args: Record<string, any>;
}

/** An agent's RPC server (e.g. dhcp_agent on host net1) recording every method it is sent. */
export class Recorder {
  readonly received: Received[] = [];
  readonly server: RpcServer;

  constructor(transport: Transport, topic: string, host: string, methods: string[], version = '1.5') {
    const endpoint: Record<string, unknown> = { target: { version } };
    for (const m of methods) {
      endpoint[m] = (_ctx: RequestContext, args: Record<string, any>, call: IncomingCall) => {
        this.received.push({ method: m, version: call.version, args });
      };
    }
    this.server = new RpcServer(transport, { topic, server: host }, [endpoint]);
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  of(method: string): Received[] {
    return this.received.filter((r) => r.method === method);
  }
}

/** Waits until fn() returns a truthy value (polling), or fails after timeoutMs. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POSTs one `collection` object through the API and returns it; anything but 201 fails the test. */
export async function createThrough(ts: TestServer, collection: string, body: Record<string, unknown>, headers?: Record<string, string>): Promise<any> {
  const res = await ts.request('POST', `/v2.0/${collection}s`, { [collection]: body }, headers);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body[collection];
}
