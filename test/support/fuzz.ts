// Adversarial values and requests for the property-based suite (test/api/property.test.ts), generated
// from the served API model: every resource, attribute, filter, sort key and member action.
import fc from 'fast-check';
import type { ResourceDef } from '../../src/lib/definitions.js';
import type { Database } from '../../src/db/database.js';
import { sql } from 'kysely';

/** JavaScript's own property names: they must mean nothing special anywhere. */
export const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__'];

/** Stands for a value nested DEEP_LEVELS deep; replaced in the serialized body (no JS value that deep is built). */
export const DEEP = '\u0001deep\u0001';
const DEEP_LEVELS = 20_000;

const strings = fc.oneof(
  fc.constantFrom(
    '', ' ', '\u0000', 'a\u0000b', '😀', '\u202e\u0301', 'x'.repeat(300), '9223372036854775808', '-1', '1.5', '1e400',
    'true', 'None', 'null', '[]', '{}', '0.0.0.0/0', '::/0', '10.0.0.1', '10.0.0.0/33', 'fa:16:3e:00:00:01', 'ff:ff:ff:ff:ff:ff',
    '11111111-1111-1111-1111-111111111111', 'ingress', 'tcp', 'IPv6', 'network:router_interface', "'; drop table ports; --",
    '%', '_', '\\', '*', ...PROTO_NAMES,
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

const numbers = fc.oneof(
  fc.constantFrom(0, -1, 1, 4, 6, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 2 ** 64, 1e308, -1e308, Number.MIN_VALUE, 65536, 4096),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const keys = fc.constantFrom(
  ...PROTO_NAMES, 'start', 'end', 'ip_address', 'subnet_id', 'mac_address', 'opt_name', 'opt_value', 'ip_version', 'destination',
  'nexthop', 'network_id', 'enable_snat', 'external_fixed_ips', 'provider:network_type', 'provider:physical_network',
  'provider:segmentation_id', 'a',
);

/** Any JSON value a client might send where one attribute's value goes. */
export function adversarialValue(plausible: readonly unknown[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(strings, numbers, fc.boolean(), fc.constant(null), fc.constantFrom(...plausible));
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [[]], [{}], ['a', 'a'], { a: 1 }, DEEP) },
    { weight: 2, arbitrary: fc.array(leaf, { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.dictionary(keys, leaf, { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.dictionary(keys, leaf, { maxKeys: 3 }), { maxLength: 2 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/** The values every attribute of every resource is tried with, one at a time (the sweep). */
export const SWEEP_VALUES: readonly unknown[] = [
  true, -1, 1.5, 1e300, '', '\u0000', 'x'.repeat(300), [], [{}], { a: 1 }, JSON.parse('{"__proto__": {"a": 1}, "constructor": 1}'), DEEP,
];

/** The query values every filter is tried with. */
export const SWEEP_QUERY_VALUES: readonly string[] = [
  '', '\u0000', 'x'.repeat(300), '-1', '9223372036854775808', '1e400', '1.5', 'true', 'None', '[]', '__proto__', '😀', '%',
];

/** A query-string value. */
export const queryValue = fc.oneof(strings, numbers.map(String), fc.constant(DEEP));

/** JSON text of `value`, DEEP expanded. */
export function serialize(value: unknown): string {
  const text = JSON.stringify(value);
  const deep = `${'['.repeat(DEEP_LEVELS)}${']'.repeat(DEEP_LEVELS)}`;
  return text.replaceAll(JSON.stringify(DEEP), deep);
}

export function expandQuery(value: string): string {
  return value === DEEP ? '['.repeat(500) : value;
}

/**
 * A body of a write: the attributes that make a valid object, some of them (and perhaps some
 * unknown and prototype names) replaced by adversarial values.
 */
export function writeBody(def: ResourceDef, base: Record<string, unknown>, writable: string[], plausible: readonly unknown[]): fc.Arbitrary<Record<string, unknown>> {
  const names = fc.constantFrom(...writable, ...PROTO_NAMES, 'no_such_attribute');
  return fc.tuple(
    // half the values plausible, so that requests get past validation to the plugins and the database
    fc.array(fc.tuple(names, fc.oneof(fc.constantFrom(...plausible), adversarialValue(plausible))), { minLength: 1, maxLength: 3 }),
    fc.nat(9),
  ).map(([changes, dice]) => {
    const keepBase = dice > 0;
    const item: Record<string, unknown> = Object.create(null);
    if (keepBase) Object.assign(item, base);
    for (const [k, v] of changes) Object.defineProperty(item, k, { value: v, enumerable: true, writable: true, configurable: true });
    return { [def.name]: item };
  });
}

/** A query string for a list or a show, from the resource's own filters, sort keys and fields. */
export function listQuery(def: ResourceDef, ids: readonly string[]): fc.Arbitrary<string> {
  const attrs = Object.keys(def.attributes);
  const names = fc.constantFrom(...attrs, ...PROTO_NAMES, 'tenant_id', 'project_id', 'no_such_attribute', 'tags', 'tags-any', 'not-tags');
  const param = fc.oneof(
    fc.tuple(names, queryValue),
    fc.tuple(fc.constant('fields'), fc.oneof(names, queryValue)),
    fc.tuple(fc.constant('sort_key'), names),
    fc.tuple(fc.constant('sort_dir'), fc.constantFrom('asc', 'desc', 'ASC', '', 'sideways')),
    fc.tuple(fc.constant('limit'), fc.oneof(fc.constantFrom('0', '1', '2', '-1', '1.5', '9223372036854775808', '1e3', ' 3 ', '1_000', 'x'), queryValue)),
    fc.tuple(fc.constant('marker'), fc.oneof(fc.constantFrom(...ids, '11111111-1111-1111-1111-111111111111'), queryValue)),
    fc.tuple(fc.constant('page_reverse'), fc.constantFrom('True', 'false', 'x')),
  );
  return fc.array(param, { maxLength: 6 }).map((pairs) => {
    const p = new URLSearchParams();
    for (const [k, v] of pairs) p.append(k, expandQuery(v));
    return p.toString();
  });
}

/** An id in a URL: existing ones and anything else. */
export function pathId(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.oneof(fc.constantFrom(...ids), strings.filter((s) => s !== '')).map((s) => encodeURIComponent(s.toWellFormed())),
    // sent as they are: bad percent-encoding, a segment longer than the router takes
    fc.constantFrom('%', '%zz', '%ff%fe', '%E0%A4%A', 'a'.repeat(1100), '..', '.'),
  );
}

const tablesOf = new WeakMap<Database, string[]>();

/**
 * Every row of every table (but the migrations' own), as sorted JSON lines per table: what a
 * refused request must leave exactly as it was.
 */
export async function snapshot(db: Database): Promise<Map<string, string>> {
  let tables = tablesOf.get(db);
  if (!tables) {
    tables = (await db.kysely.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith('neutron_ts_migrations'));
    tablesOf.set(db, tables);
  }
  const out = new Map<string, string>();
  for (const t of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(db.kysely);
    out.set(t, rows.rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Date ? v.toISOString() : v))).sort().join('\n'));
  }
  return out;
}

/** The tables whose rows differ. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((t) => before.get(t) !== after.get(t));
}
