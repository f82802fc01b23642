import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Pool } from 'undici';
import { ServerProcess } from './process.js';

const servers: ServerProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'neutron-ts-supervisor-'));
after(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(scratch, { recursive: true, force: true });
});

async function start(opts: Parameters<typeof ServerProcess.start>[0]): Promise<ServerProcess> {
  const s = await ServerProcess.start(opts);
  servers.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A POST whose headers and first half of the body are sent now, the rest by finish(). */
function slowRequest(port: number, body: unknown) {
  const text = JSON.stringify(body);
  const socket = connect(port, '127.0.0.1');
  let raw = '';
  socket.on('data', (d) => (raw += d));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(`POST /v2.0/networks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text.slice(0, 10)}`);
  return {
    async finish(): Promise<{ status: number; raw: string }> {
      socket.write(text.slice(10));
      await ended;
      return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]), raw };
    },
  };
}

describe('supervisor and workers (real processes, real signals)', () => {
  test('a SIGKILLed API worker is logged and respawned while requests keep succeeding', async () => {
    const server = await start({ conf: 'api_workers = 3' });
    const before = server.workerPids('api worker');
    assert.equal(before.length, 3);
    const victim = before[1]!;
    const statuses: number[] = [];
    const mark = server.logs.length;
    let respawned = false;
    // requests on connections of their own: none is in flight on the victim when it dies
    for (let i = 0; !respawned || i < 40; i++) {
      if (i === 10) process.kill(victim, 'SIGKILL');
      statuses.push((await server.fresh('GET', '/v2.0/networks')).status);
      respawned = server.logs.slice(mark).some((e) => e.worker === 'api worker' && e.msg === 'api worker started');
      assert.ok(i < 2000, 'the worker was not respawned');
    }
    assert.deepEqual(new Set(statuses), new Set([200]));
    const exit = await server.waitFor((e) => e.worker === 'supervisor' && e.child_pid === victim && / exited with signal SIGKILL/.test(e.msg), 10_000, mark);
    assert.equal(exit.level, 40);
    await server.waitFor((e) => e.worker === 'supervisor' && /^respawning api worker 1/.test(e.msg), 10_000, mark);
    // the supervisor's own log lines may come through after the new worker's
    await server.waitFor((e) => e.worker === 'supervisor' && /^started api worker 1 /.test(e.msg), 10_000, mark);
    const after = server.workerPids('api worker');
    assert.equal(after.length, 3);
    assert.ok(!after.includes(victim));
    // the respawned worker serves: its access log shows up among the next requests, sent thirty at
    // a time (one at a time, or ten on a loaded machine, they can all go to the workers that were
    // already waiting in accept)
    const fresh = after.find((p) => !before.includes(p))!;
    const served = () => server.logs.some((e) => e.pid === fresh && e.msg === 'request');
    for (let i = 0; i < 100 && !served(); i++) {
      const answers = await Promise.all(Array.from({ length: 30 }, () => server.fresh('GET', '/v2.0/networks')));
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    }
    await server.waitFor((e) => e.pid === fresh && e.msg === 'request', 10_000, mark);
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('with one API worker, a SIGKILL refuses no connection: they wait for the respawned worker, on the same port', async () => {
    const server = await start({ conf: 'api_workers = 1' });
    const [victim] = server.workerPids('api worker');
    const mark = server.logs.length;
    process.kill(victim!, 'SIGKILL');
    await server.waitFor((e) => e.worker === 'supervisor' && e.child_pid === victim && / exited with signal SIGKILL/.test(e.msg), 10_000, mark);
    // no API worker now: the connection is accepted by the kernel and answered once one is back
    const res = await server.fresh('GET', '/v2.0/networks');
    assert.equal(res.status, 200);
    const [respawned] = server.workerPids('api worker');
    assert.ok(respawned && respawned !== victim);
    await server.waitFor((e) => e.pid === respawned && e.msg === 'request', 10_000, mark);
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('bursts of new connections are spread over the API workers', async () => {
    const server = await start({ conf: 'api_workers = 2' });
    const workers = server.workerPids('api worker');
    const { port } = new URL(server.url);
    const mark = server.logs.length;
    // 100 connections at once, all established before any request: each is one worker's
    const burst = async () => {
      const sockets = await Promise.all(Array.from({ length: 100 }, () => new Promise<ReturnType<typeof connect>>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      })));
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
        socket.on('close', () => resolve());
        socket.resume();
        socket.write('GET /v2.0/networks HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
      })));
    };
    // one burst's split varies with the scheduler (19/81 was seen); three bursts together are
    // steadier (77/223 the most uneven in our runs); without single accepts one worker took nearly
    // all of a burst
    for (let i = 0; i < 3; i++) await burst();
    const served = () => workers.map((pid) => server.logs.slice(mark).filter((e) => e.pid === pid && e.msg === 'request').length);
    // the access log lines come through the server's stdout a little later
    for (let i = 0; i < 100 && served()[0]! + served()[1]! < 300; i++) await sleep(50);
    assert.equal(served()[0]! + served()[1]!, 300);
    assert.ok(served().every((n) => n >= 30), `connections per worker: ${served().join(', ')}`);
  });

  test('SIGTERM during a burst: every accepted request completes, then exit 0', async () => {
    const server = await start({ conf: 'api_workers = 2\n[quotas]\nquota_network = -1' });
    const port = Number(new URL(server.url).port);
    // Two requests whose bodies are still coming when SIGTERM arrives: accepted, not yet complete.
    const slow = [0, 1].map((i) => slowRequest(port, { network: { name: `slow-${i}` } }));
    const pool = new Pool(server.url, { connections: 16 });
    const created = new Set<string>();
    const failures: string[] = [];
    let answered = 0;
    // bulk creates, so that the workers, not this client, are the bottleneck
    const create = async (i: number) => {
      const names = Array.from({ length: 20 }, (_, j) => `burst-${i}-${j}`);
      try {
        const res = await pool.request({
          method: 'POST', path: '/v2.0/networks', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ networks: names.map((name) => ({ name })) }),
        });
        const text = await res.body.text();
        answered++;
        if (res.statusCode === 201) names.forEach((n) => created.add(n));
        else failures.push(`${res.statusCode} ${text}`);
      } catch (e) {
        // refused, or reset before the request was read: it was not accepted
        const code = (e as any).code ?? (e as any).cause?.code;
        if (!['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code)) failures.push(`${code} ${(e as Error).message}`);
      }
    };
    const burst = Array.from({ length: 300 }, (_, i) => create(i));
    while (answered < 40) await sleep(5);
    server.child.kill('SIGTERM');
    const mark = server.logs.length;
    const drainingLogs = () => server.logs.slice(mark).filter((e) => e.worker === 'api worker' && e.msg === 'draining');
    await server.waitFor(() => drainingLogs().length === 2, 30_000, mark);
    assert.ok(drainingLogs().reduce((n, e) => n + e.requests_in_flight, 0) >= slow.length);
    // both workers drain; the slow requests get the rest of their bodies and are answered
    const answers = await Promise.all(slow.map((r) => r.finish()));
    for (const a of answers) {
      assert.equal(a.status, 201, a.raw);
      assert.match(a.raw, /\r\nconnection: close\r\n/i);
    }
    await Promise.all(burst);
    await pool.close();
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.deepEqual(failures, []);
    assert.ok(created.size >= 40 * 20);
    // nothing was done without its answer reaching the client
    const db = new Sqlite(join(server.dir, 'state', 'neutron.db'), { readonly: true });
    const stored = db.prepare("select name from networks where name like 'burst-%'").all().map((r: any) => r.name as string);
    assert.equal(db.prepare("select count(*) as n from networks where name like 'slow-%'").get().n, 2);
    db.close();
    assert.deepEqual(new Set(stored), created);
    assert.equal(server.logs.filter((e) => e.worker === 'api worker' && e.msg === 'drained').length, 2);
    assert.ok(server.logs.some((e) => e.worker === 'supervisor' && e.msg === 'stopped'));
  });

  test('SIGHUP with a changed file: the new configuration serves, no request fails during the reload', async () => {
    const server = await start({ conf: 'api_workers = 2' });
    const first = server.workerPids('api worker');
    const link = async () => JSON.parse((await server.fresh('GET', '/')).body).versions[0].links[0].href as string;
    assert.equal(await link(), `${server.url}/v2.0/`);
    const mark = server.logs.length;
    let reloaded = false;
    const probe = (async () => {
      const seen: Array<number | string> = [];
      while (!reloaded) {
        try {
          seen.push((await server.fresh('GET', '/v2.0/networks')).status);
        } catch (e) {
          seen.push(String((e as any).code ?? e));
        }
      }
      return seen;
    })();
    server.reload('api_workers = 2\nnetwork_link_prefix = https://neutron.example.com');
    await server.waitFor((e) => e.worker === 'supervisor' && e.msg === 'configuration reloaded', 90_000, mark);
    reloaded = true;
    const seen = await probe;
    assert.ok(seen.length > 0);
    assert.deepEqual(new Set(seen), new Set([200]));
    assert.equal(await link(), 'https://neutron.example.com/v2.0/');
    const second = server.workerPids('api worker');
    assert.equal(second.length, 2);
    assert.ok(second.every((p) => !first.includes(p)), 'the old workers were replaced');
    // a bad file: logged, and the running workers keep serving the last good configuration
    const bad = server.logs.length;
    server.reload('api_workers = many');
    const failed = await server.waitFor((e) => e.worker === 'supervisor' && /^reload failed/.test(e.msg), 30_000, bad);
    assert.match(JSON.stringify(failed.err), /api_workers/);
    assert.deepEqual(server.workerPids('api worker'), second);
    assert.equal(await link(), 'https://neutron.example.com/v2.0/');
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('api_workers = 0 serves in the supervisor; SIGHUP swaps the app without closing the socket', async () => {
    const server = await start({ conf: 'api_workers = 0' });
    assert.deepEqual(server.workerPids('api worker'), []);
    const created = await server.fresh('POST', '/v2.0/networks', { network: { name: 'in-parent' } });
    assert.equal(created.status, 201);
    const mark = server.logs.length;
    let reloaded = false;
    const probe = (async () => {
      const seen = new Set<number | string>();
      while (!reloaded) seen.add(await server.fresh('GET', '/v2.0/networks').then((r) => r.status, (e) => String(e.code ?? e)));
      return seen;
    })();
    server.reload('api_workers = 0\nnetwork_link_prefix = https://in-parent.example.com');
    await server.waitFor((e) => e.msg === 'configuration reloaded', 60_000, mark);
    reloaded = true;
    assert.deepEqual(await probe, new Set([200]));
    assert.equal(JSON.parse((await server.fresh('GET', '/')).body).versions[0].links[0].href, 'https://in-parent.example.com/v2.0/');
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('a worker that crashes at start-up is respawned with a growing pause, not in a tight loop', async () => {
    const crashFile = join(scratch, 'crash-later');
    const server = await start({ conf: 'api_workers = 1\nservice_plugins = ndp_proxy', fixture: true, env: { NEUTRON_TS_FIXTURE_CRASH: crashFile } });
    const [worker] = server.workerPids('plugin worker fixture:ticker');
    assert.ok(worker, server.describe());
    writeFileSync(crashFile, 'plugin');
    const mark = server.logs.length;
    process.kill(worker, 'SIGKILL');
    const respawns = [];
    for (let n = 0; n < 3; n++) {
      const from = respawns.length ? server.logs.indexOf(respawns.at(-1)!) + 1 : mark;
      respawns.push(await server.waitFor((e) => /^respawning plugin worker fixture:ticker/.test(e.msg), 30_000, from));
    }
    assert.deepEqual(respawns.map((e) => e.delay_ms), [1000, 2000, 4000]);
    assert.deepEqual(respawns.map((e) => e.failures), [1, 2, 3]);
    // each respawn came after its pause: the failed start-ups are spaced out
    const forks = server.logs.slice(mark).filter((e) => /^started plugin worker fixture:ticker/.test(e.msg)).map((e) => Date.parse(e.time));
    const pauses = respawns.map((e) => Date.parse(e.time));
    for (let i = 0; i < forks.length; i++) assert.ok(forks[i]! - pauses[i]! >= respawns[i]!.delay_ms - 5, 'respawned before its pause');
    // the API keeps serving meanwhile
    assert.equal((await server.fresh('GET', '/v2.0/networks')).status, 200);
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });

  test('a worker that cannot start at start-up stops the whole server (exit 1)', async () => {
    const crashFile = join(scratch, 'crash-now');
    writeFileSync(crashFile, 'plugin');
    const crashing = ServerProcess.spawn({ conf: 'api_workers = 1\nservice_plugins = ndp_proxy', fixture: true, env: { NEUTRON_TS_FIXTURE_CRASH: crashFile } });
    servers.push(crashing);
    assert.deepEqual(await crashing.exited, { code: 1, signal: null });
    assert.ok(crashing.logs.some((e) => e.worker === 'supervisor' && e.msg === 'neutron-ts cannot start'), crashing.describe());
    assert.ok(crashing.logs.some((e) => e.worker === 'plugin worker fixture:ticker' && /failed to start/.test(e.msg)));
  });
});
