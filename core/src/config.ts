import { isIP } from 'node:net';
import { z } from 'zod';

/** Role a process plays; `all` is the single-machine mode (API + worker + web in one process). */
export type Role = 'all' | 'api' | 'worker' | 'sweep';

/** `10.0.0.1`, `::1`, `172.16.0.0/16`, `fd00::/8`. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z
  .object({
    // The original application's variables: names and defaults kept for drop-in compatibility.
    CELERY_BROKER_URL: z
      .string()
      .regex(/^(amqps?|redis|rediss|memory):\/\//, 'a URL starting with amqp:// (or memory:// for the in-process queue)')
      .optional(),
    S3_ENDPOINT_URL: z.url('an http(s) URL such as http://minio:9000').optional(),
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).optional(),
    AWS_CA_BUNDLE: z.string().min(1).optional(),
    AWS_REGION_NAME: z.string().min(1).default('us-east-1'),
    S3_BUCKET_NAME: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid S3 bucket name (3-63 lowercase letters, digits, dots, dashes)')
      .default('images'),
    // imgr's own settings.
    PORT: intFrom(1, 65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    IMGR_STORAGE: z.enum(['auto', 's3', 'fs']).default('auto'),
    IMGR_DATA_DIR: z.string().min(1).default('./data'),
    IMGR_WEB_DIR: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    IMGR_MAX_UPLOAD_BYTES: intFrom(1024, 1024 ** 3).default(25 * 1024 * 1024),
    IMGR_MAX_PIXELS: intFrom(1, 1_000_000_000).default(50_000_000),
    IMGR_MAX_FRAMES: intFrom(1, 10_000).default(300),
    // width x height x frames: what one image may cost to decode (docs/operations.md, "Decode budget").
    IMGR_MAX_DECODE_PIXELS: intFrom(1, 1_000_000_000).default(100_000_000),
    // Every frame of an animation is composed on its canvas: 4096 x 4096 by default.
    IMGR_MAX_ANIMATION_PIXELS: intFrom(1, 1_000_000_000).default(16_777_216),
    IMGR_RENDER_TIMEOUT_S: intFrom(1, 3600).default(20),
    // Originals are stored without GPS, serials, author and other personal metadata unless this is true.
    IMGR_KEEP_ORIGINAL_METADATA: z.stringbool().default(false),
    IMGR_MAX_CONCURRENT_UPLOADS: intFrom(1, 1024).default(8),
    IMGR_REQUEST_TIMEOUT_MS: intFrom(1000, 3_600_000).default(60_000),
    // 25 MiB at 50 KB/s (a 400 kbit/s phone) takes ~9 minutes: the slow-body guard below, not this
    // deadline, is what frees the slots of clients that stall.
    IMGR_UPLOAD_TIMEOUT_MS: intFrom(1000, 3_600_000).default(900_000),
    // 1 KB/s over each 10 s window, 50 times below that phone; a slowloris sends bytes per minute.
    IMGR_UPLOAD_MIN_BYTES_PER_S: intFrom(0, 100 * 1024 * 1024).default(1024),
    // A resumable (tus) upload left unfinished this long is removed with its staged bytes: a day covers a
    // phone that loses its link overnight without keeping abandoned halves for ever.
    IMGR_RESUMABLE_EXPIRES_S: intFrom(60, 30 * 86_400).default(86_400),
    // Requests per client and per minute; 0 turns that limit off.
    IMGR_RATE_LIMIT_UPLOADS: intFrom(0, 1_000_000).default(120),
    IMGR_RATE_LIMIT_DELETES: intFrom(0, 1_000_000).default(120),
    IMGR_RATE_LIMIT_LOOKUPS: intFrom(0, 10_000_000).default(6000),
    // Comma-separated addresses or CIDR ranges whose X-Forwarded-For is believed (the ingress).
    IMGR_TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== ''),
      )
      .refine(
        (entries) => entries.every(isAddressOrRange),
        'a comma-separated list of IP addresses or CIDR ranges such as 172.16.0.0/16,127.0.0.1',
      ),
    IMGR_PUBLISH_TIMEOUT_MS: intFrom(100, 120_000).default(5_000),
    IMGR_SHUTDOWN_TIMEOUT_MS: intFrom(0, 600_000).default(20_000),
    IMGR_SHUTDOWN_DELAY_MS: intFrom(0, 600_000).default(0),
    // Readiness turns only after this many evaluations in a row, so one slow S3 answer takes no instance out.
    IMGR_READY_FAIL_AFTER: intFrom(1, 100).default(3),
    IMGR_READY_RECOVER_AFTER: intFrom(1, 100).default(2),
    IMGR_WORKER_CONCURRENCY: intFrom(1, 64).default(2),
    // 4 tasks per image: 16 keeps 4 images in hand, so S3 reads and writes of some overlap the renders of
    // IMGR_WORKER_CONCURRENCY others (8 left a render slot idle during every image's I/O; docs/benchmarks.md).
    IMGR_WORKER_PREFETCH: intFrom(1, 1000).default(16),
    IMGR_WORKER_MAX_ATTEMPTS: intFrom(1, 100).default(5),
    // A task whose worker died holding it this many times is dead-lettered (docs/operations.md, "Dead-letter queue").
    IMGR_MAX_LOST_DELIVERIES: intFrom(1, 100).default(5),
    // Dead letters kept at most in imgr.dead-letter; past it the broker drops the oldest (0: unbounded).
    IMGR_DEAD_LETTER_MAX_LENGTH: intFrom(0, 10_000_000).default(10_000),
    IMGR_SHARP_CONCURRENCY: intFrom(0, 64).default(0),
    IMGR_SHARP_CACHE_MB: intFrom(0, 4096).default(50),
    IMGR_SWEEP_MIN_AGE_S: intFrom(0, 86_400 * 30).default(120),
    // 0: no bound. The periodic job sets one so a hung run cannot block the next ones.
    IMGR_SWEEP_TIMEOUT_S: intFrom(0, 86_400).default(0),
    // Single-machine mode runs the sweep itself: once at start, then every this many seconds (0: never).
    IMGR_SWEEP_INTERVAL_S: intFrom(0, 86_400).default(300),
    // Expiry of uploads that do not ask for one (0: never) and the longest a client may ask for.
    IMGR_DEFAULT_EXPIRES_IN_S: intFrom(0, 180 * 86_400)
      .refine((seconds) => seconds === 0 || seconds >= 300, '0 (never) or 300 to 15552000 seconds')
      .default(0),
    IMGR_MAX_EXPIRES_IN_S: intFrom(300, 180 * 86_400).default(180 * 86_400),
    // WebP and AVIF copies of every still image's sizes, served by Accept (docs/operations.md, "Modern formats").
    // A comma list of webp and avif, or none: AVIF is about two thirds of the copies' CPU.
    IMGR_MODERN_FORMATS: z
      .string()
      .default('webp,avif')
      .transform((list) =>
        list
          .split(',')
          .map((entry) => entry.trim().toLowerCase())
          .filter((entry) => entry !== '' && entry !== 'none'),
      )
      .refine((entries) => entries.every((entry) => entry === 'webp' || entry === 'avif'), 'a comma list of webp and avif, or none')
      .transform((entries) => [...new Set(entries)] as ('webp' | 'avif')[]),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    IMGR_PUSHGATEWAY_URL: z.url().optional(),
  })
  .superRefine((env, ctx) => {
    const hasKey = env.AWS_ACCESS_KEY_ID !== undefined;
    const hasSecret = env.AWS_SECRET_ACCESS_KEY !== undefined;
    if (hasKey !== hasSecret) {
      ctx.addIssue({
        code: 'custom',
        path: [hasKey ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'],
        message: 'set together with its pair (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
      });
    }
    if (env.IMGR_DEFAULT_EXPIRES_IN_S > env.IMGR_MAX_EXPIRES_IN_S) {
      ctx.addIssue({ code: 'custom', path: ['IMGR_DEFAULT_EXPIRES_IN_S'], message: 'at most IMGR_MAX_EXPIRES_IN_S' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface StorageConfig {
  kind: 's3' | 'fs';
  dataDir: string;
  bucket: string;
  endpoint: string | undefined;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Extra CAs to trust (AWS_CA_BUNDLE). */
  caBundlePath: string | undefined;
}

export interface Config {
  readonly env: Readonly<Env>;
  readonly storage: Readonly<StorageConfig>;
  /** `memory://` means the in-process queue. */
  readonly brokerUrl: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** Variables whose value is a credential: an error says they are wrong, never what they hold. */
const SECRET_NAME = /SECRET|KEY|TOKEN|PASSWORD/i;

/**
 * A received value as an error may show it: secrets hidden, and the `user:password@` of anything
 * URL-like (a broker URL with a typo still carries its password) replaced by `***@`.
 */
export function redactedValue(variable: string, value: string | undefined): string {
  if (value === undefined) return 'unset';
  if (SECRET_NAME.test(variable)) return 'a hidden value';
  return JSON.stringify(value.replace(/[^\s/@]+@/g, '***@'));
}

function schemaProblems(issues: readonly z.core.$ZodIssue[], source: NodeJS.ProcessEnv): Problem[] {
  return issues.map((issue) => {
    const variable = issue.path.length > 0 ? issue.path.join('.') : 'environment';
    const received = issue.path[0] !== undefined ? source[String(issue.path[0])] : undefined;
    return { variable, detail: `expected ${issue.message} (got ${redactedValue(variable, received)})` };
  });
}

/** One thing wrong with the environment, written `invalid <variable>: <detail>`. */
interface Problem {
  variable: string;
  detail: string;
}

/** What the role asks beyond each variable's own format: a broker and a storage that it can share. */
function roleProblems(role: Role, brokerUrl: string | undefined, wantsS3: boolean, storageSetting: string): Problem[] {
  const problems: Problem[] = [];
  const broker = (detail: string) => problems.push({ variable: 'CELERY_BROKER_URL', detail });
  if (brokerUrl === undefined && role !== 'all') {
    broker(`expected amqp://user:pass@host:5672/vhost (required by "imgr ${role}"; only "imgr all" defaults to the in-process queue)`);
  }
  if (brokerUrl !== undefined && /^rediss?:\/\//.test(brokerUrl)) {
    broker('redis:// brokers are not supported by imgr; use RabbitMQ (amqp://user:pass@host:5672/vhost)');
  }
  if (brokerUrl?.startsWith('memory://') && role !== 'all') {
    broker(`memory:// only works when API and worker share a process ("imgr all"), not for "imgr ${role}"`);
  }
  if (!wantsS3 && role !== 'all' && storageSetting === 'auto') {
    problems.push({
      variable: 'S3_ENDPOINT_URL',
      detail: `expected the S3 endpoint (required by "imgr ${role}"; set IMGR_STORAGE=fs to use a local folder)`,
    });
  }
  return problems;
}

/**
 * Parses and validates the environment once. The error lists every problem, each naming the
 * variable and what is expected, so an operator can fix a deployment from one log line.
 */
export function loadConfig(source: NodeJS.ProcessEnv, role: Role): Config {
  const parsed = envSchema.safeParse(source);
  const formatProblems = parsed.success ? [] : schemaProblems(parsed.error.issues, source);
  // The role's rules are checked even when some variable is malformed, on the values as received,
  // leaving out the variables that already have a problem of their own.
  const storageSetting = parsed.success ? parsed.data.IMGR_STORAGE : (source.IMGR_STORAGE ?? 'auto');
  const wantsS3 =
    storageSetting === 's3' ||
    (storageSetting === 'auto' && (source.S3_ENDPOINT_URL !== undefined || source.AWS_ACCESS_KEY_ID !== undefined));
  const malformed = new Set(formatProblems.map((problem) => problem.variable));
  const problems = [
    ...formatProblems,
    ...roleProblems(role, source.CELERY_BROKER_URL, wantsS3, storageSetting).filter((problem) => !malformed.has(problem.variable)),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(problems.map((problem) => `invalid ${problem.variable}: ${problem.detail}`));
  }
  const env = parsed.data;
  const brokerUrl = env.CELERY_BROKER_URL ?? 'memory://';

  const storage: StorageConfig = {
    kind: wantsS3 ? 's3' : 'fs',
    dataDir: env.IMGR_DATA_DIR,
    bucket: env.S3_BUCKET_NAME,
    endpoint: env.S3_ENDPOINT_URL,
    region: env.AWS_REGION_NAME,
    credentials:
      env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            // Temporary keys (STS, Vault, SSO exports) only work with their token.
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          }
        : undefined,
    caBundlePath: env.AWS_CA_BUNDLE,
  };
  return Object.freeze({ env: Object.freeze(env), storage: Object.freeze(storage), brokerUrl });
}
