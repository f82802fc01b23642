import type { FastifyReply, FastifyRequest } from 'fastify';
import { toInt, validateRange } from '../lib/attributes.js';
import type { RequestContext } from '../lib/context.js';
import type { ResourceDef } from '../lib/definitions.js';
import { AdminRequired, HTTPBadRequest, HTTPNotImplemented, QuotaMissingTenant } from '../lib/errors.js';
import { parseJsonBody, prepareUpdate, updateItem } from '../api/body.js';
import type { Authorizer } from '../api/controller.js';
import type { SubRoutes } from '../api/tags.js';
import type { QuotaEngine } from './engine.js';

const DB_INTEGER_MAX_VALUE = 2 ** 31 - 1;

/**
 * /v2.0/quotas as Neutron's QuotaSetsController (quotas, quota_details, quota-check-limit) answers it:
 * a project reads its own quota; reading another's, listing, updating and resetting take the
 * get_quota / update_quota / delete_quota rules (admin only by default).
 */
export function quotaRoutes(quotas: QuotaEngine, policy: Authorizer): SubRoutes {
  const ctxOf = (req: FastifyRequest) => req.neutronContext;
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;
  const enforce = (ctx: RequestContext, action: string) => policy.enforce(ctx, [action], { project_id: ctx.projectId, tenant_id: ctx.projectId });
  const readable = (ctx: RequestContext, id: string) => { if (id !== ctx.projectId) enforce(ctx, 'get_quota'); };
  const whoami = (key: 'project' | 'tenant') => async (req: FastifyRequest) => {
    const ctx = ctxOf(req);
    if (!ctx.projectId) throw new QuotaMissingTenant();
    return { [key]: { [`${key}_id`]: ctx.projectId } };
  };
  // the attribute map of a quota update: one integer per counted resource
  const def: ResourceDef = {
    name: 'quota', collection: 'quotas', table: 'quotas',
    attributes: Object.fromEntries([...quotas.resources.keys()].map((name) => [name, {
      allowPost: false, allowPut: true, isVisible: true, convert: toInt, validate: validateRange(-1, DB_INTEGER_MAX_VALUE),
    }])),
  };

  return {
    '/quotas': {
      GET: async (req) => {
        enforce(ctxOf(req), 'get_quota');
        return { quotas: await quotas.all() };
      },
      POST: async () => { throw new HTTPNotImplemented('POST requests are not supported on this resource.'); },
    },
    '/quotas/project': { GET: whoami('project') },
    '/quotas/tenant': { GET: whoami('tenant') },
    '/quotas/:id': {
      GET: async (req) => {
        readable(ctxOf(req), idOf(req));
        return { quota: await quotas.get(idOf(req)) };
      },
      PUT: async (req) => {
        const ctx = ctxOf(req);
        enforce(ctx, 'update_quota');
        const raw = updateItem(def, parseJsonBody(req.body as string | undefined));
        const checkLimit = truthy(raw.check_limit);
        delete raw.force;
        delete raw.check_limit;
        const limits = prepareUpdate(def, raw, ctx) as Record<string, number>;
        const tooLow = (resource: string, limit: number, used: number) =>
          new HTTPBadRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`);
        return { quota: await quotas.update(idOf(req), limits, checkLimit, tooLow) };
      },
      DELETE: async (req: FastifyRequest, reply: FastifyReply) => {
        enforce(ctxOf(req), 'delete_quota');
        await quotas.reset(idOf(req));
        return reply.code(204).send();
      },
    },
    '/quotas/:id/default': {
      GET: async (req) => {
        readable(ctxOf(req), idOf(req));
        return { quota: quotas.defaults() };
      },
    },
    '/quotas/:id/details': {
      GET: async (req) => {
        const ctx = ctxOf(req);
        if (idOf(req) !== ctx.projectId && !ctx.isAdmin) {
          throw new AdminRequired({ reason: 'Only admin is authorized to access quotas for another project' });
        }
        return { quota: await quotas.details(idOf(req)) };
      },
    },
  };
}

/** Python's truthiness, as Neutron reads `check_limit` (and `force`). */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return !!v;
}

