import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { pyRepr } from '../../lib/attributes.js';
import { BadRequest, ConntrackHelperNotAllowed, ConntrackHelperNotFound, InvalidProtocolForHelper } from '../../lib/errors.js';
import type { Queryable, Tx } from '../../db/schema.js';
import { inChunks } from '../../db/chunks.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { RpcClient } from '../../rpc/client.js';

/** ConntrackHelper's version in Zed: what L3 agents' conntrack_helper extension subscribes to. */
const CONNTRACK_HELPER_VERSION = '1.0';

/** [DEFAULT] allowed_conntrack_helpers (`helper:protocol` items) as helper → protocols. */
export function helperConstraints(items: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of items) {
    const at = item.indexOf(':');
    if (at < 1) throw new Error(`[DEFAULT] allowed_conntrack_helpers: '${item}' is not a helper:protocol pair`);
    const helper = item.slice(0, at).trim();
    out.set(helper, [...(out.get(helper) ?? []), item.slice(at + 1).trim()]);
  }
  return out;
}

/**
 * Neutron's `conntrack_helper` service plugin: /v2.0/routers/<id>/conntrack_helpers checked
 * against [DEFAULT] allowed_conntrack_helpers, the routers' `conntrack_helpers`, and the
 * ConntrackHelper objects pushed to the L3 agents.
 */
export class ConntrackHelperPlugin implements Plugin {
  readonly name = 'conntrack_helper';
  readonly supportedExtensionAliases = ['l3-conntrack-helper', 'expose-l3-conntrack-helper'];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, events, log, config } = ctx;
    const def = api.resources.get('conntrack_helpers');
    if (!def) return {};
    if (!ctx.plugins.has('router')) throw new Error('the conntrack_helper service plugin needs the router service plugin');
    const constraints = helperConstraints(config.DEFAULT.allowed_conntrack_helpers);

    /** _check_conntrack_helper_constraints, then no twin on the router (the unique key, as a 400) */
    const check = async (tx: Tx, cth: Item) => {
      const helper = cth.helper as string;
      const protocols = constraints.get(helper);
      if (!protocols) throw new ConntrackHelperNotAllowed({ helper });
      if (!protocols.includes(cth.protocol as string)) {
        throw new InvalidProtocolForHelper({ helper, protocol: cth.protocol as string, supported_protocols: protocols.join(', ') });
      }
      const twin = await tx.selectFrom('conntrack_helpers').select('id').where('router_id', '=', cth.router_id as string)
        .where('protocol', '=', cth.protocol as string).where('port', '=', cth.port as number).where('helper', '=', helper)
        .where('id', '!=', cth.id as string).executeTakeFirst();
      if (twin) {
        const conflict = { router_id: cth.router_id, protocol: cth.protocol, port: cth.port, helper };
        throw new BadRequest({
          resource: 'conntrack_helper',
          msg: `A duplicate conntrack helper entry with same attributes already exists, conflicting values are ${pyRepr(conflict)}`,
        });
      }
    };
    const resource = new SqlResource(ctx, def, {
      notFound: (id) => new ConntrackHelperNotFound({ id }),
      beforeCreate: (tx, e) => check(tx, e.current),
      beforeUpdate: (tx, e) => check(tx, { ...e.original, ...e.changes }),
    });

    // ResourcesPushRpcApi: each change as the object it is (deleted: as it was)
    const client = new RpcClient(ctx.transport, { topic: 'neutron-vo', version: '1.1', fanout: true })
      .prepare({ topic: `neutron-vo-ConntrackHelper-${CONNTRACK_HELPER_VERSION}` });
    const push = (rc: RequestContext, cth: Item, eventType: 'created' | 'updated' | 'deleted') => client.cast(rc, 'push', {
      resource_list: [{
        'versioned_object.name': 'ConntrackHelper', 'versioned_object.namespace': 'versionedobjects',
        'versioned_object.version': CONNTRACK_HELPER_VERSION,
        'versioned_object.data': { id: cth.id, router_id: cth.router_id, protocol: cth.protocol, port: cth.port, helper: cth.helper },
      }],
      event_type: eventType,
    }).catch((err: unknown) => log.error({ err }, 'ConntrackHelper push failed'));
    events.subscribe('conntrack_helper', 'after_create', (e) => push(e.context, e.current, 'created'));
    events.subscribe('conntrack_helper', 'after_update', (e) => push(e.context, e.current, 'updated'));
    events.subscribe('conntrack_helper', 'after_delete', (e) => push(e.context, e.current, 'deleted'));

    // the router's conntrack_helpers
    events.extend('router', async (q, routers, _rc, wanted) => {
      if (wanted && !wanted.has('conntrack_helpers')) return;
      const byRouter = await helpersOf(q, routers.map((r) => r.id as string));
      for (const r of routers) r.conntrack_helpers = byRouter.get(r.id as string) ?? [];
    });
    return { conntrack_helpers: resource };
  }
}

async function helpersOf(q: Queryable, routerIds: string[]): Promise<Map<string, Item[]>> {
  const out = new Map<string, Item[]>();
  await inChunks(routerIds, async (chunk) => {
    const rows = await q.selectFrom('conntrack_helpers').select(['router_id', 'protocol', 'port', 'helper'])
      .where('router_id', 'in', chunk).orderBy('id').execute();
    for (const r of rows) out.set(r.router_id, [...(out.get(r.router_id) ?? []), { protocol: r.protocol, port: Number(r.port), helper: r.helper }]);
  });
  return out;
}
