/**
 * The attribute-map vocabulary of neutron-lib: what an attribute accepts, its default, where it may
 * be written, whether it is visible, filterable, sortable, and how policy and storage treat it.
 * Validators return an error message (the "Reason" of a 400) or undefined; converters throw
 * ConversionError.
 */
import { InvalidInput } from './errors.js';

export type Validator = (value: unknown) => string | undefined;
export type Converter = (value: unknown) => unknown;

/** The "not specified" marker: the server decides the value (neutron-lib's ATTR_NOT_SPECIFIED). */
export const UNSET: unique symbol = Symbol('ATTR_NOT_SPECIFIED');

/** How an attribute is stored in its resource's table. */
export type StorageKind = 'string' | 'int' | 'bool' | 'json' | 'timestamp';

export interface AttributeDef {
  allowPost: boolean;
  allowPut: boolean;
  isVisible: boolean;
  /** undefined: required on POST (if allowPost) */
  default?: unknown;
  convert?: Converter;
  validate?: Validator;
  isFilter?: boolean;
  isSort?: boolean;
  requiredByPolicy?: boolean;
  enforcePolicy?: boolean;
  /** converts one filter value from the query string (defaults to `convert`) */
  convertFilter?: Converter;
  /** the column of the resource's table holding the attribute; without it or `child`: computed */
  column?: string;
  kind?: StorageKind;
  /** the attribute is stored in rows of another table */
  child?: ChildTable;
  primaryKey?: boolean;
  /** keys of a dict-valued attribute: each one given adds a `<action>:<attr>:<key>` policy rule */
  dictKeys?: string[];
}

/**
 * An attribute stored in another table, one row per value, keyed by the owning object's id (the
 * generic store loads it set-based, writes it on create and replaces it on update; the rows go
 * with the object through ON DELETE CASCADE).
 */
export interface ChildTable {
  table: string;
  /** the column holding the owning object's id */
  parent: string;
  /** the column of a value; for values that are dicts, the column of each key */
  value: string | Readonly<Record<string, string>>;
  /** how a scalar value is stored (json: as JSON text) */
  kind?: StorageKind;
  /**
   * One row at most, and several attributes may share it (ML2's port bindings): each attribute
   * is its column's value, null without a row; the row is written when one of them is not null.
   */
  single?: boolean;
  /** the order the rows are read in */
  orderBy?: readonly string[];
  /** a column that holds each value's index in the list, which is read back in that order */
  position?: string;
  /** loaded by the store but written by the resource's own code (addresses by IPAM) */
  readOnly?: boolean;
  /** only the rows with these column values hold the attribute (a port's ACTIVE binding); rows written get them */
  where?: Readonly<Record<string, string>>;
}

export class ConversionError extends Error {}

/** Python's str() of a JSON value, so that messages read as Neutron's do. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return pyRepr(v);
}

export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  return v === undefined ? 'None' : pyStr(v);
}

// Converters ------------------------------------------------------------------------------

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

export function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE_STRINGS.has(s)) return true;
    if (FALSE_STRINGS.has(s)) return false;
  }
  throw new ConversionError(`'${pyStr(v)}' cannot be converted to boolean`);
}

/** Python's int(), as neutron-lib's convert_to_int calls it: a float is truncated (1400.5 is 1400), True is 1. */
export function toInt(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v) || 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(v)) return Number(v.replaceAll('_', '')) || 0;
  throw new ConversionError(`'${pyStr(v)}' is not an integer`);
}

export function toIntOrNone(v: unknown): number | null {
  return v === null ? null : toInt(v);
}

/**
 * binding:host_id, which Neutron does not validate: ML2 stores `value or ''`, so any empty value is
 * no host, and a number or a boolean is stored as the database writes it as text (MySQL: 1 for
 * True). A non-empty list or dict is refused by the storage guard.
 */
export function convertHostId(v: unknown): unknown {
  if (!v || (typeof v === 'object' && Object.keys(v).length === 0)) return '';
  if (typeof v === 'boolean') return '1';
  if (typeof v === 'number') return String(v);
  return v;
}

export function noneToEmptyList(v: unknown): unknown {
  return v === null ? [] : v;
}

export function noneToEmptyDict(v: unknown): unknown {
  return v === null ? {} : v;
}

// Validators ------------------------------------------------------------------------------

export function validateString(maxLen?: number): Validator {
  return (v) => {
    if (typeof v !== 'string') return `'${pyStr(v)}' is not a valid string`;
    if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
    return undefined;
  };
}

export function validateStringOrNone(maxLen?: number): Validator {
  const s = validateString(maxLen);
  return (v) => (v === null ? undefined : s(v));
}

export function validateNotEmptyString(maxLen?: number): Validator {
  const s = validateString(maxLen);
  return (v) => s(v) ?? ((v as string).trim() ? undefined : `'${v}' Blank strings are not permitted`);
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v.replace(/^urn:uuid:/i, '').replace(/^\{|\}$/g, ''));
}

export const validateUuid: Validator = (v) => (isUuid(v) ? undefined : `'${pyStr(v)}' is not a valid UUID`);
export const validateUuidOrNone: Validator = (v) => (v === null ? undefined : validateUuid(v));

export function validateValues(values: readonly unknown[]): Validator {
  return (v) => (values.includes(v) ? undefined : `${pyStr(v)} is not in ${pyRepr(values)}`);
}

export function validateValuesOrNone(values: readonly unknown[]): Validator {
  const f = validateValues(values);
  return (v) => (v === null ? undefined : f(v));
}

export function validateRange(min: number | null, max: number | null): Validator {
  return (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `'${pyStr(v)}' is not an integer`;
    if (min !== null && v < min) return `'${v}' is too small - must be at least '${min}'`;
    if (max !== null && v > max) return `'${v}' is too large - must be no larger than '${max}'`;
    return undefined;
  };
}

export const validateNonNegative: Validator = (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `'${pyStr(v)}' is not an integer`;
  return v < 0 ? `'${v}' should be non-negative` : undefined;
};

export const validateBoolean: Validator = (v) => (typeof v === 'boolean' ? undefined : `'${pyStr(v)}' is not a valid boolean value`);

function duplicates(list: unknown[]): unknown[] {
  const seen = new Set<string>();
  const dups: unknown[] = [];
  for (const item of list) {
    const key = JSON.stringify(item);
    if (seen.has(key)) {
      if (!dups.some((d) => JSON.stringify(d) === key)) dups.push(item);
    } else seen.add(key);
  }
  return dups;
}

/** A list whose items all pass `item`, without duplicates (neutron-lib's _validate_list_of_items). */
export function validateListOf(item: Validator): Validator {
  return (v) => {
    if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
    const dups = duplicates(v);
    if (dups.length) return `Duplicate items in the list: '${dups.map(pyStr).join(', ')}'`;
    for (const x of v) {
      const msg = item(x);
      if (msg) return msg;
    }
    return undefined;
  };
}

export function validateListOfUniqueStrings(maxLen?: number): Validator {
  return validateListOf(validateString(maxLen));
}

export const validateUuidList: Validator = validateListOf(validateUuid);

export const validateDictOrNone: Validator = (v) =>
  v === null || (typeof v === 'object' && !Array.isArray(v)) ? undefined : `'${pyStr(v)}' is not a dictionary`;

export const validateDict: Validator = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `'${pyStr(v)}' is not a dictionary`;

/** availability_zone_hints: a list of AZ names, each ≤ 255 characters. */
export const validateAvailabilityZoneHints: Validator = (v) => {
  const msg = validateListOfUniqueStrings(255)(v);
  if (msg) return msg;
  const total = (v as string[]).join(',').length;
  return total > 255 ? `Too many availability_zone_hints specified` : undefined;
};

// The last guard before SQL --------------------------------------------------------------

/** Why `v` cannot be stored as a value of `kind`, or undefined. */
function kindReason(kind: StorageKind, v: unknown): string | undefined {
  if (v === null || v === UNSET) return undefined;
  switch (kind) {
    case 'string':
    case 'timestamp':
      return typeof v === 'string' ? undefined : `'${pyStr(v)}' is not a valid string`;
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : `'${pyStr(v)}' is not an integer`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `'${pyStr(v)}' is not a valid boolean value`;
    case 'json':
      return undefined;
  }
}

/**
 * Why a converted and validated value still cannot be stored where the attribute is stored (its
 * column, or the rows of its child table), or undefined. The request layer asks it of every
 * attribute given, so that a definition without a validator (or with a lax one) never lets a
 * value of the wrong type reach the database.
 */
export function storageReason(attr: AttributeDef, v: unknown): string | undefined {
  if (v === null || v === UNSET) return undefined;
  if (attr.column) return kindReason(attr.kind ?? 'string', v);
  const child = attr.child;
  if (!child || child.readOnly) return undefined;
  const one = (x: unknown): string | undefined => {
    if (typeof child.value === 'string') return kindReason(child.kind ?? 'string', x);
    if (!x || typeof x !== 'object' || Array.isArray(x)) return `'${pyStr(x)}' is not a dictionary`;
    // each key's value has its own validator; what no column can hold is a nested list or dict
    for (const key of Object.keys(child.value)) {
      const value = Object.hasOwn(x, key) ? (x as Record<string, unknown>)[key] : null;
      if (value !== null && typeof value === 'object') return `'${pyStr(value)}' is not a valid string`;
    }
    return undefined;
  };
  if (child.single) return one(v);
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  for (const x of v) {
    const reason = one(x);
    if (reason) return reason;
  }
  return undefined;
}

// Attribute-map shorthands -----------------------------------------------------------------

export const NAME_FIELD_SIZE = 255;
export const DESCRIPTION_FIELD_SIZE = 255;
export const PROJECT_ID_FIELD_SIZE = 255;
export const DEVICE_ID_FIELD_SIZE = 255;

/** The `id` attribute every resource has. */
export const idAttribute: AttributeDef = {
  allowPost: false, allowPut: false, isVisible: true, isFilter: true, isSort: true,
  validate: validateUuid, column: 'id', kind: 'string', primaryKey: true,
};

export const nameAttribute: AttributeDef = {
  allowPost: true, allowPut: true, isVisible: true, isFilter: true, isSort: true, default: '',
  validate: validateString(NAME_FIELD_SIZE), column: 'name', kind: 'string',
};

/** tenant_id / project_id: given on create by admins, otherwise the caller's project. */
export function projectAttribute(): AttributeDef {
  return {
    allowPost: true, allowPut: false, isVisible: true, isFilter: true, isSort: true, requiredByPolicy: true,
    validate: validateString(PROJECT_ID_FIELD_SIZE), column: 'project_id', kind: 'string',
  };
}

const PROVIDER_KEYS = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'];

/** multi-provider `segments`: each a dict of the three provider keys, the id converted to an int. */
export function convertNetworkSegments(v: unknown): unknown {
  if (!Array.isArray(v)) throw new ConversionError(`'${pyStr(v)}' is not a list`);
  return v.map((seg) => {
    if (!seg || typeof seg !== 'object' || Array.isArray(seg)) throw new ConversionError(`'${pyStr(seg)}' is not a dictionary`);
    const unknown = Object.keys(seg).filter((k) => !PROVIDER_KEYS.includes(k));
    if (unknown.length) throw new ConversionError(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const s = seg as Record<string, unknown>;
    // as the provider attributes themselves are checked: no list, dict or number reaches a type driver or a column
    for (const [key, max] of [['provider:network_type', 32], ['provider:physical_network', 64]] as const) {
      const v = s[key];
      const reason = v === undefined || v === null ? undefined : validateString(max)(v);
      if (reason) throw new ConversionError(reason);
    }
    const id = s['provider:segmentation_id'];
    return {
      'provider:network_type': s['provider:network_type'] ?? UNSET,
      'provider:physical_network': s['provider:physical_network'] ?? UNSET,
      'provider:segmentation_id': id ? toInt(id) : UNSET,
    };
  });
}

// DNS names and extra DHCP options --------------------------------------------------------

const DNS_LABEL_RE = /^([a-z0-9-]{1,63}|<project_id>|<project_name>|<user_name>|<user_id>)$/;

/** neutron-lib's _validate_dns_format: RFC 1123 labels, an optional trailing dot. */
function dnsFormatError(data: string, maxLen: number): string | undefined {
  const trimmed = data.endsWith('.') ? data.slice(0, -1) : data;
  let reason: string | undefined;
  const labels = trimmed.split('.');
  if (trimmed.length > maxLen) reason = `'${trimmed}' exceeds the ${maxLen} character FQDN limit`;
  else {
    for (const label of labels) {
      if (!label) reason = 'Encountered an empty component';
      else if (label.startsWith('-') || label.endsWith('-')) reason = `Name '${label}' must not start or end with a hyphen`;
      else if (!DNS_LABEL_RE.test(label)) reason = `Name '${label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen`;
      if (reason) break;
    }
    if (!reason && labels.length > 1 && /^[0-9]+$/.test(labels.at(-1)!)) reason = `TLD '${labels.at(-1)}' must not be all numeric`;
  }
  return reason && `'${data}' not a valid PQDN or FQDN. Reason: ${reason}`;
}

/** A port's dns_name: empty, or a PQDN/FQDN. */
export function validateDnsName(maxLen: number): Validator {
  return (v) => {
    if (typeof v !== 'string') return `'${pyStr(v)}' is not a valid string`;
    return v ? dnsFormatError(v, maxLen) : undefined;
  };
}

/** A network's dns_domain: empty, or an FQDN with room for one more label. */
export function validateDnsDomain(maxLen: number): Validator {
  return (v) => {
    const msg = validateString()(v);
    if (msg || !v) return msg;
    const data = v as string;
    if (!data.endsWith('.')) return `'${data}' is not a FQDN`;
    const bad = dnsFormatError(data, maxLen);
    if (bad) return bad;
    if (data.length > maxLen - 2) {
      return `'${data}' contains ${data.length} characters. Adding a sub-domain will cause it to exceed the maximum length of a FQDN of '${maxLen}'`;
    }
    return undefined;
  };
}

/** A floating IP's dns_name: empty, or a PQDN that a domain can still be added to. */
export function validateFipDnsName(maxLen: number): Validator {
  return (v) => {
    const msg = validateString()(v);
    if (msg || !v) return msg;
    const data = v as string;
    if (data.endsWith('.')) return `'${data}' is a FQDN. It should be a relative domain name`;
    const bad = dnsFormatError(data, maxLen);
    if (bad) return bad;
    if (data.length > maxLen - 3) {
      return `'${data}' contains ${data.length} characters. Adding a domain name will cause it to exceed the maximum length of a FQDN of '${maxLen}'`;
    }
    return undefined;
  };
}

/**
 * _validate_dns_name_with_dns_domain: a port's PQDN must fit with [DEFAULT] dns_domain (`domain`,
 * ending in a dot; `configured` as written in the config) appended, and an FQDN must end with it.
 */
export function dnsNameWithDomainError(name: string, domain: string, configured: string, maxLen: number): string | undefined {
  const higher = domain ? `.${domain}` : domain;
  if (!name.endsWith('.')) {
    if (name.length + higher.length <= maxLen) return undefined;
    return `The dns_name passed is a PQDN and its size is '${name.length}'. The dns_domain option in neutron.conf is set to ${configured}, `
      + `with a length of '${higher.length}'. When the two are concatenated to form a FQDN (with a '.' at the end), `
      + `the resulting length exceeds the maximum size of '${maxLen}'`;
  }
  if (name.length > higher.length && name.endsWith(higher)) return undefined;
  return `The dns_name passed is a FQDN. Its higher level labels must be equal to the dns_domain option in neutron.conf, `
    + `that has been set to '${configured}'. It must also include one or more valid DNS labels to the left of '${configured}'`;
}

/** convert_string_to_case_insensitive */
export function toLowerCaseString(v: unknown): string {
  if (typeof v !== 'string') throw new ConversionError(`Input value ${pyStr(v)} must be string type`);
  return v.toLowerCase();
}

const BLANK_DHCP_OPTS = ['router', 'classless-static-route'];

function oneLineNotEmpty(v: unknown, maxLen: number): string | undefined {
  const msg = validateNotEmptyString(maxLen)(v);
  if (msg) return msg;
  return (v as string).split(/\r\n|\r|\n/).filter((_, i, a) => i < a.length - 1 || a[i] !== '').length > 1
    ? `Multi-line string is not allowed: '${v}'` : undefined;
}

/** One {opt_name, opt_value, ip_version?} against one of neutron-lib's two key specs. */
function dhcpOptMatches(opt: Record<string, unknown>, blank: boolean): boolean {
  const keys = Object.keys(opt);
  if (!('opt_name' in opt) || !('opt_value' in opt) || keys.some((k) => !['opt_name', 'opt_value', 'ip_version'].includes(k))) return false;
  if ('ip_version' in opt) {
    try {
      opt.ip_version = toInt(opt.ip_version);
    } catch {
      return false;
    }
    if (opt.ip_version !== 4 && opt.ip_version !== 6) return false;
  }
  const value = opt.opt_value;
  if (blank) return BLANK_DHCP_OPTS.includes(opt.opt_name as string) && (value === null || (typeof value === 'string' && value.length <= 255));
  return !oneLineNotEmpty(opt.opt_name, 64) && (value === null || !oneLineNotEmpty(value, 255));
}

/** extra_dhcp_opts: null, or a list of dicts each matching a key spec (ip_version converted). */
export const validateExtraDhcpOpts: Validator = (v) => {
  if (v === null) return undefined;
  const msg = validateListOf((opt) => {
    if (!opt || typeof opt !== 'object' || Array.isArray(opt)) return `No valid key specs matched for: ${pyStr(opt)}`;
    const o = opt as Record<string, unknown>;
    return dhcpOptMatches(o, true) || dhcpOptMatches(o, false) ? undefined : `No valid key specs matched for: ${pyRepr(opt)}`;
  })(v);
  if (msg) throw new InvalidInput({ error_message: msg });
  return undefined;
};
