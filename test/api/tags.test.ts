import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, asProject, startServer, type TestServer } from '../support/server.js';

const A = asProject('project-a');
const B = asProject('project-b');

describe('tags (standard-attr-tag)', () => {
  let s: TestServer;
  before(async () => { s = await startServer(); });
  after(() => s.close());

  const net = async (name: string, headers = A) => (await s.request('POST', '/v2.0/networks', { network: { name } }, headers)).body.network;
  const tagsOf = async (id: string, headers = A) => (await s.request('GET', `/v2.0/networks/${id}/tags`, undefined, headers)).body.tags.sort();

  test('the extension is listed and every network shows its tags', async () => {
    const exts = await s.request('GET', '/v2.0/extensions/standard-attr-tag');
    assert.equal(exts.status, 200);
    const n = await net('plain');
    assert.deepEqual(n.tags, []);
  });

  test('replace all, add one, show one, remove one, remove all', async () => {
    const n = await net('tagged');
    const put = await s.request('PUT', `/v2.0/networks/${n.id}/tags`, { tags: ['red', 'blue'] }, A);
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { tags: ['red', 'blue'] });
    assert.deepEqual(await tagsOf(n.id), ['blue', 'red']);
    const shown = (await s.request('GET', `/v2.0/networks/${n.id}`, undefined, A)).body.network;
    assert.deepEqual(shown.tags.sort(), ['blue', 'red']);
    assert.equal(shown.revision_number, n.revision_number + 1, 'a tag change bumps the revision once');

    const replaced = await s.request('PUT', `/v2.0/networks/${n.id}/tags`, { tags: ['blue', 'green'] }, A);
    assert.equal(replaced.status, 200);
    assert.deepEqual(await tagsOf(n.id), ['blue', 'green']);

    const add = await s.request('PUT', `/v2.0/networks/${n.id}/tags/yellow`, undefined, A);
    assert.equal(add.status, 201);
    assert.equal(add.body, null);
    const again = await s.request('PUT', `/v2.0/networks/${n.id}/tags/yellow`, undefined, A);
    assert.equal(again.status, 201, 'adding an existing tag is idempotent');
    assert.deepEqual(await tagsOf(n.id), ['blue', 'green', 'yellow']);

    const has = await s.request('GET', `/v2.0/networks/${n.id}/tags/green`, undefined, A);
    assert.equal(has.status, 204);
    const hasNot = await s.request('GET', `/v2.0/networks/${n.id}/tags/purple`, undefined, A);
    assert.equal(hasNot.status, 404);
    assert.equal(hasNot.body.NeutronError.type, 'TagNotFound');
    assert.equal(hasNot.body.NeutronError.message, 'Tag purple could not be found.');

    const del = await s.request('DELETE', `/v2.0/networks/${n.id}/tags/green`, undefined, A);
    assert.equal(del.status, 204);
    const delMissing = await s.request('DELETE', `/v2.0/networks/${n.id}/tags/green`, undefined, A);
    assert.equal(delMissing.status, 404);
    assert.equal(delMissing.body.NeutronError.type, 'TagNotFound');

    const clear = await s.request('DELETE', `/v2.0/networks/${n.id}/tags`, undefined, A);
    assert.equal(clear.status, 204);
    assert.deepEqual(await tagsOf(n.id), []);
  });

  test('bad bodies and tags are 400; POST on tags is 404', async () => {
    const n = await net('bad');
    const cases: Array<[unknown, string]> = [
      [{ tag: ['x'] }, 'Invalid input for operation: Invalid tags body.'],
      [{ tags: 'x' }, "Invalid input for operation: 'x' is not a list."],
      [{ tags: ['a', 'a'] }, "Invalid input for operation: Duplicate items in the list: 'a'."],
      [{ tags: [1] }, "Invalid input for operation: '1' is not a valid string."],
      [{ tags: ['x'.repeat(256)] }, `Invalid input for operation: '${'x'.repeat(256)}' exceeds maximum length of 255.`],
    ];
    for (const [body, message] of cases) {
      const r = await s.request('PUT', `/v2.0/networks/${n.id}/tags`, body, A);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.NeutronError.message, message);
    }
    const long = await s.request('PUT', `/v2.0/networks/${n.id}/tags/${'y'.repeat(256)}`, undefined, A);
    assert.equal(long.status, 400);
    assert.equal(long.body.NeutronError.type, 'InvalidInput');
    const longest = await s.request('PUT', `/v2.0/networks/${n.id}/tags/${'y'.repeat(255)}`, undefined, A);
    assert.equal(longest.status, 201);
    await s.request('DELETE', `/v2.0/networks/${n.id}/tags`, undefined, A);
    const post = await s.request('POST', `/v2.0/networks/${n.id}/tags`, { tags: ['x'] }, A);
    assert.equal(post.status, 404);
    assert.deepEqual(await tagsOf(n.id), []);
  });

  test('another project\'s network is TagResourceNotFound; a shared one can be tagged', async () => {
    const n = await net('private-b', B);
    for (const [method, path] of [['GET', 'tags'], ['PUT', 'tags/x'], ['DELETE', 'tags'], ['GET', 'tags/x']] as const) {
      const r = await s.request(method, `/v2.0/networks/${n.id}/${path}`, undefined, A);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.NeutronError.type, 'TagResourceNotFound');
      assert.equal(r.body.NeutronError.message, `Resource networks ${n.id} could not be found.`);
    }
    const missing = await s.request('PUT', '/v2.0/networks/nope/tags', { tags: [] }, A);
    assert.equal(missing.status, 404);
    assert.deepEqual(await tagsOf(n.id, B), []);

    const shared = (await s.request('POST', '/v2.0/networks', { network: { name: 'shared', shared: true } }, ADMIN)).body.network;
    const r = await s.request('PUT', `/v2.0/networks/${shared.id}/tags/from-a`, undefined, A);
    assert.equal(r.status, 201);
    assert.deepEqual(await tagsOf(shared.id, ADMIN), ['from-a']);
  });

  test('tags, tags-any, not-tags and not-tags-any filters', async () => {
    const project = asProject('project-filters');
    const mk = async (name: string, tags: string[]) => {
      const n = await net(name, project);
      await s.request('PUT', `/v2.0/networks/${n.id}/tags`, { tags }, project);
      return n.id as string;
    };
    await mk('n-ab', ['a', 'b']);
    await mk('n-a', ['a']);
    await mk('n-bc', ['b', 'c']);
    await mk('n-none', []);
    const names = async (query: string) => {
      const r = await s.request('GET', `/v2.0/networks?${query}`, undefined, project);
      assert.equal(r.status, 200, query);
      return r.body.networks.map((n: any) => n.name).filter((n: string) => n.startsWith('n-')).sort();
    };
    assert.deepEqual(await names('tags=a'), ['n-a', 'n-ab']);
    assert.deepEqual(await names('tags=a,b'), ['n-ab']);
    assert.deepEqual(await names('tags=a&tags=b'), ['n-ab']);
    assert.deepEqual(await names('tags-any=a,c'), ['n-a', 'n-ab', 'n-bc']);
    assert.deepEqual(await names('tags-any=a&tags-any=c'), ['n-a', 'n-ab', 'n-bc']);
    assert.deepEqual(await names('not-tags=a,b'), ['n-a', 'n-bc', 'n-none']);
    assert.deepEqual(await names('not-tags-any=a,c'), ['n-none']);
    assert.deepEqual(await names('tags=b&not-tags-any=c'), ['n-ab']);
    assert.deepEqual(await names('tags=zzz'), []);
    // filters combine with pagination and keep one row per object
    const page = await s.request('GET', '/v2.0/networks?tags-any=a,b,c&limit=2', undefined, project);
    assert.equal(page.body.networks.length, 2);
    const ids = new Set(page.body.networks.map((n: any) => n.id));
    assert.equal(ids.size, 2);
  });

  test('deleting the object deletes its tags', async () => {
    const n = await net('gone');
    await s.request('PUT', `/v2.0/networks/${n.id}/tags`, { tags: ['t1'] }, A);
    assert.equal((await s.request('DELETE', `/v2.0/networks/${n.id}`, undefined, A)).status, 204);
    const rows = await s.server.db.kysely.selectFrom('tags').selectAll().where('resource_id', '=', n.id).execute();
    assert.deepEqual(rows, []);
  });
});
