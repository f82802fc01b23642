/**
 * The scenarios, modelled on Rally's NeutronNetworks ones (create_and_list_networks,
 * create_and_list_subnets, create_and_update_ports, create_and_delete_ports, list ports), each
 * measuring one kind of request so that its figures mean one thing.
 */
import { ADMIN, HttpError, member, type Caller, type NeutronApi } from './api.js';
import { inParallel, type Op } from './load.js';

export interface BenchContext {
  api: NeutronApi;
  /** every caller is noauth's admin instead of a member of a bench project */
  admin: boolean;
  log(message: string): void;
  /** ports made by create_ports, by concurrency, for update_ports and delete_ports */
  createdPorts: Map<number, string[]>;
  portFixture?: PortFixture;
  /** next /16 for a port network (172.26.0.0/16 onward; the list fixture has 172.16-25) */
  nextPortNet: number;
  /** next /24 for create_subnets (10.0.0.0/24 onward) */
  nextSubnet: number;
  /** callers with Keystone tokens (the production profile) instead of noauth headers */
  callers?: { member(project: string): Caller; admin: Caller };
}

export interface Scenario {
  name: string;
  what: string;
  /** prepares one run at `concurrency` and returns its operation */
  setup(ctx: BenchContext, concurrency: number): Promise<Op>;
}

/** The 10,000 ports that the listing scenarios read: 10 networks of 1,000 ports, 5 ports per device_id. */
export interface PortFixture {
  caller: Caller;
  networkIds: string[];
  portIds: string[];
  devices: number;
}

/** the projects the scenarios work in (noauth mode) */
export const BENCH_PROJECTS = ['bench-create', 'bench-netlist', 'bench-subnetlist', 'bench-list'];

/** Lifts the quotas of the bench projects on a server that has the quotas API (e.g. one given by --url). */
export async function unlimitedQuotas(ctx: BenchContext): Promise<void> {
  for (const project of BENCH_PROJECTS) {
    try {
      await ctx.api.json(ADMIN, 'PUT', `/v2.0/quotas/${project}`, { quota: { network: -1, subnet: -1, port: -1 } });
    } catch (e) {
      ctx.log(`could not lift the quotas of ${project}: ${(e as Error).message}`);
      return;
    }
  }
}

const LIST_FIXTURE = { networks: 10, portsPerNetwork: 1000, devices: 2000 };
const LISTED_NETWORKS = 1000;
const LISTED_SUBNETS = 1000;
const BULK = 100;

function caller(ctx: BenchContext, project: string): Caller {
  if (ctx.admin) return ctx.callers?.admin ?? ADMIN;
  return (ctx.callers?.member ?? member)(project);
}

async function createNetwork(ctx: BenchContext, who: Caller, name: string): Promise<string> {
  return (await ctx.api.json(who, 'POST', '/v2.0/networks', { network: { name } })).network.id;
}

async function createSubnet(ctx: BenchContext, who: Caller, networkId: string, cidr: string, name = ''): Promise<string> {
  return (await ctx.api.json(who, 'POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr, name } })).subnet.id;
}

/** A setup request, tried again while the server answers 409 for a write that met a concurrent one. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 409 && /concurrent/.test(e.message)) || attempt === 5) throw e;
    }
  }
}

/**
 * Creates `items` (bodies of one resource) in bulk requests of 100, `width` at a time, or one by
 * one where bulk is refused. Ports of one subnet go one request at a time (width 1): they would
 * only compete for the same addresses.
 */
async function createMany(ctx: BenchContext, who: Caller, collection: string, member: string, items: object[], width = 4): Promise<string[]> {
  const ids: string[] = [];
  const batches: object[][] = [];
  for (let i = 0; i < items.length; i += BULK) batches.push(items.slice(i, i + BULK));
  let bulk = true;
  await inParallel(batches, width, async (batch) => {
    if (bulk) {
      try {
        const body = await retried(() => ctx.api.json(who, 'POST', `/v2.0/${collection}`, { [collection]: batch.map((b) => ({ [member]: b })) }));
        for (const x of body[collection]) ids.push(x.id);
        return;
      } catch (e) {
        if (!(e instanceof HttpError && e.status === 400 && /Bulk/.test(e.message))) throw e;
        bulk = false;
      }
    }
    await inParallel(batch, width, async (b) => { ids.push((await retried(() => ctx.api.json(who, 'POST', `/v2.0/${collection}`, { [member]: b })))[member].id); });
  });
  return ids;
}

async function listIds(ctx: BenchContext, who: Caller, collection: string, query = ''): Promise<any[]> {
  return (await ctx.api.json(who, 'GET', `/v2.0/${collection}?fields=id&fields=name${query}`))[collection];
}

/** A network with one /16 subnet, for ports. */
async function portNetwork(ctx: BenchContext, who: Caller, name: string): Promise<string> {
  const net = await createNetwork(ctx, who, name);
  await createSubnet(ctx, who, net, `172.${26 + ctx.nextPortNet++}.0.0/16`, name);
  return net;
}

async function portsOn(ctx: BenchContext, who: Caller, networkId: string, n: number, prefix: string): Promise<string[]> {
  return createMany(ctx, who, 'ports', 'port', Array.from({ length: n }, (_, i) => ({ network_id: networkId, name: `${prefix}-${i}` })), 1);
}

/** Creates the list fixture, or tops up the one a previous run left on the target server. */
async function portFixture(ctx: BenchContext): Promise<PortFixture> {
  if (ctx.portFixture) return ctx.portFixture;
  const who = caller(ctx, 'bench-list');
  const t0 = performance.now();
  const existing = new Map((await listIds(ctx, who, 'networks')).map((n) => [n.name as string, n.id as string]));
  const networkIds: string[] = [];
  const portIds: string[] = [];
  await inParallel(Array.from({ length: LIST_FIXTURE.networks }, (_, k) => k), 4, async (k) => {
    const name = `bench-list-${k}`;
    let id = existing.get(name);
    if (!id) {
      id = await createNetwork(ctx, who, name);
      await createSubnet(ctx, who, id, `172.${16 + k}.0.0/16`, name);
    }
    networkIds[k] = id;
    const have = await listIds(ctx, who, 'ports', `&network_id=${id}`);
    for (const p of have) portIds.push(p.id);
    const missing = LIST_FIXTURE.portsPerNetwork - have.length;
    if (missing > 0) {
      const base = k * LIST_FIXTURE.portsPerNetwork + have.length;
      portIds.push(...await createMany(ctx, who, 'ports', 'port', Array.from({ length: missing }, (_, i) => ({
        network_id: id, name: `bench-list-port-${base + i}`, device_id: `bench-vm-${(base + i) % LIST_FIXTURE.devices}`,
        device_owner: 'compute:nova',
      })), 1));
    }
  });
  ctx.log(`port fixture: ${portIds.length} ports on ${networkIds.length} networks (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return (ctx.portFixture = { caller: who, networkIds, portIds, devices: LIST_FIXTURE.devices });
}

/** A GET whose body is read in full; the item count is checked once, before the run. */
async function listOp(ctx: BenchContext, who: Caller, collection: string, path: (i: number) => string): Promise<Op> {
  const first = await ctx.api.json(who, 'GET', path(0));
  ctx.log(`${path(0)} → ${first[collection].length} ${collection}`);
  return async (i) => { await ctx.api.send(who, 'GET', path(i)); };
}

export const scenarios: Scenario[] = [
  {
    name: 'create_networks',
    what: 'POST /v2.0/networks',
    async setup(ctx, c) {
      const who = caller(ctx, 'bench-create');
      return async (i) => { await ctx.api.send(who, 'POST', '/v2.0/networks', { network: { name: `bench-net-c${c}-${i}` } }); };
    },
  },
  {
    name: 'list_networks',
    what: `GET /v2.0/networks (${LISTED_NETWORKS} networks)`,
    async setup(ctx) {
      const who = caller(ctx, 'bench-netlist');
      const have = (await listIds(ctx, who, 'networks')).length;
      if (have < LISTED_NETWORKS) {
        await createMany(ctx, who, 'networks', 'network', Array.from({ length: LISTED_NETWORKS - have }, (_, i) => ({ name: `bench-netlist-${have + i}` })));
      }
      return listOp(ctx, who, 'networks', () => '/v2.0/networks');
    },
  },
  {
    name: 'create_subnets',
    what: 'POST /v2.0/subnets (/24s over 10 networks)',
    async setup(ctx, c) {
      const who = caller(ctx, 'bench-create');
      const nets: string[] = [];
      for (let k = 0; k < 10; k++) nets.push(await createNetwork(ctx, who, `bench-subnets-c${c}-${k}`));
      return async (i) => {
        const n = ctx.nextSubnet++;
        if (n >= 128 * 256) return false;
        await ctx.api.send(who, 'POST', '/v2.0/subnets', {
          subnet: { network_id: nets[i % nets.length], ip_version: 4, cidr: `10.${n >> 8}.${n & 255}.0/24`, name: `bench-subnet-${n}` },
        });
      };
    },
  },
  {
    name: 'list_subnets',
    what: `GET /v2.0/subnets (${LISTED_SUBNETS} subnets)`,
    async setup(ctx) {
      const who = caller(ctx, 'bench-subnetlist');
      const have = (await listIds(ctx, who, 'subnets')).length;
      if (have < LISTED_SUBNETS) {
        const perNet = LISTED_SUBNETS / 10;
        for (let k = 0; k < 10; k++) {
          const net = await createNetwork(ctx, who, `bench-subnetlist-${k}`);
          await createMany(ctx, who, 'subnets', 'subnet', Array.from({ length: perNet }, (_, j) => ({
            network_id: net, ip_version: 4, cidr: `11.${k}.${j}.0/24`, name: `bench-subnetlist-${k}-${j}`,
          })));
        }
      }
      return listOp(ctx, who, 'subnets', () => '/v2.0/subnets');
    },
  },
  {
    name: 'list_ports',
    what: 'GET /v2.0/ports (10,000 ports)',
    async setup(ctx) {
      const f = await portFixture(ctx);
      return listOp(ctx, f.caller, 'ports', () => '/v2.0/ports');
    },
  },
  {
    name: 'list_ports_by_network',
    what: 'GET /v2.0/ports?network_id= (1,000 of 10,000)',
    async setup(ctx) {
      const f = await portFixture(ctx);
      return listOp(ctx, f.caller, 'ports', (i) => `/v2.0/ports?network_id=${f.networkIds[i % f.networkIds.length]}`);
    },
  },
  {
    name: 'list_ports_by_device',
    what: 'GET /v2.0/ports?device_id= (5 of 10,000)',
    async setup(ctx) {
      const f = await portFixture(ctx);
      return listOp(ctx, f.caller, 'ports', (i) => `/v2.0/ports?device_id=bench-vm-${i % f.devices}`);
    },
  },
  {
    name: 'list_ports_fields',
    what: 'GET /v2.0/ports?fields=id,name,mac_address,fixed_ips (10,000 ports)',
    async setup(ctx) {
      const f = await portFixture(ctx);
      return listOp(ctx, f.caller, 'ports', () => '/v2.0/ports?fields=id&fields=name&fields=mac_address&fields=fixed_ips');
    },
  },
  {
    name: 'show_port',
    what: 'GET /v2.0/ports/<id> (of 10,000)',
    async setup(ctx) {
      const f = await portFixture(ctx);
      return async (i) => { await ctx.api.send(f.caller, 'GET', `/v2.0/ports/${f.portIds[(i * 7919) % f.portIds.length]}`); };
    },
  },
  {
    name: 'create_ports',
    what: 'POST /v2.0/ports (one network, one /16 subnet)',
    async setup(ctx, c) {
      const who = caller(ctx, 'bench-create');
      const net = await portNetwork(ctx, who, `bench-ports-c${c}`);
      const created: string[] = [];
      ctx.createdPorts.set(c, created);
      return async (i) => {
        const text = (await ctx.api.send(who, 'POST', '/v2.0/ports', { port: { network_id: net, name: `bench-port-${i}` } })).text;
        created.push(JSON.parse(text).port.id);
      };
    },
  },
  {
    name: 'update_ports',
    what: 'PUT /v2.0/ports/<id> (name, admin_state_up, device_id)',
    async setup(ctx, c) {
      const who = caller(ctx, 'bench-create');
      let ports = ctx.createdPorts.get(c) ?? [];
      if (!ports.length) {
        ports = await portsOn(ctx, who, await portNetwork(ctx, who, `bench-update-c${c}`), 2000, `bench-update-c${c}`);
        ctx.createdPorts.set(c, ports);
      }
      return async (i) => {
        await ctx.api.send(who, 'PUT', `/v2.0/ports/${ports[i % ports.length]}`, {
          port: { name: `bench-updated-${i}`, admin_state_up: i % 2 === 0, device_id: `bench-device-${i}` },
        });
      };
    },
  },
  {
    name: 'delete_ports',
    what: 'DELETE /v2.0/ports/<id> (until none is left)',
    async setup(ctx, c) {
      const who = caller(ctx, 'bench-create');
      let ports = ctx.createdPorts.get(c) ?? [];
      ctx.createdPorts.delete(c);
      if (!ports.length) ports = await portsOn(ctx, who, await portNetwork(ctx, who, `bench-delete-c${c}`), 5000, `bench-delete-c${c}`);
      return async () => {
        const id = ports.pop();
        if (id === undefined) return false;
        await ctx.api.send(who, 'DELETE', `/v2.0/ports/${id}`);
      };
    },
  },
];
