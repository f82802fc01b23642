import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { webobError } from '../../src/auth/keystone.js';

// Compares our error pages with what webob itself generates for the same Accept headers.
const python = spawnSync('/usr/bin/python3', ['-c', 'import webob'], { encoding: 'utf8' });
const skip = python.status === 0 ? false : 'python3-webob is not installed (it comes with keystone: scripts/ci/install-keystone.sh)';

const accepts = ['', 'application/json', '*/*', 'text/html', 'text/plain', 'application/json, text/plain',
  'text/html;q=0.5, application/json', 'application/*', 'text/*;q=0.1, application/json;q=0.05', 'application/json;q=0'];

const script = `
import json, sys, webob, webob.exc
out = []
for accept in json.loads(sys.argv[1]):
    for cls, detail in ((webob.exc.HTTPServiceUnavailable, 'The Keystone service is temporarily unavailable.'), (webob.exc.HTTPUnauthorized, None)):
        req = webob.Request.blank('/v2.0/networks')
        if accept:
            req.headers['Accept'] = accept
        resp = req.get_response(cls(detail))
        out.append({'type': resp.headers['Content-Type'], 'body': resp.body.decode()})
print(json.dumps(out))
`;

test('webobError matches webob\'s generated 503 and 401 pages', { skip }, () => {
  const r = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(accepts)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as { type: string; body: string }[];
  const unauthorized = 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.';
  let i = 0;
  for (const accept of accepts) {
    const ours = [
      webobError(503, 'Service Unavailable', 'The server is currently unavailable. Please try again at a later time.', 'The Keystone service is temporarily unavailable.', accept),
      webobError(401, 'Unauthorized', unauthorized, '', accept),
    ];
    for (const o of ours) {
      const want = expected[i++]!;
      assert.deepEqual({ type: o.contentType, body: o.text }, want, `Accept: ${accept}`);
    }
  }
});
