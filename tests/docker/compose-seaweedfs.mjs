// compose.yaml's S3 server and sweep, run for real without Docker (no registry is reachable from CI):
//   - the seaweedfs service's command and environment, read from the resolved compose model, are given to
//     a `weed` of the image's release (scripts/services/seaweedfs.sh builds it), the way the image's
//     entrypoint runs them; only the data directory and the listen addresses are moved to this host;
//   - its health check command (port moved) must pass, a request with other keys must be refused, and
//     imgr's storage contract (tests/integration/s3-seaweedfs.test.ts) runs on it with the stack's keys;
//   - the sweep service's loop (deploy/compose/sweep-loop.mjs) runs `imgr sweep` of this checkout against
//     it, twice, and stops on SIGTERM;
//   - the backup service's script and rclone settings mirror its bucket (to a second bucket on it).
// Usage: node tests/docker/compose-seaweedfs.mjs <model.json> <weed>   (after npm run build; RabbitMQ up)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { freePorts } from '../support/ports.mjs';
import { testS3Client } from '../support/s3-buckets.mjs';

const [modelPath, weed] = process.argv.slice(2);
const root = new URL('../..', import.meta.url).pathname;
const model = JSON.parse(readFileSync(modelPath, 'utf8'));
const s3 = model.services.seaweedfs;
const fail = (message) => {
  console.error(`compose seaweedfs: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
};

// The same release as the image: `weed version` prints e.g. "version 30GB 4.53 7506e5f linux amd64".
const tag = s3.image.split(':').pop();
const version = execFileSync(weed, ['version'], { encoding: 'utf8' });
if (!version.split(/\s+/).includes(tag)) fail(`image ${s3.image} but ${weed} is ${version.trim()}`);

const data = mkdtempSync(join(tmpdir(), 'imgr-compose-seaweed-'));
// Eight ports: HTTP and gRPC of master, volume server, filer and S3 gateway (gRPC is HTTP + 10000 unless set).
const [master, volume, filer, port, ...grpc] = await freePorts(8);
const [command, ...flags] = s3.command;
if (command !== 'server') fail(`command ${command}, not server`);
// The entrypoint runs `weed -logtostderr=true server -dir=/data -master.volumeSizeLimitMB=1024 <flags>`.
const args = ['-logtostderr=true', 'server', '-dir=/data', '-master.volumeSizeLimitMB=1024', ...flags]
  .map((arg) => arg.replace(/^-dir=\/data$/, `-dir=${data}`))
  .concat([
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${master}`,
    `-volume.port=${volume}`,
    `-filer.port=${filer}`,
    `-s3.port=${port}`,
    `-master.port.grpc=${grpc[0]}`,
    `-volume.port.grpc=${grpc[1]}`,
    `-filer.port.grpc=${grpc[2]}`,
    `-s3.port.grpc=${grpc[3]}`,
  ]);
const server = spawn(weed, args, { env: { ...process.env, ...s3.environment }, stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
server.stderr.on('data', (chunk) => {
  log = (log + chunk).slice(-20_000);
});
const endpoint = `http://127.0.0.1:${port}`;

const children = new Set([server]);
const cleanups = [];
try {
  // The service's own health check, at this host's port.
  const [kind, check, ...checkArgs] = s3.healthcheck.test;
  if (kind !== 'CMD') fail(`health check ${kind}, not CMD`);
  const probe = checkArgs.map((arg) => arg.replace('127.0.0.1:8333', `127.0.0.1:${port}`));
  let healthy = false;
  for (let i = 0; i < 240 && !healthy && server.exitCode === null; i++) {
    try {
      execFileSync(check, probe, { stdio: 'ignore' });
      healthy = true;
    } catch {
      await sleep(250);
    }
  }
  if (!healthy) fail(`health check never passed (${[check, ...probe].join(' ')}); weed said:\n${log}`);
  console.log(`compose seaweedfs: weed ${tag} with the service's flags healthy on ${endpoint}`);

  const keys = { accessKey: s3.environment.AWS_ACCESS_KEY_ID, secretKey: s3.environment.AWS_SECRET_ACCESS_KEY };
  // Authentication is on: other keys are refused.
  const refused = await testS3Client({ endpoint, accessKey: 'someone', secretKey: 'not-the-key' })
    .send(new ListBucketsCommand({}))
    .then(
      () => false,
      (error) => error.$metadata?.httpStatusCode === 403,
    );
  if (!refused) fail('a request with other keys was not refused with 403');

  // imgr's storage contract with the stack's keys.
  execFileSync('npx', ['vitest', 'run', '--project', 'integration', 'tests/integration/s3-seaweedfs.test.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      IMGR_TEST_SEAWEED_ENDPOINT: endpoint,
      IMGR_TEST_SEAWEED_ACCESS_KEY: keys.accessKey,
      IMGR_TEST_SEAWEED_SECRET_KEY: keys.secretKey,
    },
  });

  // The sweep service: its entrypoint with this checkout's files and node, its environment with the
  // addresses of this host, a period of 1 s; two runs, then SIGTERM.
  const sweep = model.services.sweep;
  const bucket = sweep.environment.S3_BUCKET_NAME;
  await testS3Client({ endpoint, ...keys }).send(new CreateBucketCommand({ Bucket: bucket }));
  const [, , node, ...loop] = sweep.entrypoint;
  if (node !== '/usr/local/bin/node') fail(`sweep entrypoint runs ${node}`);
  const local = (arg) =>
    arg === '/usr/local/bin/node'
      ? process.execPath
      : arg.replace(/^\/deploy\/compose\//, `${root}deploy/compose/`).replace(/^\/app\//, root);
  const { IMGR_PUSHGATEWAY_URL, ...sweepEnv } = sweep.environment;
  // A virtual host of its own: the sweep declares the queues as imgr does, whatever other suites left.
  const vhost = `imgr-compose-sweep-${Date.now().toString(36)}`;
  execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
  cleanups.push(() => execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' }));
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  const broker = new URL(process.env.IMGR_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F');
  broker.pathname = `/${encodeURIComponent(vhost)}`;
  const loopProcess = spawn(process.execPath, loop.map(local), {
    env: {
      ...sweepEnv,
      PATH: process.env.PATH,
      IMGR_SWEEP_PERIOD_S: '1',
      S3_ENDPOINT_URL: endpoint,
      CELERY_BROKER_URL: broker.toString(),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(loopProcess);
  let reports = 0;
  let output = '';
  loopProcess.stdout.on('data', (chunk) => {
    output += chunk;
    reports = output.split('\n').filter((line) => {
      try {
        return 'requeued' in JSON.parse(line);
      } catch {
        return false;
      }
    }).length;
  });
  for (let i = 0; i < 240 && reports < 2 && loopProcess.exitCode === null; i++) await sleep(250);
  if (reports < 2) fail(`the sweep loop printed ${reports} sweep reports:\n${output}`);
  loopProcess.kill('SIGTERM');
  const [code] = await once(loopProcess, 'exit');
  children.delete(loopProcess);
  if (code !== 0) fail(`the sweep loop exited with ${code} on SIGTERM`);
  if (/"level":"(warn|error)"/.test(output)) fail(`the sweep loop logged a failure:\n${output}`);
  console.log(`compose sweep: ${reports} runs of imgr sweep through deploy/compose/sweep-loop.mjs, stopped by SIGTERM`);

  // The backup service's mirror from it: its script and environment, the live remote moved to this host
  // and the backup remote a second bucket on the same server.
  const backup = model.services.backup;
  const target = 'imgr-compose-backup';
  const objects = testS3Client({ endpoint, ...keys });
  await objects.send(new CreateBucketCommand({ Bucket: target }));
  await objects.send(new PutObjectCommand({ Bucket: bucket, Key: 'AbCd1234/original', Body: 'image bytes', ContentType: 'image/png' }));
  const { IMGR_PUSHGATEWAY_URL: _, ...backupEnv } = backup.environment;
  execFileSync('sh', [join(root, 'deploy/backup/imgr-backup.sh'), 'backup'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...backupEnv,
      PATH: process.env.PATH,
      RCLONE_CONFIG_LIVE_ENDPOINT: endpoint,
      RCLONE_CONFIG_BACKUP_ENDPOINT: endpoint,
      RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID: keys.accessKey,
      RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY: keys.secretKey,
      IMGR_BACKUP_TARGET_BUCKET: target,
    },
  });
  const copy = await objects.send(new GetObjectCommand({ Bucket: target, Key: 'current/AbCd1234/original' }));
  if ((await copy.Body.transformToString()) !== 'image bytes') fail('the backup service did not mirror the bucket');
  console.log(`compose backup: rclone (provider ${backup.environment.RCLONE_CONFIG_LIVE_PROVIDER}) mirrored the bucket from it`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  if (server.exitCode === null) await once(server, 'exit');
  rmSync(data, { recursive: true, force: true });
  for (const cleanup of cleanups) cleanup();
}
