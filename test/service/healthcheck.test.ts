import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { request } from 'undici';
import { configWith } from '../../src/config/index.js';
import { negotiate } from '../../src/service/healthcheck.js';
import { buildServer } from '../../src/service/server.js';
import { startServer, type TestServer } from '../support/server.js';

const servers: TestServer[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'neutron-ts-healthcheck-'));
after(async () => {
  for (const s of servers) await s.close().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
});

async function server(overrides: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(overrides);
  servers.push(s);
  return s;
}

describe('GET/HEAD /healthcheck (oslo.middleware healthcheck)', () => {
  test('200 "OK" as text/plain, before authentication; HEAD 204', async () => {
    const config = configWith({ DEFAULT: { state_path: join(scratch, 'auth') } });
    const app = await buildServer({
      config, log: pino({ level: 'silent' }),
      authenticate: async () => {
        throw Object.assign(new Error('no token'), { status: 401, body: { error: 'Authentication required' } });
      },
    });
    try {
      await app.app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.app.server.address() as { port: number }).port}`;
      const get = await request(`${url}/healthcheck`);
      assert.equal(get.statusCode, 200);
      assert.equal(get.headers['content-type'], 'text/plain; charset=UTF-8');
      assert.equal(await get.body.text(), 'OK');
      const head = await request(`${url}/healthcheck`, { method: 'HEAD' });
      assert.equal(head.statusCode, 204);
      assert.equal(await head.body.text(), '');
      // the API itself still wants a token
      const api = await request(`${url}/v2.0/networks`);
      await api.body.dump();
      assert.equal(api.statusCode, 401);
    } finally {
      await app.close();
    }
  });

  test('Accept chooses JSON or HTML, as oslo negotiates', async () => {
    const s = await server();
    const json = await s.request('GET', '/healthcheck', undefined, { accept: 'application/json' });
    assert.equal(json.headers['content-type'], 'application/json');
    assert.deepEqual(json.body, { detailed: false, reasons: ['OK'] });
    const html = await s.request('GET', '/healthcheck', undefined, { accept: 'text/html' });
    assert.equal(html.headers['content-type'], 'text/html; charset=UTF-8');
    assert.match(html.body, /<TD>OK<\/TD>/);
    assert.equal(negotiate(undefined), 'text/plain');
    assert.equal(negotiate('*/*'), 'text/plain');
    assert.equal(negotiate('application/xml'), 'text/plain');
    assert.equal(negotiate('text/*;q=0.5, application/json'), 'application/json');
    assert.equal(negotiate('text/html;q=0.9, text/plain;q=0.8'), 'text/html');
    assert.equal(negotiate('text/*'), 'text/plain');
  });

  test('503 while draining, with the reason', async () => {
    const s = await server();
    s.server.draining = () => true;
    const get = await s.request('GET', '/healthcheck');
    assert.equal(get.status, 503);
    assert.equal(get.body, 'SHUTTING DOWN');
    assert.equal((await s.request('HEAD', '/healthcheck')).status, 503);
  });

  test('503 when the database does not answer', async () => {
    const s = await server();
    await s.server.db.close();
    const get = await s.request('GET', '/healthcheck');
    assert.equal(get.status, 503);
    assert.equal(get.body, 'DATABASE UNREACHABLE');
  });

  test('disable_by_file and disable_by_files_ports backends', async () => {
    const file = join(scratch, 'disabled');
    const s = await server({ healthcheck: { backends: ['disable_by_file'], disable_by_file_path: file } });
    assert.equal((await s.request('GET', '/healthcheck')).status, 200);
    writeFileSync(file, '');
    const get = await s.request('GET', '/healthcheck', undefined, { accept: 'application/json' });
    assert.equal(get.status, 503);
    assert.deepEqual(get.body, { detailed: false, reasons: ['DISABLED BY FILE'] });
    rmSync(file);
    assert.equal((await s.request('GET', '/healthcheck')).status, 200);

    // disable_by_files_ports: the file of another port does not disable this one
    const other = Number(new URL(s.url).port);
    writeFileSync(file, '');
    const byPort = await server({ healthcheck: { backends: ['disable_by_files_ports'], disable_by_file_paths: [`${other}:${file}`] } });
    assert.equal((await byPort.request('GET', '/healthcheck')).status, 200);
  });

  test('[healthcheck] path moves it', async () => {
    const s = await server({ healthcheck: { path: '/lb-status' } });
    assert.equal((await s.request('GET', '/lb-status')).body, 'OK');
    assert.equal((await s.request('GET', '/healthcheck')).status, 404);
  });
});
