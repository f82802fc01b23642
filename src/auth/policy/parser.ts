/**
 * oslo.policy's rule language, with Neutron's two registered checks, compiled to closures.
 *
 * Grammar (oslo_policy._parser): atoms separated by whitespace, `not` > `and` > `or`, parentheses;
 * the keywords are case-insensitive. Atoms:
 *   `@` always, `!` never, `""` (whole rule empty) always,
 *   `rule:NAME`   another rule (an undefined name falls back to the `default` rule),
 *   `role:NAME`   NAME (may contain %(key)s) among the caller's roles, compared case-insensitively,
 *   `KIND:MATCH`  generic: MATCH with %(key)s substituted from the target (missing key → false) equals
 *                 str(creds[KIND]) (KIND may be a dotted path; lists match any element), or, when KIND is
 *                 a Python literal ('Member', "x", True, False, None, 42), equals str(that literal).
 * A rule may also be the legacy list-of-lists form: [[a, b], [c]] = (a and b) or c; [] = always.
 *
 * Neutron's checks (neutron/policy.py) and the target keys the caller must supply:
 *   `tenant_id:%(FIELD)s` (OwnerCheck): str(target[FIELD]) equals the caller's project. Neutron loads
 *       a missing `RES:FIELD` from the parent object with an admin context; here the caller fills the
 *       flat key instead: target['network:tenant_id'] (owner of target.network_id),
 *       target['ext_parent:tenant_id'] (owner of the parent, e.g. the floating IP of a port forwarding),
 *       target['security_group:tenant_id'] (owner of target.security_group_id). Still missing → false.
 *   `field:RES:FIELD=VALUE` (FieldCheck): reads target[FIELD] whatever RES is (RES only picked the
 *       value converter in Neutron; every default compares a boolean, so `True`/`False` become
 *       booleans). `~REGEX` matches from the start like Python's re.match. A missing or null value is
 *       false, except for `networks:shared`: on a target without `shared` (port, subnet) Neutron reads
 *       the `shared` of the network target.network_id as seen by the target's project; the caller
 *       supplies that as target['network:shared'].
 * A rule that does not parse never passes and is logged, as oslo.policy does.
 */

export type Target = Readonly<Record<string, unknown>>;

/** Caller credentials as prepared once per request context. */
export interface Creds {
  readonly values: Readonly<Record<string, unknown>>;
  readonly rolesLower: ReadonlySet<string>;
}

/** The rule set a `rule:NAME` is resolved against. */
export interface RuleEnv {
  lookup(name: string): Check | undefined;
}

export interface Check {
  readonly test: (target: Target, creds: Creds, env: RuleEnv) => boolean;
  /** oslo.policy's str() of the check */
  readonly text: string;
  /** names referenced by rule:NAME, directly */
  readonly refs: readonly string[];
  /** target keys that Neutron would have fetched from a parent object (see above) */
  readonly parentKeys: readonly string[];
  /** every target key the check itself reads (what a rule:NAME leads to is found through refs) */
  readonly targetKeys: readonly string[];
  /**
   * false when the check itself never reads the target, only the credentials (what a rule:NAME
   * leads to is judged through refs); absent = it may read it
   */
  readonly readsTarget?: boolean;
}

export type PolicyWarn = (msg: string) => void;

class RuleSyntaxError extends Error {}

const NONE: readonly string[] = [];

export const TRUE_CHECK: Check = { test: () => true, text: '@', refs: NONE, parentKeys: NONE, targetKeys: NONE, readsTarget: false };
export const FALSE_CHECK: Check = { test: () => false, text: '!', refs: NONE, parentKeys: NONE, targetKeys: NONE, readsTarget: false };

/** Python's str() for the values found in targets and credentials. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyStr(x))).join(', ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// --- %(key)s substitution ----------------------------------------------------------------------

/** Returns the formatted string, or undefined where Python raises KeyError. */
type Template = (target: Target) => string | undefined;

function compileTemplate(s: string): { fmt: Template; keys: string[] } {
  const keys: string[] = [];
  const parts: (string | { key: string })[] = [];
  let last = 0;
  for (const m of s.matchAll(/%%|%\(([^)]*)\)s/g)) {
    parts.push(s.slice(last, m.index));
    if (m[1] === undefined) parts.push('%');
    else {
      parts.push({ key: m[1] });
      keys.push(m[1]);
    }
    last = m.index! + m[0].length;
  }
  parts.push(s.slice(last));
  if (keys.length === 0) {
    const text = parts.join('');
    return { fmt: () => text, keys };
  }
  if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
    const key = keys[0]!;
    return { fmt: (t) => (key in t ? pyStr(t[key]) : undefined), keys };
  }
  return {
    fmt: (t) => {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') out += p;
        else if (p.key in t) out += pyStr(t[p.key]);
        else return undefined;
      }
      return out;
    },
    keys,
  };
}

// --- atoms -------------------------------------------------------------------------------------

function atom(text: string, test: Check['test'], refs = NONE, parentKeys = NONE, readsTarget = true, targetKeys = NONE): Check {
  return { test, text, refs, parentKeys, targetKeys, readsTarget };
}

function ruleCheck(kind: string, name: string): Check {
  return atom(`${kind}:${name}`, (t, c, env) => {
    const r = env.lookup(name);
    return r !== undefined && r.test(t, c, env);
  }, [name], NONE, false);
}

function roleCheck(kind: string, match: string): Check {
  const { fmt, keys } = compileTemplate(match);
  if (keys.length === 0) {
    const role = match.toLowerCase();
    return atom(`${kind}:${match}`, (_t, c) => c.rolesLower.has(role), NONE, NONE, false);
  }
  return atom(`${kind}:${match}`, (t, c) => {
    const m = fmt(t);
    return m !== undefined && c.rolesLower.has(m.toLowerCase());
  }, NONE, NONE, true, keys);
}

/** Neutron's OwnerCheck, registered for the kind `tenant_id`. */
function ownerCheck(kind: string, match: string): Check {
  const m = /^%\((.*)\)s$/.exec(match);
  if (!m) throw new RuleSyntaxError(`Unable to identify a target field from:${match}. Match should be in the form %(<field_name>)s`);
  const field = m[1]!;
  // Neutron's targets always carry both tenant_id and project_id; accept either.
  const alias = field === 'tenant_id' ? 'project_id' : field === 'project_id' ? 'tenant_id' : undefined;
  const parent = field.includes(':') ? [field] : NONE;
  return atom(`${kind}:${match}`, (t, c) => {
    const key = field in t ? field : alias !== undefined && alias in t ? alias : undefined;
    if (key === undefined || !(kind in c.values)) return false;
    return pyStr(t[key]) === pyStr(c.values[kind]);
  }, NONE, parent, true, alias === undefined ? [field] : [field, alias]);
}

/** Neutron's FieldCheck: `field:RESOURCE:FIELD=VALUE`. */
function fieldCheck(kind: string, match: string): Check {
  const colon = match.indexOf(':');
  const eq = match.indexOf('=', colon + 1);
  if (colon < 0 || eq < 0) throw new RuleSyntaxError(`Invalid field check ${kind}:${match}`);
  const resource = match.slice(0, colon);
  const field = match.slice(colon + 1, eq);
  const raw = match.slice(eq + 1);
  const lower = raw.toLowerCase();
  const value: unknown = lower === 'true' ? true : lower === 'false' ? false : raw;
  let regex: RegExp | undefined;
  if (raw.startsWith('~')) {
    try {
      regex = new RegExp(`^(?:${raw.slice(1)})`);
    } catch (e) {
      throw new RuleSyntaxError(`Invalid regular expression in ${kind}:${match}: ${(e as Error).message}`);
    }
  }
  const networkShared = resource === 'networks' && field === 'shared';
  return atom(`${kind}:${resource}:${field}:${raw}`, (t) => {
    const v = field in t ? t[field] : networkShared ? t['network:shared'] : undefined;
    if (v === null || v === undefined) return false;
    if (regex !== undefined) return typeof v === 'string' && regex.test(v);
    if (v === value) return true;
    // Neutron converts VALUE with the attribute's converter (e.g. convert_to_int).
    return typeof v === 'number' && typeof value === 'string' && String(v) === value;
  }, NONE, networkShared ? ['network:shared'] : NONE, true, networkShared ? [field, 'network:shared'] : [field]);
}

/** What ast.literal_eval(kind) yields, as str(); undefined when kind is not a literal. */
function literalKind(kind: string): string | undefined {
  const q = /^'([^'\\]*)'$|^"([^"\\]*)"$/.exec(kind);
  if (q) return q[1] ?? q[2];
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  if (/^-?\d+$/.test(kind)) return BigInt(kind).toString();
  return undefined;
}

function findInCreds(value: unknown, path: readonly string[], i: number, match: string): boolean {
  if (i === path.length) return match === pyStr(value);
  if (value === null || typeof value !== 'object' || !(path[i]! in value)) return false;
  const next = (value as Record<string, unknown>)[path[i]!];
  if (Array.isArray(next)) return next.some((v) => findInCreds(v, path, i + 1, match));
  return findInCreds(next, path, i + 1, match);
}

function genericCheck(kind: string, match: string): Check {
  const { fmt, keys } = compileTemplate(match);
  const parent = keys.filter((k) => k.includes(':'));
  const literal = literalKind(kind);
  if (literal !== undefined) {
    return atom(`${kind}:${match}`, (t) => fmt(t) === literal, NONE, parent, keys.length > 0, keys);
  }
  const path = kind.split('.');
  if (path.length === 1) {
    return atom(`${kind}:${match}`, (t, c) => {
      const m = fmt(t);
      if (m === undefined || !(kind in c.values)) return false;
      const v = c.values[kind];
      return Array.isArray(v) ? v.some((x) => m === pyStr(x)) : m === pyStr(v);
    }, NONE, parent, keys.length > 0, keys);
  }
  return atom(`${kind}:${match}`, (t, c) => {
    const m = fmt(t);
    return m !== undefined && findInCreds(c.values, path, 0, m);
  }, NONE, parent, true, keys);
}

/** One atom, as oslo_policy._parser._parse_check with Neutron's checks registered. */
function parseAtom(s: string, warn: PolicyWarn): Check {
  if (s === '!') return FALSE_CHECK;
  if (s === '@') return TRUE_CHECK;
  const i = s.indexOf(':');
  if (i < 0) {
    // oslo.policy fails closed on this atom only, not on the whole rule
    warn(`Failed to understand rule ${s}`);
    return FALSE_CHECK;
  }
  const kind = s.slice(0, i);
  const match = s.slice(i + 1);
  switch (kind) {
    case 'rule': return ruleCheck(kind, match);
    case 'role': return roleCheck(kind, match);
    case 'tenant_id': return ownerCheck(kind, match);
    case 'field': return fieldCheck(kind, match);
    default: return genericCheck(kind, match);
  }
}

// --- combinators -------------------------------------------------------------------------------

function collect(checks: readonly Check[], key: 'refs' | 'parentKeys' | 'targetKeys'): readonly string[] {
  const out = checks.flatMap((c) => c[key]);
  return out.length ? out : NONE;
}

export function andCheck(checks: readonly Check[]): Check {
  const text = `(${checks.map((c) => c.text).join(' and ')})`;
  const test: Check['test'] = checks.length === 2
    ? (t, c, e) => checks[0]!.test(t, c, e) && checks[1]!.test(t, c, e)
    : (t, c, e) => {
        for (const x of checks) if (!x.test(t, c, e)) return false;
        return true;
      };
  return {
    test, text, refs: collect(checks, 'refs'), parentKeys: collect(checks, 'parentKeys'), targetKeys: collect(checks, 'targetKeys'),
    readsTarget: readsTarget(checks),
  };
}

export function orCheck(checks: readonly Check[]): Check {
  const text = `(${checks.map((c) => c.text).join(' or ')})`;
  const test: Check['test'] = checks.length === 2
    ? (t, c, e) => checks[0]!.test(t, c, e) || checks[1]!.test(t, c, e)
    : (t, c, e) => {
        for (const x of checks) if (x.test(t, c, e)) return true;
        return false;
      };
  return {
    test, text, refs: collect(checks, 'refs'), parentKeys: collect(checks, 'parentKeys'), targetKeys: collect(checks, 'targetKeys'),
    readsTarget: readsTarget(checks),
  };
}

function readsTarget(checks: readonly Check[]): boolean {
  return checks.some((c) => c.readsTarget !== false);
}

function notCheck(inner: Check): Check {
  return {
    test: (t, c, e) => !inner.test(t, c, e), text: `not ${inner.text}`, refs: inner.refs, parentKeys: inner.parentKeys,
    targetKeys: inner.targetKeys, readsTarget: inner.readsTarget,
  };
}

// --- text rules --------------------------------------------------------------------------------

type Token = { t: '(' | ')' | 'and' | 'or' | 'not' | 'string' } | { t: 'check'; check: Check };

function tokenize(rule: string, warn: PolicyWarn): Token[] {
  const out: Token[] = [];
  for (const word of rule.split(/\s+/)) {
    if (!word) continue;
    let tok = word;
    while (tok.startsWith('(')) {
      out.push({ t: '(' });
      tok = tok.slice(1);
    }
    if (!tok) continue;
    const clean = tok.replace(/\)+$/, '');
    const lowered = clean.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') out.push({ t: lowered });
    else if (clean) {
      // A quoted word is a string token, which no production accepts: the rule fails to parse.
      const quoted = tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok[tok.length - 1] === tok[0];
      out.push(quoted ? { t: 'string' } : { t: 'check', check: parseAtom(clean, warn) });
    }
    for (let i = clean.length; i < tok.length; i++) out.push({ t: ')' });
  }
  return out;
}

function parseText(rule: string, warn: PolicyWarn): Check {
  if (rule === '') return TRUE_CHECK;
  const toks = tokenize(rule, warn);
  let pos = 0;
  const fail = (): never => {
    throw new RuleSyntaxError('Could not parse rule');
  };
  const orExpr = (): Check => {
    const items = [andExpr()];
    while (toks[pos]?.t === 'or') {
      pos++;
      items.push(andExpr());
    }
    return items.length === 1 ? items[0]! : orCheck(items);
  };
  const andExpr = (): Check => {
    const items = [unary()];
    while (toks[pos]?.t === 'and') {
      pos++;
      items.push(unary());
    }
    return items.length === 1 ? items[0]! : andCheck(items);
  };
  const unary = (): Check => {
    const tok = toks[pos++] ?? fail();
    if (tok.t === 'not') return notCheck(unary());
    if (tok.t === 'check') return tok.check;
    if (tok.t !== '(') return fail();
    const inner = orExpr();
    if (toks[pos++]?.t !== ')') fail();
    return inner;
  };
  const result = orExpr();
  if (pos !== toks.length) fail();
  return result;
}

function parseList(rule: readonly unknown[], warn: PolicyWarn): Check {
  if (rule.length === 0) return TRUE_CHECK;
  const ors: Check[] = [];
  for (const inner of rule) {
    const ands = typeof inner === 'string' ? [inner] : Array.isArray(inner) ? inner : [];
    if (ands.length === 0) continue;
    const checks = ands.map((a) => (typeof a === 'string' ? parseAtom(a, warn) : FALSE_CHECK));
    ors.push(checks.length === 1 ? checks[0]! : andCheck(checks));
  }
  if (ors.length === 0) return FALSE_CHECK;
  return ors.length === 1 ? ors[0]! : orCheck(ors);
}

/**
 * Parses a rule as found in a policy file or the defaults: a string, a list of lists, or null
 * (YAML `name:` with no value, which oslo.policy reads as always). Never throws.
 */
export function parseRule(rule: unknown, warn: PolicyWarn = () => {}): Check {
  try {
    if (typeof rule === 'string') return parseText(rule, warn);
    if (rule === null || rule === undefined) return TRUE_CHECK;
    if (Array.isArray(rule)) return parseList(rule, warn);
    throw new RuleSyntaxError(`Rule must be a string or a list, not ${typeof rule}`);
  } catch (e) {
    if (!(e instanceof RuleSyntaxError)) throw e;
    warn(`Failed to understand rule ${JSON.stringify(rule)}: ${e.message}`);
    return FALSE_CHECK;
  }
}
