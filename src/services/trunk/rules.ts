/**
 * What Neutron checks before a port becomes a trunk's parent or subport
 * (neutron/services/trunk/rules.py): a port is in one trunk at most, a bound parent only where
 * its driver can trunk bound ports, a subport has no device and fits in the parent's MTU, and
 * its segmentation is of a type the drivers wire, in range.
 */
import { isUuid, pyRepr, pyStr, toInt } from '../../lib/attributes.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  InvalidInput, ParentPortInUse, PortInUse, SubPortMtuGreaterThanTrunkPortMtu, TrunkPluginDriverConflict, TrunkPortInUse,
} from '../../lib/errors.js';
import { forUpdate } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { SqlResource } from '../../registry/resource.js';
import { TRUNK_DRIVERS } from './drivers.js';

export interface Subport {
  port_id: string;
  segmentation_type: string;
  segmentation_id: number;
}

/** What the rules read: the core plugin's ports (as the caller sees them) and the segmentation types served. */
export interface TrunkRules {
  ports: SqlResource;
  segmentationTypes: ReadonlyMap<string, (id: number) => boolean>;
}

/**
 * Locks the ports' rows (sorted, so that two requests take them in the same order) so that two
 * trunks claiming one port take turns; the loser then sees the winner's rows.
 */
export async function lockPorts(tx: Tx, ids: string[]): Promise<void> {
  const valid = [...new Set(ids)].filter(isUuid).sort();
  if (valid.length) await forUpdate(tx, tx.selectFrom('ports').select('id').where('id', 'in', valid).orderBy('id')).execute();
}

/** The port is no subport and no parent yet (TrunkPortValidator.validate's first checks). */
async function checkNotInTrunk(q: Queryable, portId: string): Promise<void> {
  if (await q.selectFrom('subports').select('port_id').where('port_id', '=', portId).executeTakeFirst()) throw new TrunkPortInUse({ port_id: portId });
  if (await q.selectFrom('trunks').select('id').where('port_id', '=', portId).executeTakeFirst()) throw new ParentPortInUse({ port_id: portId });
}

/**
 * can_be_trunked_or_untrunked: an unbound port always; a bound one when the one driver serving
 * its vif_type (and, if agent-based, with its agent on the port's host) can trunk bound ports.
 */
export async function canBeTrunkedOrUntrunked(q: Queryable, port: Item): Promise<boolean> {
  const host = port['binding:host_id'] as string | undefined;
  if (!host) return true;
  const agentTypes = (await q.selectFrom('agents').select('agent_type').where('host', '=', host).execute()).map((a) => a.agent_type);
  const vifType = port['binding:vif_type'];
  const drivers = TRUNK_DRIVERS.filter((d) => d.interfaces.includes(vifType as string) && (!d.agentType || agentTypes.includes(d.agentType)));
  if (drivers.length > 1) throw new TrunkPluginDriverConflict();
  return drivers.length === 1 && drivers[0]!.canTrunkBoundPort;
}

/** TrunkPortValidator(port).validate(parent_port=True): the parent's id, or an error. */
export async function validateParent(tx: Tx, ctx: RequestContext, rules: TrunkRules, portId: string): Promise<string> {
  await checkNotInTrunk(tx, portId);
  const port = await rules.ports.load(tx, portId, ctx);
  if (!(await canBeTrunkedOrUntrunked(tx, port))) throw new ParentPortInUse({ port_id: portId });
  return portId;
}

async function networkMtus(q: Queryable, networkIds: string[]): Promise<Map<string, number>> {
  if (!networkIds.length) return new Map();
  const rows = await q.selectFrom('networks').select(['id', 'mtu']).where('id', 'in', networkIds).execute();
  return new Map(rows.map((r) => [r.id, Number(r.mtu)]));
}

/** The port as the caller sees it, or undefined. */
async function visiblePort(q: Queryable, ctx: RequestContext, rules: TrunkRules, id: string): Promise<Item | undefined> {
  return (await rules.ports.exists(q, id, ctx)) ? rules.ports.load(q, id, ctx) : undefined;
}

/**
 * SubPortsValidator.validate with trunk validation: `inherit` takes the segmentation of the
 * subport's network, then each subport is checked in order. Returns the subports to store.
 */
export async function validateSubports(tx: Tx, ctx: RequestContext, rules: TrunkRules, parentId: string, requested: Item[]): Promise<Subport[]> {
  const subports = requested.map((s) => ({ ...s }));
  const parent = await visiblePort(tx, ctx, rules, parentId);
  const parentMtu = parent ? (await networkMtus(tx, [parent.network_id as string])).get(parent.network_id as string) : undefined;

  // _prepare_subports: the networks of the subports the caller sees, their MTUs, and what inherit takes
  const networkOf = new Map<string, string>();
  for (const s of subports) {
    const port = isUuid(s.port_id) ? await visiblePort(tx, ctx, rules, s.port_id) : undefined;
    if (port) networkOf.set(s.port_id as string, port.network_id as string);
  }
  const mtus = await networkMtus(tx, [...new Set(networkOf.values())]);
  for (const [i, s] of subports.entries()) {
    const networkId = networkOf.get(s.port_id as string);
    if (s.segmentation_type !== 'inherit' || !networkId) continue;
    const segments = await tx.selectFrom('network_segments').select(['network_type', 'segmentation_id']).where('network_id', '=', networkId).execute();
    const segment = segments.length === 1 ? segments[0]! : undefined;
    subports[i] = { port_id: s.port_id, segmentation_type: segment?.network_type ?? null, segmentation_id: segment?.segmentation_id ?? null };
  }

  const out: Subport[] = [];
  for (const s of subports) {
    const portId = s.port_id as string;
    if (portId === parentId) throw new ParentPortInUse({ port_id: portId });
    const mtu = mtus.get(networkOf.get(portId) ?? '');
    if (parentMtu && mtu && mtu > parentMtu) {
      throw new SubPortMtuGreaterThanTrunkPortMtu({ port_id: portId, port_mtu: mtu, trunk_id: parentId, trunk_mtu: parentMtu });
    }
    if (!('segmentation_type' in s) || !('segmentation_id' in s)) {
      throw new InvalidInput({ error_message: `Invalid subport details '${pyRepr(s)}': missing segmentation information. Must specify both segmentation_id and segmentation_type` });
    }
    let id: number;
    try {
      id = typeof s.segmentation_id === 'boolean' ? Number(s.segmentation_id) : toInt(s.segmentation_id);
    } catch {
      throw new InvalidInput({ error_message: `Invalid subport details: segmentation_id '${pyStr(s.segmentation_id)}' is not an integer` });
    }
    const type = s.segmentation_type as string;
    const inRange = rules.segmentationTypes.get(type);
    if (!inRange) throw new InvalidInput({ error_message: `Unknown segmentation_type '${pyStr(type)}'` });
    if (!inRange(id)) throw new InvalidInput({ error_message: `Segmentation ID '${id}' is not in range` });
    // TrunkPortValidator(subport).validate(parent_port=False)
    await checkNotInTrunk(tx, portId);
    const port = await rules.ports.load(tx, portId, ctx);
    if (port.device_id) throw new PortInUse({ net_id: port.network_id as string, port_id: portId, device_id: port.device_id as string });
    out.push({ port_id: portId, segmentation_type: type, segmentation_id: id });
  }
  return out;
}
