/**
 * ML2's l2population mechanism driver: instead of flooding, L2 agents learn from the server which
 * MAC/IP lives behind which tunnel endpoint. When a port is wired on a host, the other agents get
 * add_fdb_entries for it (and, for the host's first port on the network, the flooding entry of
 * that host); the host itself then gets every other host's entries. Unwiring removes them again.
 */
import { DEVICE_OWNER_DVR_INTERFACE } from '../../../lib/constants.js';
import type { RequestContext } from '../../../lib/context.js';
import type { Database } from '../../../db/database.js';
import type { Queryable } from '../../../db/schema.js';
import { RpcClient } from '../../../rpc/client.js';
import type { Transport } from '../../../rpc/transport.js';
import { agentFromRow, type AgentRow } from '../agents.js';
import type { BindableSegment } from './driver.js';

export const FLOODING_ENTRY: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
/** the agents l2pop talks to (L2_AGENT_TYPES that report a tunneling_ip) */
const L2_AGENT_TYPES = ['Open vSwitch agent', 'Linux bridge agent', 'Macvtap agent'];
const L2POP_TOPIC = 'q-agent-notifier-l2population-update';

type FdbPorts = Record<string, Array<[string, string]>>;
export type FdbEntries = Record<string, { segment_id: number | null; network_type: string; ports: FdbPorts }>;

/** What is left of a port once it is unwired or deleted. */
export interface WiredPort {
  id: string;
  network_id: string;
  mac_address: string;
  fixed_ips: string[];
  device_owner: string;
}

const agentIp = (a: AgentRow) => (typeof a.configurations.tunneling_ip === 'string' ? a.configurations.tunneling_ip : null);

/** _validate_segment: the segment's type must be one the agent populates (l2pop_network_types, else its tunnel types). */
function populates(agent: AgentRow, segment: BindableSegment | null | undefined): segment is BindableSegment {
  if (!segment) return false;
  const types = agent.configurations.l2pop_network_types ?? agent.configurations.tunnel_types;
  return Array.isArray(types) && types.includes(segment.network_type);
}

const portEntries = (p: WiredPort): Array<[string, string]> => p.fixed_ips.map((ip) => [p.mac_address, ip]);

export class L2Population {
  private readonly client: RpcClient;

  constructor(transport: Transport, private readonly db: Database) {
    this.client = new RpcClient(transport, { topic: L2POP_TOPIC, version: '1.0' });
  }

  private async agentOn(q: Queryable, host: string): Promise<AgentRow | null> {
    const row = await q.selectFrom('agents').selectAll().where('host', '=', host).where('agent_type', 'in', L2_AGENT_TYPES).executeTakeFirst();
    return row ? agentFromRow(row) : null;
  }

  /** The ACTIVE ports of the network bound to hosts whose L2 agent has a tunnel address, with that address. */
  private async activePorts(q: Queryable, networkId: string): Promise<Array<WiredPort & { host: string; ip: string }>> {
    const rows = await q.selectFrom('ports').innerJoin('ml2_port_bindings as b', 'b.port_id', 'ports.id')
      .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'ports.device_owner', 'b.host'])
      .where('ports.network_id', '=', networkId).where('ports.status', '=', 'ACTIVE').where('b.status', '=', 'ACTIVE')
      .where('ports.device_owner', '!=', DEVICE_OWNER_DVR_INTERFACE).execute();
    if (!rows.length) return [];
    const hosts = [...new Set(rows.map((r) => r.host as string))];
    const agents = (await q.selectFrom('agents').selectAll().where('host', 'in', hosts).where('agent_type', 'in', L2_AGENT_TYPES).execute()).map(agentFromRow);
    const ips = await q.selectFrom('ipallocations').select(['port_id', 'ip_address']).where('port_id', 'in', rows.map((r) => r.id)).execute();
    return rows.flatMap((r) => {
      const ip = agents.filter((a) => a.host === r.host).map(agentIp).find(Boolean);
      return ip ? [{ ...r, fixed_ips: ips.filter((i) => i.port_id === r.id).map((i) => i.ip_address), host: r.host as string, ip }] as Array<WiredPort & { host: string; ip: string }> : [];
    });
  }

  /** update_port_up: `port` (ACTIVE or being wired) is up on `host`. */
  async portUp(ctx: RequestContext, port: WiredPort, host: string, segment: BindableSegment | null | undefined, refreshTunnels = false): Promise<void> {
    const plan = await this.db.read(async (q) => {
      const agent = await this.agentOn(q, host);
      if (!agent || !populates(agent, segment)) return null;
      const ip = agentIp(agent);
      if (!ip) return null;
      const active = await this.activePorts(q, port.network_id);
      const onHost = active.filter((p) => p.host === host && p.id !== port.id).length + 1;
      const template = (ports: FdbPorts): FdbEntries => ({ [port.network_id]: { segment_id: segment.segmentation_id, network_type: segment.network_type, ports } });
      const others: FdbPorts = { [ip]: [] };
      let forHost: FdbEntries | null = null;
      if (onHost === 1 || refreshTunnels) {
        // the host's first port on the network: it learns every other host, and they flood to it
        const remote: FdbPorts = {};
        for (const p of active) {
          if (p.host === host) continue;
          (remote[p.ip] ??= [FLOODING_ENTRY]).push(...portEntries(p));
        }
        if (Object.keys(remote).length) forHost = template(remote);
        others[ip]!.push(FLOODING_ENTRY);
      }
      others[ip]!.push(...portEntries(port));
      return { forHost, others: template(others) };
    });
    if (!plan) return;
    if (plan.forHost) await this.client.prepare({ server: host }).cast(ctx, 'add_fdb_entries', { fdb_entries: plan.forHost });
    await this.client.prepare({ fanout: true }).cast(ctx, 'add_fdb_entries', { fdb_entries: plan.others });
  }

  /** update_port_down / delete_port: `port` is no longer up on `host` (its status already changed or the row is gone). */
  async portDown(ctx: RequestContext, port: WiredPort, host: string, segment: BindableSegment | null | undefined): Promise<void> {
    const entries = await this.db.read(async (q) => {
      const agent = await this.agentOn(q, host);
      if (!agent || !populates(agent, segment)) return null;
      const ip = agentIp(agent);
      if (!ip) return null;
      const left = (await this.activePorts(q, port.network_id)).filter((p) => p.host === host && p.id !== port.id).length;
      const ports: Array<[string, string]> = left === 0 ? [FLOODING_ENTRY] : [];
      ports.push(...portEntries(port));
      return { [port.network_id]: { segment_id: segment.segmentation_id, network_type: segment.network_type, ports: { [ip]: ports } } } as FdbEntries;
    });
    if (entries) await this.client.prepare({ fanout: true }).cast(ctx, 'remove_fdb_entries', { fdb_entries: entries });
  }
}

/** The port as l2pop describes it, or null if it is gone. */
export async function wiredPort(q: Queryable, portId: string): Promise<WiredPort | null> {
  const p = await q.selectFrom('ports').select(['id', 'network_id', 'mac_address', 'device_owner']).where('id', '=', portId).executeTakeFirst();
  if (!p) return null;
  const ips = await q.selectFrom('ipallocations').select('ip_address').where('port_id', '=', portId).execute();
  return { ...(p as Omit<WiredPort, 'fixed_ips'>), fixed_ips: ips.map((i) => i.ip_address as string) };
}
