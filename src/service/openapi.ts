import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Authorizer, Controller } from '../api/controller.js';
import type { ApiModel } from '../api/model.js';
import { buildOpenApi, openApiRoutes } from '../api/openapi.js';
import type { SubRoutes } from '../api/tags.js';
import type { QuotaEngine } from '../quota/engine.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * The routes of GET /v2.0/openapi.json and .yaml, describing `routes` (the other non-resource
 * routes) and the served resources as this configuration loads them.
 */
export function openApiRoutesFor(config: Config, api: ApiModel, controllers: ReadonlyMap<string, Controller>, routes: SubRoutes,
  policy: Authorizer, quotas: QuotaEngine, log: Logger): SubRoutes {
  const doc = buildOpenApi({
    api, controllers, routes, policy, version,
    authStrategy: config.DEFAULT.auth_strategy,
    quotaResources: [...quotas.resources.keys()],
    paginationMaxLimit: config.DEFAULT.pagination_max_limit,
    changeStream: config.change_stream.enabled,
  });
  if (doc.untyped.length) log.debug({ attributes: doc.untyped }, 'OpenAPI: attributes described as any value');
  return openApiRoutes(doc);
}
