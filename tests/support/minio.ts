import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './services.js';

/** The MinIO and mc binaries scripts/services/minio.sh builds; undefined when they are not there. */
export function minioTools(): { minio: string; mc: string } | undefined {
  const dirs = [process.env.MINIO_TOOLS, '/opt/imgr-s3-tools', '/tmp/imgr-s3-tools'].filter((dir): dir is string => Boolean(dir));
  for (const dir of dirs) {
    const minio = join(dir, 'bin/minio');
    const mc = join(dir, 'bin/mc');
    if (existsSync(minio) && existsSync(mc)) return { minio, mc };
  }
  return undefined;
}

export interface MinioServer {
  endpoint: string;
  rootUser: string;
  rootSecret: string;
  /** PEM of the CA that signed the server's certificate (TLS servers only). */
  caPath?: string;
  /** Runs `mc` against this server (alias `t`). */
  mc(...args: string[]): string;
  stop(): Promise<void>;
}

/** A self-signed CA and a certificate for 127.0.0.1 signed by it, in MinIO's certs-dir layout. */
function makeCertificates(dir: string): string {
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=imgr test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(certs, 'private.key'), '-out', 'server.csr');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    join(certs, 'public.crt'),
  );
  return join(dir, 'ca.pem');
}

/**
 * A MinIO server of the test's own (its own port, data and settings, e.g. a request limit), so a case
 * can shape the server without disturbing the shared one.
 */
export async function startMinio(options: { tls?: boolean; env?: Record<string, string> } = {}): Promise<MinioServer> {
  const tools = minioTools();
  if (!tools) throw new Error('MinIO is not installed (scripts/services/minio.sh up builds it)');
  const dir = mkdtempSync(join(tmpdir(), 'imgr-minio-case-'));
  const port = await freePort();
  const rootUser = 'caseroot';
  const rootSecret = 'caseroot-secret';
  const caPath = options.tls ? makeCertificates(dir) : undefined;
  const scheme = options.tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${port}`;
  const args = ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--console-address', '127.0.0.1:0'];
  if (options.tls) args.push('--certs-dir', join(dir, 'certs'));
  const child: ChildProcess = spawn(tools.minio, args, {
    env: { ...process.env, MINIO_ROOT_USER: rootUser, MINIO_ROOT_PASSWORD: rootSecret, ...options.env },
    stdio: 'ignore',
  });
  const agent = caPath ? new Agent({ ca: readFileSync(caPath) }) : undefined;
  await waitLive(endpoint, agent);
  const mcEnv = { ...process.env, MC_CONFIG_DIR: join(dir, 'mc'), ...(caPath ? { SSL_CERT_FILE: caPath } : {}) };
  const mc = (...mcArgs: string[]) => execFileSync(tools.mc, mcArgs, { env: mcEnv, encoding: 'utf8' });
  // Admin calls made too early get "Server not initialized yet": retried until the server takes the
  // alias (waitFor treats a throwing probe as not yet).
  await waitFor(
    async () => {
      mc('alias', 'set', 't', endpoint, rootUser, rootSecret);
      return true;
    },
    30_000,
    250,
  ).catch((error: unknown) => {
    throw new Error(`MinIO at ${endpoint} never took the admin alias`, { cause: error });
  });
  return {
    endpoint,
    rootUser,
    rootSecret,
    ...(caPath ? { caPath } : {}),
    mc,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for MinIO's readiness answer (its object layer is up), over TLS with the test CA when it has one. */
async function waitLive(endpoint: string, agent: Agent | undefined): Promise<void> {
  const { request } = await import(endpoint.startsWith('https') ? 'node:https' : 'node:http');
  const live = () =>
    new Promise<boolean>((resolve) => {
      const req = request(`${endpoint}/minio/health/ready`, { agent }, (res: import('node:http').IncomingMessage) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  await waitFor(live, 30_000, 250).catch((error: unknown) => {
    throw new Error(`MinIO at ${endpoint} never answered`, { cause: error });
  });
}
