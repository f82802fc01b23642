import { adminContext, type RequestContext } from '../../lib/context.js';
import { DEVICE_OWNER_FLOATINGIP } from '../../lib/constants.js';
import type { Item } from '../../lib/definitions.js';
import { FipInUseByPortForwarding, PortHasPortForwarding } from '../../lib/errors.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { inChunks } from '../../db/chunks.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { RpcClient } from '../../rpc/client.js';
import { createPortForwardingResource, portForwardingView, releaseRouter } from './port-forwardings.js';

/** PortForwarding's version in Zed: what L3 agents' port_forwarding extension subscribes to. */
const PORT_FORWARDING_VERSION = '1.3';
/** The fields a floating IP shows of each of its forwardings (expose-port-forwarding-in-fip, -detail). */
const FIP_FIELDS = ['id', 'internal_ip_address', 'protocol', 'internal_port', 'external_port', 'internal_port_id'];

/**
 * Neutron's `port_forwarding` service plugin: /v2.0/floatingips/<id>/port_forwardings, the
 * floating IPs' `port_forwardings`, the floating IP and port changes that forwardings refuse or
 * follow, and the PortForwarding objects pushed to the L3 agents.
 */
export class PortForwardingPlugin implements Plugin {
  readonly name = 'port_forwarding';
  readonly supportedExtensionAliases = [
    'floating-ip-port-forwarding', 'expose-port-forwarding-in-fip', 'floating-ip-port-forwarding-description',
    'floating-ip-port-forwarding-port-ranges', 'floating-ip-port-forwarding-detail',
  ];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, events, db, log } = ctx;
    if (!api.resources.has('port_forwardings')) return {};
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!ml2?.resources) throw new Error('the port_forwarding service plugin needs the ml2 core plugin');
    if (!ctx.plugins.has('router')) throw new Error('the port_forwarding service plugin needs the router service plugin');
    const resource = createPortForwardingResource(ctx, api, ml2.resources.ports);

    // ResourcesPushRpcApi: every change of a forwarding, as the object it now is (deleted: as it was)
    const client = new RpcClient(ctx.transport, { topic: 'neutron-vo', version: '1.1', fanout: true })
      .prepare({ topic: `neutron-vo-PortForwarding-${PORT_FORWARDING_VERSION}` });
    const push = async (rc: RequestContext, objects: Item[], eventType: 'created' | 'updated' | 'deleted') => {
      if (!objects.length) return;
      const resourceList = await db.read((q) => agentObjects(q, objects));
      await client.cast(rc, 'push', { resource_list: resourceList, event_type: eventType })
        .catch((err: unknown) => log.error({ err }, 'PortForwarding push failed'));
    };
    events.subscribe('port_forwarding', 'after_create', (e) => push(e.context, [e.current], 'created'));
    events.subscribe('port_forwarding', 'after_update', (e) => push(e.context, [e.current], 'updated'));
    events.subscribe('port_forwarding', 'before_delete', async (tx, e) => {
      e.removedPortForwardings = await loadRows(tx, 'id', [e.current.id as string]);
    });
    events.subscribe('port_forwarding', 'after_delete', (e) => push(e.context, e.removedPortForwardings ?? [], 'deleted'));

    // the floating IP's port_forwardings
    events.extend('floatingip', async (q, fips, _ctx, wanted) => {
      if (wanted && !wanted.has('port_forwardings')) return;
      const byFip = new Map<string, Item[]>();
      for (const row of await loadRows(q, 'floatingip_id', fips.map((f) => f.id as string))) {
        const view = portForwardingView(row);
        const shown = Object.fromEntries(FIP_FIELDS.filter((k) => view[k] !== undefined).map((k) => [k, view[k]]));
        byFip.set(row.floatingip_id as string, [...(byFip.get(row.floatingip_id as string) ?? []), shown]);
      }
      for (const f of fips) f.port_forwardings = byFip.get(f.id as string) ?? [];
    });

    // _check_port_has_port_forwarding: a port forwarded to through a distributed router takes no floating IP
    const checkPortForwarded = async (tx: Tx, portId: unknown) => {
      if (!portId) return;
      const row = await tx.selectFrom('portforwardings as pf').innerJoin('floatingips as f', 'f.id', 'pf.floatingip_id')
        .innerJoin('routers as r', 'r.id', 'f.router_id').select('r.distributed').where('pf.internal_port_id', '=', portId as string).executeTakeFirst();
      if (row && (row.distributed === true || Number(row.distributed) === 1)) throw new PortHasPortForwarding({ port_id: portId as string });
    };
    events.subscribe('floatingip', 'before_create', (tx, e) => checkPortForwarded(tx, e.current.port_id));

    // _check_floatingip_request: a floating IP that forwards ports is neither associated nor deleted
    events.subscribe('floatingip', 'before_update', async (tx, { original, changes }) => {
      const used = await tx.selectFrom('portforwardings').select('id').where('floatingip_id', '=', original.id as string).executeTakeFirst();
      await checkPortForwarded(tx, changes.port_id);
      if (!used) return;
      if (changes.port_id) throw new FipInUseByPortForwarding({ id: original.id as string });
      // the forwardings keep the router they gave the floating IP
      changes.router_id = original.router_id;
    });
    events.subscribe('floatingip', 'before_delete', async (tx, { current }) => {
      const used = await tx.selectFrom('portforwardings').select('id').where('floatingip_id', '=', current.id as string).executeTakeFirst();
      if (used) throw new FipInUseByPortForwarding({ id: current.id as string });
    });

    // _process_port_request: forwardings to addresses a port lost, or to a port deleted, go with them
    const dropForwardings = async (tx: Tx, port: Item, keep: (ip: string) => boolean): Promise<Item[]> => {
      if (port.device_owner === DEVICE_OWNER_FLOATINGIP) return [];
      const gone = (await loadRows(tx, 'internal_port_id', [port.id as string])).filter((r) => !keep(r.internal_ip_address as string));
      if (!gone.length) return [];
      await tx.deleteFrom('portforwardings').where('id', 'in', gone.map((r) => r.id as string)).execute();
      await releaseRouter(tx, gone.map((r) => r.floatingip_id as string));
      return gone;
    };
    events.subscribe('port', 'precommit_update', async (tx, e) => {
      if (!('fixed_ips' in e.changes)) return;
      const ips = await tx.selectFrom('ipallocations').select('ip_address').where('port_id', '=', e.current.id as string).execute();
      const kept = new Set(ips.map((i) => i.ip_address));
      e.removedPortForwardings = await dropForwardings(tx, e.current, (ip) => kept.has(ip));
    });
    events.subscribe('port', 'before_delete', async (tx, e) => {
      e.removedPortForwardings = await dropForwardings(tx, e.current, () => false);
    });
    for (const op of ['update', 'delete'] as const) {
      events.subscribe('port', `after_${op}`, (e) => push(adminContext(), e.removedPortForwardings ?? [], 'deleted'));
    }
    return { port_forwardings: resource };
  }
}

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** port forwardings deleted by this write, as they were (with their floating IP's address and router) */
    removedPortForwardings?: Item[];
  }
}

/** Port forwarding rows with their floating IP's address and router, as PortForwarding objects carry them. */
async function loadRows(q: Queryable, key: 'id' | 'floatingip_id' | 'internal_port_id', values: string[]): Promise<Item[]> {
  const out: Item[] = [];
  await inChunks(values, async (chunk) => {
    const rows = await q.selectFrom('portforwardings as pf').innerJoin('floatingips as f', 'f.id', 'pf.floatingip_id')
      .selectAll('pf').select(['f.floating_ip_address', 'f.router_id']).where(`pf.${key}`, 'in', chunk).orderBy('pf.id').execute();
    for (const r of rows) out.push({ ...r, external_port: r.external_port_start, internal_port: r.internal_port_start });
  });
  return out;
}

/** The PortForwarding objects (1.3) of rows loaded by loadRows, or of API items (reloaded for their floating IP's fields). */
async function agentObjects(q: Queryable, items: Item[]): Promise<Item[]> {
  const rows = items.every((i) => 'floating_ip_address' in i) ? items : await loadRows(q, 'id', items.map((i) => i.id as string));
  return rows.map((r) => {
    const v = portForwardingView({ ...r });
    const data: Item = {
      id: v.id, floatingip_id: v.floatingip_id, protocol: v.protocol, internal_port_id: v.internal_port_id,
      internal_ip_address: v.internal_ip_address, external_port_range: v.external_port_range, internal_port_range: v.internal_port_range,
      floating_ip_address: v.floating_ip_address, router_id: v.router_id, description: v.description,
    };
    if (v.external_port !== undefined) data.external_port = v.external_port;
    if (v.internal_port !== undefined) data.internal_port = v.internal_port;
    return {
      'versioned_object.name': 'PortForwarding', 'versioned_object.namespace': 'versionedobjects',
      'versioned_object.version': PORT_FORWARDING_VERSION, 'versioned_object.data': data,
    };
  });
}
