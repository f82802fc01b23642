import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../lib/context.js';
import type { Item } from '../../lib/definitions.js';
import {
  AutoAllocationFailure, BadRequest, DefaultExternalNetworkExists, isNeutronError, NotAuthorized,
} from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import type { Queryable, Tx } from '../../db/schema.js';
import type { ResourceHandler } from '../../registry/handler.js';
import type { SqlResource } from '../../registry/resource.js';
import { prepareCreate } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import type { ApiModel } from '../../api/model.js';
import type { SubRoutes } from '../../api/tags.js';
import type { Ml2Plugin } from '../../plugins/ml2/plugin.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';
import type { L3RouterPlugin } from '../l3/plugin.js';

const DRY_RUN = 'dry-run';
const flag = (v: unknown) => v === true || Number(v) === 1;

interface Resources { networks: SqlResource; subnets: SqlResource; routers: SqlResource }

/** A failure of one step, with what was made so far (UnknownProvisioningError). */
class PartialTopology extends Error {
  constructor(readonly error: unknown, readonly networkId: string | null, readonly routerId: string | null = null, readonly subnetIds: string[] = []) {
    super(String(error));
  }
}

/**
 * Neutron's `auto_allocate` service plugin: GET /v2.0/auto-allocated-topology/<project_id> gives
 * the project's network, first building it (a network with a subnet from each default subnet
 * pool, a router on the default external network with an interface on each), `?fields=dry-run`
 * checks that it could; DELETE takes it apart. External networks get is_default, one at most.
 */
export class AutoAllocatePlugin implements Plugin {
  readonly name = 'auto_allocate';
  readonly supportedExtensionAliases = ['auto-allocated-topology'];
  private api?: ApiModel;
  private db?: Database;
  private resources?: () => Resources;

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, db, events } = ctx;
    if (!api.hasExtension('auto-allocated-topology')) return {};
    this.api = api;
    this.db = db;
    // the router plugin may start after this one: its resources are looked up when first needed
    this.resources = () => {
      const ml2 = ctx.plugins.get('ml2') as Ml2Plugin | undefined;
      const l3 = ctx.plugins.get('router') as L3RouterPlugin | undefined;
      if (!ml2?.resources || !l3?.resources) throw new Error('auto_allocate needs the ml2 core plugin and the router service plugin');
      return { networks: ml2.resources.networks, subnets: ml2.resources.subnets, routers: l3.resources.routers };
    };

    // _ensure_external_network_default_value_callback: is_default is an external network's, one at most
    const checkDefault = async (tx: Tx, network: Item, target: Item) => {
      if (!flag(network['router:external'])) {
        target.is_default = false;
        return;
      }
      if (!flag(network.is_default)) return;
      const other = await tx.selectFrom('networks').select('id').where('router_external', '=', 1).where('is_default', '=', 1)
        .where('id', '!=', network.id as string).executeTakeFirst();
      if (other) throw new DefaultExternalNetworkExists({ net_id: other.id });
    };
    events.subscribe('network', 'before_create', (tx, e) => checkDefault(tx, e.current, e.current));
    events.subscribe('network', 'before_update', async (tx, e) => {
      if ('is_default' in e.changes || 'router:external' in e.changes) await checkDefault(tx, { ...e.original, ...e.changes }, e.changes);
    });
    // only an external network shows is_default
    events.extend('network', async (_q, networks) => {
      for (const n of networks) if (n['router:external'] === false) n.is_default = undefined;
    });
    return {};
  }

  routes(policy: Authorizer): SubRoutes {
    if (!this.db) return {};
    const project = (req: FastifyRequest) => (req.params as { project_id: string }).project_id;
    return {
      '/auto-allocated-topology/:project_id': {
        GET: async (req) => {
          const ctx = req.neutronContext;
          const tenant = this.validate(ctx, project(req));
          policy.enforce(ctx, ['get_auto_allocated_topology'], { project_id: tenant, tenant_id: tenant });
          const fields = new URL(req.url, 'http://x').searchParams.getAll('fields').filter(Boolean);
          if (fields.includes(DRY_RUN)) return { auto_allocated_topology: await this.checkRequirements(tenant) };
          if (fields.length) throw new BadRequest({ resource: 'auto_allocate', msg: 'Unrecognized field' });
          const networkId = await this.topologyNetwork(ctx, tenant);
          return { auto_allocated_topology: { id: networkId, tenant_id: tenant, project_id: tenant } };
        },
        DELETE: async (req, reply: FastifyReply) => {
          const ctx = req.neutronContext;
          const tenant = this.validate(ctx, project(req));
          policy.enforce(ctx, ['delete_auto_allocated_topology'], { project_id: tenant, tenant_id: tenant });
          const topology = await this.db!.read((q) => topologyOf(q, tenant));
          if (topology) {
            const subnets = await this.db!.read((q) => q.selectFrom('subnets').select('id').where('network_id', '=', topology.network_id).execute());
            await this.cleanup(ctx, topology.network_id, topology.router_id, subnets.map((s) => s.id));
          }
          return reply.code(204).send();
        },
      },
    };
  }

  /** _validate: 'None' is the caller's project; only admins name another. */
  private validate(ctx: RequestContext, tenant: string): string {
    const id = tenant === 'None' ? ctx.projectId ?? '' : tenant;
    if (!ctx.isAdmin && id !== ctx.projectId) throw new NotAuthorized();
    return id;
  }

  private async checkRequirements(tenant: string): Promise<Item> {
    await this.db!.read(async (q) => {
      await defaultExternalNetwork(q);
      if (!(await defaultSubnetpools(q)).length) throw new AutoAllocationFailure({ reason: 'No default subnetpools defined' });
    });
    return { id: 'dry-run=pass', tenant_id: tenant, project_id: tenant };
  }

  /** The project's topology network, built first if it has none. */
  private async topologyNetwork(ctx: RequestContext, tenant: string): Promise<string> {
    const existing = await this.db!.read((q) => topologyOf(q, tenant));
    if (existing) return existing.network_id;
    const external = await this.db!.read((q) => defaultExternalNetwork(q));
    try {
      return await this.build(ctx, tenant, external);
    } catch (e) {
      if (!(e instanceof PartialTopology)) throw e;
      await this.cleanup(ctx, e.networkId, e.routerId, e.subnetIds);
      throw e.error;
    }
  }

  private async build(ctx: RequestContext, tenant: string, externalNetworkId: string): Promise<string> {
    const { networks, subnets, routers } = this.resources!();
    const def = (collection: string) => this.api!.resources.get(collection)!;
    const create = async (res: SqlResource, collection: string, body: Item) => (await res.create(ctx, [prepareCreate(def(collection), body, ctx)]))[0]!;

    // _provision_tenant_private_network
    let networkId: string | null = null;
    const subnetIds: string[] = [];
    try {
      networkId = (await create(networks, 'networks', { name: 'auto_allocated_network', admin_state_up: false, tenant_id: tenant, shared: false })).id as string;
      const pools = await this.db!.read((q) => defaultSubnetpools(q));
      if (!pools.length) throw new AutoAllocationFailure({ reason: 'Unable to provide tenant private network' });
      for (const pool of pools) {
        subnetIds.push((await create(subnets, 'subnets', {
          name: `auto_allocated_subnet_v${pool.ip_version}`, network_id: networkId, tenant_id: tenant, ip_version: pool.ip_version, subnetpool_id: pool.id,
        })).id as string);
      }
    } catch (e) {
      if (isNeutronError(e) && e.status < 500) throw new PartialTopology(new AutoAllocationFailure({ reason: 'Unable to provide tenant private network' }), networkId);
      throw new PartialTopology(e, networkId);
    }

    // _provision_external_connectivity
    let routerId: string | null = null;
    const attached: string[] = [];
    try {
      routerId = (await create(routers, 'routers', {
        name: 'auto_allocated_router', external_gateway_info: { network_id: externalNetworkId }, tenant_id: tenant, admin_state_up: true,
      })).id as string;
      for (const subnetId of subnetIds) {
        await routers.actions!.add_router_interface!(ctx, routerId, { subnet_id: subnetId }, {});
        attached.push(subnetId);
      }
    } catch (e) {
      if (isNeutronError(e) && e.status === 400) {
        throw new PartialTopology(new AutoAllocationFailure({ reason: 'Unable to provide external connectivity' }), networkId, routerId, attached);
      }
      throw new PartialTopology(e, networkId, routerId, subnetIds);
    }

    // _save: of two first requests racing, the one that saves first wins; the other takes its own apart
    const saved = await this.db!.write(async (tx) => {
      const other = await topologyOf(tx, tenant);
      if (other) return other.network_id;
      await tx.insertInto('auto_allocated_topologies').values({ project_id: tenant, network_id: networkId!, router_id: routerId }).execute();
      return networkId!;
    });
    if (saved !== networkId) {
      await this.cleanup(ctx, networkId, routerId, subnetIds);
      return saved;
    }
    await networks.update(ctx, networkId, { admin_state_up: true }, {});
    return networkId;
  }

  /** _cleanup: the router's interfaces, the router, the network; what is already gone is skipped. */
  private async cleanup(ctx: RequestContext, networkId: string | null, routerId: string | null, subnetIds: string[]): Promise<void> {
    const { networks, routers } = this.resources!();
    const admin: RequestContext = { ...ctx, isAdmin: true };
    const ignoreNotFound = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (e) {
        if (!(isNeutronError(e) && e.status === 404)) throw e;
      }
    };
    if (routerId) {
      for (const subnetId of subnetIds) await ignoreNotFound(() => routers.actions!.remove_router_interface!(admin, routerId, { subnet_id: subnetId }, {}));
      await ignoreNotFound(() => routers.delete(admin, routerId, {}));
    }
    if (networkId) await ignoreNotFound(() => networks.delete(admin, networkId, {}));
  }
}

function topologyOf(q: Queryable, tenant: string) {
  return q.selectFrom('auto_allocated_topologies').selectAll().where('project_id', '=', tenant).executeTakeFirst();
}

/** _get_default_external_network */
async function defaultExternalNetwork(q: Queryable): Promise<string> {
  const row = await q.selectFrom('networks').select('id').where('router_external', '=', 1).where('is_default', '=', 1).orderBy('created_at').executeTakeFirst();
  if (!row) throw new AutoAllocationFailure({ reason: 'No default router:external network' });
  return row.id;
}

/** _get_supported_subnetpools: the default IPv4 and IPv6 pools that exist. */
async function defaultSubnetpools(q: Queryable): Promise<Array<{ id: string; ip_version: number }>> {
  const out: Array<{ id: string; ip_version: number }> = [];
  for (const version of [4, 6]) {
    const pool = await q.selectFrom('subnetpools').select(['id', 'ip_version']).where('is_default', '=', 1).where('ip_version', '=', version)
      .orderBy('created_at').executeTakeFirst();
    if (pool) out.push({ id: pool.id, ip_version: Number(pool.ip_version) });
  }
  return out;
}
