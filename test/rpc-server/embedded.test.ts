// Embedded mode: no transport_url, no RPC worker, one log line saying agents cannot reach the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess } from '../service/process.js';

test('without transport_url the server says once that agent RPC is unavailable, and serves the API', async () => {
  const server = await ServerProcess.start({ conf: 'api_workers = 2' });
  try {
    const net = await server.fresh('POST', '/v2.0/networks', { network: { name: 'n' } });
    assert.equal(net.status, 201);
    const id = JSON.parse(net.body).network.id;
    assert.equal((await server.fresh('POST', '/v2.0/subnets', { subnet: { network_id: id, cidr: '10.0.0.0/24', ip_version: 4 } })).status, 201);
    assert.equal((await server.fresh('POST', '/v2.0/ports', { port: { network_id: id } })).status, 201);
    const notes = server.logs.filter((e) => /agent RPC is unavailable/.test(e.msg));
    assert.equal(notes.length, 1, server.describe());
    assert.deepEqual(server.workerPids('rpc worker'), []);
    assert.ok(!server.logs.some((e) => e.level >= 50), 'no error logged');
  } finally {
    await server.kill();
  }
});
