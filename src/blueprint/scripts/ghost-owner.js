// Creates Ghost's owner account once, through Ghost's own setup API, so the first visitor of
// /ghost/ cannot make themselves Owner. Runs in the `owner` sidecar of the Ghost pod (node of
// the Ghost image), talking to Ghost over the pod's loopback.
//
// Environment (set by the blueprint):
//   GHOST_PORT            Ghost's port in the pod
//   GHOST_HOST_HEADER     the public URL's host[:port] (Ghost answers its canonical URL only)
//   GHOST_PROTO           the public URL's scheme (sent as X-Forwarded-Proto)
//   GHOST_PATH            the public URL's path prefix ('' or '/blog')
//   GHOST_OWNER_NAME, GHOST_OWNER_EMAIL, GHOST_OWNER_PASSWORD (from the Secret), GHOST_BLOG_TITLE
//   GHOST_SETUP_RETRY_MS  optional: the pause between attempts (default 5000)
//
// Every attempt: GET .../authentication/setup/ — `status: true` means an owner exists (set up
// by this sidecar earlier, or by hand): nothing to do. Otherwise POST the owner. Errors (Ghost
// still migrating, not listening yet) are retried; once done, the process idles, so the
// container stays running and is not restarted.
'use strict';
const http = require('node:http');

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is not set`);
  }
  return v;
};

const port = Number(env('GHOST_PORT'));
const hostHeader = env('GHOST_HOST_HEADER');
const proto = env('GHOST_PROTO');
const prefix = env('GHOST_PATH', '').replace(/\/+$/, '');
const retryMs = Number(env('GHOST_SETUP_RETRY_MS', '5000'));
const setupPath = `${prefix}/ghost/api/admin/authentication/setup/`;

const log = (msg) => process.stderr.write(`${new Date().toISOString()} ghost-owner: ${msg}\n`);

function request(method, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: setupPath,
        headers: {
          Host: hostHeader,
          'X-Forwarded-Proto': proto,
          Accept: 'application/json',
          // Ghost's admin API refuses state-changing requests without an Origin of the site.
          Origin: `${proto}://${hostHeader}`,
          ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
        },
        timeout: 10000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// One attempt: true when an owner exists afterwards.
async function attempt() {
  const got = await request('GET');
  if (got.status !== 200) throw new Error(`GET setup: HTTP ${got.status}`);
  const status = JSON.parse(got.text)?.setup?.[0]?.status;
  if (status === true) {
    log('the site has an owner: nothing to do');
    return true;
  }
  if (status !== false) throw new Error('GET setup: unexpected answer');
  const owner = {
    name: env('GHOST_OWNER_NAME'),
    email: env('GHOST_OWNER_EMAIL'),
    password: env('GHOST_OWNER_PASSWORD'),
    blogTitle: env('GHOST_BLOG_TITLE'),
  };
  const made = await request('POST', { setup: [owner] });
  if (made.status !== 200 && made.status !== 201) {
    // The body names the problem (never echoes the password).
    let message = '';
    try {
      message = JSON.parse(made.text)?.errors?.[0]?.message ?? '';
    } catch {
      message = '';
    }
    throw new Error(`POST setup: HTTP ${made.status} ${message}`.trim());
  }
  log(`created the owner account ${owner.email}`);
  return true;
}

async function main() {
  for (;;) {
    try {
      if (await attempt()) break;
    } catch (e) {
      log(`not yet: ${e.message}; retrying in ${retryMs} ms`);
    }
    await new Promise((r) => setTimeout(r, retryMs));
  }
  if (process.env.GHOST_SETUP_EXIT === '1') return;
  // Idle: the container keeps running (a finished sidecar would be restarted).
  setInterval(() => {}, 1 << 30);
}

main();
