/**
 * A real Keystone (Debian's package, served by uwsgi) for tests: its own directory, sqlite database,
 * fernet keys and port on 127.0.0.1, with a few projects and users created through the REST API.
 *
 *   const { skip } = keystoneAvailable();
 *   describe('...', { skip }, () => {
 *     let ks: KeystoneServer;
 *     before(async () => { ks = await startKeystone(); });
 *     after(() => ks?.shutdown());
 *     test('...', async () => { const token = await ks.token('memberA'); ... });
 *   });
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { KeystoneAuthtokenOptions } from '../../src/auth/keystone.js';

const KEYSTONE_MANAGE = '/usr/bin/keystone-manage';
const WSGI_PUBLIC = '/usr/bin/keystone-wsgi-public';
const UWSGI = '/usr/bin/uwsgi';
const UWSGI_PYTHON3 = '/usr/lib/uwsgi/plugins/python3_plugin.so';
const INSTALL_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/ci/install-keystone.sh');

// Debian's packages need Debian's python; a pyenv python or PYTHON* variables would break uwsgi's.
const CHILD_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('PYTHON') && k !== 'VIRTUAL_ENV'),
);
CHILD_ENV.PATH = '/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';

function missingPieces(): string[] {
  const need: [string, string][] = [
    [KEYSTONE_MANAGE, 'keystone'],
    [WSGI_PUBLIC, 'keystone'],
    [UWSGI, 'uwsgi'],
    [UWSGI_PYTHON3, 'uwsgi-plugin-python3'],
  ];
  return need.filter(([f]) => !existsSync(f)).map(([f, pkg]) => `${f} (Debian package ${pkg})`);
}

let availability: { available: boolean; skip: false | string } | undefined;

/**
 * Whether the Keystone tests can run here. Use `{ skip }` as a test option. With CI set, a missing
 * Keystone is installed with scripts/ci/install-keystone.sh, and if that fails this throws, so the
 * test file fails instead of being skipped.
 */
export function keystoneAvailable(): { available: boolean; skip: false | string } {
  if (availability) return availability;
  let missing = missingPieces();
  if (missing.length && process.env.CI && process.env.CI !== 'false') {
    const r = spawnSync('bash', [INSTALL_SCRIPT], { env: CHILD_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    missing = missingPieces();
    if (missing.length) {
      throw new Error(`CI is set but Keystone could not be installed (missing ${missing.join(', ')}):\n${r.stdout}${r.stderr}`);
    }
  }
  availability = missing.length
    ? { available: false, skip: `Keystone not installed: missing ${missing.join(', ')}; run scripts/ci/install-keystone.sh` }
    : { available: true, skip: false };
  return availability;
}

export type UserKey = 'admin' | 'memberA' | 'memberB' | 'neutron';
export type ProjectKey = 'admin' | 'A' | 'B' | 'service';

export interface KeystoneUser {
  name: string;
  id: string;
  password: string;
  /** the project a token for this user is scoped to by default */
  project: ProjectKey;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  /** the `token` object of Keystone's answer */
  data: Record<string, any>;
}

export interface KeystoneServer {
  /** e.g. http://127.0.0.1:35357 */
  url: string;
  /** e.g. http://127.0.0.1:35357/v3 */
  authUrl: string;
  dir: string;
  projects: Record<ProjectKey, { name: string; id: string }>;
  users: Record<UserKey, KeystoneUser>;
  /** [keystone_authtoken] options for neutron-ts, authenticating as the `neutron` service user. */
  authtokenOptions(overrides?: Partial<KeystoneAuthtokenOptions>): KeystoneAuthtokenOptions;
  /** A token for a user, scoped to its own project unless another scope is given. */
  issueToken(user: UserKey, scope?: { project: ProjectKey } | { system: 'all' }): Promise<IssuedToken>;
  token(user: UserKey, scope?: { project: ProjectKey } | { system: 'all' }): Promise<string>;
  /** DELETE /v3/auth/tokens: revokes the token in Keystone. */
  revoke(token: string): Promise<void>;
  /** Keystone's REST API with an admin token, for anything else a test needs. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Stops the uwsgi process (state is kept); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Another uwsgi serving the same database and keys with other [token] settings, e.g.
   * { expiration: 2 } to get tokens that expire quickly. Stopped by shutdown() too.
   */
  startSibling(token: { expiration: number }): Promise<{ url: string; authUrl: string; issueToken: KeystoneServer['issueToken']; stop(): Promise<void> }>;
  /** Stops every process and deletes the directory. */
  shutdown(): Promise<void>;
}

/** A port nothing listens on now; another process may take it before uwsgi binds it: see startUwsgi. */
async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      if (code === 0) ok();
      else fail(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}):\n${out}`));
    });
  });
}

function keystoneConf(dir: string, expiration = 3600): string {
  return `[DEFAULT]
log_file = ${dir}/keystone.log
[database]
connection = sqlite:///${dir}/keystone.db
[token]
provider = fernet
expiration = ${expiration}
[fernet_tokens]
key_repository = ${dir}/fernet-keys
[fernet_receipts]
key_repository = ${dir}/fernet-keys
[credential]
key_repository = ${dir}/credential-keys
[identity]
password_hash_rounds = 4
[cache]
enabled = true
backend = dogpile.cache.memory
`;
}

/** One uwsgi process serving keystone-wsgi-public; detached into its own process group. */
class Uwsgi {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly dir: string, readonly confFile: string, readonly port: number, readonly logFile: string) {}

  async start(): Promise<void> {
    if (this.child) return;
    const log = openSync(this.logFile, 'a');
    const logFrom = statSync(this.logFile).size;
    const child = spawn(UWSGI, [
      '--plugins', 'python3',
      '--http11-socket', `127.0.0.1:${this.port}`,
      '--wsgi-file', WSGI_PUBLIC,
      '--env', `OS_KEYSTONE_CONFIG_FILES=${this.confFile}`,
      // One process: Keystone's in-memory cache (30 times faster token validation here) is then
      // coherent, so revocations take effect at once. A kept-alive connection holds a thread while
      // idle (up to 4 s), hence more threads than the work needs.
      '--master', '--processes', '1', '--threads', '16', '--enable-threads',
      '--need-app', '--die-on-term', '--lazy-apps',
      '--buffer-size', '65535',
    ], { env: CHILD_ENV, cwd: this.dir, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    liveGroups.add(child.pid!);
    this.exited = new Promise((ok) => child.once('exit', () => {
      liveGroups.delete(child.pid!);
      if (this.child === child) this.child = undefined;
      ok();
    }));
    const url = `http://127.0.0.1:${this.port}/v3`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!this.child) {
        const message = `uwsgi exited during start-up; see ${this.logFile}:\n${tail(this.logFile)}`;
        // "bind(): Address already in use": another process has the port
        throw readFileSync(this.logFile).subarray(logFrom).includes('Address already in use') ? new PortTaken(message) : new Error(message);
      }
      try {
        const r = await request(url, { headersTimeout: 2000, bodyTimeout: 2000, reset: true });
        await r.body.dump();
        if (r.statusCode === 200) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`Keystone did not answer GET ${url} within 60 s; see ${this.logFile}:\n${tail(this.logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
    const killer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await this.exited;
    clearTimeout(killer);
  }
}

class PortTaken extends Error {}

/**
 * Starts a uwsgi on a port found free; if another process took the port before uwsgi could bind it,
 * starts another on another port (uwsgi needs its port on its command line: it cannot bind port 0
 * and say which one it got, as neutron-ts does).
 */
async function startUwsgi(make: (port: number) => Uwsgi): Promise<Uwsgi> {
  for (let attempt = 1; ; attempt++) {
    const server = make(await freePort());
    try {
      await server.start();
      return server;
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt === 5) throw e;
    }
  }
}

// uwsgi runs in its own process group (so that stop() reaches its workers); kill what is left if
// the test process exits or is interrupted without shutdown().
const liveGroups = new Set<number>();
const killLeftovers = () => {
  for (const pid of liveGroups) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
};
process.on('exit', killLeftovers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLeftovers();
    process.kill(process.pid, signal);
  });
}

function tail(file: string): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n'); } catch { return ''; }
}

/** One request to a Keystone (base ends with /v3); JSON in and out. */
export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers['x-auth-token'] = opts.token;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await request(`${base}${path}`, {
    method: method as 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    reset: true, // a new connection each time: the server may have been restarted in between
  });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, body: text ? JSON.parse(text) : undefined };
}

function passwordAuth(user: KeystoneUser, scope: Record<string, unknown>) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } } },
      scope,
    },
  };
}

const TEMPLATE_FILES = ['keystone.db', 'fernet-keys', 'credential-keys'];
/** The URL of the catalog's endpoints until Keystone serves and its port is known. */
const CATALOG_PLACEHOLDER = 'http://127.0.0.1:5000/v3/';

/**
 * db_sync, the key set-ups and bootstrap take most of a start (20 s, a minute on a loaded machine),
 * and their result is the same every time: the first start keeps it in a directory under tmpdir
 * that later starts (other test files, later runs) copy. Its name changes with this file and with
 * the Keystone package.
 */
function templateDir(): string {
  const version = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'keystone'], { encoding: 'utf8' }).stdout ?? '';
  const key = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).update(version).update(String(process.getuid?.())).digest('hex');
  return join(tmpdir(), `neutron-ts-keystone-template-${key.slice(0, 16)}`);
}

/** Best effort; another test process may have saved it first. */
function saveTemplate(dir: string, template: string): void {
  const partial = `${template}.${process.pid}`;
  try {
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial);
    for (const f of TEMPLATE_FILES) cpSync(join(dir, f), join(partial, f), { recursive: true });
    writeFileSync(join(partial, 'ready'), '');
    renameSync(partial, template);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
}

export async function startKeystone(): Promise<KeystoneServer> {
  const avail = keystoneAvailable();
  if (!avail.available) throw new Error(String(avail.skip));
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-keystone-'));
  const conf = join(dir, 'keystone.conf');
  writeFileSync(conf, keystoneConf(dir));
  for (const d of ['fernet-keys', 'credential-keys']) mkdirSync(join(dir, d), { mode: 0o700 });
  const owner = ['--keystone-user', spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim(),
    '--keystone-group', spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim()];
  // set once Keystone serves: its port is known only then (startUwsgi)
  let url = '';
  let authUrl = '';
  const adminPassword = 'admin-secret';

  const servers: Uwsgi[] = [];
  let main: Uwsgi | undefined;

  const users = {
    admin: { name: 'admin', id: '', password: adminPassword, project: 'admin' },
    memberA: { name: 'member-a', id: '', password: 'member-a-secret', project: 'A' },
    memberB: { name: 'member-b', id: '', password: 'member-b-secret', project: 'B' },
    neutron: { name: 'neutron', id: '', password: 'neutron-secret', project: 'service' },
  } satisfies Record<UserKey, KeystoneUser>;
  const projects = {
    admin: { name: 'admin', id: '' },
    A: { name: 'project-a', id: '' },
    B: { name: 'project-b', id: '' },
    service: { name: 'service', id: '' },
  } satisfies Record<ProjectKey, { name: string; id: string }>;

  async function issueTokenAt(base: string, user: UserKey, scope?: { project: ProjectKey } | { system: 'all' }): Promise<IssuedToken> {
    const u = users[user];
    const s = scope && 'system' in scope
      ? { system: { all: true } }
      : { project: { name: projects[scope?.project ?? u.project].name, domain: { id: 'default' } } };
    const r = await call(base, 'POST', '/auth/tokens?nocatalog', { body: passwordAuth(u, s) });
    if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${JSON.stringify(r.body)}`);
    const token = r.headers['x-subject-token'] as string;
    return { token, expiresAt: new Date(r.body.token.expires_at), data: r.body.token };
  }
  const issueToken = (user: UserKey, scope?: { project: ProjectKey } | { system: 'all' }) => issueTokenAt(authUrl, user, scope);

  let adminToken: IssuedToken | undefined;
  async function api(method: string, path: string, body?: unknown) {
    if (!adminToken || adminToken.expiresAt.getTime() - Date.now() < 60_000) adminToken = await issueToken('admin');
    const r = await call(authUrl, method, path, { token: adminToken.token, body });
    return { status: r.status, body: r.body };
  }
  async function must(method: string, path: string, body?: unknown) {
    const r = await api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  try {
    const manage = (...args: string[]) => run(KEYSTONE_MANAGE, ['--config-file', conf, ...args]);
    const prepare = async () => {
      const prepared = await Promise.allSettled([
        manage('fernet_setup', ...owner),
        manage('credential_setup', ...owner),
        (async () => {
          await manage('db_sync');
          // uwsgi threads and startSibling()'s second process share the file: in rollback-journal mode
          // a reader's lock made writers fail with "database is locked"; WAL lets them run side by side.
          await run('/usr/bin/python3', ['-c', `import sqlite3; sqlite3.connect(${JSON.stringify(join(dir, 'keystone.db'))}).execute('PRAGMA journal_mode=WAL')`]);
        })(),
      ]);
      for (const r of prepared) if (r.status === 'rejected') throw r.reason;
      await manage('bootstrap', '--bootstrap-password', adminPassword, '--bootstrap-username', 'admin',
        '--bootstrap-project-name', 'admin', '--bootstrap-role-name', 'admin',
        '--bootstrap-service-name', 'keystone', '--bootstrap-region-id', 'RegionOne',
        '--bootstrap-public-url', CATALOG_PLACEHOLDER, '--bootstrap-internal-url', CATALOG_PLACEHOLDER,
        '--bootstrap-admin-url', CATALOG_PLACEHOLDER);
    };
    const template = templateDir();
    const fromTemplate = existsSync(join(template, 'ready'));
    if (fromTemplate) {
      for (const f of TEMPLATE_FILES) cpSync(join(template, f), join(dir, f), { recursive: true });
    } else {
      await prepare();
      saveTemplate(dir, template);
    }
    main = await startUwsgi((port) => new Uwsgi(dir, conf, port, join(dir, 'uwsgi.log')));
    servers.push(main);
    url = `http://127.0.0.1:${main.port}`;
    authUrl = `${url}/v3`;
    // the catalog was made before the port was known
    for (const e of (await must('GET', '/endpoints')).endpoints) {
      if (e.url !== `${authUrl}/`) await must('PATCH', `/endpoints/${e.id}`, { endpoint: { url: `${authUrl}/` } });
    }

    users.admin.id = (await issueToken('admin')).data.user.id;
    projects.admin.id = (await must('GET', '/projects?name=admin')).projects[0].id;
    const roleId = async (name: string) => {
      const found = (await must('GET', `/roles?name=${name}`)).roles[0];
      return found ? found.id as string : (await must('POST', '/roles', { role: { name } })).role.id as string;
    };
    const role = { member: await roleId('member'), reader: await roleId('reader'), admin: await roleId('admin'), service: await roleId('service') };
    // bootstrap makes admin imply member and member imply reader; make sure of the latter.
    if ((await api('GET', `/roles/${role.member}/implies/${role.reader}`)).status === 404) {
      await must('PUT', `/roles/${role.member}/implies/${role.reader}`);
    }
    for (const key of ['A', 'B', 'service'] as const) {
      projects[key].id = (await must('POST', '/projects', { project: { name: projects[key].name, domain_id: 'default' } })).project.id;
    }
    for (const key of ['memberA', 'memberB', 'neutron'] as const) {
      const u = users[key];
      u.id = (await must('POST', '/users', { user: { name: u.name, password: u.password, domain_id: 'default', default_project_id: projects[u.project].id } })).user.id;
    }
    const grant = (p: ProjectKey, u: UserKey, r: string) => must('PUT', `/projects/${projects[p].id}/users/${users[u].id}/roles/${r}`);
    await grant('A', 'memberA', role.member);
    await grant('B', 'memberB', role.member);
    await grant('service', 'neutron', role.service);
    await grant('service', 'neutron', role.admin);
  } catch (e) {
    await main?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const started = main;

  return {
    url,
    authUrl,
    dir,
    projects,
    users,
    authtokenOptions: (overrides = {}) => ({
      www_authenticate_uri: url,
      auth_url: url,
      auth_type: 'password',
      username: users.neutron.name,
      password: users.neutron.password,
      project_name: projects.service.name,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      region_name: 'RegionOne',
      http_connect_timeout: 30, // a loaded CI machine can make Keystone slow
      ...overrides,
    }),
    issueToken,
    token: async (user, scope) => (await issueToken(user, scope)).token,
    async revoke(token) {
      if (!adminToken) adminToken = await issueToken('admin');
      const r = await request(`${authUrl}/auth/tokens`, {
        method: 'DELETE',
        headers: { 'x-auth-token': adminToken.token, 'x-subject-token': token },
        reset: true,
      });
      await r.body.dump();
      if (r.statusCode !== 204) throw new Error(`revoke: ${r.statusCode}`);
    },
    api,
    stop: () => started.stop(),
    start: () => started.start(),
    async startSibling(token) {
      const n = servers.length;
      const siblingConf = join(dir, `keystone-${n}.conf`);
      writeFileSync(siblingConf, keystoneConf(dir, token.expiration));
      const s = await startUwsgi((port) => new Uwsgi(dir, siblingConf, port, join(dir, `uwsgi-${n}.log`)));
      servers.push(s);
      const sUrl = `http://127.0.0.1:${s.port}`;
      return {
        url: sUrl,
        authUrl: `${sUrl}/v3`,
        issueToken: (user, scope) => issueTokenAt(`${sUrl}/v3`, user, scope),
        stop: () => s.stop(),
      };
    },
    async shutdown() {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
