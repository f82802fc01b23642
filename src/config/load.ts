/**
 * Loads neutron.conf-style files as oslo.config does: --config-file files in order, then each
 * --config-dir's *.conf files in alphabetical order; a later value overrides an earlier one,
 * multi-valued options accumulate; `$name` / `${name}` / `${section.name}` refer to other options.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { IniParseError, parseIni } from './ini.js';
import {
  type Config,
  type Freeform,
  type Opt,
  type OptValue,
  type Schema,
  type Section,
  OptValueError,
  isFreeform,
  quote,
  schema,
  str,
} from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Values that replace whatever the files say; typed values or strings (parsed like file values). */
export type Overrides = {
  [S in keyof Schema]?: Schema[S] extends Freeform
    ? { [option: string]: string }
    : { [K in keyof Schema[S]]?: OptValue<Schema[S][K]> | string };
};

export interface LoadOptions {
  configFiles?: readonly string[];
  configDirs?: readonly string[];
  overrides?: Overrides;
}

export interface LoadResult {
  config: Config;
  /** unknown sections and options, once each */
  warnings: string[];
  /** absolute paths of the files read, in the order they were applied */
  sources: string[];
}

export function loadConfig(options: LoadOptions = {}): LoadResult {
  const sources = [
    ...(options.configFiles ?? []).map(absolute),
    ...(options.configDirs ?? []).flatMap(confFilesIn),
  ];
  const raw: Raw = new Map();
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warn = (id: string, message: string) => {
    if (!warned.has(id)) warnings.push(message);
    warned.add(id);
  };
  for (const file of sources) readInto(file, raw, warn);
  const config = new Resolver(raw, checkOverrides(options.overrides ?? {})).config();
  return { config, warnings, sources };
}

/** The configuration with no files at all. */
export function defaultConfig(): Config {
  return loadConfig().config;
}

/** For tests: defaults plus overrides, validated exactly like file values. */
export function configWith(overrides: Overrides): Config {
  return loadConfig({ overrides }).config;
}

/** [database] connection, or the embedded SQLite file under state_path. */
export function databaseUrl(config: Config): string {
  return config.database.connection ?? `sqlite:///${join(config.DEFAULT.state_path, 'neutron.db')}`;
}

/** A plain copy of the configuration with secrets masked, for logs. */
export function dumpConfig(config: Config): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, section] of sectionsOf()) {
    const values = (config as unknown as Record<string, Record<string, unknown>>)[name]!;
    out[name] = Object.fromEntries(
      Object.entries(values).map(([key, value]) => {
        const secret = isFreeform(section) ? /password|secret|token/i.test(key) : section[key]!.secret;
        return [key, secret ? maskSecret(value) : value];
      }),
    );
  }
  return out;
}

function maskSecret(value: unknown): unknown {
  if (value === null || value === '') return value;
  if (typeof value === 'string' && value.includes('://')) {
    // keep URLs readable: hide only the passwords (user:password@host, ?password=...)
    return value
      .replace(/(\/\/|,)([^:@/,]*):[^@]*@/g, '$1$2:****@')
      .replace(/([?&][^=&]*pass[^=&]*=)[^&]*/gi, '$1****');
  }
  return '****';
}

// Reading files ------------------------------------------------------------------------------

interface RawValue {
  value: string;
  file: string;
  line: number;
  /** the section name as written in the file */
  section: string;
}

/** normalized section name -> option -> every value given, in the order applied */
type Raw = Map<string, Map<string, RawValue[]>>;

/** oslo.config matches group names ignoring case, except that DEFAULT must be written DEFAULT. */
export function normalizeSectionName(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

function sectionsOf(): [string, Section][] {
  return Object.entries(schema);
}

function sectionNamed(name: string): Section | undefined {
  return Object.hasOwn(schema, name) ? (schema as Record<string, Section>)[name] : undefined;
}

function absolute(path: string): string {
  return resolve(path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);
}

function confFilesIn(dir: string): string[] {
  const abs = absolute(dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ConfigError(`Config directory not found: ${abs}`);
    throw new ConfigError(`Cannot read config directory ${abs}: ${(err as Error).message}`);
  }
  return names
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .sort()
    .map((n) => join(abs, n))
    .filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
}

function readInto(file: string, raw: Raw, warn: (id: string, message: string) => void): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`Config file not found: ${file}`);
    if (code === 'EACCES') throw new ConfigError(`Cannot read config file ${file}: permission denied`);
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed;
  try {
    parsed = parseIni(text, file);
  } catch (err) {
    if (!(err instanceof IniParseError)) throw err;
    throw new ConfigError(`Cannot parse config file ${file}, line ${err.line}: ${err.reason}: ${JSON.stringify(err.text)}`);
  }
  // sections and assignments in file order, so that warnings come out in that order too
  const lines = [...parsed.sections.map((s) => ({ header: s, line: s.line })), ...parsed.assignments.map((a) => ({ a, line: a.line }))];
  for (const item of lines.sort((x, y) => x.line - y.line)) {
    if ('header' in item) {
      const norm = normalizeSectionName(item.header.name);
      if (sectionNamed(norm)) continue;
      const hint = norm === 'default' ? ' (did you mean [DEFAULT]? only that spelling is the default section)' : '';
      warn(`[${norm}]`, `Unknown section [${item.header.name}] (file ${file}, line ${item.line}), ignored${hint}`);
      continue;
    }
    const { a } = item;
    const norm = normalizeSectionName(a.section);
    const section = sectionNamed(norm);
    if (!section) continue; // warned about at its header
    if (!isFreeform(section) && !Object.hasOwn(section, a.key)) {
      warn(`[${norm}] ${a.key}`, `Unknown option ${a.key} in [${a.section}] (file ${file}, line ${a.line}), ignored`);
      continue;
    }
    if (!raw.has(norm)) raw.set(norm, new Map());
    const options = raw.get(norm)!;
    if (!options.has(a.key)) options.set(a.key, []);
    options.get(a.key)!.push({ value: a.value, file, line: a.line, section: a.section });
  }
}

type OverrideMap = Map<string, Map<string, unknown>>;

function checkOverrides(overrides: Overrides): OverrideMap {
  const map: OverrideMap = new Map();
  for (const [name, values] of Object.entries(overrides as Record<string, Record<string, unknown> | undefined>)) {
    const section = sectionNamed(name);
    if (!section) throw new ConfigError(`Unknown section [${name}] in overrides`);
    const options = new Map<string, unknown>();
    for (const [key, value] of Object.entries(values ?? {})) {
      if (!isFreeform(section) && !Object.hasOwn(section, key)) {
        throw new ConfigError(`Unknown option ${key} in [${name}] in overrides`);
      }
      if (value !== undefined) options.set(key, value);
    }
    map.set(name, options);
  }
  return map;
}

// Resolving values ---------------------------------------------------------------------------

const FREEFORM_VALUE: Opt<string> = str({ default: '' });
// string.Template's pattern as oslo.config configures it: $$, $name, ${name}, names may hold dots
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi;

interface Origin {
  /** "file /etc/neutron/neutron.conf", "override" or "default" */
  where: string;
  section: string;
}

class Resolver {
  private readonly done = new Map<string, unknown>();
  private readonly inProgress: string[] = [];

  constructor(
    private readonly raw: Raw,
    private readonly overrides: OverrideMap,
  ) {}

  config(): Config {
    const config: Record<string, unknown> = {};
    for (const [name, section] of sectionsOf()) {
      const keys = isFreeform(section)
        ? new Set([...(this.raw.get(name)?.keys() ?? []), ...(this.overrides.get(name)?.keys() ?? [])])
        : Object.keys(section);
      config[name] = freeze(Object.fromEntries([...keys].map((key) => [key, this.value(name, key)])));
    }
    return Object.freeze(config) as unknown as Config;
  }

  private has(section: string, key: string): boolean {
    const s = sectionNamed(section);
    if (!s) return false;
    if (isFreeform(s)) return !!this.raw.get(section)?.has(key) || !!this.overrides.get(section)?.has(key);
    return Object.hasOwn(s, key);
  }

  private value(section: string, key: string): unknown {
    const id = `[${section}] ${key}`;
    if (this.done.has(id)) return this.done.get(id);
    if (this.inProgress.includes(id)) {
      const cycle = [...this.inProgress.slice(this.inProgress.indexOf(id)), id];
      throw new ConfigError(`Options refer to each other in a circle: ${cycle.join(' -> ')}`);
    }
    this.inProgress.push(id);
    try {
      const value = this.compute(section, key);
      this.done.set(id, value);
      return value;
    } finally {
      this.inProgress.pop();
    }
  }

  private compute(section: string, key: string): unknown {
    const s = sectionNamed(section)!;
    const opt = isFreeform(s) ? FREEFORM_VALUE : s[key]!;
    const overrides = this.overrides.get(section);
    const raws = this.raw.get(section)?.get(key) ?? [];

    if (overrides?.has(key)) {
      const origin = { where: 'override', section };
      return this.coerce(opt, key, origin, () => this.substitute(overrides.get(key), section));
    }
    if (raws.length > 0) {
      const last = raws[raws.length - 1]!;
      const origin = (r: RawValue) => ({ where: `file ${r.file}`, section: r.section });
      if (opt.multi) {
        const values = raws.map((r) => this.coerce(FREEFORM_VALUE, key, origin(r), () => this.interpolate(r.value, section)));
        return this.coerce(opt, key, origin(last), () => values);
      }
      return this.coerce(opt, key, origin(last), () => this.interpolate(last.value, section));
    }
    return this.coerce(opt, key, { where: 'default', section }, () => this.substitute(opt.default, section));
  }

  private coerce<T>(opt: Opt<T>, key: string, origin: Origin, input: () => unknown): T {
    try {
      return opt.coerce(input());
    } catch (err) {
      if (!(err instanceof OptValueError)) throw err;
      throw new ConfigError(`Invalid value for option ${key} in [${origin.section}] (${origin.where}): ${err.message}`);
    }
  }

  /** Interpolates strings, and the strings of a list; other typed values are left alone. */
  private substitute(value: unknown, section: string): unknown {
    if (typeof value === 'string') return this.interpolate(value, section);
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? this.interpolate(v, section) : v));
    return value;
  }

  private interpolate(text: string, section: string): string {
    // oslo treats \$ like $$, a literal dollar
    return text.replaceAll('\\$', () => '$$').replace(TEMPLATE, (_match, escaped?: string, bare?: string, braced?: string) => {
      if (escaped) return '$';
      const name = (bare ?? braced)!;
      const target = this.reference(section, name);
      if (!target) throw new OptValueError(`${quote(text)} refers to unknown option '${name}' (write $$ for a literal $)`);
      return display(this.value(target.section, target.key));
    });
  }

  /** `name` in the same section, else in DEFAULT; `section.name` in that section. */
  private reference(section: string, name: string): { section: string; key: string } | undefined {
    const dot = name.indexOf('.');
    if (dot >= 0) {
      const target = { section: normalizeSectionName(name.slice(0, dot)), key: name.slice(dot + 1) };
      return this.has(target.section, target.key) ? target : undefined;
    }
    if (this.has(section, name)) return { section, key: name };
    if (this.has('DEFAULT', name)) return { section: 'DEFAULT', key: name };
    return undefined;
  }
}

/** How a typed value reads when interpolated into a string (booleans as Python prints them). */
function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}:${v}`).join(',');
  return String(value);
}

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.values(value).forEach(freeze);
    Object.freeze(value);
  }
  return value;
}
