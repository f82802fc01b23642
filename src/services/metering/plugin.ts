import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { cidrsOverlap, formatIp, makeCidr, parseCidr, parseIp } from '../../lib/address.js';
import { pyRepr } from '../../lib/attributes.js';
import { Invalid, MeteringLabelNotFound, MeteringLabelRuleNotFound, MeteringLabelRuleOverlaps } from '../../lib/errors.js';
import type { Queryable } from '../../db/schema.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import type { Plugin, PluginContext, RpcListener } from '../../plugins/plugin.js';
import { RpcClient } from '../../rpc/client.js';
import { l3AgentsHostingRouters, routersOnHost } from '../l3/l3-agent-scheduler.js';

export const METERING_PLUGIN_TOPIC = 'q-metering-plugin';
export const METERING_AGENT_TOPIC = 'metering_agent';
const PREFIXES = ['remote_ip_prefix', 'source_ip_prefix', 'destination_ip_prefix'] as const;

/**
 * Python's ipaddress.ip_interface as the metering plugin uses it to check a prefix: an address,
 * or an address with a prefix length; kept as str(netaddr.IPNetwork(x)) shows it (host bits kept).
 */
function interfaceText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const [addr, len, ...rest] = value.split('/');
  const ip = parseIp(addr);
  if (!ip || rest.length) return null;
  const bits = ip.version === 4 ? 32 : 128;
  if (len !== undefined && !(/^\d+$/.test(len) && Number(len) <= bits)) return null;
  return `${formatIp(ip.version, ip.value)}/${len === undefined ? bits : Number(len)}`;
}

/** validate_metering_label_rule: each prefix well formed, remote_ip_prefix alone, at least one of them. */
function validateRule(rule: Item): void {
  for (const field of PREFIXES) {
    const value = rule[field];
    if (!value) continue;
    const text = interfaceText(value);
    if (text === null) throw new Invalid(`${field}: ${String(value)} is invalid [${pyRepr(String(value))} does not appear to be an IPv4 or IPv6 interface].`);
    rule[field] = text;
  }
  if (rule.remote_ip_prefix && (rule.source_ip_prefix || rule.destination_ip_prefix)) {
    throw new Invalid("Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'.");
  }
  if (!PREFIXES.some((f) => rule[f])) {
    throw new Invalid("You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'.");
  }
}

const asCidr = (text: string) => {
  const c = parseCidr(text);
  return c && makeCidr(c.version, c.ip, c.prefixlen);
};

/**
 * Neutron's `metering` service plugin: metering labels (a project's, or shared: every router) and
 * their rules; the metering agents' get_sync_data_metering on q-metering-plugin, and the
 * add/remove_metering_label(_rule) casts to the metering agents on the hosts of the routers' L3 agents.
 */
export class MeteringPlugin implements Plugin {
  readonly name = 'metering';
  readonly supportedExtensionAliases = ['metering', 'metering_source_and_destination_fields'];
  private listeners: RpcListener[] = [];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, db, events, log } = ctx;
    const labelsDef = api.resources.get('metering_labels');
    const rulesDef = api.resources.get('metering_label_rules');
    if (!labelsDef || !rulesDef) return {};
    const hasRouters = ctx.plugins.has('router');
    const client = new RpcClient(ctx.transport, { topic: METERING_AGENT_TOPIC, version: '1.0' });

    /** _notification: each router's data to the metering agent on every host of an L3 agent hosting it. */
    const notify = async (rc: RequestContext, method: string, routers: Item[]) => {
      if (!routers.length || !hasRouters) return;
      const agents = await db.read((q) => l3AgentsHostingRouters(q, routers.map((r) => r.id as string)));
      const byHost = new Map<string, Item[]>();
      for (const agent of agents) {
        if (!agent.admin_state_up) continue;
        const router = routers.find((r) => r.id === agent.router_id)!;
        byHost.set(agent.host, [...(byHost.get(agent.host) ?? []), router]);
      }
      for (const [host, list] of byHost) {
        await client.prepare({ server: host }).cast(rc, method, { routers: list })
          .catch((err: unknown) => log.error({ err, method, host }, 'metering agent notification failed'));
      }
    };

    const labels = new SqlResource(ctx, labelsDef, {
      notFound: (id) => new MeteringLabelNotFound({ label_id: id }),
      scope: (qb, rc) => qb.where('metering_labels.project_id', '=', rc.projectId),
      unsupported: ['update'],
    });
    const rules = new SqlResource(ctx, rulesDef, {
      notFound: (id) => new MeteringLabelRuleNotFound({ rule_id: id }),
      unsupported: ['update'],
      async beforeCreate(tx, { current: rule }) {
        validateRule(rule);
        // check_for_rule_overlaps: remote_ip_prefix against the label's rules of the same direction and kind
        const remote = rule.remote_ip_prefix ? asCidr(rule.remote_ip_prefix as string) : null;
        if (remote) {
          const same = await tx.selectFrom('metering_label_rules').select('remote_ip_prefix')
            .where('metering_label_id', '=', rule.metering_label_id as string).where('direction', '=', rule.direction as string)
            .where('excluded', '=', rule.excluded ? 1 : 0).where('remote_ip_prefix', 'is not', null).execute();
          for (const other of same) {
            const c = asCidr(other.remote_ip_prefix!);
            if (c && cidrsOverlap(c, remote)) throw new MeteringLabelRuleOverlaps({ remote_ip_prefix: rule.remote_ip_prefix as string });
          }
        }
        const label = await tx.selectFrom('metering_labels').select('id').where('id', '=', rule.metering_label_id as string).executeTakeFirst();
        if (!label) throw new MeteringLabelNotFound({ label_id: rule.metering_label_id as string });
      },
    });

    // after a label's create and before its delete, every router it meters goes to the agents
    events.subscribe('metering_label', 'after_create', async (e) => {
      await notify(e.context, 'add_metering_label', await db.read((q) => syncData(q)));
    });
    events.subscribe('metering_label', 'before_delete', async (tx, e) => {
      e.meteringRouters = await syncData(tx, e.current.id as string);
    });
    events.subscribe('metering_label', 'after_delete', (e) => notify(e.context, 'remove_metering_label', e.meteringRouters ?? []));
    events.subscribe('metering_label_rule', 'after_create', async (e) => {
      await notify(e.context, 'add_metering_label_rule', await db.read((q) => ruleSyncData(q, e.current)));
    });
    events.subscribe('metering_label_rule', 'before_delete', async (tx, e) => {
      e.meteringRouters = await ruleSyncData(tx, e.current);
    });
    events.subscribe('metering_label_rule', 'after_delete', (e) => notify(e.context, 'remove_metering_label_rule', e.meteringRouters ?? []));

    const callbacks = {
      target: { version: '1.0' },
      /** MeteringRpcCallbacks.get_sync_data_metering: the routers of the L3 agent on `host` (all without a host) with their labels. */
      get_sync_data_metering: async (_rc: RequestContext, kw: Record<string, unknown>) => {
        if (!hasRouters) return null;
        return db.read(async (q) => {
          const data = await syncData(q);
          const host = kw.host as string | undefined;
          if (!host) return data;
          const { agent, routerIds } = await routersOnHost(q, host);
          if (!agent) {
            log.error(`Unable to find agent on host ${host}.`);
            return null;
          }
          if (!routerIds.length) return null;
          return data.filter((r) => routerIds.includes(r.id as string));
        });
      },
    };
    this.listeners = [{ topic: METERING_PLUGIN_TOPIC, endpoints: [callbacks] }];
    return { metering_labels: labels, metering_label_rules: rules };
  }

  rpcListeners(): RpcListener[] {
    return this.listeners;
  }
}

declare module '../../registry/events.js' {
  interface WriteEvent {
    /** a metering label or rule deleted: the routers (with labels) its agents are told to drop */
    meteringRouters?: Item[];
  }
}

const flag = (v: unknown) => v === true || Number(v) === 1;

function ruleView(r: Record<string, unknown>): Item {
  return {
    id: r.id, metering_label_id: r.metering_label_id, direction: r.direction, remote_ip_prefix: r.remote_ip_prefix ?? null,
    source_ip_prefix: r.source_ip_prefix ?? null, destination_ip_prefix: r.destination_ip_prefix ?? null, excluded: flag(r.excluded),
  };
}

/** _make_router_dict */
function routerView(r: Record<string, unknown>, gwPorts: Map<string, string>): Item {
  return {
    id: r.id, name: r.name, project_id: r.project_id, admin_state_up: flag(r.admin_state_up), status: r.status,
    gw_port_id: gwPorts.get(r.id as string) ?? null, distributed: flag(r.distributed), _metering_labels: [],
  };
}

/** The routers a label meters: every router for a shared label, its project's routers otherwise. */
async function routersOf(q: Queryable, label: { shared: unknown; project_id: string | null }, cache: Map<string, Array<Record<string, unknown>>>) {
  const key = flag(label.shared) ? '*' : `p:${label.project_id}`;
  let rows = cache.get(key);
  if (!rows) {
    let qb = q.selectFrom('routers').selectAll();
    if (key !== '*') qb = qb.where('project_id', '=', label.project_id ?? '');
    rows = await qb.orderBy('id').execute() as Array<Record<string, unknown>>;
    cache.set(key, rows);
  }
  return rows;
}

async function gatewayPorts(q: Queryable, routerIds: string[]): Promise<Map<string, string>> {
  if (!routerIds.length) return new Map();
  const rows = await q.selectFrom('ports').select(['id', 'device_id']).where('device_owner', '=', 'network:router_gateway')
    .where('device_id', 'in', routerIds).execute();
  return new Map(rows.map((r) => [r.device_id, r.id]));
}

/** get_sync_data_metering: the admin-up routers metered by the labels (one label's, or all), each with its labels and their rules. */
export async function syncData(q: Queryable, labelId?: string): Promise<Item[]> {
  let qb = q.selectFrom('metering_labels').selectAll();
  if (labelId) qb = qb.where('id', '=', labelId);
  const labels = await qb.orderBy('id').execute();
  if (!labels.length) return [];
  const ruleRows = await q.selectFrom('metering_label_rules').selectAll().where('metering_label_id', 'in', labels.map((l) => l.id)).orderBy('id').execute();
  const cache = new Map<string, Array<Record<string, unknown>>>();
  const byRouter = new Map<string, Item>();
  const perLabel: Array<[typeof labels[number], Array<Record<string, unknown>>]> = [];
  for (const label of labels) perLabel.push([label, (await routersOf(q, label, cache)).filter((r) => flag(r.admin_state_up))]);
  const gw = await gatewayPorts(q, [...new Set(perLabel.flatMap(([, rs]) => rs.map((r) => r.id as string)))]);
  for (const [label, routers] of perLabel) {
    const rules = ruleRows.filter((r) => r.metering_label_id === label.id).map(ruleView);
    for (const r of routers) {
      const router = byRouter.get(r.id as string) ?? routerView(r, gw);
      (router._metering_labels as Item[]).push({ id: label.id, rules, shared: flag(label.shared), name: label.name });
      byRouter.set(r.id as string, router);
    }
  }
  return [...byRouter.values()];
}

/** get_sync_data_for_rule: every router the rule's label meters, with that one rule. */
async function ruleSyncData(q: Queryable, rule: Item): Promise<Item[]> {
  const label = await q.selectFrom('metering_labels').selectAll().where('id', '=', rule.metering_label_id as string).executeTakeFirst();
  if (!label) return [];
  const routers = await routersOf(q, label, new Map());
  const gw = await gatewayPorts(q, routers.map((r) => r.id as string));
  const view = ruleView(rule);
  return routers.map((r) => ({ ...routerView(r, gw), _metering_labels: [{ id: label.id, rule: view }] }));
}
