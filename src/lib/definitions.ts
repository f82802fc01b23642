import type { AttributeDef } from './attributes.js';

/** An object as the API shows it, or a request's body for one. */
export type Item = Record<string, unknown>;

/** A resource the API serves: the attribute map plus how it is addressed and stored. */
export interface ResourceDef {
  /** member key in bodies, e.g. `security_group` */
  name: string;
  /** collection key in bodies, e.g. `security_groups` */
  collection: string;
  /** URL segment, e.g. `security-groups` (defaults to the collection) */
  path?: string;
  /** URL prefix for service resources, e.g. `qos` */
  pathPrefix?: string;
  /** the table holding one row per resource */
  table: string;
  attributes: Record<string, AttributeDef>;
  /** description, timestamps, revision number (and tags) from the standard-attr-* extensions */
  standardAttributes?: boolean;
  /** the tags sub-resource and tag filters */
  taggable?: boolean;
  /** whether POST accepts a bulk body */
  allowBulk?: boolean;
  /**
   * parent for sub-resources: /v2.0/<parent collection>/<parent_id>/<path>; `attribute` is the
   * column holding the parent's id (set on create, filtered on list, checked on the rest)
   */
  parent?: { collection: string; attribute: string };
  /** the name in its policy actions, when not `name` (a QoS policy's rules: policy_bandwidth_limit_rule) */
  policyName?: string;
  /** member actions: PUT /v2.0/<path>/<id>/<action> (GET for those listed as 'GET') */
  memberActions?: Record<string, 'PUT' | 'GET'>;
  /** whether limit/marker are honoured (rbac-policies turns pagination off) */
  pagination?: boolean;
  /**
   * A marker that names no object is the resource's NotFound (Neutron's networks, ports and
   * routers look it up with `_get_<resource>`); elsewhere it is ignored and the first page comes
   * (Neutron's OVO Pager finds no marker object).
   */
  markerMustExist?: boolean;
}

/** An API extension, as neutron-lib's api/definitions/<alias>.py declares one: data only. */
export interface ExtensionDef {
  alias: string;
  name: string;
  description: string;
  updated: string;
  /** extensions that must be loaded for this one to load */
  requires?: string[];
  /** attributes added to existing resources, keyed by collection ('*standard' = every standard-attribute resource) */
  attributes?: Record<string, Record<string, AttributeDef>>;
  /** resources the extension adds */
  resources?: ResourceDef[];
}

export const STANDARD_RESOURCES = '*standard';
export const TAGGABLE_RESOURCES = '*taggable';

const entriesCache = new WeakMap<Record<string, AttributeDef>, Array<[string, AttributeDef]>>();

/** `Object.entries(def.attributes)`, made once per definition: requests walk it several times. */
export function attributeEntries(def: ResourceDef): Array<[string, AttributeDef]> {
  let entries = entriesCache.get(def.attributes);
  if (!entries) entriesCache.set(def.attributes, (entries = Object.entries(def.attributes)));
  return entries;
}

/**
 * The attribute `name` of a definition, or undefined: only its own attributes count, so that a
 * name such as `constructor` or `__proto__` from a request is an unknown attribute like any other.
 */
export function attributeOf(def: ResourceDef, name: string): AttributeDef | undefined {
  return Object.hasOwn(def.attributes, name) ? def.attributes[name] : undefined;
}
