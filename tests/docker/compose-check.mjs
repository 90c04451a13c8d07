// Checks the resolved compose model (`docker compose config --format json` on stdin) against what the
// one-machine stack promises: the production topology, health checks, restart policies, read-only roots,
// no capabilities, images tagged with an explicit version, the S3 server's keys and volume, the sweep's
// schedule, and each role's runtime settings, memory limit and kill timeout from deploy/runtime/ (the
// files the Nomad jobs are held to). Exits 1 with every problem listed.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

const model = JSON.parse(readFileSync(0, 'utf8'));
const services = model.services ?? {};
const problems = [];
const expect = (ok, message) => {
  if (!ok) problems.push(message);
};

const ours = ['api-1', 'api-2', 'worker', 'sweep', 'web'];
for (const name of [...ours, 'seaweedfs', 'rabbitmq', 'ingress', 'ingress-config']) {
  expect(name in services, `service ${name} missing`);
}
// One-shot services: something waits for their successful completion; they are not restarted.
const oneShots = new Set(
  Object.values(services).flatMap((svc) =>
    Object.entries(svc.depends_on ?? {})
      .filter(([, dep]) => dep.condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);
expect(oneShots.has('ingress-config'), 'ingress: does not wait for ingress-config to complete');

for (const [name, svc] of Object.entries(services)) {
  if (oneShots.has(name)) {
    expect((svc.restart ?? 'no') === 'no', `${name}: a one-shot must not restart`);
  } else {
    expect(['always', 'unless-stopped', 'on-failure'].includes(svc.restart ?? ''), `${name}: no restart policy`);
  }
  const tag = (svc.image ?? '').split('/').pop().split(':')[1];
  expect(tag && tag !== 'latest', `${name}: image ${svc.image} has no explicit version tag`);
}
for (const name of [...ours, 'ingress', 'ingress-config']) {
  const svc = services[name] ?? {};
  expect(svc.read_only === true, `${name}: root filesystem not read-only`);
  expect((svc.cap_drop ?? []).includes('ALL'), `${name}: capabilities not dropped`);
  if (name !== 'ingress-config') {
    expect(
      (svc.tmpfs ?? []).some((t) => t.startsWith('/tmp')),
      `${name}: no writable /tmp`,
    );
  }
}
// The ingress reads the config ingress-config writes: same volume, read-only on the ingress side.
const configVolume = (name) => (services[name]?.volumes ?? []).find((v) => v.type === 'volume' && v.source === 'ingress-config');
expect(configVolume('ingress-config') && !configVolume('ingress-config').read_only, 'ingress-config: does not write its volume');
expect(configVolume('ingress')?.read_only === true, 'ingress: does not mount the ingress-config volume read-only');
expect(
  (services.ingress?.command ?? []).includes(`${configVolume('ingress')?.target}/haproxy.cfg`),
  'ingress: does not load the rendered haproxy.cfg',
);
// Third-party services carry their health checks here; ours have a HEALTHCHECK in their image.
for (const name of ['seaweedfs', 'rabbitmq', 'ingress']) {
  expect(services[name]?.healthcheck?.test?.length > 0, `${name}: no health check`);
}
for (const name of ['api-1', 'api-2', 'worker', 'sweep']) {
  const dep = services[name]?.depends_on ?? {};
  expect(
    dep.seaweedfs?.condition === 'service_healthy' && dep.rabbitmq?.condition === 'service_healthy',
    `${name}: does not wait for healthy SeaweedFS and RabbitMQ`,
  );
}
for (const name of ['api-1', 'api-2']) {
  expect(services[name]?.command?.[0] === 'api', `${name}: command is not api`);
}
expect(services.worker?.command?.[0] === 'worker', 'worker: command is not worker');
expect(Number(services.worker?.deploy?.replicas) === 2, 'worker: not two replicas');
expect(services['api-1']?.image === services.worker?.image, 'API and worker do not run the same image');
for (const name of ['api-1', 'api-2', 'web']) {
  expect(services.ingress?.depends_on?.[name]?.condition === 'service_healthy', `ingress: does not wait for ${name}`);
}
const env = services['api-1']?.environment ?? {};
for (const key of ['CELERY_BROKER_URL', 'S3_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'S3_BUCKET_NAME']) {
  expect(env[key], `api-1: ${key} not set`);
}
expect(/^amqp:\/\/[^:]+:[^@]+@rabbitmq:5672\//.test(env.CELERY_BROKER_URL ?? ''), 'api-1: broker URL does not point at rabbitmq');
expect(env.S3_ENDPOINT_URL === 'http://seaweedfs:8333', 'api-1: S3 endpoint is not the seaweedfs service');

// The S3 server: SeaweedFS's S3 gateway on the port imgr is pointed at, its one identity imgr's own keys
// (SeaweedFS serves anonymous requests when no key is configured), its data on a named volume.
const s3 = services.seaweedfs ?? {};
expect((s3.image ?? '').startsWith('chrislusf/seaweedfs:'), 'seaweedfs: not the official chrislusf/seaweedfs image');
expect(
  s3.command?.[0] === 'server' && ['-filer', '-s3', '-s3.port=8333'].every((f) => s3.command.includes(f)),
  'seaweedfs: not `server -filer -s3 -s3.port=8333`',
);
expect(s3.environment?.AWS_ACCESS_KEY_ID === env.AWS_ACCESS_KEY_ID, "seaweedfs: its key is not imgr's AWS_ACCESS_KEY_ID");
expect(s3.environment?.AWS_SECRET_ACCESS_KEY === env.AWS_SECRET_ACCESS_KEY, "seaweedfs: its secret is not imgr's AWS_SECRET_ACCESS_KEY");
const dataDir = (s3.command ?? []).findLast((f) => f.startsWith('-dir='))?.slice('-dir='.length);
expect(
  (s3.volumes ?? []).some((v) => v.type === 'volume' && v.target === dataDir && v.source in (model.volumes ?? {})),
  `seaweedfs: its -dir (${dataDir}) is not on a named volume`,
);
expect((s3.healthcheck?.test ?? []).join(' ').includes(':8333/healthz'), 'seaweedfs: health check does not probe the S3 gateway');
// The backup profile mirrors the same bucket from the same server with the same keys.
const backup = services.backup?.environment ?? {};
expect(backup.RCLONE_CONFIG_LIVE_ENDPOINT === env.S3_ENDPOINT_URL, "backup: does not mirror from imgr's S3 endpoint");
expect(backup.RCLONE_CONFIG_LIVE_PROVIDER === 'SeaweedFS', 'backup: rclone provider is not SeaweedFS');
expect(backup.RCLONE_CONFIG_LIVE_ACCESS_KEY_ID === env.AWS_ACCESS_KEY_ID, "backup: not imgr's S3 key");
expect(backup.IMGR_BACKUP_SOURCE_BUCKET === env.S3_BUCKET_NAME, "backup: not imgr's bucket");
expect(services.backup?.depends_on?.seaweedfs?.condition === 'service_healthy', 'backup: does not wait for SeaweedFS');
const leftovers = JSON.stringify(model).match(/minio[^"]*/gi) ?? [];
expect(leftovers.length === 0, `MinIO still named: ${[...new Set(leftovers)].join(', ')}`);
// Each role's runtime settings come from deploy/runtime/<role>.env (tests/deploy/runtime-settings.test.mjs
// holds the Nomad job and the bench to the same files).
for (const [role, names] of [
  ['api', ['api-1', 'api-2']],
  ['worker', ['worker']],
  ['sweep', ['sweep']],
]) {
  const settings = parseEnv(readFileSync(new URL(`../../deploy/runtime/${role}.env`, import.meta.url), 'utf8'));
  for (const name of names) {
    for (const [key, value] of Object.entries(settings)) {
      expect(services[name]?.environment?.[key] === value, `${name}: ${key} is not ${value} (deploy/runtime/${role}.env)`);
    }
  }
}
// Memory limits and kill timeouts: deploy/runtime/limits.env, the numbers the Nomad jobs are held to.
const limits = parseEnv(readFileSync(new URL('../../deploy/runtime/limits.env', import.meta.url), 'utf8'));
/** "1m30s", "90s", "15s" -> seconds. */
const seconds = (text) =>
  [...String(text ?? '').matchAll(/(\d+)(h|m|s)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit], 0);
for (const [role, names] of [
  ['API', ['api-1', 'api-2']],
  ['WORKER', ['worker']],
  ['SWEEP', ['sweep']],
]) {
  const memoryMib = Number(limits[`${role}_MEMORY_MIB`]);
  const killS = Number(limits[`${role}_KILL_TIMEOUT_S`]);
  expect(memoryMib > 0 && killS > 0, `deploy/runtime/limits.env: ${role}_MEMORY_MIB or ${role}_KILL_TIMEOUT_S missing`);
  for (const name of names) {
    const memory = Number(services[name]?.deploy?.resources?.limits?.memory);
    expect(memory === memoryMib * 1024 * 1024, `${name}: memory limit ${memory / 1048576} MiB, not ${role}_MEMORY_MIB ${memoryMib}`);
    const grace = seconds(services[name]?.stop_grace_period);
    expect(grace === killS, `${name}: stop_grace_period ${grace} s, not ${role}_KILL_TIMEOUT_S ${killS}`);
    const deadlineMs = Number(services[name]?.environment?.IMGR_SHUTDOWN_TIMEOUT_MS ?? 0);
    expect(deadlineMs < killS * 1000, `${name}: kill timeout ${killS} s leaves no margin over IMGR_SHUTDOWN_TIMEOUT_MS ${deadlineMs}`);
  }
}

// The sweep: `imgr sweep` of the imgr image, looped by deploy/compose/sweep-loop.mjs (mounted from this
// checkout) every IMGR_SWEEP_PERIOD_S, each run bounded by IMGR_SWEEP_TIMEOUT_S below the period.
const sweep = services.sweep ?? {};
const loop = sweep.entrypoint ?? [];
const loopScript = loop.find((arg) => arg.endsWith('/sweep-loop.mjs')) ?? '';
expect(loop[0] === '/usr/local/bin/tini' && loopScript, 'sweep: entrypoint is not tini running sweep-loop.mjs');
expect(
  loop.slice(loop.indexOf(loopScript) + 1).join(' ') === '/usr/local/bin/node /app/cli/dist/main.js sweep',
  'sweep: the loop does not run `imgr sweep`',
);
expect(
  (sweep.volumes ?? []).some(
    (v) => v.type === 'bind' && v.read_only && `${v.target}/sweep-loop.mjs` === loopScript && v.source.endsWith('/deploy/compose'),
  ),
  'sweep: deploy/compose is not mounted read-only where the entrypoint runs sweep-loop.mjs',
);
expect(sweep.image === services.worker?.image, 'sweep: not the image of the worker');
const period = Number(sweep.environment?.IMGR_SWEEP_PERIOD_S);
const sweepTimeout = Number(sweep.environment?.IMGR_SWEEP_TIMEOUT_S);
expect(period > 0 && sweepTimeout > 0 && sweepTimeout < period, `sweep: run bound ${sweepTimeout} s not within the period ${period} s`);

const published = (services.ingress?.ports ?? []).map((p) => Number(p.target));
expect(published.includes(8080), 'ingress: port 8080 not published');
for (const name of ours) {
  expect(!(services[name]?.ports ?? []).length, `${name}: publishes a port (only the ingress should)`);
}

if (problems.length > 0) {
  console.error(`compose.yaml: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`compose.yaml: ${Object.keys(services).length} services, topology and hardening as expected`);
