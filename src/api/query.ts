import { ConversionError, pyRepr } from '../lib/attributes.js';
import { attributeOf, type ResourceDef } from '../lib/definitions.js';
import { HTTPBadRequest, InvalidInput } from '../lib/errors.js';
import type { ListQuery, SortDir } from '../registry/handler.js';

const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

/** The largest limit passed on: any row count is below it, and every database takes it. */
const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

export interface QueryOptions {
  /** [DEFAULT] pagination_max_limit; -1 = infinite */
  paginationMaxLimit: number;
  filterValidation: boolean;
}

export function parseListQuery(def: ResourceDef, params: URLSearchParams, opts: QueryOptions): ListQuery {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = grouped.get(k);
    if (list) list.push(v);
    else grouped.set(k, [v]);
  }
  const nonEmpty = (k: string) => (grouped.get(k) ?? []).filter((v) => v !== '');

  const filters = new Map<string, unknown[]>();
  const invalid: string[] = [];
  for (const [key, values] of grouped) {
    if (RESERVED.has(key)) continue;
    const attr = attributeOf(def, key);
    if (!attr?.isFilter) {
      if (opts.filterValidation) invalid.push(key);
      continue;
    }
    const convert = attr.convertFilter ?? attr.convert;
    try {
      filters.set(key, convert ? values.map(convert) : values);
    } catch (e) {
      if (e instanceof ConversionError) throw new InvalidInput({ error_message: e.message });
      throw e;
    }
  }
  if (invalid.length) throw new HTTPBadRequest(`${pyRepr(invalid)} is invalid attribute for filtering`);

  const sortKeys = nonEmpty('sort_key');
  const sortDirs = nonEmpty('sort_dir');
  if (sortKeys.length !== sortDirs.length) throw new HTTPBadRequest('The number of sort_keys and sort_dirs must be same');
  const badKeys = sortKeys.filter((k) => !attributeOf(def, k)?.isSort);
  if (badKeys.length) throw new HTTPBadRequest(`${pyRepr(badKeys)} is invalid attribute for sort_keys`);
  const badDirs = sortDirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length) throw new HTTPBadRequest(`${pyRepr(badDirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);

  let limit: number | null = null;
  if (def.pagination !== false) {
    const raw = params.get('limit') ?? '0';
    // Python's int(): digits, optionally grouped by single underscores, a sign, blanks around
    const n = /^\s*[-+]?\d+(_\d+)*\s*$/.test(raw) ? Number(raw.replaceAll('_', '')) : NaN;
    if (!(n >= 0)) throw new HTTPBadRequest(`Limit must be an integer 0 or greater and not '${raw}'`);
    // any larger limit is "no more rows than there are" (Neutron passes Python's unbounded int on)
    limit = Math.min(n, MAX_LIMIT);
    const max = opts.paginationMaxLimit > 0 ? opts.paginationMaxLimit : null;
    limit = limit === 0 ? max : max === null ? limit : Math.min(limit, max);
  }
  // a field that is no attribute selects nothing (an empty object, as in Neutron)
  const fields = nonEmpty('fields');
  return {
    fields: fields.length ? fields.filter((f) => attributeOf(def, f)) : null,
    filters,
    sorts: sortKeys.map((k, i) => [k, sortDirs[i] as SortDir]),
    limit,
    marker: limit !== null ? params.get('marker') || null : null,
    pageReverse: (params.get('page_reverse') ?? 'False').toLowerCase() === 'true',
  };
}

/** `<collection>_links` as Neutron builds them: next unless a short forward page, previous unless a short reverse page. */
export function paginationLinks(
  baseUrl: string, params: URLSearchParams, q: ListQuery, items: Array<Record<string, unknown>>,
): Array<{ rel: string; href: string }> {
  if (q.limit === null) return [];
  const short = items.length < q.limit;
  const href = (marker: unknown, reverse: boolean) => {
    const p = new URLSearchParams();
    for (const [k, v] of params) if (k !== 'marker' && (k !== 'page_reverse' || reverse)) p.append(k, v);
    if (marker !== undefined) p.append('marker', String(marker));
    if (reverse) p.set('page_reverse', 'True');
    return `${baseUrl}?${p.toString()}`;
  };
  const links: Array<{ rel: string; href: string }> = [];
  if (!(short && !q.pageReverse)) links.push({ rel: 'next', href: href(items.at(-1)?.id, false) });
  if (!(short && q.pageReverse)) links.push({ rel: 'previous', href: href(items[0]?.id, true) });
  return links;
}
