/**
 * Keystone token validation as keystonemiddleware's auth_token (10.x) does it for Neutron:
 * validate X-Auth-Token (and X-Service-Token) with GET /v3/auth/tokens using our own service
 * token, cache what Keystone says, and answer 401 / 503 with the bodies auth_token answers.
 * The request context is built from the validated token only; incoming X-Roles, X-Project-Id etc.
 * are never read.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { newRequestId, type RequestContext } from '../lib/context.js';
import { NeutronError } from '../lib/errors.js';
import type { Config } from '../config/index.js';

/** The [keystone_authtoken] options neutron-ts understands (names as in keystonemiddleware). */
export interface KeystoneAuthtokenOptions {
  /** sent back in WWW-Authenticate; defaults to auth_url */
  www_authenticate_uri?: string;
  auth_url: string;
  auth_type?: 'password';
  username?: string;
  user_id?: string;
  password: string;
  project_name?: string;
  project_id?: string;
  user_domain_name?: string;
  user_domain_id?: string;
  project_domain_name?: string;
  project_domain_id?: string;
  /** region and interface of the identity endpoint in the catalog (fallback: auth_url) */
  region_name?: string;
  interface?: 'public' | 'internal' | 'admin';
  /** seconds; default 300; -1 disables the cache; 0 caches until the token expires */
  token_cache_time?: number;
  service_token_roles?: string[];
  service_token_roles_required?: boolean;
  /** needed to accept application-credential tokens that carry access rules */
  service_type?: string;
  /** seconds, for connecting and for each answer; default 10 (keystonemiddleware: none) */
  http_connect_timeout?: number;
  /** retries after a connection failure; default 3 */
  http_request_max_retries?: number;
  cafile?: string;
  /** client certificate and key for TLS to Keystone */
  certfile?: string;
  keyfile?: string;
  insecure?: boolean;
  delay_auth_decision?: boolean;
}

/**
 * The options from neutron.conf's [keystone_authtoken]; fails fast, naming the option, on what
 * neutron-ts cannot honour.
 */
export function authtokenOptions(c: Config['keystone_authtoken'], log?: Pick<Logger, 'warn'>): KeystoneAuthtokenOptions {
  const need = (name: 'auth_url' | 'password', v: string | null) => {
    if (!v) throw new Error(`[keystone_authtoken] ${name} is required with auth_strategy = keystone`);
    return v;
  };
  const authUrl = need('auth_url', c.auth_url);
  const password = need('password', c.password);
  if (c.auth_type !== null && c.auth_type !== 'password') {
    throw new Error(`[keystone_authtoken] auth_type = ${c.auth_type} is not supported; use password`);
  }
  if (!c.username && !c.user_id) throw new Error('[keystone_authtoken] username (or user_id) is required with auth_strategy = keystone');
  if (c.system_scope) throw new Error('[keystone_authtoken] system_scope is not supported; give project_name (or project_id)');
  if (c.interface !== 'public' && c.interface !== 'internal' && c.interface !== 'admin') {
    throw new Error(`[keystone_authtoken] interface = ${c.interface} is not one of: public, internal, admin`);
  }
  if (c.memcached_servers.length) log?.warn('[keystone_authtoken] memcached_servers is ignored: each API worker caches validated tokens in memory');
  const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
  return {
    www_authenticate_uri: opt(c.www_authenticate_uri ?? c.auth_uri),
    auth_url: authUrl,
    auth_type: 'password',
    username: opt(c.username),
    user_id: opt(c.user_id),
    password,
    project_name: opt(c.project_name),
    project_id: opt(c.project_id),
    user_domain_name: opt(c.user_domain_name),
    user_domain_id: opt(c.user_domain_id),
    project_domain_name: opt(c.project_domain_name),
    project_domain_id: opt(c.project_domain_id),
    region_name: opt(c.region_name),
    interface: c.interface,
    token_cache_time: c.token_cache_time,
    service_token_roles: c.service_token_roles,
    service_token_roles_required: c.service_token_roles_required,
    service_type: opt(c.service_type),
    http_connect_timeout: opt(c.http_connect_timeout),
    http_request_max_retries: c.http_request_max_retries,
    cafile: opt(c.cafile),
    certfile: opt(c.certfile),
    keyfile: opt(c.keyfile),
    insecure: c.insecure,
    delay_auth_decision: c.delay_auth_decision,
  };
}

/** One request to Keystone and its answer (the body as text). */
export type KeystoneHttp = (req: { url: URL; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }) =>
  Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>;

export interface KeystoneAuthDeps {
  /** wraps the built-in client (tests count requests with it) */
  http?: (send: KeystoneHttp) => KeystoneHttp;
  /** milliseconds since the epoch */
  now?: () => number;
  logger?: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
}

/** What authenticate() needs from an HTTP request; header names in lower case, as Node gives them. */
export interface AuthRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A 401 or 503 answer exactly as auth_token gives it: status, headers (with Content-Type) and body text. */
export class KeystoneAuthError extends NeutronError {
  /** for the log: why Keystone could not be used (503) */
  reason?: string;

  constructor(status: 401 | 503, message: string, readonly text: string, headers: Record<string, string>) {
    super(status === 401 ? 'HTTPUnauthorized' : 'HTTPServiceUnavailable', status, message, headers);
  }

  override body(): string {
    return this.text;
  }
}

/** Headers auth_token sets for the application; a client must not be able to send them. */
export const AUTH_HEADERS: readonly string[] = (() => {
  const fields = ['Domain-Id', 'Domain-Name', 'Project-Id', 'Project-Name', 'Project-Domain-Id',
    'Project-Domain-Name', 'User-Id', 'User-Name', 'User-Domain-Id', 'User-Domain-Name', 'Roles'];
  return [
    'X-Service-Catalog', 'X-Identity-Status', 'X-Service-Identity-Status', 'X-Is-Admin-Project',
    'OpenStack-System-Scope', 'X-Role', 'X-User', 'X-Tenant-Id', 'X-Tenant-Name', 'X-Tenant',
    ...fields.map((f) => `X-${f}`), ...fields.map((f) => `X-Service-${f}`),
  ].map((h) => h.toLowerCase());
})();

export function stripAuthHeaders(headers: Record<string, unknown>): void {
  for (const h of AUTH_HEADERS) delete headers[h];
}

interface AccessRule { method: string; path: string; service: string }

/** The part of a validated token that we keep (and cache). */
interface TokenInfo {
  userId: string;
  userName: string | null;
  userDomainId: string | null;
  projectId: string | null;
  projectName: string | null;
  projectDomainId: string | null;
  domainId: string | null;
  roles: string[];
  systemScope: string | null;
  isAdminProject: boolean;
  expiresAt: number;
  accessRules: AccessRule[] | null;
}

class InvalidToken extends Error {}
/** Keystone could not be reached or did not answer sensibly: 503. */
class ServiceError extends Error {}

const UNAUTHORIZED_BODY = '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}';
const CACHE_MAX_ENTRIES = 10_000;

export class KeystoneAuth {
  private readonly opts: Required<Pick<KeystoneAuthtokenOptions,
    'token_cache_time' | 'service_token_roles' | 'service_token_roles_required' | 'http_connect_timeout' |
    'http_request_max_retries' | 'delay_auth_decision' | 'interface'>> & KeystoneAuthtokenOptions;
  private readonly http: KeystoneHttp;
  private readonly agents: Array<HttpAgent | HttpsAgent>;
  private readonly now: () => number;
  private readonly log: KeystoneAuthDeps['logger'];
  private readonly authUrl: string;
  /** the WWW-Authenticate value of every 401 */
  readonly wwwAuthenticate: string;
  private readonly cache = new Map<string, { info: TokenInfo; until: number }>();
  private readonly inFlight = new Map<string, Promise<TokenInfo>>();
  private service: { token: string; expiresAt: number; identityUrl: string } | undefined;
  private serviceAuth: Promise<NonNullable<KeystoneAuth['service']>> | undefined;

  constructor(options: KeystoneAuthtokenOptions, deps: KeystoneAuthDeps = {}) {
    if (options.auth_type && options.auth_type !== 'password') {
      throw new Error(`[keystone_authtoken] auth_type = ${options.auth_type} is not supported; use password`);
    }
    if (!options.auth_url) throw new Error('[keystone_authtoken] auth_url is required');
    this.opts = {
      token_cache_time: 300,
      service_token_roles: ['service'],
      service_token_roles_required: false,
      http_connect_timeout: 10,
      http_request_max_retries: 3,
      delay_auth_decision: false,
      interface: 'internal',
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      auth_url: options.auth_url,
      password: options.password,
    };
    this.authUrl = v3Url(options.auth_url);
    this.wwwAuthenticate = `Keystone uri="${options.www_authenticate_uri || options.auth_url}"`;
    this.now = deps.now ?? Date.now;
    this.log = deps.logger;
    const timeoutMs = this.opts.http_connect_timeout * 1000;
    // node:http rather than undici: its WebAssembly HTTP parser costs each API worker ~20 MB
    const tls = {
      rejectUnauthorized: !options.insecure,
      ...(options.cafile ? { ca: readFileSync(options.cafile) } : {}),
      ...(options.certfile ? { cert: readFileSync(options.certfile) } : {}),
      ...(options.keyfile ? { key: readFileSync(options.keyfile) } : {}),
    };
    const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64, ...tls }) };
    this.agents = Object.values(agents);
    const send: KeystoneHttp = ({ url, method, headers, body }) => new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(url, { method, headers, agent: https ? agents['https:'] : agents['http:'], timeout: timeoutMs }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on('error', reject);
      });
      // no connection, answer or body data within http_connect_timeout; only a connection that
      // could not be made is retried
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: req.socket?.connecting === false ? 'ESOCKETTIMEDOUT' : 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
    this.http = deps.http ? deps.http(send) : send;
  }

  /**
   * Validates the request's tokens; returns its context (isAdmin/isAdvsvc false: the policy
   * engine sets them) or throws KeystoneAuthError (401 / 503).
   */
  async authenticate(req: AuthRequest, requestId: string = newRequestId()): Promise<RequestContext> {
    const userToken = header(req, 'x-auth-token') ?? header(req, 'x-storage-token');
    const serviceToken = header(req, 'x-service-token');
    try {
      let service: TokenInfo | undefined;
      let allowExpired = false;
      if (serviceToken) {
        service = await this.validate(serviceToken, false);
        const hasServiceRole = !!service?.roles.some((r) => this.opts.service_token_roles.includes(r));
        // Without service_token_roles_required any valid token passes as a service token
        // (keystonemiddleware's backwards-compatible default); the roles only allow expired user tokens.
        if (this.opts.service_token_roles_required && !hasServiceRole) service = undefined;
        allowExpired = hasServiceRole;
      }
      const user = userToken ? await this.validate(userToken, allowExpired, req, !!serviceToken) : undefined;
      if (user && (service || !serviceToken || this.opts.delay_auth_decision)) {
        return this.context(user, service, userToken!, requestId);
      }
      throw this.unauthorized(req);
    } catch (e) {
      if (!(e instanceof ServiceError)) throw e;
      const r = webobError(503, 'Service Unavailable', 'The server is currently unavailable. Please try again at a later time.',
        'The Keystone service is temporarily unavailable.', header(req, 'accept'));
      const err = new KeystoneAuthError(503, 'The Keystone service is temporarily unavailable.', r.text, { 'Content-Type': r.contentType });
      err.reason = e.message;
      throw err;
    }
  }

  /** The token's data, or undefined if it is not valid (for this request). */
  private async validate(token: string, allowExpired: boolean, req?: AuthRequest, hasServiceToken = false): Promise<TokenInfo | undefined> {
    try {
      const info = await this.fetchToken(token, allowExpired);
      if (!allowExpired && info.expiresAt <= this.now()) return undefined;
      if (req && !this.accessRulesAllow(info, req, hasServiceToken)) return undefined;
      return info;
    } catch (e) {
      if (e instanceof InvalidToken) return undefined;
      if (e instanceof ServiceError) {
        this.log?.error(`Unable to validate token: ${e.message}`);
        // With delay_auth_decision the token just counts as invalid; the request goes on to Neutron,
        // which refuses a request without a user with a 401.
        if (this.opts.delay_auth_decision) return undefined;
      }
      throw e;
    }
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    for (const agent of this.agents) agent.destroy();
  }

  private unauthorized(req: AuthRequest): KeystoneAuthError {
    const message = 'The request you have made requires authentication.';
    if (this.opts.delay_auth_decision) {
      // Neutron's keystonecontext answers webob's default HTTPUnauthorized; auth_token adds the header.
      const r = webobError(401, 'Unauthorized', 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.', '', header(req, 'accept'));
      return new KeystoneAuthError(401, message, r.text, { 'Content-Type': r.contentType, 'WWW-Authenticate': this.wwwAuthenticate });
    }
    return new KeystoneAuthError(401, message, UNAUTHORIZED_BODY, { 'Content-Type': 'application/json', 'WWW-Authenticate': this.wwwAuthenticate });
  }

  private context(user: TokenInfo, service: TokenInfo | undefined, token: string, requestId: string): RequestContext {
    return {
      requestId,
      userId: user.userId,
      userName: user.userName,
      projectId: user.projectId,
      projectName: user.projectName,
      userDomainId: user.userDomainId,
      projectDomainId: user.projectDomainId,
      domainId: user.domainId,
      roles: [...user.roles],
      systemScope: user.systemScope,
      isAdminProject: user.isAdminProject,
      authToken: token,
      isAdmin: false,
      isAdvsvc: false,
      serviceRoles: service ? [...service.roles] : [],
    };
  }

  /** keystonemiddleware's check of an application credential's access rules. */
  private accessRulesAllow(user: TokenInfo, req: AuthRequest, hasServiceToken: boolean): boolean {
    if (!user.accessRules) return true;
    const type = this.opts.service_type;
    if (!type) {
      this.log?.warn('Cannot validate request with restricted access rules. Set service_type in [keystone_authtoken] to allow access rule validation.');
      return false;
    }
    if (hasServiceToken) return true;
    return user.accessRules.some((r) => r.method === req.method && r.service === type && pathMatches(req.path, r.path));
  }

  /** Token data from the cache or from Keystone; InvalidToken if Keystone does not know it. */
  private fetchToken(token: string, allowExpired: boolean): Promise<TokenInfo> {
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.until > this.now()) return Promise.resolve(hit.info);
      this.cache.delete(token);
    }
    const key = allowExpired ? `1${token}` : `0${token}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.verifyToken(token, allowExpired).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async verifyToken(token: string, allowExpired: boolean): Promise<TokenInfo> {
    const query = allowExpired ? '?nocatalog&allow_expired=1' : '?nocatalog';
    for (let attempt = 0; ; attempt++) {
      const service = await this.serviceToken();
      const r = await this.send(`${service.identityUrl}/auth/tokens${query}`, 'GET', {
        'x-auth-token': service.token,
        'x-subject-token': token,
        'openstack-identity-access-rules': '1',
      });
      if (r.status === 200) {
        const info = tokenInfo(r.body);
        const cacheTime = this.opts.token_cache_time;
        const now = this.now();
        if (cacheTime >= 0 && info.expiresAt > now) {
          const until = cacheTime === 0 ? info.expiresAt : Math.min(now + cacheTime * 1000, info.expiresAt);
          if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
          this.cache.set(token, { info, until });
        }
        return info;
      }
      if (r.status === 404) throw new InvalidToken();
      if (r.status === 401 && attempt === 0) {
        // our service token was refused (revoked, expired early): get a new one and retry once
        if (this.service === service) this.service = undefined;
        continue;
      }
      throw new ServiceError(`Keystone answered ${r.status} to token validation`);
    }
  }

  private async serviceToken(): Promise<NonNullable<KeystoneAuth['service']>> {
    // re-authenticate two minutes before expiry, as keystoneauth does
    if (this.service && this.service.expiresAt - this.now() > 120_000) return this.service;
    this.serviceAuth ??= this.authenticateService().finally(() => { this.serviceAuth = undefined; });
    return this.serviceAuth;
  }

  private async authenticateService(): Promise<NonNullable<KeystoneAuth['service']>> {
    const o = this.opts;
    const domain = (id?: string, name?: string) => (id ? { id } : name ? { name } : undefined);
    const user = o.user_id
      ? { id: o.user_id, password: o.password }
      : { name: o.username, domain: domain(o.user_domain_id, o.user_domain_name), password: o.password };
    const scope = o.project_id
      ? { project: { id: o.project_id } }
      : o.project_name ? { project: { name: o.project_name, domain: domain(o.project_domain_id, o.project_domain_name) } } : undefined;
    const r = await this.send(`${this.authUrl}/auth/tokens`, 'POST', { 'content-type': 'application/json' },
      JSON.stringify({ auth: { identity: { methods: ['password'], password: { user } }, ...(scope ? { scope } : {}) } }));
    const subject = r.headers['x-subject-token'];
    if (r.status !== 201 || typeof subject !== 'string') {
      throw new ServiceError(`Keystone answered ${r.status} to the service user's authentication`);
    }
    const data = (r.body as { token?: { expires_at?: string; catalog?: CatalogEntry[] } }).token;
    const expiresAt = Date.parse(data?.expires_at ?? '');
    if (!Number.isFinite(expiresAt)) throw new ServiceError('Keystone gave the service user a token without expiry');
    this.service = { token: subject, expiresAt, identityUrl: this.identityUrl(data?.catalog) };
    return this.service;
  }

  /** keystonemiddleware talks to the catalog's identity endpoint (interface, region); else auth_url. */
  private identityUrl(catalog: CatalogEntry[] | undefined): string {
    const endpoint = catalog?.find((s) => s.type === 'identity')?.endpoints
      ?.find((e) => e.interface === this.opts.interface && (!this.opts.region_name || e.region_id === this.opts.region_name || e.region === this.opts.region_name));
    return endpoint?.url ? v3Url(endpoint.url) : this.authUrl;
  }

  /** One call to Keystone with retries on connection failures; ServiceError when it cannot be reached. */
  private async send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.http({
          url: new URL(url), method, body,
          headers: { accept: 'application/json', 'user-agent': 'neutron-ts keystonemiddleware', ...headers },
        });
        let parsed: unknown;
        if (r.status < 300) {
          try { parsed = JSON.parse(r.text); } catch { throw new ServiceError(`Keystone answered ${r.status} with a body that is not JSON`); }
        }
        return { status: r.status, headers: r.headers, body: parsed };
      } catch (e) {
        if (e instanceof ServiceError) throw e;
        const retry = isConnectionFailure(e) && attempt < this.opts.http_request_max_retries;
        this.log?.warn(`Keystone request ${method} ${url} failed: ${(e as Error).message}${retry ? '; retrying' : ''}`);
        if (!retry) throw new ServiceError((e as Error).message);
        // the first retry is immediate: a server closing an idle kept-alive connection is the usual cause
        if (attempt > 0) await new Promise((ok) => setTimeout(ok, 250 * 2 ** attempt));
      }
    }
  }
}

interface CatalogEntry {
  type: string;
  endpoints?: { interface: string; region?: string; region_id?: string; url: string }[];
}

function header(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
}

function v3Url(url: string): string {
  const u = url.replace(/\/+$/, '').replace(/\/v2\.0$/, '');
  return u.endsWith('/v3') ? u : `${u}/v3`;
}

function tokenInfo(body: unknown): TokenInfo {
  const t = (body as { token?: Record<string, any> } | undefined)?.token;
  const expiresAt = Date.parse(t?.expires_at ?? '');
  if (!t || typeof t.user?.id !== 'string' || !Number.isFinite(expiresAt)) throw new InvalidToken();
  const rules = t.application_credential?.access_rules;
  return {
    userId: t.user.id,
    userName: t.user.name ?? null,
    userDomainId: t.user.domain?.id ?? null,
    projectId: t.project?.id ?? null,
    projectName: t.project?.name ?? null,
    projectDomainId: t.project?.domain?.id ?? null,
    domainId: t.domain?.id ?? null,
    roles: Array.isArray(t.roles) ? t.roles.map((r: { name: string }) => r.name) : [],
    systemScope: t.system?.all ? 'all' : null,
    isAdminProject: t.is_admin_project ?? true,
    expiresAt,
    accessRules: Array.isArray(rules) ? rules : null,
  };
}

function isConnectionFailure(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === 'ETIMEDOUT' || code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' || code === 'EPIPE' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ||
    code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

/** keystonemiddleware's access-rule paths: {name} and * match one segment, ** any number. */
function pathMatches(path: string, pattern: string): boolean {
  let re = '';
  for (const m of pattern.matchAll(/(\{[^}]*\})|(\*\*)|(\*(?=$|[^*]))|([^{}*])/g)) {
    if (m[1] || m[3]) re += '[^/]+';
    else if (m[2]) re += '.*';
    else re += m[4]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(path);
}

/** Python's json.dumps layout (", " and ": "), so bodies match byte for byte. */
function pyJson(v: unknown): string {
  if (v && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** webob's generated error page for an HTTPException, negotiated on Accept like webob does. */
export function webobError(code: number, title: string, explanation: string, detail: string, accept: string | undefined): { contentType: string; text: string } {
  const status = `${code} ${title}`;
  const body = `${explanation}<br /><br />\n${detail}\n\n`;
  switch (negotiate(accept ?? '', ['text/html', 'application/json'])) {
    case 'text/html':
      return {
        contentType: 'text/html; charset=UTF-8',
        text: `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${body}\n </body>\n</html>`,
      };
    case 'application/json':
      return { contentType: 'application/json', text: pyJson({ message: body, code: status, title }) };
    default: {
      const plain = body.replace(/\n/g, ' ').replace(/\r/g, '').replace(/<br.*?>/gis, '\n').replace(/<!--|-->/g, '').replace(/<.*?>/gs, '');
      return { contentType: 'text/plain; charset=UTF-8', text: `${status}\n\n${plain}` };
    }
  }
}

/** The offer the Accept header prefers (q > 0; the most specific matching range decides), or undefined. */
function negotiate(accept: string, offers: string[]): string | undefined {
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  }).filter((r) => r.type.includes('/'));
  let best: { offer: string; q: number } | undefined;
  for (const offer of offers) {
    const [t] = offer.split('/');
    const match = ranges.find((r) => r.type === offer) ?? ranges.find((r) => r.type === `${t}/*`) ?? ranges.find((r) => r.type === '*/*');
    if (match && match.q > 0 && (!best || match.q > best.q)) best = { offer, q: match.q };
  }
  return best?.offer;
}
