/**
 * The OpenAPI 3.1 description of the API this server serves, built at start from the loaded
 * definitions (ApiModel: the resources with every loaded extension's attributes), the resources
 * that have a handler, the routes that are not resources (quotas, agent schedulers) and the
 * policy rules: only what the running configuration serves is described. Served as
 * GET /v2.0/openapi.json and /v2.0/openapi.yaml (behind the same authentication as every /v2.0
 * path: the document tells which extensions are loaded, as /v2.0/extensions does).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { UNSET, validateAvailabilityZoneHints, validateBoolean, validateDict, validateDictOrNone, validateNonNegative, validateUuid,
  validateUuidList, validateUuidOrNone, toBoolean, toInt, type AttributeDef } from '../lib/attributes.js';
import {
  validateIpAddress, validateIpAddressOrNone, validateMacAddress, validateMacAddressOrNone, validateSubnet, validateSubnetOrNone,
} from '../lib/address-validators.js';
import type { RequestContext } from '../lib/context.js';
import type { ResourceDef } from '../lib/definitions.js';
import type { Authorizer, Controller } from './controller.js';
import { collectionPath, type ApiModel } from './model.js';
import { ATTRIBUTE_TYPES, LIST_ONLY, anyObject, arr, int, nullable, obj, str, uuid, type JsonSchema } from './openapi-types.js';
import type { SubRoutes } from './tags.js';

export interface OpenApiInput {
  api: ApiModel;
  /** the served resources, by collection */
  controllers: ReadonlyMap<string, Controller>;
  /** the routes under /v2.0 that are not resources (quotas, agent schedulers), as registered */
  routes: SubRoutes;
  policy: Authorizer;
  authStrategy: 'noauth' | 'keystone';
  /** the resources counted by quotas (the keys of a quota set) */
  quotaResources: readonly string[];
  /** [DEFAULT] pagination_max_limit (-1: none) */
  paginationMaxLimit: number;
  /** [change_stream] enabled: lists take `watch` */
  changeStream: boolean;
  version: string;
}

export interface OpenApiDocument {
  document: Record<string, unknown>;
  /** `collection.attribute` of attributes whose type the definitions do not tell (described as any value) */
  untyped: string[];
}

type Op = Record<string, unknown>;

const VALIDATOR_TYPES = new Map<unknown, JsonSchema>([
  [validateUuid, uuid], [validateUuidOrNone, nullable(uuid)], [validateUuidList, arr(uuid)],
  [validateBoolean, { type: 'boolean' }], [validateNonNegative, int({ minimum: 0 })],
  [validateDict, anyObject], [validateDictOrNone, nullable(anyObject)], [validateAvailabilityZoneHints, arr(str({ maxLength: 255 }))],
  [validateIpAddress, str({ description: 'an IPv4 or IPv6 address' })], [validateIpAddressOrNone, nullable(str({ description: 'an IPv4 or IPv6 address' }))],
  [validateSubnet, str({ description: 'a CIDR' })], [validateSubnetOrNone, nullable(str({ description: 'a CIDR' }))],
  [validateMacAddress, str()], [validateMacAddressOrNone, nullable(str())],
]);
const KIND_TYPES: Record<string, JsonSchema> = {
  string: str(), int: int(), bool: { type: 'boolean' }, timestamp: str({ format: 'date-time' }),
};
const CONVERTER_TYPES = new Map<unknown, JsonSchema>([[toBoolean, { type: 'boolean' }], [toInt, int()]]);

/** A non-admin member of project P, on an object of P (and of a network of P): what an owner may do. */
const OWNER: RequestContext = { requestId: 'openapi', userId: 'openapi-user', projectId: 'openapi-project', roles: ['member', 'reader'], isAdmin: false, isAdvsvc: false };
const OWNED = { tenant_id: 'openapi-project', project_id: 'openapi-project', 'network:tenant_id': 'openapi-project', 'network:shared': false };

const ERROR_REF = { $ref: '#/components/responses/Error' };

export function buildOpenApi(input: OpenApiInput): OpenApiDocument {
  const untyped: string[] = [];
  const schemas: Record<string, JsonSchema> = {
    NeutronError: obj({
      NeutronError: obj({ type: str(), message: str(), detail: str() }, { required: ['type', 'message', 'detail'] }),
    }, { required: ['NeutronError'], description: 'Every error of the API, as Neutron answers it' }),
    Link: obj({ rel: str(), href: str({ format: 'uri' }) }, { required: ['rel', 'href'] }),
  };
  const paths: Record<string, Record<string, Op>> = {};
  const tags: Array<{ name: string; description?: string }> = [];
  const add = (path: string, method: string, op: Op) => ((paths[path] ??= {})[method] = op);
  const addOp = add;

  add('/', 'get', {
    tags: ['versions'], summary: 'API versions', operationId: 'listVersions', security: [],
    responses: { 200: json(obj({ versions: arr(obj({ id: str(), status: str(), links: arr(ref('Link')) })) })) },
  });
  add('/v2.0', 'get', {
    tags: ['versions'], summary: 'The resources of v2.0', operationId: 'listResources',
    responses: { 200: json(obj({ resources: arr(obj({ name: str(), collection: str(), links: arr(ref('Link')) })) })), default: ERROR_REF },
  });
  schemas.Extension = obj({ name: str(), alias: str(), description: str(), updated: str(), links: arr(anyObject) });
  add('/v2.0/extensions', 'get', {
    tags: ['extensions'], summary: 'The loaded extensions', operationId: 'listExtensions',
    responses: { 200: json(obj({ extensions: arr(ref('Extension')) })), default: ERROR_REF },
  });
  add('/v2.0/extensions/{alias}', 'get', {
    tags: ['extensions'], summary: 'One loaded extension', operationId: 'showExtension', parameters: [pathParam('alias', str())],
    responses: { 200: json(obj({ extension: ref('Extension') })), 404: ERROR_REF, default: ERROR_REF },
  });
  for (const [p, fmt] of [['/v2.0/openapi.json', 'application/json'], ['/v2.0/openapi.yaml', 'application/yaml']] as const) {
    add(p, 'get', {
      tags: ['openapi'], summary: 'This document', operationId: fmt.endsWith('json') ? 'openapiJson' : 'openapiYaml',
      responses: { 200: { description: 'OpenAPI 3.1', content: { [fmt]: { schema: anyObject } } }, default: ERROR_REF },
    });
  }

  for (const controller of input.controllers.values()) {
    const def = controller.def;
    const collection = collectionPath(input.api, def, '{parent_id}');
    if (collection === null) continue;
    // a parent-scoped resource's operations all take the parent's id (this `add` shadows the document's)
    const parentParam = def.parent && pathParam('parent_id', uuid, `the id of the ${def.parent.collection.replace(/s$/, '')} it belongs to`);
    const add = (path: string, method: string, op: Op) => addOp(path, method, parentParam
      ? { ...op, parameters: [parentParam, ...((op.parameters as unknown[] | undefined) ?? [])] } : op);
    const policyName = def.policyName ?? (def.parent ? `${input.api.resources.get(def.parent.collection)!.name}_${def.name}` : def.name);
    const name = schemaName(def.name);
    const attrs = Object.entries(def.attributes).map(([attr, a]) => {
      const base = attributeSchema(def, attr, a, untyped);
      return { attr, a, schema: takesNull(a, true) ? nullable(base) : base, input: takesNull(a, false) ? nullable(base) : base };
    });
    const adminOnly = (attr: string, a: AttributeDef) => adminOnlyOps(input.policy, policyName, attr, a);
    const view = (s: JsonSchema, attr: string, a: AttributeDef): JsonSchema => {
      const out: JsonSchema = { ...s };
      if (!a.allowPost && !a.allowPut) out.readOnly = true;
      const admin = adminOnly(attr, a);
      if (admin.length) out['x-neutron-admin-only'] = admin;
      return out;
    };
    schemas[name] = obj(Object.fromEntries(attrs.filter(({ a }) => a.isVisible).map(({ attr, a, schema }) => [attr, view(schema, attr, a)])), {
      additionalProperties: false,
      description: `A ${def.name} as the API shows it. Attributes the caller's policy hides (x-neutron-admin-only: read) or that fields= leaves out are absent.`,
    });
    const writable = (which: 'allowPost' | 'allowPut') => attrs.filter(({ a }) => a[which]);
    const creatable = writable('allowPost');
    const updatable = writable('allowPut');
    if (creatable.length) {
      schemas[`${name}Create`] = obj(Object.fromEntries(creatable.map(({ attr, a, input }) => {
        const s = view(input, attr, a);
        delete s.readOnly;
        if (a.default !== undefined && a.default !== UNSET) s.default = a.default;
        return [attr, s];
      })), {
        additionalProperties: false,
        required: creatable.filter(({ attr, a }) => a.default === undefined && attr !== 'tenant_id' && attr !== 'project_id').map(({ attr }) => attr),
      });
    }
    if (updatable.length) {
      schemas[`${name}Update`] = obj(Object.fromEntries(updatable.map(({ attr, a, input }) => [attr, view(input, attr, a)])), { additionalProperties: false });
    }

    const tag = def.collection;
    tags.push({ name: tag });
    const base = `/v2.0/${collection}`;
    const one = (s: JsonSchema) => obj({ [def.name]: s }, { required: [def.name] });
    const many = (s: JsonSchema) => obj({ [def.collection]: arr(s), [`${def.collection}_links`]: arr(ref('Link')) }, { required: [def.collection] });
    const id = pathParam('id', def.attributes.id ? uuid : str(), `the ${def.name}'s id`);
    add(base, 'get', {
      tags: [tag], operationId: `list${pascal(def.collection)}`, summary: `List ${def.collection.replace(/_/g, ' ')}`,
      parameters: [
        ...listParameters(def, attrs.map(({ attr, a, input: schema }) => ({ attr, a, schema })), input.paginationMaxLimit),
        ...(input.changeStream && !def.parent ? [WATCH_PARAMETER] : []),
      ],
      responses: {
        200: input.changeStream
          ? { description: 'OK', content: { 'application/json': { schema: many(ref(name)) }, 'text/event-stream': WATCH_STREAM } }
          : json(many(ref(name))),
        400: ERROR_REF, default: ERROR_REF,
      },
    });
    if (creatable.length) {
      const body = def.allowBulk ? { oneOf: [one(ref(`${name}Create`)), obj({ [def.collection]: arr(ref(`${name}Create`), { minItems: 1 }) }, { required: [def.collection] })] } : one(ref(`${name}Create`));
      add(base, 'post', {
        tags: [tag], operationId: `create${pascal(def.name)}`, summary: `Create a ${def.name}${def.allowBulk ? ' (or several: bulk, all or nothing)' : ''}`,
        requestBody: { required: true, content: { 'application/json': { schema: body } } },
        responses: {
          201: json(def.allowBulk ? { oneOf: [one(ref(name)), many(ref(name))] } : one(ref(name))),
          400: ERROR_REF, 403: ERROR_REF, 404: ERROR_REF, 409: ERROR_REF, 413: ERROR_REF, default: ERROR_REF,
        },
      });
    }
    const fields = fieldsParameter(def);
    if (!LIST_ONLY.has(def.collection)) add(`${base}/{id}`, 'get', {
      tags: [tag], operationId: `show${pascal(def.name)}`, summary: `Show a ${def.name}`, parameters: [id, fields],
      responses: { 200: json(one(ref(name))), 404: ERROR_REF, default: ERROR_REF },
    });
    const ifMatch = 'revision_number' in def.attributes
      ? [{ name: 'If-Match', in: 'header', required: false, description: 'revision_number=N: fails with 412 unless the revision is N', schema: str({ pattern: '^(.*,\\s*)?"?revision_number=\\d+"?(\\s*,.*)?$' }) }]
      : [];
    if (updatable.length) {
      add(`${base}/{id}`, 'put', {
        tags: [tag], operationId: `update${pascal(def.name)}`, summary: `Update a ${def.name}`, parameters: [id, ...ifMatch],
        requestBody: { required: true, content: { 'application/json': { schema: one(ref(`${name}Update`)) } } },
        responses: { 200: json(one(ref(name))), 400: ERROR_REF, 403: ERROR_REF, 404: ERROR_REF, 409: ERROR_REF, 412: ERROR_REF, 413: ERROR_REF, default: ERROR_REF },
      });
    }
    if (creatable.length || updatable.length) {
      add(`${base}/{id}`, 'delete', {
        tags: [tag], operationId: `delete${pascal(def.name)}`, summary: `Delete a ${def.name}`, parameters: [id, ...ifMatch],
        responses: { 204: { description: 'Deleted' }, 403: ERROR_REF, 404: ERROR_REF, 409: ERROR_REF, 412: ERROR_REF, default: ERROR_REF },
      });
    }
    for (const [action, method] of Object.entries(def.memberActions ?? {})) {
      if (!controller.handler.actions?.[action]) continue;
      add(`${base}/{id}/${action}`, method.toLowerCase(), {
        tags: [tag], operationId: camel(action), summary: `${action.replace(/_/g, ' ')} (member action; policy rule ${action})`,
        parameters: [id],
        ...(method === 'PUT' ? { requestBody: { required: true, content: { 'application/json': { schema: anyObject } } } } : {}),
        responses: { 200: json(anyObject), 400: ERROR_REF, 403: ERROR_REF, 404: ERROR_REF, 409: ERROR_REF, default: ERROR_REF },
      });
    }
    if (def.taggable && controller.handler.tags && 'tags' in def.attributes) {
      const tagParam = pathParam('tag', str({ maxLength: 255 }));
      const tagList = obj({ tags: arr(str({ maxLength: 255 })) }, { required: ['tags'] });
      const sub = (op: string, summary: string, extra: Op) => ({ tags: [tag], operationId: `${op}${pascal(def.name)}`, summary, ...extra });
      add(`${base}/{id}/tags`, 'get', sub('listTagsOf', `The tags of a ${def.name}`, { parameters: [id], responses: { 200: json(tagList), 404: ERROR_REF, default: ERROR_REF } }));
      add(`${base}/{id}/tags`, 'put', sub('replaceTagsOf', `Replace the tags of a ${def.name}`, {
        parameters: [id], requestBody: { required: true, content: { 'application/json': { schema: tagList } } },
        responses: { 200: json(tagList), 400: ERROR_REF, 404: ERROR_REF, default: ERROR_REF },
      }));
      add(`${base}/{id}/tags`, 'delete', sub('clearTagsOf', `Remove every tag of a ${def.name}`, { parameters: [id], responses: { 204: { description: 'Removed' }, 404: ERROR_REF, default: ERROR_REF } }));
      add(`${base}/{id}/tags/{tag}`, 'get', sub('checkTagOf', `Whether a ${def.name} has a tag`, { parameters: [id, tagParam], responses: { 204: { description: 'It has' }, 404: ERROR_REF, default: ERROR_REF } }));
      add(`${base}/{id}/tags/{tag}`, 'put', sub('addTagTo', `Add a tag to a ${def.name}`, { parameters: [id, tagParam], responses: { 201: { description: 'Added' }, 400: ERROR_REF, 404: ERROR_REF, default: ERROR_REF } }));
      add(`${base}/{id}/tags/{tag}`, 'delete', sub('removeTagFrom', `Remove a tag from a ${def.name}`, { parameters: [id, tagParam], responses: { 204: { description: 'Removed' }, 404: ERROR_REF, default: ERROR_REF } }));
    }
  }

  const quota = obj(Object.fromEntries(input.quotaResources.map((r) => [r, int({ minimum: -1 })])), { description: 'limits by resource (-1: unlimited)' });
  schemas.Quota = { ...quota, properties: { ...(quota.properties as object), project_id: str(), tenant_id: str() } };
  for (const [route, handlers] of Object.entries(input.routes)) {
    const path = `/v2.0${route.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
    const params = [...route.matchAll(/:([A-Za-z_]+)/g)].map(([, p]) => pathParam(p!, p === 'id' || p!.endsWith('_id') ? str() : str()));
    for (const method of Object.keys(handlers)) {
      const known = SUB_ROUTES[`${method} ${route}`];
      if (known === null) continue; // answered with an error only (e.g. POST /quotas: 501)
      const group = route.split('/')[1]!;
      if (!tags.some((t) => t.name === group)) tags.push({ name: group });
      add(path, method.toLowerCase(), {
        tags: [group], summary: known?.summary ?? `${method} ${route}`, ...(params.length ? { parameters: params } : {}),
        ...(known?.body ? { requestBody: { required: true, content: { 'application/json': { schema: known.body(schemas) } } } } : {}),
        responses: {
          [known?.status ?? 200]: known?.status === 204 ? { description: 'Done' } : json(known?.response?.(schemas) ?? anyObject),
          400: ERROR_REF, 403: ERROR_REF, 404: ERROR_REF, default: ERROR_REF,
        },
      });
    }
  }

  const keystone = input.authStrategy === 'keystone';
  const securitySchemes: Record<string, JsonSchema> = keystone
    ? { keystone: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A Keystone token (v3), validated with Keystone; the context comes from the token only' } }
    : { noauth: { type: 'apiKey', in: 'header', name: 'X-Project-Id', description: 'auth_strategy = noauth: the caller is who X-Project-Id, X-User-Id and X-Roles say; without them, an admin of project fake_project_id' } };
  const responses: Record<string, unknown> = { Error: { description: 'An error, in Neutron\'s format', content: { 'application/json': { schema: ref('NeutronError') } } } };
  if (keystone) {
    schemas.KeystoneError = obj({ error: obj({ code: int(), title: str(), message: str() }) });
    responses.Unauthorized = { description: 'No valid token (keystonemiddleware\'s answer)', content: { 'application/json': { schema: ref('KeystoneError') } } };
    for (const [p, item] of Object.entries(paths)) {
      if (p === '/') continue;
      for (const op of Object.values(item)) (op.responses as Record<string, unknown>)[401] = { $ref: '#/components/responses/Unauthorized' };
    }
  }

  return {
    untyped,
    document: {
      openapi: '3.1.0',
      info: {
        title: 'OpenStack Networking API v2.0 (neutron-ts)',
        version: input.version,
        description: 'Generated at start from the loaded resource definitions and extensions: it describes what this server, as configured, serves.',
        'x-neutron-extensions': input.api.extensions.map((e) => e.alias),
      },
      jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
      security: keystone ? [{ keystone: [] }] : [{ noauth: [] }, {}],
      tags: [{ name: 'versions' }, { name: 'extensions' }, { name: 'openapi' }, ...tags],
      paths,
      components: { schemas, responses, securitySchemes },
    },
  };
}

/** GET /v2.0/openapi.json and .yaml: the document, serialized once on first use. */
export function openApiRoutes(doc: OpenApiDocument): SubRoutes {
  let jsonText: string | undefined;
  let yamlText: string | undefined;
  return {
    // the app strips a .json suffix (Pecan's guess_content_type_from_ext): this serves /v2.0/openapi.json
    '/openapi': {
      GET: async (_req: FastifyRequest, reply: FastifyReply) => reply.type('application/json').send((jsonText ??= JSON.stringify(doc.document))),
    },
    '/openapi.yaml': {
      GET: async (_req: FastifyRequest, reply: FastifyReply) => {
        // yaml is loaded only for this document
        const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
        return reply.type('application/yaml').send((yamlText ??= stringify(doc.document, { aliasDuplicateObjects: false })));
      },
    },
  };
}

// ---- attributes ----------------------------------------------------------------------------

/** The JSON Schema of one attribute's value: the table of openapi-types.ts, else what its definition tells. */
export function attributeSchema(def: ResourceDef, attr: string, a: AttributeDef, untyped: string[]): JsonSchema {
  let schema = ATTRIBUTE_TYPES[`${def.collection}.${attr}`] ?? ATTRIBUTE_TYPES[attr]
    ?? (a.validate && VALIDATOR_TYPES.get(a.validate)) ?? (a.kind && a.kind !== 'json' ? KIND_TYPES[a.kind] : undefined)
    ?? (a.convert && CONVERTER_TYPES.get(a.convert));
  if (!schema) {
    untyped.push(`${def.collection}.${attr}`);
    return { description: 'any value' };
  }
  return { ...schema, ...probeValidator(a, schema) };
}

/**
 * Whether null is a value of the attribute: in a request, when its validator takes null or null is
 * its default; in an answer also when the server decides it (ATTR_NOT_SPECIFIED), e.g. a v4
 * subnet's ipv6_ra_mode, a VXLAN network's provider:physical_network.
 */
function takesNull(a: AttributeDef, answer: boolean): boolean {
  return a.default === null || (answer && a.default === UNSET) || (!!a.validate && accepts(a.validate, null));
}

/** What a validator made by a factory (validateString(255), validateValues([...]), validateRange) says of itself. */
function probeValidator(a: AttributeDef, schema: JsonSchema): JsonSchema {
  const validate = a.validate;
  if (!validate) return {};
  const types = [schema.type].flat();
  const out: JsonSchema = {};
  const said = (v: unknown) => {
    try {
      return validate(v) ?? '';
    } catch (e) {
      return (e as Error).message ?? '';
    }
  };
  if (types.includes('string') && schema.maxLength === undefined) {
    const m = /exceeds maximum length of (\d+)/.exec(said('x'.repeat(100_000)));
    if (m) out.maxLength = Number(m[1]);
  }
  const values = /is not in \[(.*)\]/.exec(said('\u0000not-a-value'));
  if (values && schema.enum === undefined) {
    out.enum = [...values[1]!.matchAll(/'((?:[^'\\]|\\.)*)'|(-?\d+)|(None)/g)].map(([, s, n]) => (s !== undefined ? s : n !== undefined ? Number(n) : null));
  }
  if (types.includes('integer')) {
    const min = /must be at least '(-?\d+)'/.exec(said(-(2 ** 52)));
    const max = /must be no larger than '(-?\d+)'/.exec(said(2 ** 52));
    if (min) out.minimum = Number(min[1]);
    if (max) out.maximum = Number(max[1]);
  }
  return out;
}

function accepts(validate: NonNullable<AttributeDef['validate']>, v: unknown): boolean {
  try {
    return validate(v) === undefined;
  } catch {
    return false;
  }
}

/** The operations on an attribute that policy keeps for admins: those an owning member is refused. */
function adminOnlyOps(policy: Authorizer, resource: string, attr: string, a: AttributeDef): string[] {
  const ops: string[] = [];
  const refused = (rule: string) => policy.ruleExists(rule) && !policy.check(OWNER, rule, { ...OWNED, [attr]: true });
  if (a.isVisible && refused(`get_${resource}:${attr}`)) ops.push('read');
  if (a.allowPost && refused(`create_${resource}:${attr}`)) ops.push('create');
  if (a.allowPut && refused(`update_${resource}:${attr}`)) ops.push('update');
  return ops;
}

// ---- list parameters -----------------------------------------------------------------------

function listParameters(def: ResourceDef, attrs: Array<{ attr: string; a: AttributeDef; schema: JsonSchema }>, maxLimit: number): unknown[] {
  const params: unknown[] = [];
  for (const { attr, a, schema } of attrs) {
    if (!a.isFilter) continue;
    const types = [schema.type].flat();
    // a filter value is one query-string value: structured attributes are filtered by a string (fixed_ips=ip_address=10.0.0.5, tags=a,b)
    const item = types.some((t) => t === 'object' || t === 'array') || schema.type === undefined ? str() : { ...stripNull(schema), readOnly: undefined };
    delete item.readOnly;
    delete item.default;
    params.push({
      name: attr, in: 'query', required: false, style: 'form', explode: true,
      description: `filter: objects whose ${attr} is one of the values given (the key repeated)`,
      schema: arr(item),
    });
  }
  params.push(fieldsParameter(def));
  const sortable = Object.entries(def.attributes).filter(([, a]) => a.isSort).map(([n]) => n);
  if (sortable.length) {
    params.push({ name: 'sort_key', in: 'query', required: false, style: 'form', explode: true, description: 'sort by these attributes, in order (one sort_dir for each)', schema: arr(str({ enum: sortable })) });
    params.push({ name: 'sort_dir', in: 'query', required: false, style: 'form', explode: true, schema: arr(str({ enum: ['asc', 'desc'] })) });
  }
  if (def.pagination !== false) {
    params.push({ name: 'limit', in: 'query', required: false, description: `page size (0: all${maxLimit > 0 ? `; at most ${maxLimit}` : ''}); <collection>_links then has next and previous`, schema: int({ minimum: 0 }) });
    params.push({ name: 'marker', in: 'query', required: false, description: 'the id of the last object of the previous page', schema: str() });
    params.push({ name: 'page_reverse', in: 'query', required: false, schema: { type: 'boolean' } });
  }
  return params;
}

const WATCH_PARAMETER = {
  name: 'watch', in: 'query', required: false, schema: { type: 'boolean' },
  description: 'true: instead of the list, a text/event-stream of the changes the filters select (created, updated, deleted events; resume with Last-Event-ID). No limit, marker or sort.',
};
const WATCH_STREAM = { schema: str({ description: 'Server-Sent Events: `id: <n>`, `event: created|updated|deleted|resync`, `data: {"<resource>": {...}, "revision_number": N}`' }) };

function fieldsParameter(def: ResourceDef): unknown {
  const visible = Object.entries(def.attributes).filter(([, a]) => a.isVisible).map(([n]) => n);
  return { name: 'fields', in: 'query', required: false, style: 'form', explode: true, description: 'only these attributes', schema: arr(str({ enum: visible })) };
}

// ---- routes that are not resources ---------------------------------------------------------

interface SubRoute {
  summary: string;
  status?: 200 | 201 | 204;
  body?(schemas: Record<string, JsonSchema>): JsonSchema;
  response?(schemas: Record<string, JsonSchema>): JsonSchema;
}

const listOf = (key: string, schema: string) => (schemas: Record<string, JsonSchema>) => obj({ [key]: arr(schemas[schema] ? ref(schema) : anyObject) }, { required: [key] });
const quotaSet = () => obj({ quota: ref('Quota') }, { required: ['quota'] });

/** What the non-resource routes take and answer; a route missing here is described as any JSON (null: not described). */
const SUB_ROUTES: Record<string, SubRoute | null> = {
  'GET /quotas': { summary: 'The quotas of every project with overrides (admin)', response: () => obj({ quotas: arr(ref('Quota')) }, { required: ['quotas'] }) },
  'POST /quotas': null,
  'GET /quotas/project': { summary: 'The caller\'s project id', response: () => obj({ project: obj({ project_id: str() }) }) },
  'GET /quotas/tenant': { summary: 'The caller\'s project id', response: () => obj({ tenant: obj({ tenant_id: str() }) }) },
  'GET /quotas/:id': { summary: 'A project\'s quota', response: quotaSet },
  'PUT /quotas/:id': { summary: 'Set a project\'s quota (admin)', body: () => obj({ quota: anyObject }, { required: ['quota'] }), response: quotaSet },
  'DELETE /quotas/:id': { summary: 'Reset a project\'s quota to the defaults (admin)', status: 204 },
  'GET /quotas/:id/default': { summary: 'The default quota', response: quotaSet },
  'GET /quotas/:id/details': {
    summary: 'A project\'s quota with its use',
    response: () => obj({ quota: { type: 'object', additionalProperties: obj({ limit: int(), used: int(), reserved: int() }) } }),
  },
  'GET /agents/:id/l3-routers': { summary: 'Routers hosted by an L3 agent', response: listOf('routers', 'Router') },
  'POST /agents/:id/l3-routers': { summary: 'Host a router on an L3 agent', status: 201, body: () => obj({ router_id: uuid }, { required: ['router_id'] }), response: () => ({ type: 'null' }) },
  'DELETE /agents/:id/l3-routers/:router_id': { summary: 'Remove a router from an L3 agent', status: 204 },
  'GET /routers/:id/l3-agents': { summary: 'L3 agents hosting a router', response: listOf('agents', 'Agent') },
  'GET /agents/:id/dhcp-networks': { summary: 'Networks served by a DHCP agent', response: listOf('networks', 'Network') },
  'POST /agents/:id/dhcp-networks': { summary: 'Serve a network from a DHCP agent', status: 201, body: () => obj({ network_id: uuid }, { required: ['network_id'] }), response: () => ({ type: 'null' }) },
  'DELETE /agents/:id/dhcp-networks/:network_id': { summary: 'Remove a network from a DHCP agent', status: 204 },
  'GET /networks/:id/dhcp-agents': { summary: 'DHCP agents serving a network', response: listOf('agents', 'Agent') },
};

// ---- helpers -------------------------------------------------------------------------------

function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

function json(schema: JsonSchema): unknown {
  return { description: 'OK', content: { 'application/json': { schema } } };
}

function pathParam(name: string, schema: JsonSchema, description?: string): unknown {
  return { name, in: 'path', required: true, schema, ...(description ? { description } : {}) };
}

function stripNull(s: JsonSchema): JsonSchema {
  const out = { ...s };
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== 'null');
    out.type = types.length === 1 ? types[0] : types;
  }
  if (Array.isArray(s.enum)) out.enum = s.enum.filter((v) => v !== null);
  return out;
}

function pascal(s: string): string {
  return s.split(/[_\-:]/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function camel(s: string): string {
  const p = pascal(s);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** The schema name of a resource: security_group_rule → SecurityGroupRule. */
export function schemaName(resource: string): string {
  return pascal(resource);
}
