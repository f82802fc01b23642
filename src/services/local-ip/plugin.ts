import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseIp } from '../../lib/address.js';
import { validateIpAddressOrNone } from '../../lib/address-validators.js';
import { UNSET, validateUuid } from '../../lib/attributes.js';
import { DEVICE_OWNER_LOCAL_IP } from '../../lib/constants.js';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  BadRequest, HTTPBadRequest, HTTPConflict, HTTPNotFound, LocalIPAssociationNotFound, LocalIPInUse, LocalIPNoIP, LocalIPNoRequestedIP,
  LocalIPNotFound, LocalIPPortOrNetworkRequired, LocalIPRequestedIPNotFound, NetworkNotFound, ServicePortInUse,
} from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/schema.js';
import type { ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import { parseJsonBody } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import { networkAccess } from '../../plugins/ml2/network-access.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import { CorePorts, type FixedIp } from '../l3/l3-core.js';

const given = (v: unknown) => v !== UNSET && v !== undefined && v !== null;
const lipBadRequest = (msg: string) => new BadRequest({ resource: 'local_ip', msg });

/** _get_local_ip_address: the port's only address, or the requested one among its addresses. */
function localAddress(portId: string, fixedIps: FixedIp[], requested: unknown): string {
  if (!fixedIps.length) throw new LocalIPNoIP({ port_id: portId });
  if (fixedIps.length === 1) {
    const ip = fixedIps[0]!.ip_address;
    if (given(requested) && requested !== ip) throw new LocalIPRequestedIPNotFound({ port_id: portId, ip: String(requested) });
    return ip;
  }
  if (!given(requested)) throw new LocalIPNoRequestedIP({ port_id: portId });
  if (!fixedIps.some((f) => f.ip_address === requested)) throw new LocalIPRequestedIPNotFound({ port_id: portId, ip: String(requested) });
  return requested as string;
}

/**
 * Neutron's `local_ip` service plugin: local IPs on a port of their own (made on a network) or on
 * a given port, and their associations with the ports that use them, named by the port's id.
 */
export class LocalIpPlugin implements Plugin {
  readonly name = 'local_ip';
  readonly supportedExtensionAliases = ['local_ip'];
  private db?: Database;
  private localIps?: SqlResource;
  private ports?: SqlResource;

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, db, events } = ctx;
    const def = api.resources.get('local_ips');
    const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
    if (!def || !ml2?.resources) return {};
    const ports = this.ports = ml2.resources.ports;
    const corePorts = new CorePorts(ports);
    this.db = db;

    const localIps = this.localIps = new SqlResource(ctx, def, {
      notFound: (id) => new LocalIPNotFound({ id }),
      scope: (qb, rc) => qb.where('local_ips.project_id', '=', rc.projectId),
      async beforeCreate(tx, { context: rc, current: lip }) {
        if (given(lip.local_port_id)) {
          let port: Item;
          try {
            port = await ports.load(tx, lip.local_port_id as string, rc);
          } catch {
            throw lipBadRequest(`Port ${lip.local_port_id} not found`);
          }
          lip.local_ip_address = localAddress(port.id as string, port.fixed_ips as FixedIp[], lip.local_ip_address);
          lip.network_id = port.network_id;
        } else if (given(lip.network_id)) {
          // _create_local_port: a port of the local IP's own, on an IPv4 subnet of the network
          const netId = lip.network_id as string;
          const access = await networkAccess(tx, rc, netId);
          if (!access?.visible) throw new NetworkNotFound({ net_id: netId });
          const v4 = await tx.selectFrom('subnets').select('id').where('network_id', '=', netId).where('ip_version', '=', 4).executeTakeFirst();
          if (!v4) throw lipBadRequest(`Network ${netId} does not contain any IPv4 subnet`);
          const port = await corePorts.create(tx, {
            tenant_id: lip.project_id, network_id: netId, admin_state_up: true, device_id: lip.id, device_owner: DEVICE_OWNER_LOCAL_IP,
            ...(given(lip.local_ip_address) ? { fixed_ips: [{ ip_address: lip.local_ip_address }] } : {}),
          });
          await tx.updateTable('ports').set({ status: 'N/A' }).where('id', '=', port.id as string).execute();
          lip.local_port_id = port.id;
          lip.local_ip_address = (port.fixed_ips as FixedIp[])[0]!.ip_address;
        } else {
          throw new LocalIPPortOrNetworkRequired();
        }
      },
      async beforeDelete(tx, { current: lip }) {
        const assoc = await tx.selectFrom('local_ip_associations').select('fixed_port_id').where('local_ip_id', '=', lip.id as string).executeTakeFirst();
        if (assoc) throw new LocalIPInUse({ id: lip.id as string });
        // the row goes first, then its own port (the port delete check below no longer finds it)
        await tx.deleteFrom('local_ips').where('id', '=', lip.id as string).execute();
        const port = await tx.selectFrom('ports').select('device_owner').where('id', '=', lip.local_port_id as string).executeTakeFirst();
        if (port?.device_owner === DEVICE_OWNER_LOCAL_IP) await corePorts.delete(tx, lip.local_port_id as string);
      },
    });

    // _prevent_local_port_delete_callback
    events.subscribe('port', 'before_delete', async (tx, { current }) => {
      const used = await tx.selectFrom('local_ips').select('id').where('local_port_id', '=', current.id as string).executeTakeFirst();
      if (used) throw new ServicePortInUse({ port_id: current.id as string, reason: 'still referenced by Local IPs' });
    });
    return { local_ips: localIps };
  }

  routes(policy: Authorizer): SubRoutes {
    const db = this.db;
    const localIps = this.localIps;
    const ports = this.ports;
    if (!db || !localIps || !ports) return {};
    const params = (req: FastifyRequest) => req.params as { id: string; port_id?: string };
    /** The local IP as the caller sees it (LocalIPNotFound otherwise), and the policy target keys of its associations. */
    const parent = async (rc: RequestContext, id: string) => {
      const lip = await localIps.get(rc, id);
      if (!policy.check(rc, 'get_local_ip', lip)) throw new LocalIPNotFound({ id });
      return { lip, target: { 'ext_parent:tenant_id': lip.project_id } };
    };
    const visible = (rc: RequestContext, target: Item) => policy.check(rc, 'get_local_ip_port_association', target);

    return {
      '/local_ips/:id/port_associations': {
        GET: async (req) => {
          const rc = req.neutronContext;
          const { lip, target } = await parent(rc, params(req).id);
          const url = new URL(req.url, 'http://x');
          const filters = ['fixed_port_id', 'fixed_ip', 'local_ip_address', 'host'];
          const unknown = [...new Set([...url.searchParams.keys()])].filter((k) => k !== 'fields' && !filters.includes(k));
          if (unknown.length) throw new HTTPBadRequest(`[${unknown.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering`);
          const all = (await db.read((q) => associations(q, lip, null))).filter((a) => visible(rc, { ...a, ...target }));
          const chosen = all.filter((a) => filters.every((k) => !url.searchParams.has(k) || url.searchParams.getAll(k).includes(String(a[k]))));
          const fields = url.searchParams.getAll('fields').filter(Boolean);
          return { port_associations: chosen.map((a) => (fields.length ? Object.fromEntries(fields.filter((f) => f in a).map((f) => [f, a[f]])) : a)) };
        },
        POST: async (req, reply: FastifyReply) => {
          const rc = req.neutronContext;
          const { lip, target } = await parent(rc, params(req).id);
          const body = parseJsonBody(req.body as string | undefined)?.port_association as Item | undefined;
          if (!body || typeof body !== 'object') throw new HTTPBadRequest("Unable to find 'port_association' in request body");
          const unknown = Object.keys(body).filter((k) => !['fixed_port_id', 'fixed_ip', 'project_id', 'tenant_id'].includes(k));
          if (unknown.length) throw new HTTPBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
          if (!('fixed_port_id' in body)) throw new HTTPBadRequest("Failed to parse request. Required attribute 'fixed_port_id' not specified");
          const badPort = validateUuid(body.fixed_port_id);
          if (badPort) throw new HTTPBadRequest(`Invalid input for fixed_port_id. Reason: ${badPort}.`);
          const badIp = validateIpAddressOrNone(body.fixed_ip ?? null);
          if (badIp) throw new HTTPBadRequest(`Invalid input for fixed_ip. Reason: ${badIp}.`);
          policy.enforce(rc, ['create_local_ip_port_association'], { project_id: rc.projectId, tenant_id: rc.projectId, ...target });
          const portId = body.fixed_port_id as string;
          await db.write(async (tx) => {
            let port: Item;
            try {
              port = await ports.load(tx, portId, rc);
            } catch {
              throw new BadRequest({ resource: 'local_ip_port_association', msg: `Port ${portId} not found` });
            }
            const fixedIps = port.fixed_ips as FixedIp[];
            let ip = body.fixed_ip as string | null | undefined;
            if (ip) {
              if (!fixedIps.some((f) => sameIp(f.ip_address, ip!))) throw new LocalIPRequestedIPNotFound({ port_id: portId, ip });
              ip = fixedIps.find((f) => sameIp(f.ip_address, ip!))!.ip_address;
            } else {
              if (!fixedIps.length) throw new LocalIPNoIP({ port_id: portId });
              if (fixedIps.length > 1) throw new LocalIPNoRequestedIP({ port_id: portId });
              ip = fixedIps[0]!.ip_address;
            }
            const exists = await tx.selectFrom('local_ip_associations').select('fixed_ip').where('local_ip_id', '=', lip.id as string)
              .where('fixed_port_id', '=', portId).executeTakeFirst();
            if (exists) throw new HTTPConflict(`Local IP ${lip.id} is already associated with port ${portId}.`);
            await tx.insertInto('local_ip_associations').values({ local_ip_id: lip.id as string, fixed_port_id: portId, fixed_ip: ip }).execute();
          });
          const [created] = await db.read((q) => associations(q, lip, portId));
          return reply.code(201).send({ port_association: created });
        },
      },
      '/local_ips/:id/port_associations/:port_id': {
        GET: async (req) => {
          const rc = req.neutronContext;
          const { lip, target } = await parent(rc, params(req).id);
          const [assoc] = await db.read((q) => associations(q, lip, params(req).port_id!));
          if (!assoc || !visible(rc, { ...assoc, ...target })) throw new LocalIPAssociationNotFound({ local_ip_id: lip.id as string, port_id: params(req).port_id! });
          return { port_association: assoc };
        },
        DELETE: async (req, reply: FastifyReply) => {
          const rc = req.neutronContext;
          const { lip, target } = await parent(rc, params(req).id);
          const portId = params(req).port_id!;
          const [assoc] = await db.read((q) => associations(q, lip, portId));
          if (!assoc) throw new LocalIPAssociationNotFound({ local_ip_id: lip.id as string, port_id: portId });
          try {
            policy.enforce(rc, ['delete_local_ip_port_association'], { ...assoc, ...target });
          } catch (e) {
            if (!visible(rc, { ...assoc, ...target })) throw new HTTPNotFound();
            throw e;
          }
          await db.write(async (tx) => {
            await tx.deleteFrom('local_ip_associations').where('local_ip_id', '=', lip.id as string).where('fixed_port_id', '=', portId).execute();
          });
          return reply.code(204).send();
        },
      },
    };
  }
}

function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && x.version === y.version && x.value === y.value;
}

/** _make_local_ip_assoc_dict: with the local IP's address and the port's host ('' unbound). */
async function associations(q: Queryable, lip: Item, portId: string | null): Promise<Item[]> {
  let qb = q.selectFrom('local_ip_associations as a').leftJoin('ml2_port_bindings as b', 'b.port_id', 'a.fixed_port_id')
    .select(['a.local_ip_id', 'a.fixed_port_id', 'a.fixed_ip', 'b.host']).where('a.local_ip_id', '=', lip.id as string);
  if (portId !== null) qb = qb.where('a.fixed_port_id', '=', portId);
  const rows = await qb.orderBy('a.fixed_port_id').execute();
  return rows.map((r) => ({
    local_ip_id: r.local_ip_id, local_ip_address: lip.local_ip_address, fixed_port_id: r.fixed_port_id, fixed_ip: r.fixed_ip, host: r.host ?? '',
  }));
}
