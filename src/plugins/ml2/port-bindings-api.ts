/**
 * binding-extended: /v2.0/ports/<id>/bindings (list, create for a host, show, update, delete) and
 * PUT .../bindings/<host>/activate, which Nova uses for live migration: the destination host is
 * bound INACTIVE while the instance still runs on the source, then activated, which makes it the
 * binding that binding:* shows and the agents wire. Compute ports only.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UNSET } from '../../lib/attributes.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import { BadRequest, PortBindingAlreadyActive, PortBindingAlreadyExists, PortBindingError, PortBindingNotFound } from '../../lib/errors.js';
import { DEVICE_OWNER_COMPUTE_PREFIX } from '../../lib/constants.js';
import type { Database } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { SqlResource } from '../../registry/resource.js';
import { bumpRevision } from '../../registry/revisions.js';
import { createItems, parseJsonBody, prepareCreate, prepareUpdate, updateItem } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import { portBinding } from '../../api/definitions/extensions/binding-extended.js';
import type { SubRoutes } from '../../api/tags.js';
import { bindPort, chooseBinding } from './port-binding.js';
import type { AgentMechanismDriver } from './mechanism_drivers/driver.js';
import type { L2AgentNotifier } from './rpc/l2-agent-notifier.js';

export interface PortBindingsOptions {
  drivers: AgentMechanismDriver[];
  agentDownTime: number;
  baseMac: string;
}

type BindingRow = { port_id: string; host: string; vif_type: string; vnic_type: string; profile: string; vif_details: string; status: string };

const json = (text: string): Item => (text ? JSON.parse(text) ?? {} : {});

/** _make_port_binding_dict, with `fields` when asked */
function view(row: BindingRow, fields: string[] = []): Item {
  const all: Item = {
    host: row.host, vif_type: row.vif_type, vnic_type: row.vnic_type, status: row.status,
    profile: json(row.profile), vif_details: json(row.vif_details),
  };
  return fields.length ? Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k))) : all;
}

export function portBindingRoutes(db: Database, policy: Authorizer, ports: SqlResource, l2: L2AgentNotifier, opts: PortBindingsOptions): SubRoutes {
  const params = (req: FastifyRequest) => req.params as { id: string; host?: string };

  /** The port as the caller sees it (PortNotFound otherwise), a compute port, and the policy check. */
  async function computePort(ctx: RequestContext, id: string, action: string): Promise<Item> {
    const port = await ports.get(ctx, id);
    if (!(port.device_owner as string).startsWith(DEVICE_OWNER_COMPUTE_PREFIX)) {
      throw new BadRequest({ resource: 'port', msg: `Invalid port ${id}. Operation only valid on compute ports` });
    }
    policy.enforce(ctx, [action], { project_id: port.project_id, tenant_id: port.project_id });
    return port;
  }

  const bindings = (q: Queryable, portId: string) =>
    q.selectFrom('ml2_port_bindings').selectAll().where('port_id', '=', portId).orderBy('host').execute() as Promise<BindingRow[]>;

  async function oneBinding(q: Queryable, portId: string, host: string): Promise<BindingRow> {
    const row = (await bindings(q, portId)).find((b) => b.host === host);
    if (!row) throw new PortBindingNotFound({ port_id: portId, host });
    return row;
  }

  /** Binds an inactive binding on its host: nothing is written when no driver can (PortBindingError). */
  async function bindInactive(tx: Tx, port: Item, host: string, vnicType: string): Promise<{ vifType: string; vifDetails: Item; segmentId: string | null; driver: string | null }> {
    const result = await chooseBinding(tx, port.network_id as string, host, vnicType, opts.drivers, opts.agentDownTime);
    if (result.vifType === 'binding_failed' || !result.segment) throw new PortBindingError({ port_id: port.id as string, host });
    return { vifType: result.vifType, vifDetails: result.vifDetails, segmentId: result.segment.id, driver: result.driver };
  }

  async function setLevels(tx: Tx, portId: string, host: string, bound: { segmentId: string | null; driver: string | null }): Promise<void> {
    await tx.deleteFrom('ml2_port_binding_levels').where('port_id', '=', portId).where('host', '=', host).execute();
    if (bound.segmentId) await tx.insertInto('ml2_port_binding_levels').values({ port_id: portId, host, level: 0, driver: bound.driver, segment_id: bound.segmentId }).execute();
  }

  return {
    '/ports/:id/bindings': {
      GET: async (req) => {
        const ctx = req.neutronContext;
        const { id } = params(req);
        await computePort(ctx, id, 'get_port_binding');
        const query = new URL(req.url, 'http://x').searchParams;
        const filters = (['host', 'vif_type', 'vnic_type', 'status'] as const).map((k) => [k, query.getAll(k)] as const).filter(([, v]) => v.length);
        const rows = (await db.read((q) => bindings(q, id))).filter((r) => filters.every(([k, v]) => v.includes(r[k])));
        return { bindings: rows.map((r) => view(r, query.getAll('fields'))) };
      },
      POST: async (req, reply: FastifyReply) => {
        const ctx = req.neutronContext;
        const { id } = params(req);
        const { items, bulk } = createItems(portBinding, parseJsonBody(req.body as string | undefined));
        if (bulk) throw new BadRequest({ resource: 'binding', msg: 'Bulk operation not supported' });
        const attrs = prepareCreate(portBinding, items[0]!, ctx);
        const port = await computePort(ctx, id, 'create_port_binding');
        const host = attrs.host as string;
        const vnicType = attrs.vnic_type as string;
        const profile = attrs.profile === UNSET || attrs.profile === null ? {} : attrs.profile as Item;
        const row = await db.write(async (tx) => {
          const existing = await bindings(tx, id);
          if (existing.some((b) => b.host === host)) throw new PortBindingAlreadyExists({ port_id: id, host });
          if (existing.some((b) => b.status === 'ACTIVE')) {
            const bound = await bindInactive(tx, port, host, vnicType);
            await tx.insertInto('ml2_port_bindings').values({
              port_id: id, host, vif_type: bound.vifType, vnic_type: vnicType, profile: JSON.stringify(profile),
              vif_details: JSON.stringify(bound.vifDetails), status: 'INACTIVE',
            }).execute();
            await setLevels(tx, id, host, bound);
          } else {
            // no active binding: this one becomes the port's binding
            await tx.insertInto('ml2_port_bindings').values({
              port_id: id, host, vif_type: 'unbound', vnic_type: vnicType, profile: JSON.stringify(profile), vif_details: '{}', status: 'ACTIVE',
            }).execute();
            const result = await bindPort(tx, id, opts.drivers, opts.agentDownTime, opts.baseMac);
            if (!result || result.vifType === 'binding_failed') throw new PortBindingError({ port_id: id, host });
            await bumpRevision(tx, 'ports', id, { status: 'DOWN' });
          }
          return oneBinding(tx, id, host);
        });
        reply.code(201);
        return { binding: view(row) };
      },
    },
    '/ports/:id/bindings/:host': {
      GET: async (req) => {
        const ctx = req.neutronContext;
        const { id, host } = params(req);
        await computePort(ctx, id, 'get_port_binding');
        const fields = new URL(req.url, 'http://x').searchParams.getAll('fields');
        return { binding: view(await db.read((q) => oneBinding(q, id, host!)), fields) };
      },
      PUT: async (req) => {
        const ctx = req.neutronContext;
        const { id, host } = params(req);
        const attrs = prepareUpdate(portBinding, updateItem(portBinding, parseJsonBody(req.body as string | undefined)), ctx);
        const port = await computePort(ctx, id, 'update_port_binding');
        const row = await db.write(async (tx) => {
          const current = await oneBinding(tx, id, host!);
          const vnicType = (attrs.vnic_type ?? current.vnic_type) as string;
          const profile = 'profile' in attrs ? JSON.stringify(attrs.profile ?? {}) : current.profile;
          await tx.updateTable('ml2_port_bindings').set({ vnic_type: vnicType, profile }).where('port_id', '=', id).where('host', '=', host!).execute();
          if (current.status === 'ACTIVE') {
            const result = await bindPort(tx, id, opts.drivers, opts.agentDownTime, opts.baseMac);
            if (!result || result.vifType === 'binding_failed') throw new PortBindingError({ port_id: id, host: host! });
          } else {
            const bound = await bindInactive(tx, port, host!, vnicType);
            await tx.updateTable('ml2_port_bindings').set({ vif_type: bound.vifType, vif_details: JSON.stringify(bound.vifDetails) })
              .where('port_id', '=', id).where('host', '=', host!).execute();
            await setLevels(tx, id, host!, bound);
          }
          return oneBinding(tx, id, host!);
        });
        return { binding: view(row) };
      },
      DELETE: async (req, reply: FastifyReply) => {
        const ctx = req.neutronContext;
        const { id, host } = params(req);
        await computePort(ctx, id, 'delete_port_binding');
        await db.write(async (tx) => {
          await oneBinding(tx, id, host!);
          await tx.deleteFrom('ml2_port_bindings').where('port_id', '=', id).where('host', '=', host!).execute();
          await tx.deleteFrom('ml2_port_binding_levels').where('port_id', '=', id).where('host', '=', host!).execute();
        });
        return reply.code(204).send();
      },
    },
    '/ports/:id/bindings/:host/activate': {
      PUT: async (req) => {
        const ctx = req.neutronContext;
        const { id, host } = params(req);
        const port = await computePort(ctx, id, 'activate');
        const { row, previous } = await db.write(async (tx) => {
          const all = await bindings(tx, id);
          const active = all.find((b) => b.status === 'ACTIVE');
          if (active && active.host === host) throw new PortBindingAlreadyActive({ port_id: id, host: host! });
          const inactive = all.find((b) => b.status === 'INACTIVE' && b.host === host);
          if (!inactive) throw new PortBindingNotFound({ port_id: id, host: host! });
          if (active) {
            await tx.updateTable('ml2_port_bindings').set({ status: 'INACTIVE' }).where('port_id', '=', id).where('host', '=', active.host).execute();
          }
          await tx.updateTable('ml2_port_bindings').set({ status: 'ACTIVE' }).where('port_id', '=', id).where('host', '=', host!).execute();
          // a direct-physical port takes the MAC of its device on the new host (port-mac-override)
          if (inactive.vnic_type === 'direct-physical') {
            const mac = json(inactive.profile).device_mac_address;
            if (typeof mac === 'string' && mac) await tx.updateTable('ports').set({ mac_address: mac.toLowerCase() }).where('id', '=', id).execute();
          }
          await bumpRevision(tx, 'ports', id, { status: 'DOWN' });
          return { row: await oneBinding(tx, id, host!), previous: active };
        });
        if (previous) await l2.bindingDeactivate(ctx, id, previous.host, port.network_id as string);
        await l2.bindingActivate(ctx, id, host!);
        // a member action answers the plugin's dict as it is, unwrapped
        return view(row);
      },
    },
  };
}
