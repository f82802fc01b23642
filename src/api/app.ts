import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toBoolean } from '../lib/attributes.js';
import { newRequestId, type RequestContext } from '../lib/context.js';
import type { Item } from '../lib/definitions.js';
import {
  BadRequest, ExtensionNotFound, HTTPBadRequest, HTTPMethodNotAllowed, HTTPNotFound, HTTPRequestEntityTooLarge, InternalServerError,
  isNeutronError, NeutronError,
} from '../lib/errors.js';
import { countingStatements, withStatementCount, type StatementCounter } from '../db/statement-count.js';
import { KeystoneAuthError, stripAuthHeaders } from '../auth/keystone.js';
import { parseJsonBody } from './body.js';
import { applyRoleRules, noauthContext, type RoleRules } from './context-middleware.js';
import type { Authorizer, Controller } from './controller.js';
import { coreResources } from './definitions/index.js';
import { collectionPath, urlPath, type ApiModel } from './model.js';
import { tagRoutes, type SubRoutes } from './tags.js';
import type { ChangeFeed } from './watch.js';

declare module 'fastify' {
  interface FastifyRequest {
    neutronContext: RequestContext;
    startTime: bigint;
  }
}

/** An authentication step that turns a request into a context (keystone mode), or answers it. */
export type Authenticator = (req: FastifyRequest) => Promise<RequestContext>;

/** An error that carries its own body, such as keystonemiddleware's 401. */
export interface HttpAnswer extends Error {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface AppOptions {
  api: ApiModel;
  controllers: Map<string, Controller>;
  policy: Authorizer & RoleRules;
  log: Logger;
  maxBodySize: number;
  /** [DEFAULT] network_link_prefix */
  linkPrefix?: string | null;
  /** keystone mode; absent = noauth */
  authenticate?: Authenticator;
  /** keystone mode: the WWW-Authenticate value that keystonemiddleware adds to any 401 */
  authChallenge?: string;
  /** extra GET (and HEAD) routes served before authentication (healthcheck) */
  unauthenticated?: Record<string, (req: FastifyRequest, reply: FastifyReply) => unknown>;
  /** API routes that are not generic resources (the quotas API), by path under /v2.0 */
  routes?: SubRoutes;
  /** the change stream's feed ([change_stream] enabled) */
  changes?: ChangeFeed;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/**
 * The API as an ordered pipeline, like neutron-server's paste pipeline: request id → error
 * catcher → auth/context → API router.
 */
export function createApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: () => newRequestId(),
    bodyLimit: opts.maxBodySize,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    exposeHeadRoutes: false,
    // a path the router cannot decode (`%zz`) or too long a segment names no resource: Neutron's
    // 404 (webob passes such a path on as an id that is not found), in Neutron's error format
    frameworkErrors: (_err, _req, reply) => sendError(reply, new HTTPNotFound()),
    return503OnClosing: true,
    // where the app serves itself (tests) it closes at once; an API worker's HttpFront drains its connections first
    forceCloseConnections: true,
    // Pecan's guess_content_type_from_ext: /v2.0/networks.json is /v2.0/networks
    rewriteUrl: (req) => (req.url ?? '/').replace(/\.json(?=\?|$)/, ''),
  });

  app.setReplySerializer(serializeJson);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // 1. request id
  app.addHook('onRequest', async (req, reply) => {
    req.startTime = process.hrtime.bigint();
    reply.header('x-openstack-request-id', req.id);
  });

  // 2. error catcher: Neutron's error body for everything; a 500 says nothing about internals
  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof KeystoneAuthError) {
      if (err.reason) req.log.warn({ reason: err.reason }, 'Keystone is unavailable: 503');
      // keystonemiddleware's own answer, byte for byte (a Buffer: no charset appended, no serializer)
      return reply.code(err.status).headers(err.headers).send(Buffer.from(err.body()));
    }
    if (isNeutronError(err)) return sendError(reply, err);
    if (err && typeof err.status === 'number' && 'body' in err) {
      const answer = err as HttpAnswer;
      return reply.code(answer.status).headers(answer.headers ?? {}).send(answer.body);
    }
    if (err?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, new HTTPRequestEntityTooLarge());
    if (err?.code?.startsWith?.('FST_ERR_CTP')) return sendError(reply, new HTTPBadRequest('Body contains invalid data'));
    // the client went away while sending its body: nothing to answer, and nothing wrong with the server
    // (not req.raw.destroyed: a request whose body was read to its end is destroyed too)
    if ((err?.code === 'ECONNRESET' || err?.code === 'ECONNABORTED') && !req.raw.complete) {
      req.log.debug({ err }, 'client aborted the request');
      return sendError(reply, new HTTPBadRequest('Request aborted'));
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, new InternalServerError());
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, new HTTPNotFound()));

  // 3. auth and context
  const open = new Set(Object.keys(opts.unauthenticated ?? {}));
  const authenticate = opts.authenticate;
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (open.has(path)) return;
    if (authenticate) {
      // As in Neutron's api-paste.ini, only /v2.0 is behind auth_token; the versions document is not.
      if (path !== '/v2.0' && !path.startsWith('/v2.0/')) return;
      stripAuthHeaders(req.headers);
      req.neutronContext = applyRoleRules(await authenticate(req), opts.policy);
    } else {
      req.neutronContext = noauthContext(req.headers, req.id, opts.policy);
    }
    req.neutronContext.requestId = req.id;
  });
  const challenge = opts.authChallenge;
  if (challenge) {
    app.addHook('onSend', async (_req, reply) => {
      if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challenge);
    });
  }

  // x-sql-statements (NEUTRON_TS_COUNT_SQL=1), set as the headers go out: after the handler, also for 204s and errors
  if (countingStatements) {
    app.addHook('onSend', async (req, reply) => {
      const counter = (req as any).sqlStatements as StatementCounter | undefined;
      if (counter) reply.header('x-sql-statements', counter.statements);
    });
  }

  // 10. access log: one line per request
  app.addHook('onResponse', async (req, reply) => {
    const ms = Number(process.hrtime.bigint() - req.startTime) / 1e6;
    req.log.info({
      method: req.method, path: req.url, status: reply.statusCode,
      duration_ms: Math.round(ms * 100) / 100, project_id: req.neutronContext?.projectId,
    }, 'request');
  });

  for (const [path, handler] of Object.entries(opts.unauthenticated ?? {})) app.route({ method: ['GET', 'HEAD'], url: path, handler });

  // 4. the API router
  const base = (req: FastifyRequest) => baseUrl(req, opts.linkPrefix ?? null);
  methods(app, '/', { GET: async (req) => versions(base(req)) });
  methods(app, '/v2.0', {
    GET: async (req) => ({
      resources: coreResources.filter((r) => opts.controllers.has(r.collection)).map((r) => ({
        name: r.name, collection: r.collection,
        links: [{ rel: 'self', href: `${base(req)}/v2.0/${urlPath(r)}` }],
      })),
    }),
  });
  const extensionView = (e: ApiModel['extensions'][number]) => ({
    name: e.name, alias: e.alias, description: e.description, updated: e.updated, links: [],
  });
  methods(app, '/v2.0/extensions', { GET: async () => ({ extensions: opts.api.extensions.map(extensionView) }) }, HTTPNotFound);
  methods(app, '/v2.0/extensions/:alias', {
    GET: async (req) => {
      const alias = (req.params as any).alias as string;
      const ext = opts.api.extensions.find((e) => e.alias === alias);
      if (!ext) throw new ExtensionNotFound({ alias });
      return { extension: extensionView(ext) };
    },
  }, HTTPNotFound);

  for (const controller of opts.controllers.values()) {
    const def = controller.def;
    const parent = def.parent && opts.controllers.get(def.parent.collection);
    const route = collectionPath(opts.api, def);
    if (def.parent && !parent) continue;
    if (parent) controller.attachParent(parent);
    if (route === null) continue;
    const path = `/v2.0/${route}`;
    // a parent-scoped resource's parent id, checked by the controller (undefined for the others)
    const parentId = (req: FastifyRequest) => (req.params as any).parent_id as string | undefined;
    methods(app, path, {
      GET: async (req, reply) => {
        const url = new URL(req.url, 'http://x');
        if (parent) {
          const { items, links } = await controller.list(req.neutronContext, url.searchParams, `${base(req)}${url.pathname}`, parentId(req));
          return links.length ? { [def.collection]: items, [`${def.collection}_links`]: links } : { [def.collection]: items };
        }
        const watch = url.searchParams.get('watch');
        if (watch !== null) {
          url.searchParams.delete('watch');
          if (watchWanted(watch)) return watchChanges(req, reply, controller, url.searchParams);
        }
        // x-sql-statements is a header: with statement counting on, lists are not streamed
        const batches = countingStatements ? null : await controller.listBatches(req.neutronContext, url.searchParams);
        // one batch buffered at most: the next is built once the socket has taken the previous one
        if (batches) return reply.type('application/json; charset=utf-8').send(Readable.from(jsonList(def.collection, batches), { highWaterMark: 1 }));
        const { items, links } = await controller.list(req.neutronContext, url.searchParams, `${base(req)}${url.pathname}`);
        const body: Item = { [def.collection]: items };
        if (links.length) body[`${def.collection}_links`] = links;
        return body;
      },
      POST: async (req, reply) => {
        const { items, bulk } = await controller.create(req.neutronContext, parseJsonBody(req.body as string | undefined), parentId(req));
        reply.code(201);
        return bulk ? { [def.collection]: items } : { [def.name]: items[0] };
      },
    });
    methods(app, `${path}/:id`, {
      GET: async (req) => ({
        [def.name]: await controller.show(req.neutronContext, (req.params as any).id, new URL(req.url, 'http://x').searchParams, parentId(req)),
      }),
      PUT: async (req) => ({
        [def.name]: await controller.update(req.neutronContext, (req.params as any).id, parseJsonBody(req.body as string | undefined), ifMatch(req), parentId(req)),
      }),
      DELETE: async (req, reply) => {
        if (req.body !== undefined && req.body !== '') throw new HTTPBadRequest('Request body is not supported in DELETE.');
        await controller.delete(req.neutronContext, (req.params as any).id, ifMatch(req), parentId(req));
        reply.code(204);
        return reply.send();
      },
    });
    for (const [action, method] of Object.entries(def.memberActions ?? {})) {
      if (!controller.handler.actions?.[action]) continue;
      methods(app, `${path}/:id/${action}`, {
        [method]: async (req: FastifyRequest) => controller.action(
          req.neutronContext, (req.params as any).id, action, method === 'PUT' ? parseJsonBody(req.body as string | undefined) : undefined),
      });
    }
    if (def.taggable && controller.handler.tags && 'tags' in def.attributes) {
      for (const [url, handlers] of Object.entries(tagRoutes(path, controller.handler.tags))) methods(app, url, handlers);
    }
  }
  for (const [url, handlers] of Object.entries(opts.routes ?? {})) methods(app, `/v2.0${url}`, handlers);

  /** `?watch=true`: the collection's changes as Server-Sent Events, from Last-Event-ID on (see watch.ts) */
  async function watchChanges(req: FastifyRequest, reply: FastifyReply, controller: Controller, params: URLSearchParams): Promise<void> {
    if (!opts.changes) throw new HTTPBadRequest('The change stream is off ([change_stream] enabled = false).');
    const target = controller.watchTarget(req.neutronContext, params);
    const last = req.headers['last-event-id'];
    const lastEventId = typeof last === 'string' && /^\d+$/.test(last) ? Number(last) : null;
    reply.hijack();
    await opts.changes.watch(req.neutronContext, target, lastEventId, reply.raw);
  }
  return app;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function watchWanted(value: string): boolean {
  try {
    return toBoolean(value);
  } catch {
    throw new HTTPBadRequest(`Invalid value '${value}' for watch: a boolean is expected.`);
  }
}

/** Registers the handlers of one path and answers every other method (405, or `other`). */
function methods(app: FastifyInstance, url: string, handlers: Partial<Record<(typeof ALL_METHODS)[number], Handler>>, other: new () => NeutronError = HTTPMethodNotAllowed): void {
  app.route({
    method: [...ALL_METHODS],
    url,
    handler: async (req, reply) => {
      const h = handlers[req.method as (typeof ALL_METHODS)[number]];
      if (!h) throw new other();
      if (countingStatements) return withStatementCount((req as any).sqlStatements = { statements: 0 }, () => h(req, reply));
      return h(req, reply);
    },
  });
}

/**
 * JSON with BigInt values written as plain integers, as Python writes any int: an IPv6 subnet's
 * size (network-ip-availabilities) does not fit in a double. The plain path stays the fast one.
 */
export function serializeJson(payload: unknown): string {
  try {
    return JSON.stringify(payload);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    const big: string[] = [];
    const text = JSON.stringify(payload, (_k, v) => (typeof v === 'bigint' ? `\u0000${big.push(v.toString()) - 1}\u0000` : v));
    return text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => big[Number(i)]!);
  }
}

/** `{"<collection>":[...]}` as serializeJson writes it, produced a batch of items at a time. */
async function* jsonList(collection: string, batches: AsyncIterable<Item[]>): AsyncGenerator<string> {
  let separator = '';
  yield `{${JSON.stringify(collection)}:[`;
  for await (const items of batches) {
    if (!items.length) continue;
    yield separator + serializeJson(items).slice(1, -1);
    separator = ',';
  }
  yield ']}';
}

function sendError(reply: FastifyReply, err: NeutronError): FastifyReply {
  return reply.code(err.status).headers(err.headers).type('application/json').send(err.body());
}

/**
 * `If-Match: revision_number=N`, as webob parses If-Match (the quoted strong etags, else the whole
 * value as one) and Neutron's check_request_for_revision_constraint reads it (Python's int()).
 */
function ifMatch(req: FastifyRequest): number | null {
  const raw = req.headers['if-match'];
  if (!raw) return null;
  const value = String(raw);
  if (value === '*') return null;
  const quoted = [...value.matchAll(/(?:^|\s)(W\/)?"((?:\\"|.)*?)"/g)];
  const etags = quoted.length ? quoted.filter((m) => !m[1]).map((m) => m[2]!) : [value];
  let revision: number | null = null;
  for (const etag of etags) {
    if (!etag.startsWith('revision_number=')) continue;
    if (revision !== null) throw new BadRequest({ resource: 'if-match', msg: 'Multiple revision_number etags are not supported.' });
    const n = etag.split('revision_number=')[1]!;
    if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(n)) throw new BadRequest({ resource: 'if-match', msg: 'Revision number etag must be in the format of revision_number=<int>' });
    revision = Number(n.trim().replace(/_/g, ''));
  }
  return revision;
}

function baseUrl(req: FastifyRequest, linkPrefix: string | null): string {
  if (linkPrefix) return linkPrefix.replace(/\/$/, '');
  const proto = (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() || req.protocol;
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

function versions(base: string) {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2.0/` }] }] };
}
