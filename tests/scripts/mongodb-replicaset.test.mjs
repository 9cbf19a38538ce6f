// Exercises src/blueprint/scripts/mongodb-replicaset.js against a simulated replica set.
// Run: node tests/scripts/mongodb-replicaset.test.mjs   (run by tests/blueprint_scripts.rs)
//
// The simulation models what the script relies on: hello (setName, primary,
// isWritablePrimary), replSetInitiate (all members must answer and have no configuration),
// replSetGetConfig / replSetReconfig on the primary, usersInfo / createUser, authentication,
// and unreachable hosts. mongosh's globals (print, quit, Mongo, process.env) are provided.
import fs from 'node:fs';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = fs.readFileSync(path.join(here, '../../src/blueprint/scripts/mongodb-replicaset.js'), 'utf8');
const script = new vm.Script(source, { filename: 'mongodb-replicaset.js' });

const NS = 'data';
const host = (i) => `mongo-${i}.mongo-headless.${NS}.svc:27017`;
const ROOT = { user: 'root', pwd: 'r00t/pw+' };

class Cluster {
  constructor(n) {
    this.nodes = new Map();
    for (let i = 0; i < n; i++) this.add(i);
    this.commands = [];
  }
  add(i) {
    this.nodes.set(host(i), { up: true, config: null, primary: false, users: { admin: [ROOT.user] } });
  }
  node(h) {
    return this.nodes.get(h);
  }
  primaryHost() {
    for (const [h, n] of this.nodes) if (n.up && n.primary) return h;
    return undefined;
  }
  inSet(h) {
    const n = this.node(h);
    return n.config !== null && n.config.members.some((m) => m.host === h);
  }
  run(h, dbName, cmd) {
    const n = this.node(h);
    const name = Object.keys(cmd)[0];
    this.commands.push(`${h} ${name}`);
    const fail = (errmsg, codeName) => {
      const e = new Error(errmsg);
      e.codeName = codeName;
      throw e; // mongosh throws on ok: 0
    };
    switch (name) {
      case 'ping':
        return { ok: 1 };
      case 'hello': {
        if (!this.inSet(h)) return { ok: 1, isWritablePrimary: false, secondary: false };
        const primary = this.primaryHost();
        const r = { ok: 1, setName: n.config._id, isWritablePrimary: n.primary, secondary: !n.primary };
        if (primary && this.inSet(primary)) r.primary = primary;
        return r;
      }
      case 'replSetInitiate': {
        if (n.config) fail('already initialized', 'AlreadyInitialized');
        const config = cmd.replSetInitiate;
        for (const m of config.members) {
          const peer = this.node(m.host);
          if (!peer || !peer.up) fail(`quorum check failed: ${m.host} down`, 'NodeNotFound');
          if (peer.config) fail(`${m.host} already has a configuration`, 'InvalidReplicaSetConfig');
        }
        for (const m of config.members) this.node(m.host).config = { ...config, version: 1 };
        n.primary = true;
        return { ok: 1 };
      }
      case 'replSetGetConfig':
        if (!n.config) fail('no replset config has been received', 'NotYetInitialized');
        return { ok: 1, config: structuredClone(n.config) };
      case 'replSetReconfig': {
        if (!n.primary) fail('not primary', 'NotWritablePrimary');
        const config = cmd.replSetReconfig;
        assert.equal(config.version, n.config.version + 1, 'reconfig must bump the version');
        for (const m of config.members) {
          const peer = this.node(m.host);
          if (peer && peer.up) peer.config = structuredClone(config);
        }
        return { ok: 1 };
      }
      case 'usersInfo':
        if (!n.primary && !this.inSet(h)) fail('not in a set', 'NotPrimaryOrSecondary');
        return { ok: 1, users: (n.users[dbName] || []).filter((u) => u === cmd.usersInfo).map((user) => ({ user })) };
      case 'createUser': {
        if (!n.primary) fail('not primary', 'NotWritablePrimary');
        // Users are replicated: every member of the set sees them.
        for (const [, peer] of this.nodes) {
          if (peer.config && peer.config._id === n.config._id) {
            (peer.users[dbName] ||= []).push(cmd.createUser);
            (peer.roles ||= {})[`${dbName}.${cmd.createUser}`] = { pwd: cmd.pwd, roles: structuredClone(cmd.roles) };
          }
        }
        return { ok: 1 };
      }
      default:
        fail(`unsupported command ${name}`, 'CommandNotFound');
    }
  }
}

class Quit extends Error {
  constructor(code) {
    super(`quit(${code})`);
    this.code = code;
  }
}

// Runs the script as pod `ordinal` of a StatefulSet with `replicas` pods; returns
// { code, output }.
function runAs(cluster, ordinal, replicas, overrides = {}) {
  const output = [];
  const env = {
    POD_NAME: `mongo-${ordinal}`,
    POD_NAMESPACE: NS,
    MONGODB_HEADLESS: 'mongo-headless',
    MONGODB_STATEFULSET: 'mongo',
    MONGODB_REPLICAS: String(replicas),
    MONGODB_REPLICA_SET: 'rs0',
    MONGODB_PORT: '27017',
    MONGODB_ROOT_USER: ROOT.user,
    MONGODB_ROOT_PASSWORD: ROOT.pwd,
    MONGODB_DATABASE: 'parse',
    MONGODB_USER: 'parse',
    MONGODB_PASSWORD: 'app-password',
    ...overrides,
  };
  const self = host(ordinal);
  class Mongo {
    constructor(uri) {
      const m = /^mongodb:\/\/([^:]+):([^@]+)@([^/]+)\/admin\?(.*)$/.exec(uri);
      assert.ok(m, `unexpected URI ${uri}`);
      assert.equal(decodeURIComponent(m[1]), ROOT.user);
      assert.equal(decodeURIComponent(m[2]), ROOT.pwd);
      assert.match(m[4], /directConnection=true/);
      assert.match(m[4], /serverSelectionTimeoutMS=\d+/);
      (cluster.uris ||= []).push(uri);
      this.host = m[3].startsWith('127.0.0.1:') ? self : m[3];
    }
    getDB(name) {
      const target = this.host;
      const db = {
        runCommand(cmd) {
          const n = cluster.node(target);
          if (!n || !n.up) throw new Error(`Server selection timed out after 3000 ms (${target})`);
          return cluster.run(target, name, cmd);
        },
        getSiblingDB: (other) => new Mongo(`mongodb://root:${encodeURIComponent(ROOT.pwd)}@${target}/admin?directConnection=true&serverSelectionTimeoutMS=1`).getDB(other),
      };
      return db;
    }
  }
  const context = vm.createContext({
    process: { env },
    print: (...args) => output.push(args.join(' ')),
    quit: (code = 0) => {
      throw new Quit(code);
    },
    Mongo,
  });
  try {
    script.runInContext(context);
    return { code: 0, output };
  } catch (e) {
    if (e instanceof Quit) return { code: e.code, output };
    throw e;
  }
}

// Runs every pod's sidecar in rounds until all report success (as the loops in
// mongodb-replicaset.sh would), at most `rounds` times.
function converge(cluster, replicas, rounds = 6) {
  for (let round = 0; round < rounds; round++) {
    const codes = [];
    for (let i = 0; i < replicas; i++) if (cluster.node(host(i)).up) codes.push(runAs(cluster, i, replicas).code);
    if (codes.every((c) => c === 0)) return round + 1;
  }
  return -1;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('a brand-new set is initiated by pod 0 with every member, then converges', () => {
  const c = new Cluster(3);
  const r1 = runAs(c, 1, 3);
  assert.equal(r1.code, 1);
  assert.match(r1.output.join('\n'), /pod 0 initiates it/);
  const r0 = runAs(c, 0, 3);
  assert.equal(r0.code, 1);
  assert.match(r0.output.join('\n'), /initiated replica set rs0 with 3 members/);
  assert.deepEqual(JSON.parse(JSON.stringify(c.node(host(0)).config.members.map((m) => m.host))), [host(0), host(1), host(2)]);
  assert.ok(converge(c, 3) > 0);
  assert.deepEqual(c.node(host(2)).users.parse, ['parse'], 'application user created exactly once');
  assert.equal(c.commands.filter((x) => x.endsWith('replSetInitiate')).length, 1);
});

test('pod 0 does not initiate while a peer is unreachable (it may hold the real set)', () => {
  const c = new Cluster(3);
  c.node(host(2)).up = false;
  const r = runAs(c, 0, 3);
  assert.equal(r.code, 1);
  assert.match(r.output.join('\n'), /1\/2 peers reachable/);
  assert.equal(c.commands.filter((x) => x.endsWith('replSetInitiate')).length, 0);
});

test('a restarted member (configuration on its volume) is done at once', () => {
  const c = new Cluster(3);
  assert.ok(converge(c, 3) > 0);
  c.commands = [];
  const r = runAs(c, 1, 3);
  assert.equal(r.code, 0);
  assert.ok(!c.commands.some((x) => /replSet(Initiate|Reconfig)/.test(x)));
});

test('pod 0 with an empty volume never initiates a second set', () => {
  const c = new Cluster(3);
  assert.ok(converge(c, 3) > 0);
  // Pod 0 loses its data (new volume); pod 1 is now primary.
  Object.assign(c.node(host(0)), { config: null, primary: false, users: { admin: [ROOT.user] } });
  c.node(host(1)).primary = true;
  c.commands = [];
  const r = runAs(c, 0, 3);
  assert.equal(r.code, 1);
  assert.match(r.output.join('\n'), /waiting to become a member/);
  assert.ok(!c.commands.some((x) => x.endsWith('replSetInitiate')));
  // It is still in the configuration, so no reconfiguration either: the primary's heartbeats
  // bring it back and it resyncs.
  assert.ok(!c.commands.some((x) => x.endsWith('replSetReconfig')));
});

test('scaling up: a new pod asks the primary to add it', () => {
  const c = new Cluster(3);
  assert.ok(converge(c, 3) > 0);
  c.add(3);
  const r = runAs(c, 3, 4);
  assert.equal(r.code, 1);
  assert.match(r.output.join('\n'), /add mongo-3.* as member 3/);
  assert.equal(c.node(host(0)).config.version, 2);
  assert.equal(runAs(c, 3, 4).code, 0);
});

test('the application user is created through the primary, not a secondary', () => {
  const c = new Cluster(3);
  runAs(c, 0, 3); // initiate
  c.commands = [];
  assert.equal(runAs(c, 2, 3).code, 0);
  assert.ok(c.commands.includes(`${host(0)} createUser`));
  assert.ok(!c.commands.includes(`${host(2)} createUser`));
});

test('with metrics, the exporter user is created once in admin with clusterMonitor only', () => {
  const c = new Cluster(3);
  const metrics = { MONGODB_EXPORTER_USER: 'exporter', MONGODB_EXPORTER_PASSWORD: 'exp-pw' };
  for (let round = 0; round < 6; round++) for (let i = 0; i < 3; i++) runAs(c, i, 3, metrics);
  const n = c.node(host(1));
  assert.deepEqual(n.users.admin, [ROOT.user, 'exporter'], 'created exactly once, in admin');
  assert.deepEqual(JSON.parse(JSON.stringify(n.roles['admin.exporter'])), {
    pwd: 'exp-pw',
    roles: [{ role: 'clusterMonitor', db: 'admin' }],
  });
  assert.deepEqual(n.users.parse, ['parse'], 'the application user too');
  // An existing set (created without metrics) gets it on the next start of a sidecar.
  const d = new Cluster(3);
  assert.ok(converge(d, 3) > 0);
  assert.equal(d.node(host(0)).users.admin.length, 1);
  assert.equal(runAs(d, 2, 3, metrics).code, 0);
  assert.deepEqual(d.node(host(0)).users.admin, [ROOT.user, 'exporter']);
});

test('with backups, the backup user is created once in admin with read on the application database only', () => {
  const c = new Cluster(3);
  const backup = { MONGODB_BACKUP_USER: 'backup', MONGODB_BACKUP_PASSWORD: 'bk-pw' };
  for (let round = 0; round < 6; round++) for (let i = 0; i < 3; i++) runAs(c, i, 3, backup);
  const n = c.node(host(2));
  assert.deepEqual(n.users.admin, [ROOT.user, 'backup'], 'created exactly once, in admin');
  assert.deepEqual(JSON.parse(JSON.stringify(n.roles['admin.backup'])), {
    pwd: 'bk-pw',
    roles: [{ role: 'read', db: 'parse' }],
  });
  // With metrics too: both, each with its own role.
  const m = new Cluster(1);
  const both = { ...backup, MONGODB_EXPORTER_USER: 'exporter', MONGODB_EXPORTER_PASSWORD: 'exp-pw' };
  for (let round = 0; round < 4; round++) runAs(m, 0, 1, both);
  assert.deepEqual(m.node(host(0)).users.admin, [ROOT.user, 'exporter', 'backup']);
  // A set initialised before backups were on gets it on the next start of a sidecar.
  const d = new Cluster(3);
  assert.ok(converge(d, 3) > 0);
  assert.equal(d.node(host(0)).users.admin.length, 1);
  const r = runAs(d, 1, 3, backup);
  assert.equal(r.code, 0);
  assert.deepEqual(d.node(host(0)).users.admin, [ROOT.user, 'backup']);
  assert.ok(!r.output.join('\n').includes('bk-pw'), 'the password is not printed');
});

test('with TLS, every connection carries the TLS options; only loopback skips the host name check', () => {
  const c = new Cluster(3);
  const tls = { MONGODB_TLS_OPTIONS: '&tls=true&tlsCAFile=/etc/kubeprint-tls/ca.crt' };
  for (let round = 0; round < 6; round++) for (let i = 0; i < 3; i++) runAs(c, i, 3, tls);
  // The script's own connections (the simulation's getSiblingDB makes others).
  const uris = c.uris.filter((u) => u.includes('connectTimeoutMS=3000'));
  assert.ok(uris.length > 0);
  for (const uri of uris) {
    assert.match(uri, /&tls=true&tlsCAFile=\/etc\/kubeprint-tls\/ca\.crt/, uri);
    const local = uri.includes('@127.0.0.1:');
    assert.equal(uri.includes('tlsAllowInvalidHostnames=true'), local, uri);
  }
  assert.ok(uris.some((u) => !u.includes('@127.0.0.1:')), 'peers were contacted too');
  // Without TLS, none.
  const d = new Cluster(1);
  converge(d, 1);
  assert.ok(d.uris.every((u) => !u.includes('tls')));
});

test('a member waits while the set has no primary', () => {
  const c = new Cluster(3);
  assert.ok(converge(c, 3) > 0);
  c.node(host(0)).primary = false;
  const r = runAs(c, 1, 3);
  assert.equal(r.code, 1);
  assert.match(r.output.join('\n'), /waiting for a primary/);
});

test('a single-member set initiates itself', () => {
  const c = new Cluster(1);
  assert.equal(converge(c, 1), 2);
  assert.equal(c.node(host(0)).config.members.length, 1);
});

test('a missing variable stops the script with exit 2', () => {
  const c = new Cluster(1);
  assert.equal(runAs(c, 0, 1, { MONGODB_REPLICA_SET: '' }).code, 2);
});

test('credentials never appear in the output', () => {
  const c = new Cluster(3);
  c.node(host(2)).up = false;
  const all = [];
  for (let i = 0; i < 2; i++) all.push(...runAs(c, i, 3).output);
  const text = all.join('\n');
  assert.ok(!text.includes(ROOT.pwd) && !text.includes(encodeURIComponent(ROOT.pwd)) && !text.includes('app-password'), text);
  const d = new Cluster(1);
  const out = [];
  for (let i = 0; i < 3; i++) out.push(...runAs(d, 0, 1, { MONGODB_EXPORTER_USER: 'exporter', MONGODB_EXPORTER_PASSWORD: 'exp-secret' }).output);
  assert.ok(out.join('\n').includes('created user exporter'), out.join('\n'));
  assert.ok(!out.join('\n').includes('exp-secret'));
});

let failed = 0;
for (const { name, fn } of tests) {
  try {
    fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n${e.stack}`);
  }
}
console.log(`${tests.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
