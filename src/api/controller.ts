import { UNSET } from '../lib/attributes.js';
import type { RequestContext } from '../lib/context.js';
import { attributeEntries, type ResourceDef, type Item } from '../lib/definitions.js';
import { HTTPBadRequest, HTTPNotFound, isNeutronError, PolicyNotAuthorized } from '../lib/errors.js';
import type { Tx } from '../db/schema.js';
import type { ResourceHandler } from '../registry/handler.js';
import { createItems, prepareCreate, prepareUpdate, updateItem } from './body.js';
import { parseListQuery, paginationLinks, type QueryOptions } from './query.js';
import type { WatchTarget } from './watch.js';

/** What the API needs from the policy engine. */
export interface Authorizer {
  check(ctx: RequestContext, action: string, target: Item): boolean;
  /** throws PolicyNotAuthorized unless every action passes */
  enforce(ctx: RequestContext, actions: string[], target: Item): void;
  ruleExists(action: string): boolean;
  /** the target keys the rules of `actions` may read ([]: the answer depends on the caller only) */
  targetKeys(actions: string | readonly string[]): readonly string[];
}

/** The quota engine as the controller uses it (src/quota/engine.ts). */
export interface QuotaEnforcer {
  enforce(tx: Tx, resource: string, items: Item[]): Promise<(() => Promise<void>) | undefined>;
}

/**
 * The parent of a parent-scoped resource as one request resolved it: seen by the caller, its id
 * in the child's parent attribute, and the keys its owner adds to the child's policy target.
 */
interface ParentScope {
  attribute: string;
  id: string;
  /** `ext_parent:tenant_id`, read by rules such as `rule:ext_parent_owner` */
  target: Item;
}

export interface ListResult {
  items: Item[];
  links: Array<{ rel: string; href: string }>;
}

/**
 * The one generic controller: validation, defaults, policy, field selection, filters, sorting and
 * pagination for any resource, from its definition; the plugin's handler does the rest.
 */
export class Controller {
  private readonly visible: string[];
  /** the resource's name in policy rules: `<parent>_<name>` for a parent-scoped resource (Neutron's sub-resource actions) */
  private policyName: string;
  private parent?: Controller;

  constructor(
    readonly def: ResourceDef,
    readonly handler: ResourceHandler,
    private readonly policy: Authorizer,
    private readonly queryOptions: QueryOptions,
    private readonly quotas?: QuotaEnforcer,
  ) {
    this.visible = Object.entries(def.attributes).filter(([, a]) => a.isVisible).map(([n]) => n);
    this.policyName = def.policyName ?? def.name;
  }

  /** Serves this parent-scoped resource under `parent`'s members (def.parent names its collection). */
  attachParent(parent: Controller): void {
    this.parent = parent;
    this.policyName = this.def.policyName ?? `${parent.def.name}_${this.def.name}`;
  }

  /**
   * The object as the caller may see it, raw (for a child's scope): the handler's NotFound when
   * it is hidden by scope, 404 when by policy.
   */
  async visibleObject(ctx: RequestContext, id: string): Promise<Item> {
    const item = await this.handler.get(ctx, id);
    if (!this.policy.check(ctx, `get_${this.policyName}`, item)) throw new HTTPNotFound();
    return item;
  }

  /** A parent-scoped request's parent, checked first as Neutron's plugins do (FloatingIPNotFound before anything else). */
  private async scope(ctx: RequestContext, parentId: string | undefined): Promise<ParentScope | null> {
    if (!this.parent || !this.def.parent) return null;
    const parent = await this.parent.visibleObject(ctx, parentId ?? '');
    return { attribute: this.def.parent.attribute, id: parentId!, target: { 'ext_parent:tenant_id': parent.tenant_id ?? parent.project_id } };
  }

  async list(ctx: RequestContext, params: URLSearchParams, baseUrl: string, parentId?: string): Promise<ListResult> {
    const scope = await this.scope(ctx, parentId);
    const q = parseListQuery(this.def, params, this.queryOptions);
    if (scope) q.filters.set(scope.attribute, [scope.id]);
    const rows = await this.handler.list(ctx, { ...q, fields: this.loadFields(ctx, q.fields) });
    const getAction = `get_${this.policyName}`;
    const view = this.viewer(ctx, q.fields);
    const items: Item[] = [];
    for (const row of rows) {
      if (!this.policy.check(ctx, getAction, scope ? { ...row, ...scope.target } : row)) continue;
      items.push(view(row));
    }
    return { items, links: paginationLinks(baseUrl, params, q, rows) };
  }

  /**
   * What a watch of this collection (`?watch=true`, see watch.ts) shows the caller: what a list
   * with the same filters and fields would, by id; for an object's state a change noted, the
   * policy decides on that state, and the filters on the resource's own columns apply.
   */
  watchTarget(ctx: RequestContext, params: URLSearchParams): WatchTarget {
    const q = parseListQuery(this.def, params, this.queryOptions);
    if (q.limit !== null || q.marker !== null || q.sorts.length) throw new HTTPBadRequest('A watch takes no limit, marker or sort.');
    const getAction = `get_${this.policyName}`;
    const fields = this.loadFields(ctx, q.fields);
    const own = [...q.filters].filter(([attr]) => this.def.attributes[attr]?.column);
    return {
      table: this.def.table,
      name: this.def.name,
      current: async (ids) => {
        const out = new Map<string, Item>();
        if (!ids.length) return out;
        const rows = await this.handler.list(ctx, { ...q, fields, filters: new Map([...q.filters, ['id', ids]]) });
        for (const row of rows) if (this.policy.check(ctx, getAction, row)) out.set(row.id as string, row);
        return out;
      },
      admits: (state) => own.every(([attr, values]) => values.includes(state[attr])) && this.policy.check(ctx, getAction, state),
      view: this.viewer(ctx, q.fields),
    };
  }

  /**
   * An unpaginated list as batches of views, when the handler can produce it so (else null), to
   * be sent a batch at a time. The first batch is read before anything is sent, so that a bad
   * filter or a database failure still gets its error status.
   */
  async listBatches(ctx: RequestContext, params: URLSearchParams): Promise<AsyncIterable<Item[]> | null> {
    if (!this.handler.listBatches) return null;
    const q = parseListQuery(this.def, params, this.queryOptions);
    if (q.limit !== null || this.parent) return null;
    const getAction = `get_${this.policyName}`;
    const view = this.viewer(ctx, q.fields);
    const views = (rows: Item[]) => {
      const items: Item[] = [];
      for (const row of rows) if (this.policy.check(ctx, getAction, row)) items.push(view(row));
      return items;
    };
    // the handler need fill only what this caller gets to see and what the policy rules read
    const source = this.handler.listBatches(ctx, { ...q, fields: this.loadFields(ctx, q.fields) })[Symbol.asyncIterator]();
    const first = await source.next();
    return (async function* () {
      for (let batch = first; !batch.done; batch = await source.next()) yield views(batch.value);
    })();
  }

  async show(ctx: RequestContext, id: string, params: URLSearchParams, parentId?: string): Promise<Item> {
    const scope = await this.scope(ctx, parentId);
    // a child of another parent is the child's NotFound (the handler checks it)
    const item = await this.handler.get(ctx, id, scope?.id);
    if (!this.policy.check(ctx, `get_${this.policyName}`, scope ? { ...item, ...scope.target } : item)) throw new HTTPNotFound();
    const fields = params.getAll('fields').filter(Boolean);
    return this.view(ctx, item, fields.length ? fields : null);
  }

  async create(ctx: RequestContext, body: Item | undefined, parentId?: string): Promise<{ items: Item[]; bulk: boolean }> {
    const scope = await this.scope(ctx, parentId);
    const { items: raw, bulk } = createItems(this.def, body);
    const items = raw.map((r) => prepareCreate(this.def, r, ctx));
    if (scope) for (const item of items) item[scope.attribute] = scope.id;
    const action = `create_${this.policyName}`;
    const created = await this.handler.create(ctx, items, {
      authorize: (target) => {
        const full = scope ? { ...target, ...scope.target } : target;
        this.policy.enforce(ctx, this.composedActions(action, full, null), full);
      },
      checkQuota: this.quotas && ((tx, list) => this.quotas!.enforce(tx, this.def.name, list)),
    });
    const view = this.viewer(ctx, null);
    return { items: created.map(view), bulk };
  }

  async update(ctx: RequestContext, id: string, body: Item | undefined, ifMatch: number | null, parentId?: string): Promise<Item> {
    const scope = await this.scope(ctx, parentId);
    const changes = prepareUpdate(this.def, updateItem(this.def, body), ctx);
    const updated = await this.handler.update(ctx, id, changes, {
      ifMatch, parentId: scope?.id,
      authorize: (target) => this.authorizeWrite(ctx, `update_${this.policyName}`, scope ? { ...target, ...scope.target } : target, changes),
    });
    return this.view(ctx, updated, null);
  }

  /** A member action; its policy rule is the action's name, checked on the object (404 vs 403 as for writes). */
  async action(ctx: RequestContext, id: string, name: string, body: Item | undefined): Promise<unknown> {
    const action = this.handler.actions?.[name];
    if (!action) throw new HTTPNotFound();
    // like delete, an action checks no attribute rules (Neutron's get_resource_and_action)
    return action(ctx, id, body, { authorize: (current) => this.authorizeWrite(ctx, name, current, {}) });
  }

  async delete(ctx: RequestContext, id: string, ifMatch: number | null, parentId?: string): Promise<void> {
    const scope = await this.scope(ctx, parentId);
    await this.handler.delete(ctx, id, {
      ifMatch, parentId: scope?.id,
      authorize: (current) => this.authorizeWrite(ctx, `delete_${this.policyName}`, scope ? { ...current, ...scope.target } : current, {}),
    });
  }

  /** A write the caller may not see is 404; one it may see but not make is 403 (Neutron's PolicyHook). */
  private authorizeWrite(ctx: RequestContext, action: string, target: Item, changes: Item | null): void {
    try {
      this.policy.enforce(ctx, this.composedActions(action, target, changes), target);
    } catch (e) {
      if (isNeutronError(e) && e instanceof PolicyNotAuthorized && !this.policy.check(ctx, `get_${this.policyName}`, target)) {
        throw new HTTPNotFound();
      }
      throw e;
    }
  }

  /**
   * `create_network` plus `create_network:shared` for every enforce_policy attribute explicitly set
   * (on create: given and not the default; on update: given), plus `:<key>` rules for the keys of
   * dict attributes and of the dicts in list attributes.
   */
  composedActions(action: string, target: Item, changes: Item | null): string[] {
    const actions = [action];
    for (const [name, attr] of attributeEntries(this.def)) {
      if (!attr.enforcePolicy) continue;
      const value = target[name];
      const explicit = changes
        ? name in changes && changes[name] !== UNSET
        : name in target && value !== UNSET && !sameValue(value, attr.default);
      if (!explicit) continue;
      actions.push(`${action}:${name}`);
      if (attr.dictKeys && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const k of attr.dictKeys) if (k in value) actions.push(`${action}:${name}:${k}`);
      }
      if (Array.isArray(value)) {
        for (const sub of value) {
          if (sub && typeof sub === 'object') for (const k of Object.keys(sub)) actions.push(`${action}:${name}:${k}`);
        }
      }
    }
    return [...new Set(actions)];
  }

  /** Attributes that have a `get_<resource>:<attr>` rule, i.e. may be hidden from some callers. */
  private attributeRules(getAction: string): string[] {
    return this.visible.filter((a) => this.policy.ruleExists(`${getAction}:${a}`));
  }

  /**
   * The attributes a list must load for this caller: those of `fields` (or all visible ones) that
   * policy does not hide from the caller whatever the object, plus every target key that the
   * policy rules deciding on the object and its attributes may read.
   */
  private loadFields(ctx: RequestContext, fields: readonly string[] | null): string[] {
    const action = `get_${this.policyName}`;
    const wanted = new Set(fields ?? this.visible);
    const rules: string[] = [action];
    for (const name of this.attributeRules(action)) {
      const rule = `${action}:${name}`;
      if (!wanted.has(name) && !(name === 'tenant_id' && wanted.has('project_id'))) continue;
      if (this.policy.targetKeys(rule).length) rules.push(rule);
      else if (!this.policy.check(ctx, rule, {})) wanted.delete(name);
    }
    for (const key of this.policy.targetKeys(rules)) wanted.add(key);
    return [...wanted];
  }

  /** The object as this caller sees it: visible attributes, minus those policy hides, limited to `fields`. */
  view(ctx: RequestContext, item: Item, fields: string[] | null): Item {
    return this.viewer(ctx, fields)(item);
  }

  /**
   * `view` for many objects: which attributes to copy is decided once, and an attribute rule
   * whose answer depends on the caller only (rule:admin_only) is asked once, not per object.
   */
  private viewer(ctx: RequestContext, fields: readonly string[] | null): (item: Item) => Item {
    const action = `get_${this.policyName}`;
    const wanted = fields ? new Set(fields) : null;
    let names = wanted ? this.visible.filter((n) => wanted.has(n)) : this.visible;
    const perObject: string[] = [];
    let tenantHidden = false;
    for (const name of this.attributeRules(action)) {
      if (!names.includes(name)) continue;
      const rule = `${action}:${name}`;
      if (this.policy.targetKeys(rule).length) perObject.push(name);
      else if (!this.policy.check(ctx, rule, {})) {
        names = names.filter((n) => n !== name);
        tenantHidden ||= name === 'tenant_id';
      }
    }
    const copy = (item: Item, skip: ReadonlySet<string> | null): Item => {
      const out: Item = {};
      // hiding a tenant_id hides the project_id too
      const noProject = tenantHidden && item.tenant_id !== undefined && item.tenant_id !== UNSET;
      for (const name of names) {
        if (skip?.has(name) || (noProject && name === 'project_id')) continue;
        const v = item[name];
        if (v !== undefined && v !== UNSET) out[name] = v;
      }
      return out;
    };
    if (!perObject.length) return (item) => copy(item, null);
    return (item) => {
      const skip = new Set<string>();
      for (const name of perObject) {
        const v = item[name];
        if (v === undefined || v === UNSET || this.policy.check(ctx, `${action}:${name}`, item)) continue;
        skip.add(name);
        if (name === 'tenant_id') skip.add('project_id');
      }
      return copy(item, skip);
    };
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b);
}
