import { ConversionError, storageReason, UNSET } from '../lib/attributes.js';
import type { RequestContext } from '../lib/context.js';
import { attributeEntries, attributeOf, type Item, type ResourceDef } from '../lib/definitions.js';
import { HTTPBadRequest, InvalidInput } from '../lib/errors.js';

/**
 * How deep a body may nest arrays and objects: far more than any attribute needs, few enough that
 * no converter or validator walking it can run out of stack.
 */
export const MAX_BODY_DEPTH = 64;

/** Parses a JSON request body: it must be an object (Neutron's BodyValidationHook). */
export function parseJsonBody(raw: string | undefined): Item | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (nestingDepth(raw) > MAX_BODY_DEPTH) throw new HTTPBadRequest('Body contains invalid data');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HTTPBadRequest('Body contains invalid data');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HTTPBadRequest('Body contains invalid data');
  return body as Item;
}

/** The deepest nesting of `[` and `{` outside strings (for valid JSON, the depth of the value). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Splits a POST body into its items: `{"network": {...}}` or `{"networks": [...]}` (bulk). */
export function createItems(def: ResourceDef, body: Item | undefined): { items: Item[]; bulk: boolean } {
  if (!body || Object.keys(body).length === 0) throw new HTTPBadRequest('Resource body required');
  if (Object.hasOwn(body, def.collection)) {
    if (!def.allowBulk) throw new HTTPBadRequest('Bulk operation not supported');
    const list = body[def.collection];
    if (!Array.isArray(list)) throw new HTTPBadRequest('Body contains invalid data');
    if (list.length === 0) throw new HTTPBadRequest('Resources required');
    return { items: list.map((x) => memberOf(def, x && typeof x === 'object' && Object.hasOwn(x, def.name) ? x : { [def.name]: x })), bulk: true };
  }
  return { items: [memberOf(def, body)], bulk: false };
}

export function updateItem(def: ResourceDef, body: Item | undefined): Item {
  if (!body || Object.keys(body).length === 0) throw new HTTPBadRequest('Resource body required');
  if (Object.hasOwn(body, def.collection)) throw new HTTPBadRequest('Bulk operation not supported');
  return memberOf(def, body);
}

function memberOf(def: ResourceDef, body: Item): Item {
  const item = Object.hasOwn(body, def.name) ? body[def.name] : undefined;
  if (item === undefined || item === null) throw new HTTPBadRequest(`Unable to find '${def.name}' in request body`);
  if (typeof item !== 'object' || Array.isArray(item)) throw new HTTPBadRequest(`Object '${def.name}' contains invalid data`);
  return { ...(item as Item) };
}

/** tenant_id and project_id: copy one to the other, check they agree and that the caller may name them. */
function populateProject(def: ResourceDef, item: Item, ctx: RequestContext, isCreate: boolean): void {
  if (Object.hasOwn(item, 'tenant_id') && !Object.hasOwn(item, 'project_id')) item.project_id = item.tenant_id;
  // network segment ranges have a project_id and no tenant_id
  else if (Object.hasOwn(item, 'project_id') && !Object.hasOwn(item, 'tenant_id') && Object.hasOwn(def.attributes, 'tenant_id')) item.tenant_id = item.project_id;
  if (Object.hasOwn(item, 'tenant_id') && item.project_id !== item.tenant_id) throw new HTTPBadRequest("'project_id' and 'tenant_id' do not match");
  if (Object.hasOwn(item, 'project_id') && item.project_id !== ctx.projectId && !ctx.isAdmin && !ctx.isAdvsvc) {
    throw new HTTPBadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges");
  }
  if (isCreate && !Object.hasOwn(item, 'project_id') && attributeOf(def, 'tenant_id')) {
    if (!ctx.projectId) throw new HTTPBadRequest('Running without keystone AuthN requires that tenant_id is specified');
    item.project_id = item.tenant_id = ctx.projectId;
  }
}

function verifyAttributes(def: ResourceDef, item: Item): void {
  const unknown = Object.keys(item).filter((k) => !attributeOf(def, k));
  if (unknown.length) throw new HTTPBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

function convertAndValidate(def: ResourceDef, item: Item): void {
  for (const [name, attr] of attributeEntries(def)) {
    if (!(name in item) || item[name] === UNSET) continue;
    if (attr.convert) {
      try {
        item[name] = attr.convert(item[name]);
      } catch (e) {
        if (e instanceof ConversionError) throw new InvalidInput({ error_message: e.message });
        throw e;
      }
    }
    const reason = attr.validate?.(item[name]) ?? storageReason(attr, item[name]);
    if (reason) throw new HTTPBadRequest(`Invalid input for ${name}. Reason: ${reason}.`);
  }
}

/** A POST item, checked and with its defaults filled (UNSET marks "the server decides"). */
export function prepareCreate(def: ResourceDef, raw: Item, ctx: RequestContext): Item {
  const item = { ...raw };
  populateProject(def, item, ctx, true);
  verifyAttributes(def, item);
  for (const [name, attr] of attributeEntries(def)) {
    if (attr.allowPost) {
      if (!(name in item)) {
        if (attr.default === undefined) throw new HTTPBadRequest(`Failed to parse request. Required attribute '${name}' not specified`);
        item[name] = copyDefault(attr.default);
      }
    } else if (name in item) {
      throw new HTTPBadRequest(`Attribute '${name}' not allowed in POST`);
    }
  }
  convertAndValidate(def, item);
  return item;
}

/** A PUT item: only writable attributes, converted and validated. */
export function prepareUpdate(def: ResourceDef, raw: Item, ctx: RequestContext): Item {
  const item = { ...raw };
  populateProject(def, item, ctx, false);
  verifyAttributes(def, item);
  for (const name of Object.keys(item)) {
    if (!def.attributes[name]!.allowPut) throw new HTTPBadRequest(`Cannot update read-only attribute ${name}`);
  }
  convertAndValidate(def, item);
  return item;
}

/** A fresh copy of a default (plain JSON values; structuredClone costs microseconds per call). */
function copyDefault(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyDefault);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyDefault(x)]));
}
