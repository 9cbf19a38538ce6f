// Runs src/blueprint/scripts/ghost-owner.js (the Ghost blueprint's `owner` sidecar) against a
// stand-in for Ghost's setup API: an HTTP server on loopback answering
// GET/POST /blog/ghost/api/admin/authentication/setup/ as Ghost does (status false until an
// owner exists; POST creates it once; 403 once it exists; 422 on a refused password).
// Run: node tests/scripts/ghost-owner.test.mjs   (run by tests/blueprint_scripts.rs)
import http from 'node:http';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, '../../src/blueprint/scripts/ghost-owner.js');
const PASSWORD = 'Gen3rated-secret-value';

function ghost({ hasOwner = false, refuse = 0, port = 0 } = {}) {
  const state = { hasOwner, refuse, requests: [], created: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const json = (code, v) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      // Ghost redirects requests for another host or scheme to its canonical URL.
      if (req.headers.host !== 'blog.example.com' || req.headers['x-forwarded-proto'] !== 'https') {
        res.writeHead(301, { Location: 'https://blog.example.com/blog/' });
        return res.end();
      }
      if (req.url !== '/blog/ghost/api/admin/authentication/setup/') return json(404, {});
      if (req.method === 'GET') return json(200, { setup: [{ status: state.hasOwner }] });
      if (req.method === 'POST') {
        if (state.hasOwner) return json(403, { errors: [{ message: 'Setup has already been completed.' }] });
        if (state.refuse > 0) {
          state.refuse--;
          return json(422, { errors: [{ message: 'Your password is not secure enough.' }] });
        }
        state.hasOwner = true;
        state.created.push(JSON.parse(body).setup[0]);
        return json(201, { users: [{ id: '1' }] });
      }
      json(405, {});
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, state })));
}

// `onLog(text)` sees the log as it grows (a test can wait for a line before going on).
function run(port, extra = {}, limit = 10000, onLog = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH,
        GHOST_PORT: String(port),
        GHOST_HOST_HEADER: 'blog.example.com',
        GHOST_PROTO: 'https',
        GHOST_PATH: '/blog/',
        GHOST_OWNER_NAME: 'Owner',
        GHOST_OWNER_EMAIL: 'owner@blog.example.com',
        GHOST_OWNER_PASSWORD: PASSWORD,
        GHOST_BLOG_TITLE: 'blog',
        GHOST_SETUP_RETRY_MS: '50',
        GHOST_SETUP_EXIT: '1',
        ...extra,
      },
    });
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
      onLog(log);
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out:\n${log}`));
    }, limit);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

const tests = [];
const test = (name, f) => tests.push([name, f]);

test('creates the owner once, as the public site asks', async () => {
  const { server, state } = await ghost();
  const { code, log } = await run(server.address().port);
  server.close();
  assert.equal(code, 0, log);
  assert.deepEqual(state.created, [
    { name: 'Owner', email: 'owner@blog.example.com', password: PASSWORD, blogTitle: 'blog' },
  ]);
  const post = state.requests.find((r) => r.method === 'POST');
  assert.equal(post.headers.origin, 'https://blog.example.com');
  assert.match(log, /created the owner account owner@blog\.example\.com/);
  assert.ok(!log.includes(PASSWORD), 'the password is never logged');
});

test('leaves an existing owner alone', async () => {
  const { server, state } = await ghost({ hasOwner: true });
  const { code, log } = await run(server.address().port);
  server.close();
  assert.equal(code, 0, log);
  assert.equal(state.requests.filter((r) => r.method === 'POST').length, 0);
  assert.match(log, /has an owner: nothing to do/);
});

test('waits for Ghost to listen (first start runs migrations)', async () => {
  const probe = await ghost();
  const port = probe.server.address().port;
  probe.server.close();
  // Ghost starts listening only after the script has found nobody there (however long the
  // script takes to start on a loaded machine).
  let refused;
  const firstRefusal = new Promise((r) => (refused = r));
  const running = run(port, {}, 20000, (log) => {
    if (/not yet: connect ECONNREFUSED/.test(log)) refused();
  });
  await Promise.race([firstRefusal, running]);
  const { server, state } = await ghost({ port });
  const { code, log } = await running;
  server.close();
  assert.equal(code, 0, log);
  assert.match(log, /not yet: connect ECONNREFUSED/);
  assert.equal(state.created.length, 1);
});

test('retries a refused setup and reports the reason, not the password', async () => {
  const { server, state } = await ghost({ refuse: 2 });
  const { code, log } = await run(server.address().port);
  server.close();
  assert.equal(code, 0, log);
  assert.match(log, /POST setup: HTTP 422 Your password is not secure enough\./);
  assert.equal(state.created.length, 1);
  assert.ok(!log.includes(PASSWORD));
});

test('a wrong Host would be redirected: the script sends the public one', async () => {
  const { server } = await ghost();
  const { code, log } = await run(server.address().port, { GHOST_HOST_HEADER: 'localhost' }, 1500).catch(
    (e) => ({ code: -1, log: e.message }),
  );
  server.close();
  // Never succeeds with the wrong host: the stand-in redirects like Ghost.
  assert.equal(code, -1);
  assert.match(log, /GET setup: HTTP 301/);
});

let failed = 0;
for (const [name, f] of tests) {
  try {
    await f();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n${e.stack}`);
  }
}
console.log(`${tests.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
