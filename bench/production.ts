/**
 * The `production` profile of `npm run bench`: the configuration of Neutron's install guide
 * instead of the embedded default. A real Keystone (Debian's package, as the Keystone tests start
 * it) issues the tokens the callers send; the server validates them with [keystone_authtoken];
 * RabbitMQ carries the agent notifications (a vhost of the run's own); ML2 is openvswitch +
 * l2population over VXLAN with the port_security extension driver; api_workers = 2,
 * rpc_workers = 1, rpc_state_report_workers = 1. Each bench project is a Keystone project in which
 * the member user holds the member role.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { startKeystone, type KeystoneServer } from '../test/keystone/keystone-server.js';
import type { Caller } from './api.js';

const run = promisify(execFile);

export interface ProductionSetup {
  /** neutron.conf lines added to the bench server's */
  config: string[];
  /** a caller holding a member token of `project` */
  member(project: string): Caller;
  /** a caller holding the admin's token */
  admin: Caller;
  description: string;
  stop(): Promise<void>;
}

/** The install guide's ML2 and process settings, and Keystone and RabbitMQ for `projects`. */
export async function startProduction(projects: string[], log: (m: string) => void): Promise<ProductionSetup> {
  log('starting Keystone');
  const ks = await startKeystone();
  const vhost = `neutron-ts-bench-${process.pid}`;
  try {
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    const tokens = await memberTokens(ks, projects);
    const adminToken = await ks.token('admin');
    const authtoken = ks.authtokenOptions();
    return {
      config: [
        '[DEFAULT]',
        'auth_strategy = keystone',
        `transport_url = rabbit://guest:guest@127.0.0.1:5672/${vhost}`,
        'rpc_workers = 1',
        'rpc_state_report_workers = 1',
        'service_plugins = router',
        '[ml2]',
        'type_drivers = flat,vlan,vxlan',
        'tenant_network_types = vxlan',
        'mechanism_drivers = openvswitch,l2population',
        'extension_drivers = port_security',
        '[ml2_type_flat]',
        'flat_networks = provider',
        '[ml2_type_vxlan]',
        'vni_ranges = 1:100000',
        '[keystone_authtoken]',
        ...Object.entries(authtoken).map(([k, v]) => `${k} = ${v}`),
      ],
      member: (project) => ({ headers: { 'x-auth-token': tokens.get(project)! } }),
      admin: { headers: { 'x-auth-token': adminToken } },
      description: `Keystone ${ks.url}, RabbitMQ vhost ${vhost}, ML2 openvswitch/l2population/vxlan, rpc_workers=1, rpc_state_report_workers=1`,
      async stop() {
        await ks.shutdown();
        await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
      },
    };
  } catch (e) {
    await ks.shutdown();
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    throw e;
  }
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
}

/** A Keystone project per bench project, the member user a member of each, and a token scoped to each. */
async function memberTokens(ks: KeystoneServer, projects: string[]): Promise<Map<string, string>> {
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await ks.api(method, path, body);
    if (r.status >= 300) throw new Error(`Keystone ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const memberRole = (await must('GET', '/roles?name=member')).roles[0].id as string;
  const user = ks.users.memberA;
  const tokens = new Map<string, string>();
  for (const name of projects) {
    const id = (await must('POST', '/projects', { project: { name, domain_id: 'default' } })).project.id as string;
    await must('PUT', `/projects/${id}/users/${user.id}/roles/${memberRole}`);
    const res = await request(`${ks.authUrl}/auth/tokens?nocatalog`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user.name, password: user.password, domain: { id: 'default' } } } },
          scope: { project: { id } },
        },
      }),
    });
    await res.body.dump();
    const token = res.headers['x-subject-token'];
    if (res.statusCode !== 201 || typeof token !== 'string') throw new Error(`Keystone token for ${name}: ${res.statusCode}`);
    tokens.set(name, token);
  }
  return tokens;
}
