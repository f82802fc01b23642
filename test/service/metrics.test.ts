// [metrics]: the supervisor's Prometheus listener, scraped while two API workers serve a load;
// every count must match the requests sent, whichever worker served them.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { Pool, request } from 'undici';
import { ServerProcess } from './process.js';
import { parseMetrics, value, type Sample } from '../support/metrics.js';

let server: ServerProcess;
let metricsUrl: string;

async function scrape(): Promise<{ samples: Sample[]; text: string; contentType: string }> {
  const res = await request(metricsUrl);
  const text = await res.body.text();
  assert.equal(res.statusCode, 200, text);
  return { samples: parseMetrics(text), text, contentType: String(res.headers['content-type']) };
}

before(async () => {
  server = await ServerProcess.start({ conf: 'api_workers = 2\n[metrics]\nbind_port = 0\n[quotas]\nquota_network = 10' });
  const line = await server.waitFor((e) => e.worker === 'supervisor' && /^metrics listening on/.test(e.msg));
  assert.equal(line.metrics_host, '127.0.0.1', 'bound to the loopback unless configured otherwise');
  metricsUrl = `http://127.0.0.1:${line.metrics_port}/metrics`;
});
after(() => server.kill());

test('off by default: no listener, no log line', async () => {
  const plain = await ServerProcess.start({ conf: 'api_workers = 1' });
  try {
    assert.equal(plain.logs.some((e) => /metrics/.test(e.msg)), false);
  } finally {
    await plain.kill();
  }
});

test('requests are counted by resource, action and status across workers, scraped under load', async () => {
  const member = (p: string) => ({ 'x-project-id': p, 'x-user-id': `u-${p}`, 'x-roles': 'member', 'content-type': 'application/json' });
  const pool = new Pool(server.url, { connections: 20 });
  const jobs: Array<() => Promise<number>> = [];
  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) => async () => {
    const res = await pool.request({ method: method as 'GET', path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.body.text();
    if (method === 'POST' && res.statusCode === 201) created.push({ id: JSON.parse(text).network.id, project: headers['x-project-id']! });
    return res.statusCode;
  };
  const created: Array<{ id: string; project: string }> = [];
  // 20 projects create 10 networks each (their quota); p0 tries 3 more
  for (let i = 0; i < 200; i++) jobs.push(send('POST', '/v2.0/networks', member(`p${i % 20}`), { network: { name: `n${i}` } }));
  const statuses = await run(jobs.splice(0), 20);
  assert.deepEqual(count(statuses), { 201: 200 });
  for (let i = 0; i < 3; i++) jobs.push(send('POST', '/v2.0/networks', member('p0'), { network: { name: 'over' } }));
  for (let i = 0; i < 300; i++) {
    const n = created[i % created.length]!;
    jobs.push(send('GET', `/v2.0/networks/${n.id}`, member(n.project)));
  }
  for (let i = 0; i < 50; i++) jobs.push(send('GET', '/v2.0/networks', member(`p${i % 20}`)));
  for (let i = 0; i < 40; i++) jobs.push(send('GET', `/v2.0/networks/${crypto.randomUUID()}`, member('p1')));
  for (let i = 0; i < 30; i++) jobs.push(send('GET', '/v2.0/no-such-collection', member('p1')));
  for (const n of created.slice(0, 20)) jobs.push(send('PUT', `/v2.0/networks/${n.id}`, member(n.project), { network: { name: 'renamed' } }));
  for (const n of created.slice(20, 40)) jobs.push(send('DELETE', `/v2.0/networks/${n.id}`, member(n.project)));

  // scraped again and again while the load runs: every scrape answers, and the counts only grow
  let loading = true;
  const scrapes: number[] = [];
  const scraper = (async () => {
    while (loading) {
      const { samples } = await scrape();
      scrapes.push(samples.filter((s) => s.name === 'neutron_api_request_duration_seconds_count').reduce((a, s) => a + s.value, 0));
    }
  })();
  const load = await run(jobs, 20);
  loading = false;
  await scraper;
  await pool.close();
  assert.deepEqual(count(load), { 200: 370, 404: 70, 409: 3, 204: 20 });
  assert.ok(scrapes.length >= 2, `${scrapes.length} scrapes during the load`);
  assert.deepEqual(scrapes, [...scrapes].sort((a, b) => a - b), 'counts never go back while no worker restarts');

  const { samples, contentType } = await scrape();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  const requests = (labels: Record<string, string>) => value(samples, 'neutron_api_request_duration_seconds_count', labels);
  assert.equal(requests({ resource: 'networks', action: 'create', status: '201' }), 200);
  assert.equal(requests({ resource: 'networks', action: 'create', status: '409' }), 3);
  assert.equal(requests({ resource: 'networks', action: 'show', status: '200' }), 300);
  assert.equal(requests({ resource: 'networks', action: 'show', status: '404' }), 40);
  assert.equal(requests({ resource: 'networks', action: 'list', status: '200' }), 50);
  assert.equal(requests({ resource: 'networks', action: 'update', status: '200' }), 20);
  assert.equal(requests({ resource: 'networks', action: 'delete', status: '204' }), 20);
  assert.equal(requests({ resource: 'none', action: 'not_found', status: '404' }), 30);
  const total = samples.filter((s) => s.name === 'neutron_api_request_duration_seconds_count').reduce((a, s) => a + s.value, 0);
  assert.equal(total, 200 + 3 + 300 + 40 + 50 + 20 + 20 + 30, 'nothing else was counted');
  // a histogram's +Inf bucket holds every request, and its sum is a plausible total time
  assert.equal(value(samples, 'neutron_api_request_duration_seconds_bucket', { resource: 'networks', action: 'show', status: '200', le: '+Inf' }), 300);
  const showSeconds = value(samples, 'neutron_api_request_duration_seconds_sum', { resource: 'networks', action: 'show', status: '200' });
  assert.ok(showSeconds > 0 && showSeconds < 300, `${showSeconds} s for 300 shows`);

  assert.equal(value(samples, 'neutron_quota_refusals_total', { resource: 'network' }), 3);
  assert.equal(value(samples, 'neutron_api_requests_in_flight'), 0);
  assert.equal(value(samples, 'neutron_db_pools'), 2, 'one pool in each API worker');
  assert.equal(value(samples, 'neutron_db_pool_connections_in_use'), 0);
  assert.equal(value(samples, 'neutron_db_pool_waiting'), 0);
  assert.ok(value(samples, 'neutron_db_pool_wait_seconds_count', { outcome: 'ok' }) >= 633, 'every request that reads the database took a connection');
  // prom-client's process metrics, summed over the supervisor and the two workers
  assert.ok(value(samples, 'process_cpu_seconds_total') > 0);
  assert.ok(value(samples, 'process_resident_memory_bytes') > 3 * 20e6);
  assert.equal(value(samples, 'neutron_worker_restarts_total', { worker: 'api worker' }), 0);
});

test('a request being read is in flight until it is answered', async () => {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const body = JSON.stringify({ network: { name: 'slow' } });
  // the headers and half of the body: the request is read, and waits for the rest
  socket.write(`POST /v2.0/networks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  let inFlight = 0;
  for (let i = 0; i < 100 && inFlight === 0; i++) {
    inFlight = value((await scrape()).samples, 'neutron_api_requests_in_flight');
    if (!inFlight) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(inFlight, 1);
  const answered = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (/\r\n\r\n[\s\S]*\}/.test(text)) resolve(text);
    });
    socket.on('close', () => reject(new Error(`connection closed after: ${text}`)));
  });
  socket.write(body.slice(10));
  assert.match(await answered, /^HTTP\/1\.1 201 /);
  socket.destroy();
  assert.equal(value((await scrape()).samples, 'neutron_api_requests_in_flight'), 0);
});

test('a worker that dies is counted as a restart, and its successor is scraped', async () => {
  const [pid] = server.workerPids('api worker');
  assert.ok(pid);
  const from = server.logs.length;
  process.kill(pid, 'SIGKILL');
  await server.waitFor((e) => e.worker === 'api worker' && e.msg === 'api worker started' && e.pid !== pid, 60_000, from);
  const { samples } = await scrape();
  assert.equal(value(samples, 'neutron_worker_restarts_total', { worker: 'api worker' }), 1);
  assert.equal(value(samples, 'neutron_db_pools'), 2, 'the new worker answers the scrape');
});

test('only GET /metrics is served there', async () => {
  const other = await request(metricsUrl.replace('/metrics', '/v2.0/networks'));
  assert.equal(other.statusCode, 404);
  await other.body.dump();
  const post = await request(metricsUrl, { method: 'POST', body: '' });
  assert.equal(post.statusCode, 405);
  await post.body.dump();
});

/** Runs the jobs with `concurrency` at a time; the statuses in order of completion. */
async function run(jobs: Array<() => Promise<number>>, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) statuses.push(await jobs[next++]!());
  }));
  return statuses;
}

function count(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}
