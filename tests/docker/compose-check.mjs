// Checks the resolved compose model (`docker compose config --format json` on stdin) against what the
// one-machine stack promises: the production topology, health checks, restart policies, read-only roots,
// no capabilities, and images tagged with an explicit version. Exits 1 with every problem listed.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

const model = JSON.parse(readFileSync(0, 'utf8'));
const services = model.services ?? {};
const problems = [];
const expect = (ok, message) => {
  if (!ok) problems.push(message);
};

const ours = ['api-1', 'api-2', 'worker', 'web'];
for (const name of [...ours, 'minio', 'rabbitmq', 'ingress', 'ingress-config']) {
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
for (const name of ['minio', 'rabbitmq', 'ingress']) {
  expect(services[name]?.healthcheck?.test?.length > 0, `${name}: no health check`);
}
for (const name of ['api-1', 'api-2']) {
  expect(services[name]?.command?.[0] === 'api', `${name}: command is not api`);
  const dep = services[name]?.depends_on ?? {};
  expect(
    dep.minio?.condition === 'service_healthy' && dep.rabbitmq?.condition === 'service_healthy',
    `${name}: does not wait for healthy MinIO and RabbitMQ`,
  );
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
expect(env.S3_ENDPOINT_URL === 'http://minio:9000', 'api-1: S3 endpoint is not minio');
// Each role's runtime settings come from deploy/runtime/<role>.env (tests/deploy/runtime-settings.test.mjs
// holds the Nomad job and the bench to the same files).
for (const [role, names] of [
  ['api', ['api-1', 'api-2']],
  ['worker', ['worker']],
]) {
  const settings = parseEnv(readFileSync(new URL(`../../deploy/runtime/${role}.env`, import.meta.url), 'utf8'));
  for (const name of names) {
    for (const [key, value] of Object.entries(settings)) {
      expect(services[name]?.environment?.[key] === value, `${name}: ${key} is not ${value} (deploy/runtime/${role}.env)`);
    }
  }
}
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
