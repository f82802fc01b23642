/**
 * Neutron's policy enforcement (neutron/policy.py over oslo.policy's Enforcer).
 *
 * Rules: the defaults of ./defaults.ts, each composed as "(new or deprecated)" unless
 * enforce_new_defaults is set, with the rules of the policy file (YAML or JSON) taking their place
 * by name. An undefined rule name falls back to the `default` rule. Target conventions for parent
 * objects are described in ./parser.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { policyCredentials, type RequestContext } from '../../lib/context.js';
import { InvalidScope, PolicyNotAuthorized } from '../../lib/errors.js';
import { ACTION_RULES, ACTION_SCOPE_TYPES, BASE_RULES } from './defaults.js';
import { FALSE_CHECK, orCheck, parseRule, type Check, type Creds, type RuleEnv, type Target } from './parser.js';

export type PolicyLogger = Pick<Logger, 'debug' | 'warn' | 'error'>;

export interface PolicyEngineOptions {
  /** [oslo_policy] policy_file; Neutron's default is policy.yaml */
  policyFile?: string;
  /** where a relative policyFile is looked for, first match wins (oslo.config's find_file order) */
  searchDirs?: readonly string[];
  /** [oslo_policy] enforce_new_defaults (default false) */
  enforceNewDefaults?: boolean;
  /** [oslo_policy] enforce_scope (default false) */
  enforceScope?: boolean;
  logger?: PolicyLogger;
  /** how often the policy file's mtime is looked at, at most (ms) */
  reloadIntervalMs?: number;
}

export interface CheckOptions {
  /** pass when no rule of that name exists, instead of falling back to `default` (Neutron's might_not_exist) */
  mightNotExist?: boolean;
}

const DEFAULT_RULE = 'default';

const consoleLogger: PolicyLogger = {
  debug: () => {},
  warn: (...args: unknown[]) => console.warn(...args),
  error: (...args: unknown[]) => console.error(...args),
};

/** One generation of rules: the map that `rule:NAME` resolves against. */
class RuleSet implements RuleEnv {
  private readonly fallback: Check | undefined;
  constructor(readonly rules: ReadonlyMap<string, Check>) {
    this.fallback = rules.get(DEFAULT_RULE);
  }
  lookup(name: string): Check | undefined {
    return this.rules.get(name) ?? this.fallback;
  }
}

interface CachedCreds extends Creds {
  readonly roles: readonly string[];
  readonly projectId: string | null;
  readonly userId: string | null;
  readonly isAdmin: boolean;
  /** answers for this caller by rule and the values of the target keys it reads, under `decidedBy` */
  decided: Map<string, boolean>;
  decidedBy: RuleSet | null;
}

interface RuleKeys {
  readonly parent: readonly string[];
  readonly target: readonly string[];
}

/**
 * The values of `keys` in `target` as one string that tells them apart (type, length, text; a
 * missing key apart from any value), or undefined when one is an object, which rules compare by
 * content.
 */
function valuesKey(target: Target, keys: readonly string[]): string | undefined {
  let out = '';
  for (const k of keys) {
    if (!(k in target)) {
      out += '-';
      continue;
    }
    const v = target[k];
    if (v !== null && typeof v === 'object') return undefined;
    const text = String(v);
    out += `${typeof v}${text.length}:${text}`;
  }
  return out;
}

export function makeCreds(values: Record<string, unknown>): Creds {
  if (values.system_scope && !('system' in values)) values = { ...values, system: values.system_scope };
  const roles = Array.isArray(values.roles) ? values.roles : [];
  return { values, rolesLower: new Set(roles.map((r) => String(r).toLowerCase())) };
}

/**
 * The text oslo.policy puts in "<rule> is disallowed by policy" for the rule Neutron composes from
 * `actions`: the first is the action, each following one is an attribute rule, and a rule named
 * "<attribute rule>:<key>" right after its attribute is one of that attribute's sub-keys, e.g.
 * [create_router, create_router:external_gateway_info, create_router:external_gateway_info:network_id]
 * → "(rule:create_router and (rule:create_router:external_gateway_info and
 *   (rule:create_router:external_gateway_info:network_id)))".
 */
export function describeRule(actions: readonly string[]): string {
  let text = `rule:${actions[0]}`;
  for (let i = 1; i < actions.length; ) {
    const attr = actions[i++]!;
    const subs: string[] = [];
    while (i < actions.length && actions[i]!.startsWith(`${attr}:`)) subs.push(`rule:${actions[i++]}`);
    const attrText = subs.length ? `(rule:${attr} and (${subs.join(' and ')}))` : `rule:${attr}`;
    text = `(${text} and ${attrText})`;
  }
  return text;
}

export class PolicyEngine {
  private readonly enforceNewDefaults: boolean;
  private readonly enforceScope: boolean;
  private readonly log: PolicyLogger;
  private readonly policyFile: string;
  private readonly searchDirs: readonly string[];
  private readonly reloadIntervalMs: number;
  private readonly defaults: ReadonlyMap<string, Check>;
  private readonly credsCache = new WeakMap<RequestContext, CachedCreds>();
  private ruleSet: RuleSet;
  private filePath: string | null = null;
  private fileStamp: string | null = null;
  private nextFileCheck = 0;
  private keysMemo = new Map<string, RuleKeys>();

  constructor(opts: PolicyEngineOptions = {}) {
    this.enforceNewDefaults = opts.enforceNewDefaults ?? false;
    this.enforceScope = opts.enforceScope ?? false;
    this.log = opts.logger ?? consoleLogger;
    this.policyFile = opts.policyFile ?? 'policy.yaml';
    this.searchDirs = opts.searchDirs ?? [];
    this.reloadIntervalMs = opts.reloadIntervalMs ?? 1000;
    this.defaults = this.compileDefaults();
    this.ruleSet = this.build(new Map());
    this.maybeReload();
  }

  /** Whether `actions` (action, then attribute rules) pass on `target`; never throws. */
  check(ctx: RequestContext, actions: string | readonly string[], target: Target, opts?: CheckOptions): boolean {
    // neutron/policy.py: with the old defaults an admin context skips every check
    if (!this.enforceNewDefaults && ctx.isAdmin) return true;
    this.maybeReload();
    const first = typeof actions === 'string' ? actions : actions[0];
    if (first === undefined) return true;
    if (opts?.mightNotExist && !this.ruleSet.rules.has(first)) return true;
    const creds = this.credsFor(ctx);
    if (this.scopeMismatch(first, creds) !== undefined) return false;
    const values = typeof actions === 'string' ? valuesKey(target, this.keysOf(actions).target) : undefined;
    if (values === undefined) return this.evaluate(actions, target, creds);
    // A rule's answer depends only on the caller and the target keys it reads: decided once per
    // request for every object of a list that has the same values there (once in all for
    // rule:admin_only; once per owner for an owner rule).
    if (creds.decidedBy !== this.ruleSet) {
      creds.decided = new Map();
      creds.decidedBy = this.ruleSet;
    }
    const key = `${actions as string}\u0000${values}`;
    let allowed = creds.decided.get(key);
    if (allowed === undefined) creds.decided.set(key, (allowed = this.evaluate(actions, target, creds)));
    return allowed;
  }

  /** Like check, but throws PolicyNotAuthorized (or InvalidScope) naming the composed rule. */
  enforce(ctx: RequestContext, actions: string | readonly string[], target: Target): void {
    if (!this.enforceNewDefaults && ctx.isAdmin) return;
    this.maybeReload();
    const list = typeof actions === 'string' ? [actions] : actions;
    if (list.length === 0) return;
    const creds = this.credsFor(ctx);
    const tokenScope = this.scopeMismatch(list[0]!, creds);
    if (tokenScope !== undefined) {
      const scopes = `[${ACTION_SCOPE_TYPES.map((s) => `'${s}'`).join(', ')}]`;
      throw new InvalidScope({ rule: describeRule(list), scopes, token_scope: tokenScope });
    }
    if (!this.evaluate(list, target, creds)) {
      const action = describeRule(list);
      this.log.debug(`Failed policy enforce for '${list[0]}': ${action}`);
      throw new PolicyNotAuthorized({ action });
    }
  }

  ruleExists(name: string): boolean {
    this.maybeReload();
    return this.ruleSet.rules.has(name);
  }

  /** Rule context_is_admin on the caller's own credentials (pass policyCredentials(ctx)). */
  isAdmin(credentials: Record<string, unknown>): boolean {
    return this.selfCheck('context_is_admin', credentials);
  }

  /** Rule context_is_advsvc; Neutron's is_advsvc is isAdmin || isAdvsvc. */
  isAdvsvc(credentials: Record<string, unknown>): boolean {
    return this.selfCheck('context_is_advsvc', credentials);
  }

  /**
   * The parent keys (e.g. 'network:tenant_id', 'network:shared') that the rules of `actions` may read
   * from the target, so that the caller fetches parents only when some rule can look at them.
   */
  parentKeys(actions: string | readonly string[]): readonly string[] {
    return this.collectKeys(actions, 'parent');
  }

  /**
   * Every target key that the rules of `actions` may read: an object with only these attributes
   * (and any others) gets the same answers. [] means the answer is the caller's alone.
   */
  targetKeys(actions: string | readonly string[]): readonly string[] {
    return this.collectKeys(actions, 'target');
  }

  private collectKeys(actions: string | readonly string[], kind: keyof RuleKeys): readonly string[] {
    this.maybeReload();
    if (typeof actions === 'string') return this.keysOf(actions)[kind];
    const found = new Set<string>();
    for (const a of actions) for (const k of this.keysOf(a)[kind]) found.add(k);
    return [...found];
  }

  private evaluate(actions: string | readonly string[], target: Target, creds: Creds): boolean {
    const rs = this.ruleSet;
    if (typeof actions === 'string') return this.test(rs, actions, target, creds);
    for (const a of actions) if (!this.test(rs, a, target, creds)) return false;
    return true;
  }

  private test(rs: RuleSet, action: string, target: Target, creds: Creds): boolean {
    const rule = rs.lookup(action);
    return rule !== undefined && rule.test(target, creds, rs);
  }

  private keysOf(action: string): RuleKeys {
    let keys = this.keysMemo.get(action);
    if (keys === undefined) {
      const parent = new Set<string>();
      const target = new Set<string>();
      const seen = new Set<Check>();
      const walk = (c: Check | undefined): void => {
        if (c === undefined || seen.has(c)) return;
        seen.add(c);
        for (const k of c.parentKeys) parent.add(k);
        for (const k of c.targetKeys) target.add(k);
        for (const r of c.refs) walk(this.ruleSet.lookup(r));
      };
      walk(this.ruleSet.lookup(action));
      keys = { parent: [...parent], target: [...target] };
      this.keysMemo.set(action, keys);
    }
    return keys;
  }

  private selfCheck(rule: string, credentials: Record<string, unknown>): boolean {
    this.maybeReload();
    return this.test(this.ruleSet, rule, credentials, makeCreds(credentials));
  }

  /** The token's scope when enforce_scope rejects it for this action, else undefined. */
  private scopeMismatch(action: string, creds: Creds): string | undefined {
    if (!this.enforceScope || !(action in ACTION_RULES)) return undefined;
    const v = creds.values;
    const scope = v.system ? 'system' : v.domain_id ? 'domain' : 'project';
    return ACTION_SCOPE_TYPES.includes(scope) ? undefined : scope;
  }

  private credsFor(ctx: RequestContext): CachedCreds {
    // Cached per context; rebuilt if the fields that matter were reassigned (e.g. an elevated copy).
    const c = this.credsCache.get(ctx);
    if (c !== undefined && c.roles === ctx.roles && c.projectId === ctx.projectId && c.userId === ctx.userId
      && c.isAdmin === ctx.isAdmin) return c;
    const { roles, projectId, userId, isAdmin } = ctx;
    const fresh: CachedCreds = { ...makeCreds(policyCredentials(ctx)), roles, projectId, userId, isAdmin, decided: new Map(), decidedBy: null };
    this.credsCache.set(ctx, fresh);
    return fresh;
  }

  private compileDefaults(): Map<string, Check> {
    const warn = (m: string) => this.log.warn(m);
    const out = new Map<string, Check>();
    for (const [name, check] of Object.entries(BASE_RULES)) out.set(name, parseRule(check, warn));
    for (const [name, def] of Object.entries(ACTION_RULES)) {
      const current = parseRule(def.check, warn);
      // oslo.policy: "new or deprecated" while the old defaults are still honoured
      const composed = !this.enforceNewDefaults && def.deprecated !== undefined && def.deprecated !== def.check
        ? orCheck([current, parseRule(def.deprecated, warn)])
        : current;
      out.set(name, composed);
    }
    return out;
  }

  private build(fileRules: ReadonlyMap<string, Check>): RuleSet {
    const rules = new Map(fileRules);
    for (const [name, check] of this.defaults) if (!rules.has(name)) rules.set(name, check);
    this.disableCycles(rules);
    this.keysMemo = new Map();
    return new RuleSet(rules);
  }

  /** oslo.policy only warns about cyclic rules (they then overflow the stack); here they never pass. */
  private disableCycles(rules: Map<string, Check>): void {
    const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
    const cyclic = new Set<string>();
    const undefinedRefs = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      const resolved = rules.has(name) ? name : DEFAULT_RULE;
      if (resolved !== name) undefinedRefs.add(path[path.length - 1]!);
      const s = state.get(resolved);
      if (s === 2 || !rules.has(resolved)) return;
      if (s === 1) {
        for (const n of path.slice(path.indexOf(resolved))) cyclic.add(n);
        return;
      }
      state.set(resolved, 1);
      path.push(resolved);
      for (const ref of rules.get(resolved)!.refs) visit(ref, path);
      path.pop();
      state.set(resolved, 2);
    };
    for (const name of rules.keys()) visit(name, []);
    if (undefinedRefs.size) this.log.warn(`Policies ${[...undefinedRefs].join(', ')} reference a rule that is not defined.`);
    if (cyclic.size) {
      this.log.warn(`Policies ${[...cyclic].join(', ')} are part of a cyclical reference; they will never pass.`);
      for (const n of cyclic) rules.set(n, FALSE_CHECK);
    }
  }

  private resolvePolicyFile(): string | null {
    if (isAbsolute(this.policyFile)) return this.policyFile;
    for (const dir of this.searchDirs) {
      const p = join(dir, this.policyFile);
      if (statSync(p, { throwIfNoEntry: false })?.isFile()) return p;
    }
    return null;
  }

  /** Re-reads the policy file when it changed; at most once per reloadIntervalMs. */
  private maybeReload(): void {
    const now = Date.now();
    if (now < this.nextFileCheck) return;
    this.nextFileCheck = now + this.reloadIntervalMs;
    const path = this.filePath ?? this.resolvePolicyFile();
    const st = path === null ? undefined : statSync(path, { throwIfNoEntry: false });
    if (st === undefined) {
      if (this.fileStamp !== null) {
        // oslo.policy: a policy file that disappears leaves the defaults only
        this.log.error(`Policy file ${path} not found; using the default rules`);
        this.ruleSet = this.build(new Map());
        this.fileStamp = null;
      }
      this.filePath = null;
      return;
    }
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (path === this.filePath && stamp === this.fileStamp) return;
    this.filePath = path;
    this.fileStamp = stamp;
    try {
      this.ruleSet = this.build(this.loadFile(path!));
      this.log.debug(`Loaded policy file ${path}`);
    } catch (e) {
      this.log.error(`Failed to load policy file ${path}, keeping the previous rules: ${(e as Error).message}`);
    }
  }

  private loadFile(path: string): Map<string, Check> {
    const text = readFileSync(path, 'utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // like PyYAML, the last of duplicate keys wins
      // yaml is loaded only for a policy file that is not JSON
      const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
      data = parse(text, { uniqueKeys: false });
    }
    if (data === null || data === undefined) return new Map();
    if (typeof data !== 'object' || Array.isArray(data)) throw new Error('the policy file must be a mapping of rule names to rules');
    const rules = new Map<string, Check>();
    for (const [name, rule] of Object.entries(data)) {
      rules.set(name, parseRule(rule, (m) => this.log.warn(`Policy ${name}: ${m}`)));
    }
    return rules;
  }
}
