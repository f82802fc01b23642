import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

interface ServerEvent { id: number; event: string; data: any }

/** A client of `?watch=true`: it reads the Server-Sent Events as they come. */
class Watcher {
  readonly events: ServerEvent[] = [];
  status = 0;
  private text = '';
  private body?: { destroy(): void };

  static async open(s: TestServer, path: string, headers: Record<string, string>): Promise<Watcher> {
    const w = new Watcher();
    const res = await request(`${s.url}${path}`, { headers });
    w.status = res.statusCode;
    w.body = res.body;
    res.body.setEncoding('utf8');
    res.body.on('data', (chunk: string) => w.read(chunk));
    res.body.on('error', () => {});
    return w;
  }

  private read(chunk: string): void {
    this.text += chunk;
    let end;
    while ((end = this.text.indexOf('\n\n')) >= 0) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (fields.has('event')) this.events.push({ id: Number(fields.get('id')), event: fields.get('event')!, data: JSON.parse(fields.get('data')!) });
    }
  }

  /** Waits (30 s at most) until `cond` holds for the events read so far. */
  async until(cond: (events: ServerEvent[]) => boolean, what: string): Promise<void> {
    for (let i = 0; !cond(this.events); i++) {
      assert.ok(i < 3000, `timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => [e.id, e.event]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.body?.destroy();
  }
}

const names = (events: ServerEvent[], key: string) => events.map((e) => `${e.event} ${e.data[key]?.name}`);

describe('the change stream: GET /v2.0/<collection>?watch=true', () => {
  let s: TestServer;
  before(async () => { s = await startServer({ quotas: { quota_network: -1 } }); });
  after(async () => { await s.close(); });

  test('each watcher gets exactly the changes its policy lets it see, with fields and filters applied', async () => {
    const p1 = await Watcher.open(s, '/v2.0/networks?watch=true', asProject('w1'));
    const p2 = await Watcher.open(s, '/v2.0/networks?watch=true&fields=name&fields=revision_number', asProject('w2'));
    const admin = await Watcher.open(s, '/v2.0/networks?watch=true&name=mine&name=shared', ADMIN);
    assert.equal(p1.status, 200);
    const mine = (await s.request('POST', '/v2.0/networks', { network: { name: 'mine' } }, asProject('w1'))).body.network;
    await s.request('POST', '/v2.0/networks', { network: { name: 'theirs' } }, asProject('w2'));
    const shared = (await s.request('POST', '/v2.0/networks', { network: { name: 'shared', shared: true } }, ADMIN)).body.network;
    await s.request('PUT', `/v2.0/networks/${mine.id}`, { network: { description: 'changed' } }, asProject('w1'));
    await s.request('DELETE', `/v2.0/networks/${mine.id}`, undefined, asProject('w1'));
    await s.request('DELETE', `/v2.0/networks/${shared.id}`, undefined, ADMIN);
    await p1.until((e) => e.length >= 5, 'w1 events');
    await p2.until((e) => e.length >= 3, 'w2 events');
    await admin.until((e) => e.length >= 5, 'admin events');
    assert.deepEqual(names(p1.events, 'network'), ['created mine', 'created shared', 'updated mine', 'deleted mine', 'deleted shared']);
    assert.deepEqual(names(p2.events, 'network'), ['created theirs', 'created shared', 'deleted shared']);
    assert.deepEqual(p2.events.map((e) => Object.keys(e.data.network).sort()), [['name', 'revision_number'], ['name', 'revision_number'], ['name', 'revision_number']]);
    assert.deepEqual(names(admin.events, 'network'), ['created mine', 'created shared', 'updated mine', 'deleted mine', 'deleted shared']);
    assert.deepEqual(p1.events.map((e) => e.data.revision_number), [0, 1, 1, 1, 1], 'the revision of each change (shared made the new network revision 1)');
    assert.equal(p1.events[2]!.data.network.description, 'changed');
    assert.ok(p1.events.every((e, i) => i === 0 || e.id > p1.events[i - 1]!.id), 'ids increase');
    for (const w of [p1, p2, admin]) w.close();
  });

  test('10,000 changes arrive in the order they were made, none lost', async () => {
    const w = await Watcher.open(s, '/v2.0/networks?watch=true&fields=id', asProject('bulk'));
    const made: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await s.request('POST', '/v2.0/networks', { networks: Array.from({ length: 100 }, (_, j) => ({ network: { name: `n${i}-${j}` } })) }, asProject('bulk'));
      assert.equal(r.status, 201);
      made.push(...r.body.networks.map((n: any) => n.id));
    }
    await w.until((e) => e.length >= 10_000, '10,000 events');
    assert.equal(w.events.length, 10_000);
    assert.deepEqual(w.events.map((e) => e.data.network.id), made);
    assert.ok(w.events.every((e) => e.event === 'created'));
    assert.ok(w.events.every((e, i) => i === 0 || e.id > w.events[i - 1]!.id));
    w.close();
  });

  test('a watcher that does not read holds one batch, not the stream, and gets everything once it reads', async () => {
    // from the first change on: the 10,000 networks above and the rest, ~7 MB, more than the
    // kernel's socket buffers hold, so that the server has to wait for the reader
    const total = (await s.server.db.read((q) => q.selectFrom('changes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow())).n;
    assert.ok(Number(total) > 10_000);
    const url = new URL(s.url);
    const socket: Socket = connect(Number(url.port), url.hostname);
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    socket.write('GET /v2.0/networks?watch=true HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\nX-Project-Id: admin\r\nX-User-Id: u\r\nX-Roles: admin\r\n\r\n');
    const feed = s.server.changes!;
    let held = 0;
    for (let i = 0; i < 150; i++) {
      held = Math.max(held, feed.heldBytes);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(held > 0, 'the server waits for the reader with events it could not send yet');
    assert.ok(held < 600_000, `the server holds ${held} bytes for a watcher that does not read`);
    let events = 0;
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
      const lines = text.split('\n');
      text = lines.pop()!;
      events += lines.filter((l) => l.startsWith('event: ')).length;
    });
    socket.resume();
    for (let i = 0; events < Number(total); i++) {
      assert.ok(i < 3000, `got ${events} of ${total} events`);
      await new Promise((r) => setTimeout(r, 10));
    }
    socket.destroy();
  });

  test('a watcher that goes away and comes back with Last-Event-ID misses nothing; an id no longer kept is a resync', async () => {
    const first = await Watcher.open(s, '/v2.0/networks?watch=true', asProject('r'));
    const a = (await s.request('POST', '/v2.0/networks', { network: { name: 'a' } }, asProject('r'))).body.network;
    await first.until((e) => e.length >= 1, 'the first event');
    first.close();
    await s.request('PUT', `/v2.0/networks/${a.id}`, { network: { name: 'b' } }, asProject('r'));
    await s.request('POST', '/v2.0/networks', { network: { name: 'c' } }, asProject('r'));
    const resumed = await Watcher.open(s, '/v2.0/networks?watch=true', { ...asProject('r'), 'last-event-id': String(first.events[0]!.id) });
    await resumed.until((e) => e.length >= 2, 'the missed events');
    assert.deepEqual(names(resumed.events, 'network'), ['updated b', 'created c']);
    resumed.close();

    // the oldest changes are pruned: a watcher that asks a server for them (one that has not kept
    // them in memory) is told to list again, then gets what follows
    await s.server.db.write((tx) => tx.deleteFrom('changes').where('seq', '<=', first.events[0]!.id).execute());
    const other = await startServer(s.overrides);
    try {
      const stale = await Watcher.open(other, '/v2.0/networks?watch=true', { ...asProject('r'), 'last-event-id': String(first.events[0]!.id - 1) });
      await stale.until((e) => e.length >= 1, 'the resync event');
      assert.equal(stale.events[0]!.event, 'resync');
      await s.request('POST', '/v2.0/networks', { network: { name: 'd' } }, asProject('r'));
      await stale.until((e) => e.length >= 2, 'the event after the resync');
      assert.deepEqual(names(stale.events.slice(1), 'network'), ['created d']);
      stale.close();
    } finally {
      await other.close();
    }
  });

  test('a second server on the same database streams the first one\'s changes', async () => {
    const other = await startServer(s.overrides);
    try {
      const w = await Watcher.open(other, '/v2.0/networks?watch=true&name=elsewhere', ADMIN);
      await s.request('POST', '/v2.0/networks', { network: { name: 'elsewhere' } }, ADMIN);
      await w.until((e) => e.length >= 1, 'the change made on the first server');
      assert.deepEqual(names(w.events, 'network'), ['created elsewhere']);
      w.close();
    } finally {
      await other.close();
    }
  });

  test('bad watches are 400 in Neutron\'s format; watch=false is a list', async () => {
    for (const q of ['watch=maybe', 'watch=true&limit=2', 'watch=true&sort_key=name', 'watch=true&unknown_attr=1']) {
      const r = await s.request('GET', `/v2.0/networks?${q}`);
      assert.equal(r.status, 400, q);
      assert.ok(r.body.NeutronError.message, q);
    }
    const list = await s.request('GET', '/v2.0/networks?watch=false&fields=id');
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(list.body.networks));
  });
});

test('with [change_stream] enabled = false there is no change log and a watch is 400', async () => {
  const s = await startServer({ change_stream: { enabled: false } });
  try {
    await s.request('POST', '/v2.0/networks', { network: { name: 'n' } });
    const r = await s.request('GET', '/v2.0/networks?watch=true');
    assert.equal(r.status, 400);
    assert.match(r.body.NeutronError.message, /change stream is off/);
    const rows = await s.server.db.read((q) => q.selectFrom('changes').selectAll().execute());
    assert.equal(rows.length, 0);
  } finally {
    await s.close();
  }
});

test('the log keeps created and updated states from the first watcher on; before it, a change is sent as the object is', async () => {
  const s = await startServer();
  try {
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'before-1' } })).body.network;
    await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'before-2' } });
    await s.request('DELETE', `/v2.0/networks/${(await s.request('POST', '/v2.0/networks', { network: { name: 'gone' } })).body.network.id}`);
    const logged = await s.server.db.read((q) => q.selectFrom('changes').select(['event', 'snapshot']).orderBy('seq').execute());
    assert.deepEqual(logged.map((r) => [r.event, r.snapshot !== null]), [['created', false], ['updated', false], ['created', false], ['deleted', true]],
      'nobody watches: only the deletion keeps its state');
    const w = await Watcher.open(s, '/v2.0/networks?watch=true', { ...ADMIN, 'last-event-id': '0' });
    await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'while-1' } });
    await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { name: 'while-2' } });
    await w.until((e) => e.length >= 5, 'the five changes');
    // the two changes logged without a state are sent as the network was when they were read, not as they left it
    assert.deepEqual(w.events.slice(0, 2).map((e) => e.event), ['created', 'updated']);
    assert.ok(w.events.slice(0, 2).every((e) => e.data.network.name !== 'before-1' && e.data.revision_number > 0), JSON.stringify(w.events.slice(0, 2)));
    assert.deepEqual(w.events.slice(2).map((e) => [e.event, e.data.network.name]), [['deleted', 'gone'], ['updated', 'while-1'], ['updated', 'while-2']]);
    w.close();
  } finally {
    await s.close();
  }
});
