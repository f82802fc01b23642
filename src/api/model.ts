import type { AttributeDef } from '../lib/attributes.js';
import { STANDARD_RESOURCES, TAGGABLE_RESOURCES, type ExtensionDef, type ResourceDef } from '../lib/definitions.js';

/** The API as served: the resources with every loaded extension's attributes merged in. */
export interface ApiModel {
  /** by collection key */
  resources: Map<string, ResourceDef>;
  extensions: ExtensionDef[];
  hasExtension(alias: string): boolean;
}

/**
 * Loads the extensions that some plugin supports and whose requirements are loaded (an extension
 * whose requirement is missing is dropped, with a warning, as Neutron's extension manager does),
 * then merges their attributes into the resources.
 */
export function buildApiModel(
  core: ResourceDef[],
  available: ExtensionDef[],
  supported: ReadonlySet<string>,
  warn: (msg: string) => void = () => {},
): ApiModel {
  let loaded = available.filter((e) => supported.has(e.alias));
  for (let changed = true; changed; ) {
    changed = false;
    const aliases = new Set(loaded.map((e) => e.alias));
    for (const ext of loaded) {
      const missing = (ext.requires ?? []).filter((r) => !aliases.has(r));
      if (missing.length) {
        warn(`Extension ${ext.alias} not loaded: it requires ${missing.join(', ')}`);
        loaded = loaded.filter((e) => e !== ext);
        changed = true;
        break;
      }
    }
  }

  const resources = new Map<string, ResourceDef>();
  for (const r of [...core, ...loaded.flatMap((e) => e.resources ?? [])]) {
    resources.set(r.collection, { ...r, attributes: { ...r.attributes } });
  }
  for (const ext of loaded) {
    for (const [target, attrs] of Object.entries(ext.attributes ?? {})) {
      for (const res of resources.values()) {
        const applies = target === STANDARD_RESOURCES ? res.standardAttributes
          : target === TAGGABLE_RESOURCES ? res.taggable
          : res.collection === target;
        if (applies) Object.assign(res.attributes, attrs);
      }
    }
  }
  for (const res of resources.values()) {
    const tenant = res.attributes.tenant_id;
    if (tenant) res.attributes.project_id = { ...tenant } satisfies AttributeDef;
  }
  const aliases = new Set(loaded.map((e) => e.alias));
  return { resources, extensions: loaded, hasExtension: (a) => aliases.has(a) };
}

export function urlPath(def: ResourceDef): string {
  return [def.pathPrefix, def.path ?? def.collection].filter(Boolean).join('/');
}

/**
 * A collection's URL under /v2.0. A parent-scoped resource's sits under its parent's member,
 * `<parent path>/<parentParam>/<path>` (Neutron's SUB_RESOURCE_ATTRIBUTE_MAP), or is null when
 * its parent is not served.
 */
export function collectionPath(api: ApiModel, def: ResourceDef, parentParam = ':parent_id'): string | null {
  if (!def.parent) return urlPath(def);
  const parent = api.resources.get(def.parent.collection);
  return parent ? `${urlPath(parent)}/${parentParam}/${def.path ?? def.collection}` : null;
}
