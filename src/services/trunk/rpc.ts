/**
 * The trunk RPC of the Open vSwitch and Linux bridge agents (neutron/services/trunk/rpc): the
 * agents pull a parent port's Trunk on the object channel, call `update_subport_bindings` and
 * `update_trunk_status` on the `trunk` topic (namespace `trunk`, 1.0), and hear of trunks and
 * subports created and deleted on `neutron-vo-Trunk-1.1` / `neutron-vo-SubPort-1.0`.
 */
import type { Logger } from 'pino';
import { adminContext, type RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import type { Database } from '../../db/database.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable } from '../../db/schema.js';
import { RpcClient } from '../../rpc/client.js';
import type { Endpoint } from '../../rpc/server.js';
import type { Transport } from '../../rpc/transport.js';
import type { SqlResource } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import { primitive, registerObjectType, type Primitive } from '../../plugins/ml2/rpc/ovo.js';
import type { Subport } from './rules.js';

export const TRUNK_TOPIC = 'trunk';
export const TRUNK_VERSION = '1.1';
export const SUBPORT_VERSION = '1.0';
export const TRUNK_SUBPORT_OWNER = 'trunk:subport';

export function subportPrimitive(trunkId: string, s: Subport): Primitive {
  return primitive('SubPort', SUBPORT_VERSION, {
    port_id: s.port_id, trunk_id: trunkId, segmentation_type: s.segmentation_type, segmentation_id: Number(s.segmentation_id),
  });
}

/** A trunk as the API shows it, as the Trunk object the agents read. */
export function trunkPrimitive(t: Item): Primitive {
  return primitive('Trunk', TRUNK_VERSION, {
    id: t.id, project_id: t.project_id ?? t.tenant_id, name: t.name, admin_state_up: t.admin_state_up, port_id: t.port_id, status: t.status,
    sub_ports: ((t.sub_ports ?? []) as Subport[]).map((s) => subportPrimitive(t.id as string, s)),
    description: t.description ?? '', created_at: t.created_at, updated_at: t.updated_at, revision_number: t.revision_number,
  });
}

type Filters = Record<string, unknown[]>;
const bool = (v: unknown) => v === true || v === 1 || v === '1';

async function subportsOf(q: Queryable, trunkIds: string[]): Promise<Map<string, Subport[]>> {
  const out = new Map<string, Subport[]>();
  await inChunks(trunkIds, async (chunk) => {
    const rows = await q.selectFrom('subports').selectAll().where('trunk_id', 'in', chunk).orderBy('segmentation_type').orderBy('segmentation_id').execute();
    for (const r of rows) out.set(r.trunk_id, [...(out.get(r.trunk_id) ?? []), r]);
  });
  return out;
}

/** Trunk objects matching the filters on their own columns (a pull names the parent port). */
export async function trunkObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  let qb = q.selectFrom('trunks').selectAll();
  for (const [field, values] of Object.entries(filters)) {
    if (!values.length) return [];
    qb = qb.where(field as 'id', 'in', values as string[]);
  }
  const rows = await qb.orderBy('id').execute();
  const subports = await subportsOf(q, rows.map((r) => r.id));
  return rows.map((r) => trunkPrimitive({ ...r, admin_state_up: bool(r.admin_state_up), revision_number: Number(r.revision_number), sub_ports: subports.get(r.id) ?? [] }));
}

export async function subportObjects(q: Queryable, filters: Filters): Promise<Primitive[]> {
  let qb = q.selectFrom('subports').selectAll();
  for (const [field, values] of Object.entries(filters)) {
    if (!values.length) return [];
    qb = qb.where(field as 'port_id', 'in', values as string[]);
  }
  return (await qb.orderBy('port_id').execute()).map((r) => subportPrimitive(r.trunk_id, r));
}

/** Trunk and SubPort on the object channel: a Trunk is pulled by its parent port, as Neutron's provider does. */
export function registerTrunkObjects(): void {
  registerObjectType('Trunk', TRUNK_VERSION, trunkObjects, 'port_id');
  registerObjectType('SubPort', SUBPORT_VERSION, subportObjects);
}

/** TrunkStub: what the agents hear, on the versioned-object fanout topics. */
export class TrunkPushApi {
  private readonly client: RpcClient;

  constructor(transport: Transport) {
    this.client = new RpcClient(transport, { topic: 'neutron-vo', version: '1.1', fanout: true });
  }

  trunkCreated(ctx: RequestContext, trunk: Item): Promise<void> {
    return this.push(ctx, `Trunk-${TRUNK_VERSION}`, [trunkPrimitive(trunk)], 'created');
  }

  trunkDeleted(ctx: RequestContext, trunk: Item): Promise<void> {
    return this.push(ctx, `Trunk-${TRUNK_VERSION}`, [trunkPrimitive(trunk)], 'deleted');
  }

  subports(ctx: RequestContext, trunkId: string, subports: Subport[], event: 'created' | 'deleted'): Promise<void> {
    return this.push(ctx, `SubPort-${SUBPORT_VERSION}`, subports.map((s) => subportPrimitive(trunkId, s)), event);
  }

  private push(ctx: RequestContext, type: string, resourceList: Primitive[], eventType: string): Promise<void> {
    return this.client.prepare({ topic: `neutron-vo-${type}` }).cast(ctx, 'push', { resource_list: resourceList, event_type: eventType });
  }
}

/** A subport as an agent sends it: a dict, or a SubPort object's primitive. */
function subportOf(raw: unknown): { port_id: string; trunk_id: string } | null {
  const r = raw as Record<string, any> | null;
  const data = r?.['versioned_object.data'] ?? r;
  return data && typeof data.port_id === 'string' && typeof data.trunk_id === 'string' ? data : null;
}

/** TrunkSkeleton: the server side of the agents' calls. */
export class TrunkRpcCallback implements Endpoint {
  readonly target = { namespace: 'trunk', version: '1.0' };

  constructor(private readonly db: Database, private readonly ports: SqlResource, private readonly log: Logger) {}

  /** Records what the agent wired: ACTIVE, DEGRADED, ERROR... (nothing for an unknown trunk). */
  async update_trunk_status(_ctx: RequestContext, kw: Record<string, any>): Promise<null> {
    await this.setStatus(String(kw.trunk_id), String(kw.status));
    return null;
  }

  /**
   * Binds each subport to its trunk's host (the parent's, or the host it migrates to) with
   * device_owner trunk:subport; the trunk is BUILD meanwhile, ERROR if a binding failed (and
   * nothing is answered for it), DEGRADED if a subport could not be updated. Answers the
   * updated ports by trunk.
   */
  async update_subport_bindings(ctx: RequestContext, kw: Record<string, any>): Promise<Record<string, Item[]>> {
    const admin = adminContext(ctx.requestId);
    const byTrunk = new Map<string, string[]>();
    for (const raw of Array.isArray(kw.subports) ? kw.subports : []) {
      const s = subportOf(raw);
      if (s) byTrunk.set(s.trunk_id, [...(byTrunk.get(s.trunk_id) ?? []), s.port_id]);
    }
    const out: Record<string, Item[]> = {};
    for (const [trunkId, portIds] of byTrunk) {
      const trunk = await this.db.read((q) => q.selectFrom('trunks').select(['id', 'port_id']).where('id', '=', trunkId).executeTakeFirst());
      if (!trunk) continue;
      out[trunkId] = [...(out[trunkId] ?? []), ...(await this.bindSubports(admin, trunkId, trunk.port_id, portIds))];
    }
    return out;
  }

  private async bindSubports(ctx: RequestContext, trunkId: string, parentId: string, portIds: string[]): Promise<Item[]> {
    const parent = await this.ports.get(ctx, parentId);
    const profile = (parent['binding:profile'] ?? {}) as Record<string, unknown>;
    const host = typeof profile.migrating_to === 'string' && profile.migrating_to ? profile.migrating_to : parent['binding:host_id'];
    await this.setStatus(trunkId, 'BUILD');
    const updated: Item[] = [];
    for (const portId of portIds) {
      try {
        const port = await this.ports.update(ctx, portId, { 'binding:host_id': host, device_owner: TRUNK_SUBPORT_OWNER }, {});
        if (port['binding:vif_type'] === 'binding_failed') {
          this.log.error(`Failed to bind subport: Failed to set port binding for port ${portId} on trunk ${trunkId}.`);
          await this.setStatus(trunkId, 'ERROR');
          return [];
        }
        updated.push(port);
      } catch (err) {
        this.log.error({ err }, `Failed to bind subport port ${portId} on trunk ${trunkId}`);
      }
    }
    if (updated.length !== portIds.length) await this.setStatus(trunkId, 'DEGRADED');
    return updated;
  }

  private async setStatus(trunkId: string, status: string): Promise<void> {
    await this.db.write(async (tx) => {
      const row = await tx.selectFrom('trunks').select('status').where('id', '=', trunkId).executeTakeFirst();
      if (row && row.status !== status) await bumpRevision(tx, 'trunks', trunkId, { status });
    });
  }
}
