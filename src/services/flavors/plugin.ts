import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import { UNSET } from '../../lib/attributes.js';
import type { Item } from '../../lib/definitions.js';
import {
  FlavorInUse, FlavorNotFound, FlavorServiceProfileBindingExists, InvalidInput, FlavorServiceProfileBindingNotFound, HTTPBadRequest, InvalidServiceType,
  ServiceProfileDisabled, ServiceProfileDriverNotFound, ServiceProfileEmpty, ServiceProfileInUse, ServiceProfileNotFound,
} from '../../lib/errors.js';
import type { Database } from '../../db/database.js';
import type { Queryable } from '../../db/schema.js';
import { inChunks } from '../../db/chunks.js';
import { readOnlyHandler, type ResourceHandler } from '../../registry/handler.js';
import { SqlResource } from '../../registry/resource.js';
import { parseJsonBody } from '../../api/body.js';
import type { Authorizer } from '../../api/controller.js';
import type { SubRoutes } from '../../api/tags.js';
import type { Plugin, PluginContext } from '../../plugins/plugin.js';

/** The plugin types (neutron_lib.plugins.constants) of the service plugins a flavor may be for. */
const PLUGIN_TYPES: Record<string, string> = {
  router: 'L3_ROUTER_NAT', metering: 'METERING', qos: 'QOS', port_forwarding: 'PORTFORWARDING', conntrack_helper: 'CONNTRACKHELPER',
  local_ip: 'LOCAL_IP', ndp_proxy: 'NDPPROXY', log: 'LOGGING', flavors: 'FLAVORS', network_segment_range: 'NETWORK_SEGMENT_RANGE',
};

/** The L3 providers Neutron's router plugin always adds (_LegacyPlusProviderConfiguration). */
const L3_PROVIDERS = [['dvrha', 'dvrha.DvrHaDriver'], ['dvr', 'dvr.DvrDriver'], ['ha', 'ha.HaDriver'], ['single_node', 'single_node.SingleNodeDriver']];

export interface ServiceProvider { service_type: string; name: string; driver: string; default: boolean }

/**
 * parse_service_provider_opt: `[service_providers] service_provider = <type>:<name>:<driver>[:default]`,
 * names lower-cased; then the router plugin's L3 providers unless a name is taken.
 */
export function serviceProviders(config: Config, routerLoaded: boolean): ServiceProvider[] {
  const out: ServiceProvider[] = [];
  for (const def of config.service_providers.service_provider) {
    const parts = def.split(':');
    if (parts.length < 3) throw new Error(`[service_providers] service_provider: Invalid service provider format: ${def}`);
    const [type, name, driver, flag] = parts as [string, string, string, string?];
    if (flag && flag !== 'default') throw new Error(`[service_providers] service_provider: Invalid provider format. Last part should be 'default' or empty: ${def}`);
    out.push({ service_type: type, name: name.toLowerCase(), driver, default: flag === 'default' });
  }
  if (routerLoaded) {
    for (const [name, driver] of L3_PROVIDERS) {
      if (out.some((p) => p.service_type === 'L3_ROUTER_NAT' && p.name === name)) continue;
      out.push({ service_type: 'L3_ROUTER_NAT', name: name!, driver: `neutron.services.l3_router.service_providers.${driver}`, default: false });
    }
  }
  return out;
}

/**
 * Neutron's `flavors` service plugin (loaded whatever service_plugins says): /v2.0/flavors,
 * /v2.0/service_profiles, their associations (/v2.0/flavors/<id>/service_profiles[/<id>]),
 * /v2.0/flavors/<id>/next_providers and /v2.0/service-providers.
 */
export class FlavorsPlugin implements Plugin {
  readonly name = 'flavors';
  readonly supportedExtensionAliases = ['flavors', 'service-type'];
  private db?: Database;
  private providers: ServiceProvider[] = [];

  async start(ctx: PluginContext): Promise<Record<string, ResourceHandler>> {
    const { api, db, config } = ctx;
    const flavorsDef = api.resources.get('flavors');
    const profilesDef = api.resources.get('service_profiles');
    const providersDef = api.resources.get('service_providers');
    if (!flavorsDef || !profilesDef || !providersDef) return {};
    this.db = db;
    const providers = this.providers = serviceProviders(config, ctx.plugins.has('router'));
    const routerFlavors = api.hasExtension('l3-flavors');
    const serviceTypes = new Set(['CORE', ...[...ctx.plugins.keys()].map((n) => PLUGIN_TYPES[n]).filter(Boolean) as string[]]);
    const checkDriver = (driver: string) => {
      if (!providers.some((p) => p.driver === driver)) throw new ServiceProfileDriverNotFound({ driver });
    };
    const inUse = async (q: Queryable, spId: string) => {
      if (await q.selectFrom('flavorserviceprofilebindings').select('flavor_id').where('service_profile_id', '=', spId).executeTakeFirst()) {
        throw new ServiceProfileInUse({ sp_id: spId });
      }
    };

    const flavors = new SqlResource(ctx, flavorsDef, {
      notFound: (id) => new FlavorNotFound({ flavor_id: id }),
      async extend(q, items) {
        const bound = await bindings(q, 'flavor_id', items.map((i) => i.id as string));
        for (const f of items) f.service_profiles = bound.get(f.id as string) ?? [];
      },
      async beforeCreate(_tx, { current }) {
        if (!serviceTypes.has(current.service_type as string)) throw new InvalidServiceType({ service_type: String(current.service_type) });
      },
      async beforeDelete(tx, { current }) {
        if (!routerFlavors) return;
        if (await tx.selectFrom('routers').select('id').where('flavor_id', '=', current.id as string).executeTakeFirst()) {
          throw new FlavorInUse({ flavor_id: current.id as string });
        }
      },
    });
    const profiles = new SqlResource(ctx, profilesDef, {
      notFound: (id) => new ServiceProfileNotFound({ sp_id: id }),
      async beforeCreate(_tx, { current }) {
        if (current.driver) checkDriver(current.driver as string);
        else if (!current.metainfo) throw new ServiceProfileEmpty();
      },
      async beforeUpdate(tx, { original, changes }) {
        if (changes.driver) checkDriver(changes.driver as string);
        await inUse(tx, original.id as string);
      },
      beforeDelete: (tx, { current }) => inUse(tx, current.id as string),
    });
    if (routerFlavors) {
      const l3 = { distributed: config.DEFAULT.router_distributed, ha: config.DEFAULT.l3_ha };
      ctx.events.subscribe('router', 'before_create', async (tx, { current: router }) => {
        const flavorId = router.flavor_id;
        if (flavorId === UNSET || flavorId === null || flavorId === undefined) return;
        const provider = await this.nextProvider(tx, String(flavorId));
        // _ensure_driver_supports_request. The router's strategy has filled ha and distributed with
        // the configured defaults by now: a flag equal to its default counts as not asked for.
        const support = L3_DRIVER_SUPPORT[provider.name] ?? { ha: OPTIONAL, distributed: OPTIONAL };
        for (const key of ['distributed', 'ha'] as const) {
          const flag = router[key];
          if (typeof flag !== 'boolean' || flag === l3[key]) continue;
          if (!compatible(support[key], flag)) {
            throw new InvalidInput({ error_message: `Provider ${provider.name} does not support ${key}=${flag ? 'True' : 'False'}` });
          }
        }
      });
    }
    const providerList = readOnlyHandler({ list: async () => providers.map(({ service_type, name, default: d }) => ({ service_type, name, default: d })) });
    return { flavors, service_profiles: profiles, service_providers: providerList };
  }

  /**
   * get_flavor_next_provider: the provider of the driver of the flavor's first service profile
   * (for a router: the flavor must exist and the provider be an L3 one).
   */
  private async nextProvider(q: Queryable, flavorId: string, forRouter = true): Promise<ServiceProvider> {
    if (forRouter && !(await q.selectFrom('flavors').select('id').where('id', '=', flavorId).executeTakeFirst())) throw new FlavorNotFound({ flavor_id: flavorId });
    const binding = await q.selectFrom('flavorserviceprofilebindings').select('service_profile_id').where('flavor_id', '=', flavorId).orderBy('service_profile_id').executeTakeFirst();
    if (!binding) throw new FlavorServiceProfileBindingNotFound({ sp_id: '', fl_id: flavorId });
    const sp = await q.selectFrom('serviceprofiles').selectAll().where('id', '=', binding.service_profile_id).executeTakeFirstOrThrow();
    if (!(sp.enabled === true || Number(sp.enabled) === 1)) throw new ServiceProfileDisabled();
    const provider = this.providers.find((p) => p.driver === sp.driver && (!forRouter || p.service_type === 'L3_ROUTER_NAT'));
    if (!provider) throw new ServiceProfileDriverNotFound({ driver: sp.driver });
    return provider;
  }

  routes(policy: Authorizer): SubRoutes {
    const db = this.db;
    if (!db) return {};
    const params = (req: FastifyRequest) => req.params as { id: string; sp_id?: string };
    const flavorExists = async (q: Queryable, id: string) => {
      if (!(await q.selectFrom('flavors').select('id').where('id', '=', id).executeTakeFirst())) throw new FlavorNotFound({ flavor_id: id });
    };
    return {
      '/flavors/:id/service_profiles': {
        // create_flavor_service_profile: answers what Neutron's sub-resource view keeps of the flavor, its id
        POST: async (req, reply: FastifyReply) => {
          policy.enforce(req.neutronContext, ['create_flavor_service_profile'], {});
          const body = parseJsonBody(req.body as string | undefined)?.service_profile as Item | undefined;
          if (!body || typeof body !== 'object') throw new HTTPBadRequest("Unable to find 'service_profile' in request body");
          const spId = body.id;
          if (typeof spId !== 'string') throw new HTTPBadRequest("Failed to parse request. Required attribute 'id' not specified");
          const flavorId = params(req).id;
          await db.write(async (tx) => {
            await flavorExists(tx, flavorId);
            if (!(await tx.selectFrom('serviceprofiles').select('id').where('id', '=', spId).executeTakeFirst())) throw new ServiceProfileNotFound({ sp_id: spId });
            const bound = await tx.selectFrom('flavorserviceprofilebindings').select('flavor_id').where('flavor_id', '=', flavorId)
              .where('service_profile_id', '=', spId).executeTakeFirst();
            if (bound) throw new FlavorServiceProfileBindingExists({ sp_id: spId, fl_id: flavorId });
            await tx.insertInto('flavorserviceprofilebindings').values({ flavor_id: flavorId, service_profile_id: spId }).execute();
          });
          return reply.code(201).send({ service_profile: { id: flavorId } });
        },
      },
      '/flavors/:id/service_profiles/:sp_id': {
        DELETE: async (req, reply: FastifyReply) => {
          policy.enforce(req.neutronContext, ['delete_flavor_service_profile'], {});
          const { id: flavorId, sp_id: spId } = params(req);
          const removed = await db.write(async (tx) => Number((await tx.deleteFrom('flavorserviceprofilebindings')
            .where('flavor_id', '=', flavorId).where('service_profile_id', '=', spId!).executeTakeFirst()).numDeletedRows));
          if (!removed) throw new FlavorServiceProfileBindingNotFound({ sp_id: spId!, fl_id: flavorId });
          return reply.code(204).send();
        },
      },
      // get_flavor_next_provider: the provider of the driver of the flavor's first service profile
      '/flavors/:id/next_providers': {
        GET: async (req) => {
          policy.enforce(req.neutronContext, ['get_flavor'], {});
          const provider = await db.read((q) => this.nextProvider(q, params(req).id, false));
          return { next_providers: [{ driver: provider.driver, provider: provider.name }] };
        },
      },
    };
  }
}

const OPTIONAL = { supports: true, requires: false };
const MANDATORY = { supports: true, requires: true };
const UNSUPPORTED = { supports: false, requires: false };
type Support = typeof OPTIONAL;
/** The ha and distributed support of the router plugin's L3 provider drivers. */
const L3_DRIVER_SUPPORT: Record<string, { ha: Support; distributed: Support }> = {
  single_node: { ha: UNSUPPORTED, distributed: UNSUPPORTED },
  ha: { ha: MANDATORY, distributed: UNSUPPORTED },
  dvr: { ha: UNSUPPORTED, distributed: MANDATORY },
  dvrha: { ha: MANDATORY, distributed: MANDATORY },
};
/** _FeatureFlag.is_compatible */
const compatible = (s: Support, value: boolean) => value === s.requires || (value && s.supports);

async function bindings(q: Queryable, key: 'flavor_id' | 'service_profile_id', ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const other = key === 'flavor_id' ? 'service_profile_id' : 'flavor_id';
  await inChunks(ids, async (chunk) => {
    const rows = await q.selectFrom('flavorserviceprofilebindings').selectAll().where(key, 'in', chunk).orderBy(other).execute();
    for (const r of rows) out.set(r[key], [...(out.get(r[key]) ?? []), r[other]]);
  });
  return out;
}
