/**
 * Port binding through agent-based mechanism drivers ([ml2] mechanism_drivers: openvswitch,
 * linuxbridge). Neutron binds after the port's own transaction has committed (_bind_port_if_needed)
 * because a driver may call out; ours only read the agents table, so the binding is written in the
 * port's own transaction: a port that is stored is bound, even when the worker dies right after
 * the commit. The binding gets its vif_type and details, a binding level names the segment, and an
 * L2 provisioning block keeps the port DOWN until the agent reports the device up.
 */
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import {
  DEVICE_OWNER_AGENT_GW, DEVICE_OWNER_DHCP, DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_HA_INTF, ROUTER_PORT_OWNERS, UNBOUND_VIF_TYPES,
} from '../../lib/constants.js';
import type { Item } from '../../lib/definitions.js';
import { MacAddressInUse } from '../../lib/errors.js';
import { randomMac } from '../../lib/mac.js';
import { noteChange } from '../../db/changes.js';
import { timestamp } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { EventRegistry, WriteEvent } from '../../registry/events.js';
import { addProvisioningComponent, L2_AGENT_ENTITY } from '../../registry/provisioning-blocks.js';
import { agentFromRow, isAlive } from './agents.js';
import { canBindSegment, type AgentMechanismDriver, type BindableSegment } from './mechanism_drivers/driver.js';
import { linuxbridge } from './mechanism_drivers/linuxbridge.js';
import { openvswitch } from './mechanism_drivers/openvswitch.js';

const DRIVERS: Record<string, AgentMechanismDriver> = { openvswitch, linuxbridge };

/** The configured drivers this server implements, in order, and the names it does not know. */
export function mechanismDrivers(names: readonly string[]): { drivers: AgentMechanismDriver[]; l2population: boolean; unknown: string[] } {
  return {
    drivers: names.filter((n) => n in DRIVERS).map((n) => DRIVERS[n]!),
    // binds nothing: it follows the ports the others bind (mechanism_drivers/l2population.ts)
    l2population: names.includes('l2population'),
    unknown: names.filter((n) => !(n in DRIVERS) && n !== 'l2population'),
  };
}

/** Ports that never wait for the agents (ml2 NO_PBLOCKS_TYPES): no owner, and the network's own. */
export const NO_PBLOCKS_OWNERS = [
  '', ...ROUTER_PORT_OWNERS, DEVICE_OWNER_DHCP, DEVICE_OWNER_AGENT_GW, DEVICE_OWNER_ROUTER_HA_INTF, DEVICE_OWNER_FLOATINGIP,
];

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** a port: it was bound (again) after this write, and `current` is the bound port */
    rebound?: boolean;
  }
}

/**
 * Binds a port as a create or update of it is written, before the API answers: the answer carries
 * the binding (Nova reads binding:vif_type from it).
 */
export function bindPortsOnWrite(events: EventRegistry, drivers: AgentMechanismDriver[], agentDownTime: number, baseMac?: string): void {
  if (!drivers.length) return;
  const bind = async (tx: Tx, event: WriteEvent) => {
    if (!bindingNeeded(event.current, event.original)) return;
    const result = await bindPort(tx, event.current.id as string, drivers, agentDownTime, baseMac);
    if (!result) return;
    event.rebound = true;
    // a create answers from what it wrote (an update reads its port back after this)
    Object.assign(event.current, {
      'binding:vif_type': result.vifType, 'binding:vif_details': result.vifDetails, mac_address: result.macAddress,
      revision_number: (event.current.revision_number as number) + 1,
    });
  };
  events.subscribe('port', 'precommit_create', bind);
  events.subscribe('port', 'precommit_update', bind);
}

/** Whether a committed port change calls for (re)binding. */
export function bindingNeeded(port: Item, previous?: Item): boolean {
  const host = (port['binding:host_id'] ?? '') as string;
  const prevHost = (previous?.['binding:host_id'] ?? '') as string;
  if (!host) return !!prevHost;
  // a new profile is a new binding request too (_process_port_binding_attributes)
  return UNBOUND_VIF_TYPES.includes(port['binding:vif_type'] as string) || host !== prevHost
    || (!!previous && previous['binding:vnic_type'] !== port['binding:vnic_type'])
    || (!!previous && !isDeepStrictEqual(previous['binding:profile'] ?? {}, port['binding:profile'] ?? {}));
}

export interface BindResult {
  /** the segment bound, or null (unbound or binding_failed) */
  segment: BindableSegment | null;
  vifType: string;
  vifDetails: Item;
  /** the port's MAC once bound: a direct-physical port takes its device's (port-mac-override) */
  macAddress: string;
}

/**
 * Binds (or unbinds) the port to a segment an alive agent on its host can reach. The binding is a
 * change of its own, as in Neutron where it commits apart from the port: it counts one revision.
 */
export async function bindPort(tx: Tx, portId: string, drivers: AgentMechanismDriver[], agentDownTime: number, baseMac?: string): Promise<BindResult | null> {
  const port = await tx.selectFrom('ports').innerJoin('ml2_port_bindings as b', 'b.port_id', 'ports.id')
    .select(['ports.id', 'ports.network_id', 'ports.status', 'ports.device_owner', 'ports.mac_address', 'b.host', 'b.vnic_type', 'b.profile'])
    .where('ports.id', '=', portId).where('b.status', '=', 'ACTIVE').executeTakeFirst();
  if (!port) return null;
  // the levels of the active binding, whichever host it had; an inactive binding keeps its own
  await tx.deleteFrom('ml2_port_binding_levels').where('port_id', '=', portId)
    .where('host', 'not in', (eb) => eb.selectFrom('ml2_port_bindings').select('host').where('port_id', '=', portId).where('status', '=', 'INACTIVE')).execute();
  const result = await chooseBinding(tx, port.network_id, port.host, port.vnic_type, drivers, agentDownTime);
  await tx.updateTable('ml2_port_bindings').set({ vif_type: result.vifType, vif_details: JSON.stringify(result.vifDetails) })
    .where('port_id', '=', portId).where('status', '=', 'ACTIVE').execute();
  if (result.segment) {
    await tx.insertInto('ml2_port_binding_levels').values({ port_id: portId, host: port.host, level: 0, driver: result.driver, segment_id: result.segment.id }).execute();
    if (port.status !== 'ACTIVE' && !NO_PBLOCKS_OWNERS.includes(port.device_owner)) await addProvisioningComponent(tx, portId, L2_AGENT_ENTITY);
  }
  const macAddress = port.vnic_type === 'direct-physical' && baseMac ? await physicalDeviceMac(tx, port, baseMac) : port.mac_address;
  await tx.updateTable('ports').set({ revision_number: sql`revision_number + 1`, updated_at: timestamp(), mac_address: macAddress }).where('id', '=', portId).execute();
  noteChange(tx, 'ports', portId, 'updated');
  return { segment: result.segment, vifType: result.vifType, vifDetails: result.vifDetails, macAddress };
}

/**
 * port-mac-override: the MAC of a direct-physical port is its physical function's, which Nova puts in
 * the binding profile as device_mac_address; without one (unbound) a new MAC frees the device's.
 */
async function physicalDeviceMac(tx: Tx, port: { id: string; network_id: string; profile: string }, baseMac: string): Promise<string> {
  let profile: Item = {};
  try { profile = JSON.parse(port.profile || '{}') ?? {}; } catch { /* a profile is a dict, checked on write */ }
  const device = typeof profile.device_mac_address === 'string' ? profile.device_mac_address.toLowerCase() : '';
  if (!device) return randomMac(baseMac);
  const used = await tx.selectFrom('ports').select('id').where('network_id', '=', port.network_id).where('mac_address', '=', device)
    .where('id', '!=', port.id).executeTakeFirst();
  if (used) throw new MacAddressInUse({ net_id: port.network_id, mac: device });
  return device;
}

/** The driver, agent and segment that can bind a port on `host`, or unbound / binding_failed. */
export async function chooseBinding(q: Queryable, networkId: string, host: string, vnicType: string, drivers: AgentMechanismDriver[], agentDownTime: number) {
  const none = { segment: null, driver: null, vifDetails: {} };
  if (!host) return { ...none, vifType: 'unbound' };
  const segments = (await q.selectFrom('network_segments').selectAll().where('network_id', '=', networkId).orderBy('segment_index').execute())
    .map(segmentFromRow);
  for (const driver of drivers) {
    if (!driver.supportedVnicTypes.includes(vnicType)) continue;
    const agents = (await q.selectFrom('agents').selectAll().where('agent_type', '=', driver.agentType).where('host', '=', host).execute())
      .map(agentFromRow).filter((a) => isAlive(a.heartbeat_timestamp, agentDownTime));
    for (const agent of agents) {
      const segment = segments.find((s) => canBindSegment(driver, agent, s));
      if (segment) return { segment, driver: driver.name, vifType: driver.vifType, vifDetails: driver.vifDetails(agent) };
    }
  }
  return { ...none, vifType: 'binding_failed' };
}

function segmentFromRow(r: Record<string, any>): BindableSegment {
  return { id: r.id, network_type: r.network_type, physical_network: r.physical_network ?? null, segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id) };
}

/** The port's binding and the segment of its bottom binding level, or null for an unknown port. */
export interface BoundPort {
  id: string;
  host: string;
  vifType: string;
  segment: BindableSegment | null;
}

/** Bound ports by id, set-based. */
export async function boundPorts(q: Queryable, portIds: string[]): Promise<Map<string, BoundPort>> {
  const out = new Map<string, BoundPort>();
  if (!portIds.length) return out;
  const rows = await q.selectFrom('ml2_port_bindings as b')
    .leftJoin('ml2_port_binding_levels as l', (j) => j.onRef('l.port_id', '=', 'b.port_id').onRef('l.host', '=', 'b.host'))
    .leftJoin('network_segments as s', 's.id', 'l.segment_id')
    .select(['b.port_id', 'b.host', 'b.vif_type', 'l.level', 's.id as segment_id', 's.network_type', 's.physical_network', 's.segmentation_id'])
    .where('b.port_id', 'in', portIds).where('b.status', '=', 'ACTIVE').orderBy('l.level').execute();
  for (const r of rows) {
    const segment = r.segment_id && !UNBOUND_VIF_TYPES.includes(r.vif_type) ? segmentFromRow({ ...r, id: r.segment_id }) : null;
    // the last level (the bottom one) wins
    out.set(r.port_id, { id: r.port_id, host: r.host, vifType: r.vif_type, segment: segment ?? out.get(r.port_id)?.segment ?? null });
  }
  return out;
}
