// The database going away and coming back, through a TCP proxy that the test cuts and restores:
// meanwhile every request that needs the database gets 503 in Neutron's format, the server stays
// up, nothing is half written, and it serves again by itself once the database is back.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Database } from '../../src/db/database.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../support/databases.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * Forwards 127.0.0.1:<port> to the database; cut() refuses new connections and resets the open ones.
 * The first start() takes a port the kernel picks as it binds; start() after cut() binds it again.
 */
class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => server ? server.close(() => resolve()) : resolve());
    for (const s of this.sockets) s.resetAndDestroy();
    await closed;
  }

  get open(): number {
    return this.sockets.size;
  }
}

function throughProxy(url: string, port: number): string {
  return url.replace(/@[^/]*\//, `@127.0.0.1:${port}/`);
}

const backend = testBackend();

describe('the database going away', { skip: backend === 'sqlite' && 'SQLite is embedded: it cannot go away' }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let s: TestServer;

  before(async () => {
    if (backend === 'sqlite') return;
    database = await createTestDatabase(backend);
    const target = new URL(database.url.replace(/^[^:]+:/, 'http:'));
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    s = await startServer({
      database: { connection: throughProxy(database.url, proxy.port), pool_timeout: 5, max_retries: 0 },
      ml2: { tenant_network_types: ['vxlan'] },
      ml2_type_vxlan: { vni_ranges: ['100:1099'] },
    });
  });

  after(async () => {
    await s?.close();
    await proxy?.cut();
    await database?.drop();
  });

  test('503 while it is unreachable, then serving again by itself', async () => {
    const before = await s.request('POST', '/v2.0/networks', { network: { name: 'before' } });
    assert.equal(before.status, 201);
    const id = before.body.network.id;

    await proxy.cut();
    const during = [
      await s.request('GET', '/v2.0/networks'),
      await s.request('GET', `/v2.0/networks/${id}`),
      await s.request('POST', '/v2.0/networks', { network: { name: 'during' } }),
      await s.request('PUT', `/v2.0/networks/${id}`, { network: { name: 'renamed' } }),
      await s.request('DELETE', `/v2.0/networks/${id}`),
    ];
    for (const r of during) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body.NeutronError).sort(), ['detail', 'message', 'type']);
      assert.equal(r.body.NeutronError.type, 'ServiceUnavailable');
    }
    const root = await s.request('GET', '/');
    assert.equal(root.status, 200, 'the server itself is still up');

    await proxy.start();
    let back = await s.request('GET', '/v2.0/networks');
    for (let i = 0; i < 50 && back.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      back = await s.request('GET', '/v2.0/networks');
    }
    assert.equal(back.status, 200);
    assert.deepEqual(back.body.networks.map((n: any) => n.name), ['before'], 'what failed during the outage left nothing behind');
    const after = await s.request('POST', '/v2.0/networks', { network: { name: 'after' } });
    assert.equal(after.status, 201);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${id}`)).status, 204);
  });

  test('cut while writes are in flight: 201 or 503, and never a half-written network', async () => {
    // cut once a few have committed, with the others at every stage of their transaction
    let committed = 0;
    let cutting: Promise<void> | null = null;
    const writes = Array.from({ length: 60 }, (_, i) => s.request('POST', '/v2.0/networks', { network: { name: `inflight-${i}` } })
      .then((r) => {
        if (r.status === 201 && ++committed === 5) cutting = proxy.cut();
        return r;
      }));
    const answers = await Promise.all(writes);
    assert.ok(cutting, 'the proxy was cut');
    await cutting;
    for (const a of answers) assert.ok(a.status === 201 || a.status === 503, `${a.status} ${JSON.stringify(a.body)}`);
    await proxy.start();

    const db = new Database({ url: database.url });
    try {
      const nets = await db.kysely.selectFrom('networks').select(['id', 'name']).where('name', 'like', 'inflight-%').execute();
      const segments = await db.kysely.selectFrom('network_segments').select('network_id').execute();
      const allocations = await db.kysely.selectFrom('segment_allocations').select('network_id').execute();
      const ids = new Set(nets.map((n) => n.id));
      for (const a of answers.filter((x) => x.status === 201)) assert.ok(ids.has(a.body.network.id), 'a 201 network was lost');
      // every network that exists is whole: its segment and its VNI, and no VNI without its network
      const all = new Set((await db.kysely.selectFrom('networks').select('id').execute()).map((n) => n.id));
      assert.deepEqual(new Set(segments.map((r) => r.network_id)), all);
      assert.deepEqual(new Set(allocations.map((r) => r.network_id)), all);
      assert.equal(allocations.length, all.size);
    } finally {
      await db.close();
    }
    let back = await s.request('GET', '/v2.0/networks');
    for (let i = 0; i < 50 && back.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      back = await s.request('GET', '/v2.0/networks');
    }
    assert.equal(back.status, 200);
  });
});
