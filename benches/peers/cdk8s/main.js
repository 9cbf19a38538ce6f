// cdk8s-plus programs producing (approximately) the objects of kubeprint's kuard example and of
// its four blueprints with default settings, for the whole-process render comparison in
// benches/compare.sh. Plain JavaScript on purpose: `cdk8s synth` of a TypeScript project would add
// a compile step, which would only make cdk8s look slower.
//
// Usage: node main.js <kuard|blueprints|all> [outdir]
//   Synthesises the chart(s) to YAML files in outdir (default: a fresh directory under the system
//   temp dir) and prints the number of objects written.
//
// What "equivalent" means here (see the README next to this file): the same kinds and object
// counts, the same images, ports, probes, resources, security contexts, volumes and environment
// wiring as far as cdk8s-plus expresses them. It is not byte-for-byte the same YAML: cdk8s adds
// its own labels and generated names, and a few details (exec probes with shell scripts, init
// containers) are written more simply here. The comparison is about the cost of the tool, which
// these differences do not change materially.
'use strict';

const { App, Chart, Size, Duration, ApiObject } = require('cdk8s');
const kplus = require('cdk8s-plus-34');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

const restricted = (uid) => ({
  user: uid,
  group: uid,
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
});

const podSecurity = (uid) => ({
  user: uid,
  group: uid,
  fsGroup: uid,
  ensureNonRoot: true,
});

const resources = (cpuMilli, memMiB) => ({
  cpu: { request: kplus.Cpu.millis(cpuMilli), limit: kplus.Cpu.millis(cpuMilli * 4) },
  memory: { request: Size.mebibytes(memMiB), limit: Size.mebibytes(memMiB) },
});

const password = () => crypto.randomBytes(24).toString('base64url');

function checksum(data) {
  return crypto.createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

// kuard, the book's demo application: a Deployment and a Service (chapters 5-10).
function kuard(scope) {
  const chart = new Chart(scope, 'kuard', { disableResourceNameHashes: true });
  const deploy = new kplus.Deployment(chart, 'deployment', {
    metadata: { name: 'kuard', labels: { app: 'kuard' } },
    replicas: 3,
    securityContext: podSecurity(1000),
    containers: [{
      name: 'kuard',
      image: 'gcr.io/kuar-demo/kuard-amd64:blue',
      ports: [{ number: 8080, name: 'http' }],
      resources: resources(500, 128),
      securityContext: restricted(1000),
      liveness: kplus.Probe.fromHttpGet('/healthy', { port: 8080, initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(1), failureThreshold: 3 }),
      readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(2), failureThreshold: 3 }),
    }],
  });
  deploy.exposeViaService({ name: 'kuard', ports: [{ port: 80, targetPort: 8080, name: 'http' }] });
  return chart;
}

// A StatefulSet-backed database with a generated-credentials Secret, a config ConfigMap, a client
// Service (plus the headless Service cdk8s-plus creates), a NetworkPolicy and, with more than
// one replica, a PodDisruptionBudget. Shared shape of the MySQL, Redis and MongoDB blueprints.
function database(chart, o) {
  const secret = new kplus.Secret(chart, `${o.name}-secret`, {
    metadata: { name: `${o.name}-credentials`, annotations: { 'kubeprint.dev/generate-once': Object.keys(o.secretKeys).join(',') } },
    stringData: o.secretKeys,
  });
  const config = new kplus.ConfigMap(chart, `${o.name}-config`, {
    metadata: { name: `${o.name}-config` },
    data: o.config,
  });
  const headless = new kplus.Service(chart, `${o.name}-headless`, {
    metadata: { name: `${o.name}-headless` },
    clusterIP: 'None',
    ports: [{ port: o.port, targetPort: o.port, name: o.portName }],
  });
  const sts = new kplus.StatefulSet(chart, `${o.name}-sts`, {
    metadata: { name: o.name, labels: { 'app.kubernetes.io/name': o.name } },
    service: headless,
    replicas: o.replicas,
    podMetadata: { annotations: { 'kubeprint.dev/config-checksum': checksum(o.config) } },
    securityContext: podSecurity(999),
    volumeClaimTemplates: [{ name: 'data', storage: Size.gibibytes(8), accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE] }],
  });
  const env = {};
  for (const [variable, key] of Object.entries(o.env)) {
    env[variable] = kplus.EnvValue.fromSecretValue({ secret, key });
  }
  const c = sts.addContainer({
    name: o.name,
    image: o.image,
    args: o.args,
    ports: [{ number: o.port, name: o.portName }],
    envVariables: env,
    resources: resources(250, 512),
    securityContext: restricted(999),
    startup: kplus.Probe.fromCommand(o.probe, { periodSeconds: Duration.seconds(5), failureThreshold: 60 }),
    liveness: kplus.Probe.fromCommand(o.probe, { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5) }),
    readiness: kplus.Probe.fromCommand(o.readiness || o.probe, { periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(5) }),
  });
  c.mount(o.dataPath, kplus.Volume.fromName(chart, `${o.name}-data-volume`, 'data'));
  c.mount(o.configPath, kplus.Volume.fromConfigMap(chart, `${o.name}-config-volume`, config), { readOnly: true });
  for (const dir of o.scratch) {
    c.mount(dir, kplus.Volume.fromEmptyDir(chart, `${o.name}-scratch-${dir}`, `scratch${dir.replace(/\//g, '-')}`));
  }
  const client = new kplus.Service(chart, `${o.name}-client`, {
    metadata: { name: o.name },
    selector: sts,
    ports: [{ port: o.port, targetPort: o.port, name: o.portName }],
  });
  const policy = new kplus.NetworkPolicy(chart, `${o.name}-policy`, {
    metadata: { name: o.name },
    selector: sts,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });
  const peer = kplus.Pods.select(chart, `${o.name}-clients`, { labels: { [`${o.name}-client`]: 'true' } });
  policy.addIngressRule(peer, [kplus.NetworkPolicyPort.tcp(o.port)]);
  if (o.replicas > 1) {
    policy.addIngressRule(sts, [kplus.NetworkPolicyPort.tcp(o.port)]);
    new ApiObject(chart, `${o.name}-pdb`, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: o.name },
      spec: { maxUnavailable: 1, selector: { matchLabels: sts.matchLabels ? sts.matchLabels : {} } },
    });
  }
  return { secret, sts, client };
}

function mysql(chart) {
  return database(chart, {
    name: 'mysql', image: 'mysql:8.4', port: 3306, portName: 'mysql', replicas: 1,
    secretKeys: { 'root-password': password(), password: password() },
    env: { MYSQL_ROOT_PASSWORD: 'root-password', MYSQL_PASSWORD: 'password' },
    config: { 'kubeprint.cnf': '[mysqld]\nskip-name-resolve\ninnodb_buffer_pool_size=256M\n' },
    args: [], probe: ['mysqladmin', 'ping', '--silent'],
    readiness: ['sh', '-c', 'MYSQL_PWD="$MYSQL_PASSWORD" mysql -uapp -e "SELECT 1"'],
    dataPath: '/var/lib/mysql', configPath: '/etc/mysql/conf.d', scratch: ['/var/run/mysqld', '/tmp'],
  });
}

function redis(chart) {
  return database(chart, {
    name: 'redis', image: 'redis:7.2', port: 6379, portName: 'redis', replicas: 1,
    secretKeys: { password: password() },
    env: { REDISCLI_AUTH: 'password' },
    config: { 'redis.conf': 'appendonly yes\ndir /data\n' },
    args: ['redis-server', '/etc/redis/redis.conf', '--requirepass', '$(REDISCLI_AUTH)'],
    probe: ['redis-cli', 'ping'],
    dataPath: '/data', configPath: '/etc/redis', scratch: ['/tmp'],
  });
}

function mongodb(chart) {
  const db = database(chart, {
    name: 'mongodb', image: 'mongo:8.0', port: 27017, portName: 'mongodb', replicas: 3,
    secretKeys: { 'root-password': password(), keyfile: crypto.randomBytes(96).toString('base64') },
    env: { MONGO_INITDB_ROOT_PASSWORD: 'root-password' },
    config: { 'mongod.conf': 'replication:\n  replSetName: rs0\nsecurity:\n  keyFile: /etc/mongo-key/keyfile\n' },
    args: ['--config', '/etc/mongo/mongod.conf'],
    probe: ['mongosh', '--quiet', '--eval', 'db.adminCommand("ping")'],
    dataPath: '/data/db', configPath: '/etc/mongo', scratch: ['/tmp'],
  });
  return db;
}

// A stateless web app in front of a database: Deployment, Service, Secret, NetworkPolicy.
function webapp(chart, o) {
  const secret = o.secretKeys && new kplus.Secret(chart, `${o.name}-secret`, {
    metadata: { name: `${o.name}-keys`, annotations: { 'kubeprint.dev/generate-once': Object.keys(o.secretKeys).join(',') } },
    stringData: o.secretKeys,
  });
  const deploy = new kplus.Deployment(chart, `${o.name}-deploy`, {
    metadata: { name: o.name },
    replicas: o.replicas,
    strategy: o.recreate ? kplus.DeploymentStrategy.recreate() : undefined,
    podMetadata: { labels: { [`${o.database}-client`]: 'true' } },
    securityContext: podSecurity(1000),
  });
  const env = {};
  for (const [k, v] of Object.entries(o.env)) env[k] = kplus.EnvValue.fromValue(v);
  for (const [k, [s, key]] of Object.entries(o.secretEnv)) {
    env[k] = kplus.EnvValue.fromSecretValue({ secret: s === 'own' ? secret : o.dbSecret, key });
  }
  const c = deploy.addContainer({
    name: o.name, image: o.image, ports: [{ number: o.port, name: 'http' }], envVariables: env,
    resources: resources(250, 512), securityContext: restricted(1000),
    startup: kplus.Probe.fromHttpGet(o.probe, { port: o.port, periodSeconds: Duration.seconds(5), failureThreshold: 60 }),
    liveness: kplus.Probe.fromHttpGet(o.probe, { port: o.port, periodSeconds: Duration.seconds(10) }),
    readiness: kplus.Probe.fromHttpGet(o.probe, { port: o.port, periodSeconds: Duration.seconds(5) }),
  });
  for (const dir of o.scratch) {
    c.mount(dir, kplus.Volume.fromEmptyDir(chart, `${o.name}-scratch-${dir}`, `scratch${dir.replace(/\//g, '-')}`));
  }
  if (o.content) {
    const pvc = new kplus.PersistentVolumeClaim(chart, `${o.name}-pvc`, {
      metadata: { name: `${o.name}-content` }, storage: Size.gibibytes(10),
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
    });
    c.mount(o.content, kplus.Volume.fromPersistentVolumeClaim(chart, `${o.name}-content-volume`, pvc));
  }
  new kplus.Service(chart, `${o.name}-svc`, {
    metadata: { name: o.name }, selector: deploy, ports: [{ port: 80, targetPort: o.port, name: 'http' }],
  });
  const policy = new kplus.NetworkPolicy(chart, `${o.name}-policy`, {
    metadata: { name: o.name }, selector: deploy, ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });
  policy.addIngressRule(kplus.Pods.all(chart, `${o.name}-any`), [kplus.NetworkPolicyPort.tcp(o.port)]);
  if (o.replicas > 1) {
    new ApiObject(chart, `${o.name}-pdb`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: o.name },
      spec: { maxUnavailable: 1, selector: { matchLabels: deploy.matchLabels ? deploy.matchLabels : {} } },
    });
  }
  return deploy;
}

function ghost(scope) {
  const chart = new Chart(scope, 'ghost', { disableResourceNameHashes: true });
  const db = mysql(chart);
  webapp(chart, {
    name: 'ghost', image: 'ghost:6', port: 2368, replicas: 1, recreate: true, database: 'mysql', dbSecret: db.secret,
    env: {
      url: 'https://blog.example.com', database__client: 'mysql', database__connection__host: 'mysql',
      database__connection__port: '3306', database__connection__user: 'app', database__connection__database: 'ghost',
    },
    secretEnv: { database__connection__password: ['db', 'password'] },
    probe: '/ghost/api/admin/site/', scratch: ['/tmp'], content: '/var/lib/ghost/content',
  });
  return chart;
}

function parse(scope) {
  const chart = new Chart(scope, 'parse', { disableResourceNameHashes: true });
  const db = mongodb(chart);
  webapp(chart, {
    name: 'parse', image: 'parseplatform/parse-server:8.2.4', port: 1337, replicas: 2, database: 'mongodb', dbSecret: db.secret,
    secretKeys: { 'master-key': password(), 'maintenance-key': password() },
    env: {
      PARSE_SERVER_APPLICATION_ID: 'my-app', PARSE_SERVER_MOUNT_PATH: '/parse',
      PARSE_SERVER_URL: 'http://parse/parse', PARSE_SERVER_MASTER_KEY_IPS: '10.0.0.0/8',
    },
    secretEnv: {
      PARSE_SERVER_MASTER_KEY: ['own', 'master-key'], PARSE_SERVER_MAINTENANCE_KEY: ['own', 'maintenance-key'],
      MONGODB_PASSWORD: ['db', 'root-password'],
    },
    probe: '/parse/health', scratch: ['/tmp'],
  });
  return chart;
}

function main() {
  const what = process.argv[2] || 'all';
  const outdir = process.argv[3] || fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-synth-'));
  const app = new App({ outdir });
  if (what === 'kuard' || what === 'all') kuard(app);
  if (what === 'blueprints' || what === 'all') {
    const chart = new Chart(app, 'redis-standalone', { disableResourceNameHashes: true });
    redis(chart);
    const mysqlChart = new Chart(app, 'mysql', { disableResourceNameHashes: true });
    mysql(mysqlChart);
    ghost(app);
    parse(app);
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
