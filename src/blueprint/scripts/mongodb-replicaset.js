// Joins this pod to the MongoDB replica set: one idempotent step per run (see
// mongodb-replicaset.sh). Run with `mongosh --nodb`. Exits 0 when there is nothing left to do.
//
// Environment (set by the blueprint; passwords come from the Secret through secretKeyRef and
// are only ever sent inside the authenticated connection, never put on a command line):
//   POD_NAME, POD_NAMESPACE         downward API
//   MONGODB_HEADLESS                headless Service giving each pod a stable DNS name
//   MONGODB_STATEFULSET             StatefulSet name (pods are NAME-0, NAME-1 ...)
//   MONGODB_REPLICAS                number of members wanted
//   MONGODB_REPLICA_SET             replica set name
//   MONGODB_PORT                    mongod port
//   CLUSTER_DOMAIN                  optional suffix of DNS names
//   MONGODB_ROOT_USER, MONGODB_ROOT_PASSWORD
//   MONGODB_DATABASE, MONGODB_USER, MONGODB_PASSWORD   the application user to ensure
//   MONGODB_EXPORTER_USER, MONGODB_EXPORTER_PASSWORD   optional: the metrics exporter's user to
//                                   ensure, in admin with role clusterMonitor only (server and
//                                   replication status; no application data, no oplog)
//   MONGODB_BACKUP_USER, MONGODB_BACKUP_PASSWORD       optional: the backup job's user to
//                                   ensure, in admin with role read on MONGODB_DATABASE only
//                                   (what `mongodump --db` needs; nothing else, no oplog)
//   MONGODB_TLS_OPTIONS             optional: URI options of TLS (&tls=true&tlsCAFile=...)

const env = process.env;
const need = (name) => {
  const value = env[name];
  if (value === undefined || value === '') {
    print(`error: ${name} is not set`);
    quit(2);
  }
  return value;
};

const podName = need('POD_NAME');
const namespace = need('POD_NAMESPACE');
const headless = need('MONGODB_HEADLESS');
const statefulSet = need('MONGODB_STATEFULSET');
const replicas = Number(need('MONGODB_REPLICAS'));
const setName = need('MONGODB_REPLICA_SET');
const port = Number(need('MONGODB_PORT'));
const domain = env.CLUSTER_DOMAIN ? `.${env.CLUSTER_DOMAIN}` : '';
const ordinal = Number(podName.slice(podName.lastIndexOf('-') + 1));

const hostOf = (pod) => `${pod}.${headless}.${namespace}.svc${domain}:${port}`;
const self = hostOf(podName);
const members = [...Array(replicas).keys()].map((i) => hostOf(`${statefulSet}-${i}`));

// An authenticated connection (admin database) to one mongod, or null when unreachable.
function connect(host) {
  const user = encodeURIComponent(need('MONGODB_ROOT_USER'));
  const password = encodeURIComponent(need('MONGODB_ROOT_PASSWORD'));
  // With TLS: the CA always; the host name is not checked on the loopback only (a certificate
  // issued for the members' names cannot match 127.0.0.1).
  let tls = env.MONGODB_TLS_OPTIONS || '';
  if (tls && host.startsWith('127.0.0.1:')) tls += '&tlsAllowInvalidHostnames=true';
  const uri = `mongodb://${user}:${password}@${host}/admin?authSource=admin` +
    '&directConnection=true&serverSelectionTimeoutMS=3000&connectTimeoutMS=3000' + tls;
  try {
    const admin = new Mongo(uri).getDB('admin');
    admin.runCommand({ ping: 1 });
    return admin;
  } catch (e) {
    print(`${host}: unreachable (${e.message.split('\n')[0].replace(/mongodb:\/\/[^@]*@/, 'mongodb://')})`);
    return null;
  }
}

// Runs a command; failures (which mongosh throws) come back as { ok: 0, ... }.
function command(admin, cmd) {
  try {
    return admin.runCommand(cmd);
  } catch (e) {
    return { ok: 0, errmsg: e.message, codeName: e.codeName };
  }
}

function hello(admin) {
  return command(admin, { hello: 1 });
}

function done(message) {
  print(message);
  quit(0);
}

function retry(message) {
  print(message);
  quit(1);
}

const local = connect('127.0.0.1:' + port);
if (local === null) retry('local mongod not reachable yet');
const me = hello(local);

if (me.setName === setName) {
  // Already a member. Make sure the application user exists (on the primary).
  if (!me.primary) retry('member of the set; waiting for a primary');
  const primary = me.isWritablePrimary ? local : connect(me.primary);
  if (primary === null) retry(`primary ${me.primary} not reachable`);
  const database = need('MONGODB_DATABASE');
  ensureUser(primary, database, need('MONGODB_USER'), 'MONGODB_PASSWORD', [{ role: 'readWrite', db: database }]);
  if (env.MONGODB_EXPORTER_USER) {
    ensureUser(primary, 'admin', env.MONGODB_EXPORTER_USER, 'MONGODB_EXPORTER_PASSWORD', [
      { role: 'clusterMonitor', db: 'admin' },
    ]);
  }
  if (env.MONGODB_BACKUP_USER) {
    ensureUser(primary, 'admin', env.MONGODB_BACKUP_USER, 'MONGODB_BACKUP_PASSWORD', [
      { role: 'read', db: database },
    ]);
  }
  done(`member ${self} of replica set ${setName}`);
}

// Creates `user` on database `database` of the primary with `roles` unless it exists; the
// password comes from the variable `passwordVar`.
function ensureUser(primary, database, user, passwordVar, roles) {
  const db = primary.getSiblingDB(database);
  const found = command(db, { usersInfo: user });
  if (found.ok !== 1) retry(`looking up user ${user} failed: ${found.errmsg}`);
  if (found.users.length === 0) {
    const created = command(db, { createUser: user, pwd: need(passwordVar), roles });
    if (created.ok !== 1) retry(`creating user ${user} failed: ${created.errmsg}`);
    print(`created user ${user} on database ${database} (${roles.map((r) => r.role).join(', ')})`);
  }
}

// Not a member yet: does any peer belong to the set already?
const peers = members.filter((host) => host !== self);
let reachable = 0;
for (const host of peers) {
  const peer = connect(host);
  if (peer === null) continue;
  reachable += 1;
  const info = hello(peer);
  if (info.setName !== setName) continue;
  if (!info.primary) retry(`${host} is in the set but there is no primary yet`);
  const primary = info.isWritablePrimary ? peer : connect(info.primary);
  if (primary === null) retry(`primary ${info.primary} not reachable`);
  const current = command(primary, { replSetGetConfig: 1 });
  if (current.ok !== 1) retry(`reading the configuration failed: ${current.errmsg}`);
  const config = current.config;
  if (!config.members.some((m) => m.host === self)) {
    const id = Math.max(-1, ...config.members.map((m) => m._id)) + 1;
    config.members.push({ _id: id, host: self });
    config.version += 1;
    const result = command(primary, { replSetReconfig: config });
    if (result.ok !== 1) retry(`adding ${self} failed: ${result.errmsg}`);
    print(`asked ${info.primary} to add ${self} as member ${id}`);
  }
  retry('waiting to become a member');
}

// No peer knows a replica set. Only pod 0 may create it, and only once every member answers:
// a member that is merely unreachable may hold the real set's configuration.
if (ordinal !== 0) retry('no replica set yet; pod 0 initiates it');
if (reachable !== peers.length) retry(`no replica set yet; ${reachable}/${peers.length} peers reachable`);
const result = command(local, {
  replSetInitiate: { _id: setName, members: members.map((host, i) => ({ _id: i, host })) },
});
if (result.ok !== 1 && result.codeName !== 'AlreadyInitialized') {
  retry(`replSetInitiate failed: ${result.errmsg}`);
}
retry(`initiated replica set ${setName} with ${members.length} members`);
