import type { Item } from '../../lib/definitions.js';
import { PortInUseAsSubPort, PortInUseAsTrunkParent } from '../../lib/errors.js';
import { inChunks } from '../../db/chunks.js';
import type { Queryable } from '../../db/schema.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { bumpRevision } from '../../registry/revisions.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext, RpcListener } from '../../plugins/plugin.js';
import { segmentationTypes, TRUNK_DRIVERS } from './drivers.js';
import { registerTrunkObjects, TRUNK_TOPIC, TrunkPushApi, TrunkRpcCallback } from './rpc.js';
import { createTrunkResource } from './trunks.js';

/** trunk_details of the parent ports among `ports`: the trunk and its subports with their MACs. */
async function extendTrunkDetails(q: Queryable, ports: Item[]): Promise<void> {
  const byPort = new Map(ports.map((p) => [p.id as string, p]));
  const trunks: Array<{ id: string; port_id: string }> = [];
  await inChunks([...byPort.keys()], async (chunk) => {
    trunks.push(...await q.selectFrom('trunks').select(['id', 'port_id']).where('port_id', 'in', chunk).execute());
  });
  if (!trunks.length) return;
  const subports = await q.selectFrom('subports').innerJoin('ports', 'ports.id', 'subports.port_id')
    .select(['subports.trunk_id', 'subports.port_id', 'subports.segmentation_type', 'subports.segmentation_id', 'ports.mac_address'])
    .where('subports.trunk_id', 'in', trunks.map((t) => t.id)).orderBy('subports.segmentation_type').orderBy('subports.segmentation_id').execute();
  for (const t of trunks) {
    byPort.get(t.port_id)!.trunk_details = {
      trunk_id: t.id,
      sub_ports: subports.filter((s) => s.trunk_id === t.id).map((s) => ({
        segmentation_id: Number(s.segmentation_id), segmentation_type: s.segmentation_type, port_id: s.port_id, mac_address: s.mac_address,
      })),
    };
  }
}

/** gen_trunk_br_name: `tbr-` and the trunk id, cut to an interface name's 14 characters. */
export function trunkBridgeName(trunkId: string): string {
  return `tbr-${trunkId}`.slice(0, 14);
}

/**
 * Neutron's `trunk` service plugin (TrunkPlugin): /v2.0/trunks, trunk_details on parent ports,
 * the port deletion rules, and the agents' trunk RPC when an agent-based driver is loaded.
 */
export class TrunkPlugin implements Plugin {
  readonly name = 'trunk';
  readonly supportedExtensionAliases = ['trunk', 'trunk-details'];
  private listeners: RpcListener[] = [];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { db, events, api, config, transport } = ctx;
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!ml2?.resources) throw new Error('the trunk service plugin needs the ml2 core plugin');
    const { ports } = ml2.resources;
    const log = ctx.log.child({ component: 'trunk' });
    const push = new TrunkPushApi(transport);
    const background = (what: string, work: Promise<unknown>) => void work.catch((err: unknown) => log.error({ err }, `${what} failed`));

    // enforce_port_deletion_rules
    events.subscribe('port', 'before_delete', async (tx, { current: port }) => {
      const id = port.id as string;
      const sub = await tx.selectFrom('subports').select('trunk_id').where('port_id', '=', id).executeTakeFirst();
      if (sub) throw new PortInUseAsSubPort({ port_id: id, trunk_id: sub.trunk_id });
      const trunk = await tx.selectFrom('trunks').select('id').where('port_id', '=', id).executeTakeFirst();
      if (trunk) throw new PortInUseAsTrunkParent({ port_id: id, trunk_id: trunk.id });
    });
    // the OVS trunk driver's vif_details_bridge_name_handler: Nova plugs a parent into its trunk bridge
    events.subscribe('port', 'precommit_update', async (tx, event) => {
      if (!event.rebound || event.current['binding:vif_type'] !== 'ovs') return;
      const trunk = await tx.selectFrom('trunks').select('id').where('port_id', '=', event.current.id as string).executeTakeFirst();
      if (!trunk) return;
      const details = { ...(event.current['binding:vif_details'] as Item), bridge_name: trunkBridgeName(trunk.id) };
      await tx.updateTable('ml2_port_bindings').set({ vif_details: JSON.stringify(details) }).where('port_id', '=', event.current.id as string).execute();
      event.current['binding:vif_details'] = details;
    }, 150);
    // _trigger_trunk_status_change: a parent that becomes unbound takes its trunk DOWN (after ML2's binding)
    events.subscribe('port', 'precommit_update', async (tx, { original, current }) => {
      const vifType = current['binding:vif_type'];
      if (vifType === original['binding:vif_type'] || vifType !== 'unbound') return;
      const trunk = await tx.selectFrom('trunks').select(['id', 'status']).where('port_id', '=', current.id as string).executeTakeFirst();
      if (trunk && trunk.status !== 'DOWN') {
        await bumpRevision(tx, 'trunks', trunk.id, { status: 'DOWN' });
      }
    }, 200);
    events.extend('port', async (q, items, _ctx, wanted) => {
      if (!wanted || wanted.has('trunk_details')) await extendTrunkDetails(q, items);
    });

    const trunks = createTrunkResource({ db, events, api }, { ports, segmentationTypes: segmentationTypes(config.ml2.mechanism_drivers) },
      (c, trunkId, subports, event) => background('subports push', push.subports(c, trunkId, subports, event)));
    events.subscribe('trunk', 'after_create', (e) => background('trunk push', push.trunkCreated(e.context, e.current)));
    events.subscribe('trunk', 'after_delete', (e) => background('trunk push', push.trunkDeleted(e.context, e.current)));

    registerTrunkObjects();
    // the server side of the agents' calls, when an agent-based driver is loaded (ServerSideRpcBackend)
    if (TRUNK_DRIVERS.some((d) => d.agentType && config.ml2.mechanism_drivers.includes(d.name))) {
      this.listeners = [{ topic: TRUNK_TOPIC, endpoints: [new TrunkRpcCallback(db, ports, log)] }];
    }
    return { trunks };
  }

  rpcListeners(): RpcListener[] {
    return this.listeners;
  }
}
