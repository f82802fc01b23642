import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { Pool, request } from 'undici';
import { LONG_LIVED } from '../../src/api/watch.js';
import { configWith, type Overrides } from '../../src/config/index.js';
import { HttpFront, type RequestHandler } from '../../src/service/http.js';

const fronts: HttpFront[] = [];
after(async () => {
  for (const f of fronts) await f.drain(1000);
});

async function serve(defaults: NonNullable<Overrides['DEFAULT']>, handle: RequestHandler): Promise<{ front: HttpFront; url: string; port: number }> {
  const front = new HttpFront(configWith({ DEFAULT: defaults }), handle);
  fronts.push(front);
  const { port } = await front.listen({ host: '127.0.0.1', port: 0 }, 128);
  return { front, url: `http://127.0.0.1:${port}`, port };
}

/** A handler whose requests wait until released, counting how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  const handle: RequestHandler = (_req, res) => {
    running++;
    peak = Math.max(peak, running);
    waiting.push(() => {
      running--;
      res.end('done');
    });
  };
  return {
    handle,
    get peak() { return peak; },
    get pending() { return waiting.length; },
    release() { for (const w of waiting.splice(0)) w(); },
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 1000, 'condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('HttpFront: the API process HTTP server', () => {
  test('wsgi_default_pool_size bounds the requests handled at once; the others wait, none fails', async () => {
    const g = gate();
    const { url } = await serve({ wsgi_default_pool_size: 3 }, g.handle);
    const pool = new Pool(url, { connections: 10 });
    const all = Array.from({ length: 10 }, () => pool.request({ method: 'GET', path: '/' }).then(async (r) => [r.statusCode, await r.body.text()]));
    await until(() => g.pending === 3);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(g.pending, 3, 'no more than the pool size at once');
    while ((await Promise.race([Promise.all(all).then(() => true), new Promise((r) => setTimeout(() => r(false), 20))])) === false) g.release();
    assert.deepEqual(await Promise.all(all), Array.from({ length: 10 }, () => [200, 'done']));
    assert.equal(g.peak, 3);
    await pool.close();
  });

  test('a header line longer than max_header_line is refused with 400, as eventlet does', async () => {
    const { url } = await serve({ max_header_line: 1024 }, (_req, res) => res.end('ok'));
    const ok = await request(url, { headers: { 'x-auth-token': 'a'.repeat(900) } });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
    const long = await request(url, { headers: { 'x-auth-token': 'a'.repeat(1100) } });
    assert.equal(long.statusCode, 400);
    await long.body.dump();
    // many short headers adding up to more than max_header_line are fine
    const many = await request(url, { headers: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-h${i}`, 'b'.repeat(200)])) });
    assert.equal(many.statusCode, 200);
    await many.body.dump();
  });

  test('wsgi_keep_alive = false closes every connection after its response', async () => {
    const on = await serve({}, (_req, res) => res.end('ok'));
    const kept = await request(on.url);
    await kept.body.dump();
    assert.notEqual(kept.headers.connection, 'close');
    const off = await serve({ wsgi_keep_alive: false }, (_req, res) => res.end('ok'));
    const closed = await request(off.url);
    await closed.body.dump();
    assert.equal(closed.headers.connection, 'close');
  });

  test('drain: no new connection, requests in flight finish with Connection: close', async () => {
    const g = gate();
    const { front, url, port } = await serve({}, g.handle);
    const inFlight = request(url);
    await until(() => g.pending === 1);
    const drained = front.drain(10_000);
    assert.equal(front.isDraining, true);
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => reject(new Error('a new connection was accepted while draining')));
      s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve() : reject(e)));
    });
    g.release();
    const res = await inFlight;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.connection, 'close');
    assert.equal(await res.body.text(), 'done');
    assert.equal(await drained, true);
  });

  test('drain: a connection that sends its request soon after is still served; a silent one is closed', async () => {
    const { front, port } = await serve({}, (_req, res) => res.end('late but served'));
    const accepted = new Promise((r) => front.server.once('connection', r));
    const late = connect(port, '127.0.0.1');
    const silent = connect(port, '127.0.0.1');
    let raw = '';
    late.on('data', (d) => (raw += d));
    const lateClosed = new Promise((r) => late.on('close', r));
    const silentClosed = new Promise((r) => silent.on('close', r));
    await accepted;
    await new Promise((r) => setTimeout(r, 50));
    const drained = front.drain(10_000);
    await new Promise((r) => setTimeout(r, 200));
    late.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await lateClosed;
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\r\nConnection: close\r\n/);
    assert.match(raw, /late but served$/);
    await silentClosed;
    assert.equal(await drained, true);
  });

  test('drain gives up after the timeout and cuts what is left', async () => {
    const g = gate();
    const { front, url } = await serve({}, g.handle);
    const stuck = request(url).then(() => 'answered', () => 'cut');
    await until(() => g.pending === 1);
    assert.equal(await front.drain(200), false);
    assert.equal(await stuck, 'cut');
  });

  test('replace: new requests go to the new handler; the old one is released once idle', async () => {
    const g = gate();
    const { front, url } = await serve({}, g.handle);
    const old = request(url).then((r) => r.body.text());
    await until(() => g.pending === 1);
    let oldIdle = false;
    const replaced = front.replace((_req, res) => res.end('new')).then(() => (oldIdle = true));
    assert.equal(await (await request(url)).body.text(), 'new');
    assert.equal(oldIdle, false);
    g.release();
    assert.equal(await old, 'done');
    await replaced;
    assert.equal(oldIdle, true);
  });

  test('a watch takes no place in the pool, and a drain ends it', { timeout: 10_000 }, async () => {
    const { front, url } = await serve({ wsgi_default_pool_size: 1 }, (req, res) => {
      if (req.url !== '/watch') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.emit(LONG_LIVED);
      res.write(': open\n\n');
    });
    const watches = await Promise.all([request(`${url}/watch`), request(`${url}/watch`)]);
    const ended = watches.map((w) => w.body.text());
    // two watches are open with a pool of one, and a plain request is still answered at once
    assert.equal(await (await request(url)).body.text(), 'ok');
    assert.equal(await front.drain(5000), true);
    assert.deepEqual(await Promise.all(ended), [': open\n\n', ': open\n\n']);
  });
});
