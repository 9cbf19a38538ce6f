// cdk8s-plus programs producing approximately the objects of kubeprint's kuard example
// (examples/ch12_deployments.rs) and of its four blueprint examples (examples/mysql.rs,
// redis.rs, ghost.rs, parse.rs), for the whole-process render comparison of benches/compare.sh.
//
// Usage: node main.js <kuard|blueprints|all> [outdir]
//   Synthesises the chart(s) into YAML files in outdir (default: a new directory under the
//   system temp dir) and prints the number of objects written.
//
// Plain JavaScript on purpose: `cdk8s synth` of a TypeScript project adds a compile step, which
// would only make cdk8s look slower. See README.md next to this file for how "equivalent" the
// objects are.
'use strict';

const { App, Chart, Size, Duration, ApiObject, JsonPatch } = require('cdk8s');
const kplus = require('cdk8s-plus-34');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

// kubeprint's blueprint scripts, shipped in ConfigMaps like kubeprint does.
const scriptsDir = path.join(__dirname, '..', '..', '..', 'src', 'blueprint', 'scripts');
const script = (name) => fs.readFileSync(path.join(scriptsDir, name), 'utf8');

const password = () => crypto.randomBytes(24).toString('base64url');

function labelsOf(name, instance, component) {
  return {
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/managed-by': 'cdk8s',
    'app.kubernetes.io/name': name,
  };
}

function selectorOf(labels) {
  return { 'app.kubernetes.io/instance': labels['app.kubernetes.io/instance'], 'app.kubernetes.io/name': labels['app.kubernetes.io/name'] };
}

const checksum = (...parts) => crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');

const restricted = {
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
};

function probe(p) {
  if (!p) return undefined;
  const opts = {
    periodSeconds: Duration.seconds(p.period),
    timeoutSeconds: Duration.seconds(p.timeout || 1),
    failureThreshold: p.failure || 3,
    initialDelaySeconds: p.delay ? Duration.seconds(p.delay) : undefined,
  };
  return p.exec ? kplus.Probe.fromCommand(p.exec, opts) : kplus.Probe.fromHttpGet(p.http, { ...opts, port: p.port });
}

function envOf(chart, env) {
  const out = {};
  for (const [k, v] of Object.entries(env || {})) {
    if (typeof v === 'string') out[k] = kplus.EnvValue.fromValue(v);
    else if (v.secret) out[k] = kplus.EnvValue.fromSecretValue({ secret: v.secret, key: v.key });
    else out[k] = kplus.EnvValue.fromFieldRef(v.field);
  }
  return out;
}

function containerProps(chart, c) {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    imagePullPolicy: c.pull,
    ports: (c.ports || []).map(([name, number]) => ({ name, number })),
    envVariables: envOf(chart, c.env),
    startup: probe(c.startup),
    liveness: probe(c.liveness),
    readiness: probe(c.readiness),
    resources: {
      cpu: { request: kplus.Cpu.millis(c.cpu) },
      memory: { request: Size.mebibytes(c.mem), limit: c.memLimit ? Size.mebibytes(c.memLimit) : undefined },
    },
    securityContext: restricted,
  };
}

// A Deployment or StatefulSet from a compact description; returns the construct.
function workload(chart, kind, o) {
  const props = {
    metadata: { name: o.name, labels: o.labels, annotations: o.annotations },
    select: false,
    replicas: o.replicas,
    podMetadata: { labels: o.labels, annotations: { 'cdk8s.dev/config-checksum': o.checksum } },
    securityContext: { user: o.uid, group: o.uid, fsGroup: o.uid, ensureNonRoot: true, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH },
    terminationGracePeriod: o.grace ? Duration.seconds(o.grace) : undefined,
  };
  let w;
  if (kind === 'Deployment') {
    w = new kplus.Deployment(chart, o.name, {
      ...props,
      strategy: o.recreate ? kplus.DeploymentStrategy.recreate() : undefined,
      minReady: o.minReady ? Duration.seconds(o.minReady) : undefined,
      progressDeadline: o.progressDeadline ? Duration.seconds(o.progressDeadline) : undefined,
    });
  } else {
    w = new kplus.StatefulSet(chart, o.name, {
      ...props,
      service: o.service,
      podManagementPolicy: o.parallel ? kplus.PodManagementPolicy.PARALLEL : undefined,
      volumeClaimTemplates: [{ name: 'data', storage: Size.gibibytes(o.storageGi), accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE] }],
    });
    w.apiObject.addJsonPatch(JsonPatch.add('/spec/persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' }));
  }
  w.select(kplus.LabelSelector.of({ labels: selectorOf(o.labels) }));
  const volumes = {};
  for (const [name, make] of Object.entries(o.volumes || {})) volumes[name] = make(name);
  volumes.data = volumes.data || kplus.Volume.fromName(chart, `${o.name}-data`, 'data');
  const attach = (container, c) => {
    for (const [mountPath, vol, opts] of c.mounts || []) container.mount(mountPath, volumes[vol], opts || {});
  };
  for (const c of o.init || []) attach(w.addInitContainer(containerProps(chart, c)), c);
  for (const c of o.containers) attach(w.addContainer(containerProps(chart, c)), c);
  return w;
}

function service(chart, name, labels, ports, opts = {}) {
  return new kplus.Service(chart, `${name}-service`, {
    metadata: { name, labels },
    clusterIP: opts.headless ? 'None' : undefined,
    publishNotReadyAddresses: opts.headless ? true : undefined,
    selector: kplus.Pods.select(chart, `${name}-pods`, { labels: selectorOf(labels) }),
    ports: ports.map(([portName, port, target]) => ({ name: portName, port, targetPort: target || port })),
  });
}

function networkPolicy(chart, name, labels, rules) {
  const policy = new kplus.NetworkPolicy(chart, `${name}-policy`, {
    metadata: { name, labels },
    selector: kplus.Pods.select(chart, `${name}-policy-pods`, { labels: selectorOf(labels) }),
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });
  rules.forEach(([peer, ports], i) => {
    const from = peer.namespace
      ? kplus.Namespaces.select(chart, `${name}-ns-${i}`, { names: [peer.namespace] })
      : kplus.Pods.select(chart, `${name}-peer-${i}`, { labels: peer.pods });
    policy.addIngressRule(from, ports.map((p) => kplus.NetworkPolicyPort.tcp(p)));
  });
  return policy;
}

function pdb(chart, name, labels) {
  return new ApiObject(chart, `${name}-pdb`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(labels) } },
  });
}

function generatedSecret(chart, name, labels, keys) {
  const stringData = {};
  for (const k of keys) stringData[k] = password();
  return new kplus.Secret(chart, `${name}-secret`, {
    metadata: { name, labels, annotations: { 'cdk8s.dev/generate-once': keys.join(',') } },
    stringData,
  });
}

// --- kuard (examples/ch12_deployments.rs): a Deployment and its Service ------------------------
function kuard(app) {
  const chart = new Chart(app, 'kuard', { disableResourceNameHashes: true });
  const d = new kplus.Deployment(chart, 'kuard', {
    metadata: { name: 'kuard', annotations: { 'kubernetes.io/change-cause': 'Update to green kuard' } },
    select: false,
    replicas: 3,
    strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(1) }),
    minReady: Duration.seconds(10),
    progressDeadline: Duration.seconds(600),
    podMetadata: { labels: { run: 'kuard' } },
    securityContext: { user: 65534, ensureNonRoot: true },
  });
  d.select(kplus.LabelSelector.of({ labels: { run: 'kuard' } }));
  d.apiObject.addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', 14));
  d.addContainer({
    ...containerProps(chart, {
      name: 'kuard', image: 'gcr.io/kuar-demo/kuard-amd64:green', pull: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [['http', 8080]], cpu: 100, mem: 64,
      readiness: { http: '/ready', port: 8080, period: 2 },
      liveness: { http: '/healthy', port: 8080, delay: 5, period: 10 },
    }),
  });
  d.exposeViaService({ name: 'kuard', ports: [{ name: 'http', port: 8080, targetPort: 8080 }] });
  return chart;
}

// --- MySQL (src/blueprint/mysql.rs) -------------------------------------------------------------
function mysql(chart, o) {
  const labels = labelsOf('mysql', o.name, 'database');
  const secret = generatedSecret(chart, o.name, labels, ['password', 'root-password']);
  const cnf = `# Managed by cdk8s.\n[mysqld]\nskip-name-resolve\n${Object.entries(o.settings || {}).map(([k, v]) => `${k} = ${v}\n`).join('')}`;
  const config = new kplus.ConfigMap(chart, `${o.name}-config`, { metadata: { name: `${o.name}-config`, labels }, data: { 'kubeprint.cnf': cnf } });
  const scripts = new kplus.ConfigMap(chart, `${o.name}-scripts`, { metadata: { name: `${o.name}-scripts`, labels }, data: { 'mysql-probe.sh': script('mysql-probe.sh') } });
  const headless = service(chart, `${o.name}-headless`, labels, [['mysql', 3306]], { headless: true });
  service(chart, o.name, labels, [['mysql', 3306]]);
  const probeCmd = (what) => ['bash', '/opt/kubeprint/mysql-probe.sh', what];
  workload(chart, 'StatefulSet', {
    name: o.name, labels, replicas: 1, uid: 999, grace: 60, service: headless, storageGi: o.storageGi,
    checksum: checksum(cnf, o.name),
    volumes: {
      config: (n) => kplus.Volume.fromConfigMap(chart, `${o.name}-v-${n}`, config, { name: n }),
      scripts: (n) => kplus.Volume.fromConfigMap(chart, `${o.name}-v-${n}`, scripts, { name: n, defaultMode: 0o555 }),
      secret: (n) => kplus.Volume.fromSecret(chart, `${o.name}-v-${n}`, secret, { name: n, defaultMode: 0o440, items: { 'root-password': { path: 'root-password' }, password: { path: 'password' } } }),
      run: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
      tmp: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
      files: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
    },
    containers: [{
      name: 'mysql', image: 'mysql:8.4', ports: [['mysql', 3306]], cpu: 250, mem: 512, memLimit: 1024,
      env: {
        MYSQL_ROOT_PASSWORD_FILE: '/etc/mysql-secret/root-password', MYSQL_ROOT_HOST: 'localhost',
        MYSQL_DATABASE: o.database, MYSQL_USER: o.user, MYSQL_PASSWORD_FILE: '/etc/mysql-secret/password',
      },
      startup: { exec: probeCmd('ping'), period: 10, timeout: 5, failure: 60 },
      liveness: { exec: probeCmd('ping'), period: 10, timeout: 5 },
      readiness: { exec: probeCmd('ready'), period: 10, timeout: 5 },
      mounts: [
        ['/var/lib/mysql', 'data', { subPath: 'mysql' }], ['/etc/mysql/conf.d', 'config', { readOnly: true }],
        ['/opt/kubeprint', 'scripts', { readOnly: true }], ['/etc/mysql-secret', 'secret', { readOnly: true }],
        ['/var/run/mysqld', 'run'], ['/tmp', 'tmp'], ['/var/lib/mysql-files', 'files'],
      ],
    }],
  });
  networkPolicy(chart, o.name, labels, [[{ pods: o.clients }, [3306]]]);
  return { secret, host: o.name, labels };
}

// --- Redis with Sentinel (src/blueprint/redis.rs) -------------------------------------------------
function redis(chart, o) {
  const labels = labelsOf('redis', o.name, 'cache');
  const secret = generatedSecret(chart, o.name, labels, ['password']);
  const conf = '# Managed by cdk8s. Included by the runtime configuration, which adds the port,\n# the passwords and the replication role.\nbind * -::*\nprotected-mode yes\ndir /data\nappendonly yes\nappendfsync everysec\n';
  const config = new kplus.ConfigMap(chart, `${o.name}-config`, { metadata: { name: `${o.name}-config`, labels }, data: { 'redis.conf': conf } });
  const scriptData = {};
  for (const s of ['redis-lib.sh', 'redis-probe.sh', 'redis-start.sh', 'sentinel-init.sh']) scriptData[s] = script(s);
  const scripts = new kplus.ConfigMap(chart, `${o.name}-scripts`, { metadata: { name: `${o.name}-scripts`, labels }, data: scriptData });
  const ports = [['redis', 6379], ['sentinel', 26379]];
  const headless = service(chart, `${o.name}-headless`, labels, ports, { headless: true });
  service(chart, o.name, labels, ports);
  const env = {
    REDISCLI_AUTH: { secret, key: 'password' },
    POD_NAME: { field: kplus.EnvFieldPaths.POD_NAME }, POD_NAMESPACE: { field: kplus.EnvFieldPaths.POD_NAMESPACE },
    REDIS_HEADLESS: `${o.name}-headless`, REDIS_STATEFULSET: o.name, REDIS_REPLICAS: String(o.replicas),
    REDIS_PORT: '6379', SENTINEL_PORT: '26379', SENTINEL_MASTER: 'mymaster', SENTINEL_QUORUM: String(o.quorum),
    SENTINEL_DOWN_AFTER_MS: '10000', SENTINEL_FAILOVER_TIMEOUT_MS: '60000',
  };
  const probeCmd = (port, what) => ['sh', '/opt/kubeprint/redis-probe.sh', port, what];
  workload(chart, 'StatefulSet', {
    name: o.name, labels, replicas: o.replicas, uid: 999, service: headless, storageGi: 8,
    checksum: checksum(conf, scriptData),
    volumes: {
      config: (n) => kplus.Volume.fromConfigMap(chart, `${o.name}-v-${n}`, config, { name: n }),
      scripts: (n) => kplus.Volume.fromConfigMap(chart, `${o.name}-v-${n}`, scripts, { name: n, defaultMode: 0o555 }),
      run: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
      sentinel: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
    },
    init: [{
      name: 'sentinel-config', image: 'redis:8.2', command: ['sh', '/opt/kubeprint/sentinel-init.sh'], env, cpu: 50, mem: 32, memLimit: 64,
      mounts: [['/opt/kubeprint', 'scripts', { readOnly: true }], ['/run/sentinel', 'sentinel']],
    }],
    containers: [{
      name: 'redis', image: 'redis:8.2', command: ['sh', '/opt/kubeprint/redis-start.sh', 'sentinel'], env,
      ports: [['redis', 6379]], cpu: 100, mem: 256, memLimit: 512,
      startup: { exec: probeCmd('6379', 'alive'), period: 5, timeout: 5, failure: 120 },
      liveness: { exec: probeCmd('6379', 'alive'), period: 10, timeout: 5 },
      readiness: { exec: probeCmd('6379', 'ready'), period: 10, timeout: 5 },
      mounts: [['/data', 'data'], ['/etc/redis', 'config', { readOnly: true }], ['/opt/kubeprint', 'scripts', { readOnly: true }], ['/run/redis', 'run']],
    }, {
      name: 'sentinel', image: 'redis:8.2', command: ['redis-server', '/run/sentinel/sentinel.conf', '--sentinel'],
      env: { REDISCLI_AUTH: { secret, key: 'password' } }, ports: [['sentinel', 26379]], cpu: 50, mem: 32, memLimit: 64,
      liveness: { exec: probeCmd('26379', 'alive'), period: 10, timeout: 5 },
      readiness: { exec: probeCmd('26379', 'ready'), period: 10, timeout: 5 },
      mounts: [['/opt/kubeprint', 'scripts', { readOnly: true }], ['/run/sentinel', 'sentinel']],
    }],
  });
  networkPolicy(chart, o.name, labels, [[{ pods: selectorOf(labels) }, [6379, 26379]], [{ pods: o.clients }, [6379, 26379]]]);
  pdb(chart, o.name, labels);
}

// --- MongoDB replica set (src/blueprint/mongodb.rs) ----------------------------------------------
function mongodb(chart, o) {
  const labels = labelsOf('mongodb', o.name, 'database');
  const secret = generatedSecret(chart, o.name, labels, ['keyfile', 'password', 'root-password']);
  const scriptData = {};
  for (const s of ['mongodb-keyfile.sh', 'mongodb-replicaset.js', 'mongodb-replicaset.sh']) scriptData[s] = script(s);
  const scripts = new kplus.ConfigMap(chart, `${o.name}-scripts`, { metadata: { name: `${o.name}-scripts`, labels }, data: scriptData });
  const headless = service(chart, `${o.name}-headless`, labels, [['mongodb', 27017]], { headless: true });
  const uri = 'mongodb://127.0.0.1:27017/?directConnection=true&serverSelectionTimeoutMS=3000';
  const ping = ['mongosh', uri, '--quiet', '--norc', '--eval', 'quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)'];
  workload(chart, 'StatefulSet', {
    name: o.name, labels, replicas: 3, uid: 999, service: headless, storageGi: 10, parallel: true,
    checksum: checksum(scriptData),
    volumes: {
      scripts: (n) => kplus.Volume.fromConfigMap(chart, `${o.name}-v-${n}`, scripts, { name: n, defaultMode: 0o555 }),
      secret: (n) => kplus.Volume.fromSecret(chart, `${o.name}-v-${n}`, secret, { name: n, defaultMode: 0o440, items: { 'root-password': { path: 'root-password' }, keyfile: { path: 'keyfile' } } }),
      keyfile: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n, { medium: kplus.EmptyDirMedium.MEMORY }),
      tmp: (n) => kplus.Volume.fromEmptyDir(chart, `${o.name}-v-${n}`, n),
    },
    init: [{
      name: 'keyfile', image: 'mongo:8.0', command: ['sh', '/opt/kubeprint/mongodb-keyfile.sh', '/etc/mongodb-secret/keyfile', '/run/mongodb/keyfile'],
      cpu: 10, mem: 16, memLimit: 32,
      mounts: [['/opt/kubeprint', 'scripts', { readOnly: true }], ['/etc/mongodb-secret', 'secret', { readOnly: true }], ['/run/mongodb', 'keyfile']],
    }],
    containers: [{
      name: 'mongod', image: 'mongo:8.0',
      args: ['mongod', '--replSet', 'rs0', '--bind_ip_all', '--port', '27017', '--dbpath', '/data/db', '--keyFile', '/run/mongodb/keyfile'],
      env: { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD_FILE: '/etc/mongodb-secret/root-password', HOME: '/tmp' },
      ports: [['mongodb', 27017]], cpu: 250, mem: 1024, memLimit: 2048,
      startup: { exec: ping, period: 10, timeout: 10, failure: 60 },
      liveness: { exec: ping, period: 20, timeout: 10 },
      readiness: { exec: ['mongosh', uri, '--quiet', '--norc', '--eval', 'const h = db.hello(); quit(h.isWritablePrimary || h.secondary ? 0 : 1)'], period: 10, timeout: 10 },
      mounts: [['/data/db', 'data'], ['/etc/mongodb-secret', 'secret', { readOnly: true }], ['/run/mongodb', 'keyfile', { readOnly: true }], ['/tmp', 'tmp']],
    }, {
      name: 'replicaset', image: 'mongo:8.0', command: ['sh', '/opt/kubeprint/mongodb-replicaset.sh', '/opt/kubeprint/mongodb-replicaset.js'],
      env: {
        POD_NAME: { field: kplus.EnvFieldPaths.POD_NAME }, POD_NAMESPACE: { field: kplus.EnvFieldPaths.POD_NAMESPACE },
        MONGODB_HEADLESS: `${o.name}-headless`, MONGODB_STATEFULSET: o.name, MONGODB_REPLICAS: '3', MONGODB_REPLICA_SET: 'rs0',
        MONGODB_PORT: '27017', MONGODB_ROOT_USER: 'root', MONGODB_ROOT_PASSWORD: { secret, key: 'root-password' },
        MONGODB_DATABASE: o.database, MONGODB_USER: o.user, MONGODB_PASSWORD: { secret, key: 'password' }, HOME: '/tmp',
      },
      cpu: 10, mem: 64, memLimit: 256,
      mounts: [['/opt/kubeprint', 'scripts', { readOnly: true }], ['/tmp', 'tmp']],
    }],
  });
  networkPolicy(chart, o.name, labels, [[{ pods: selectorOf(labels) }, [27017]], [{ pods: o.clients }, [27017]]]);
  pdb(chart, o.name, labels);
  return { secret, labels };
}

// --- the four blueprint examples -------------------------------------------------------------------
function mysqlExample(app) {
  const chart = new Chart(app, 'mysql', { disableResourceNameHashes: true });
  mysql(chart, { name: 'shop-db', database: 'shop', user: 'shop', storageGi: 10, settings: { max_connections: 300 }, clients: { app: 'shop' } });
}

function redisExample(app) {
  const chart = new Chart(app, 'redis', { disableResourceNameHashes: true });
  redis(chart, { name: 'sessions', replicas: 3, quorum: 2, clients: { app: 'web' } });
}

function ghostExample(app) {
  const chart = new Chart(app, 'ghost', { disableResourceNameHashes: true });
  const labels = labelsOf('ghost', 'blog', 'web');
  const db = mysql(chart, { name: 'blog-db', database: 'ghost', user: 'ghost', storageGi: 8, clients: selectorOf(labels) });
  const content = new kplus.PersistentVolumeClaim(chart, 'blog-content', {
    metadata: { name: 'blog-content', labels }, storage: Size.gibibytes(5), accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
  });
  const site = { http: '/ghost/api/admin/site/', port: 2368 };
  workload(chart, 'Deployment', {
    name: 'blog', labels, replicas: 1, uid: 1000, recreate: true, checksum: checksum('blog'),
    volumes: {
      content: (n) => kplus.Volume.fromPersistentVolumeClaim(chart, `blog-v-${n}`, content, { name: n }),
      tmp: (n) => kplus.Volume.fromEmptyDir(chart, `blog-v-${n}`, n),
    },
    containers: [{
      name: 'ghost', image: 'ghost:6', ports: [['http', 2368]], cpu: 100, mem: 256, memLimit: 1024,
      env: {
        url: 'https://blog.example.com', database__client: 'mysql', database__connection__host: 'blog-db',
        database__connection__port: '3306', database__connection__user: 'ghost',
        database__connection__password: { secret: db.secret, key: 'password' }, database__connection__database: 'ghost',
      },
      startup: { ...site, period: 10, timeout: 5, failure: 60 },
      liveness: { ...site, period: 20, timeout: 5, failure: 6 },
      readiness: { ...site, period: 10, timeout: 5 },
      mounts: [['/var/lib/ghost/content', 'content'], ['/tmp', 'tmp']],
    }],
  });
  const svc = service(chart, 'blog', labels, [['http', 80, 2368]]);
  const ingress = new kplus.Ingress(chart, 'blog-ingress', { metadata: { name: 'blog', labels }, className: 'nginx' });
  ingress.addHostRule('blog.example.com', '/', kplus.IngressBackend.fromService(svc), kplus.HttpIngressPathType.PREFIX);
  networkPolicy(chart, 'blog', labels, [[{ namespace: 'ingress-nginx' }, [2368]]]);
}

function parseExample(app) {
  const chart = new Chart(app, 'parse', { disableResourceNameHashes: true });
  const labels = labelsOf('parse-server', 'api', 'api');
  const db = mongodb(chart, { name: 'api-db', database: 'parse', user: 'parse', clients: selectorOf(labels) });
  const keys = generatedSecret(chart, 'api', labels, ['maintenance-key', 'master-key']);
  const health = { http: '/parse/health', port: 1337 };
  workload(chart, 'Deployment', {
    name: 'api', labels, replicas: 2, uid: 1000, checksum: checksum('api'),
    volumes: {
      tmp: (n) => kplus.Volume.fromEmptyDir(chart, `api-v-${n}`, n),
      logs: (n) => kplus.Volume.fromEmptyDir(chart, `api-v-${n}`, n),
    },
    containers: [{
      name: 'parse-server', image: 'parseplatform/parse-server:8.6.26', ports: [['http', 1337]], cpu: 100, mem: 256, memLimit: 1024,
      env: {
        PARSE_DATABASE_PASSWORD: { secret: db.secret, key: 'password' },
        PARSE_SERVER_DATABASE_URI: 'mongodb://parse:$(PARSE_DATABASE_PASSWORD)@api-db-0.api-db-headless:27017,api-db-1.api-db-headless:27017,api-db-2.api-db-headless:27017/parse?replicaSet=rs0&authSource=parse',
        PORT: '1337', PARSE_SERVER_APPLICATION_ID: 'my-app',
        PARSE_SERVER_MASTER_KEY: { secret: keys, key: 'master-key' }, PARSE_SERVER_MAINTENANCE_KEY: { secret: keys, key: 'maintenance-key' },
        PARSE_SERVER_MASTER_KEY_IPS: '10.0.0.0/8,127.0.0.1', PARSE_SERVER_MOUNT_PATH: '/parse',
        PARSE_SERVER_URL: 'http://localhost:1337/parse', PARSE_PUBLIC_SERVER_URL: 'https://api.example.com/parse',
      },
      startup: { ...health, period: 5, timeout: 5, failure: 60 },
      liveness: { ...health, period: 20, timeout: 5 },
      readiness: { ...health, period: 10, timeout: 5 },
      mounts: [['/tmp', 'tmp'], ['/parse-server/logs', 'logs']],
    }],
  });
  service(chart, 'api', labels, [['http', 1337]]);
  networkPolicy(chart, 'api', labels, []);
  pdb(chart, 'api', labels);
}

function main() {
  const what = process.argv[2] || 'all';
  const outdir = process.argv[3] || fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-synth-'));
  const app = new App({ outdir });
  if (what === 'kuard' || what === 'all') kuard(app);
  if (what === 'blueprints' || what === 'all') {
    mysqlExample(app);
    redisExample(app);
    ghostExample(app);
    parseExample(app);
  }
  if (app.charts.length === 0) {
    process.stderr.write(`unknown target ${what}: use kuard, blueprints or all\n`);
    process.exit(2);
  }
  app.synth();
  let objects = 0;
  for (const chart of app.charts) objects += chart.node.findAll().filter((c) => c instanceof ApiObject).length;
  process.stdout.write(`${objects} objects -> ${outdir}\n`);
}

main();
