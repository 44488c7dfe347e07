/**
 * The one place configuration enters the service. Every role calls `loadConfig()` at start-up, so a
 * missing or malformed variable stops the process before it touches a server, with one line that
 * names the variable (and never echoes its value: some of them are secrets).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  QUEUE_FAMILIES,
  QUEUE_NAMES,
  isQueueFamily,
  isQueueName,
  type QueueFamily,
  type QueueName,
} from '../contracts/queues';
import { MARKETPLACES, type Marketplace } from '../contracts/marketplaces';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const urlWithScheme = (schemes: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    `must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL`,
  );

const MARKETPLACE_URL_VARIABLES = [
  'MARKETPLACE_AJIO_URL',
  'MARKETPLACE_AMAZON_URL',
  'MARKETPLACE_FLIPKART_URL',
  'MARKETPLACE_MEESHO_URL',
] as const;

function isHttpUrl(value: string | undefined): boolean {
  return URL.parse(value ?? '')?.protocol === 'http:';
}

const envSchema = z
  .object({
    TEMPORAL_ADDRESS: hostPort,
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z
      .string()
      .regex(/^[\w.-]+$/, 'must be letters, digits, . _ -')
      .default('seller-workflows'),
    TEMPORAL_TLS: flag.default(false),
    WORKFLOW_BUNDLE: z.enum(['prebuilt', 'at-start']).default('prebuilt'),
    TEMPORAL_TLS_CERT_PATH: z.string().optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().optional(),
    TEMPORAL_TLS_CA_PATH: z.string().optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
    TEMPORAL_API_KEY: z.string().optional(),
    // The Temporal worker process's budget, shared by its task queues (src/workers/worker-sizing.ts):
    // activities running at once (and so PostgreSQL connections), workflow tasks at once, and MiB of
    // heap for the sticky workflow cache (unset: derived from the heap limit).
    TEMPORAL_WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(4).max(2_000).default(36),
    TEMPORAL_WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(8).max(2_000).default(20),
    TEMPORAL_WORKER_CACHE_MIB: z.coerce.number().int().min(16).max(65_536).optional(),
    // How long a stopping worker lets activities in flight finish before cancelling them; keep it below
    // the orchestrator's kill timeout (docker-compose stop_grace_period, terminationGracePeriodSeconds).
    TEMPORAL_WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
    // Which families' task queues this worker process polls (comma-separated); unset: every family's
    // and the base task queue's (the smoke check). One process per family is the smaller footprint.
    TEMPORAL_WORKER_FAMILIES: z
      .string()
      .refine((list) => list.split(',').every(isQueueFamily), {
        message: `must list queue families: ${QUEUE_FAMILIES.join(', ')}`,
      })
      .optional(),

    REDIS_URL: urlWithScheme(['redis', 'rediss']),
    REDIS_SENTINELS: z
      .string()
      .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, 'must be a comma-separated list of host:port')
      .optional(),
    REDIS_SENTINEL_MASTER: z.string().optional(),
    REDIS_SENTINEL_PASSWORD: z.string().optional(),
    // Redis Cluster: some of its nodes (the rest are discovered); needs a `{hash-tag}` in REDIS_KEY_PREFIX.
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, 'must be a comma-separated list of host:port')
      .optional(),
    // Sentinels spoken to over TLS (with the same CA as a `rediss://` master).
    REDIS_SENTINEL_TLS: z.enum(['on', 'off']).default('off'),
    // PEM file of the CA that signed Redis's certificate, when the system's CAs do not include it.
    REDIS_TLS_CA_FILE: z.string().optional(),
    // BullMQ key prefix. A `{hash-tag}` keeps every key of a queue in one Redis Cluster slot.
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[\w{}:-]+$/, 'must be letters, digits, _ - : { }')
      .default('bull'),

    DATABASE_URL: urlWithScheme(['postgres', 'postgresql']),

    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as ap-south-1'),
    // Unset means real AWS; set it to talk to a local SQS-compatible server.
    SQS_ENDPOINT: urlWithScheme(['http', 'https']).optional(),
    // Lets several environments share one AWS account: `staging-`, `prod-`.
    QUEUE_PREFIX: z
      .string()
      .regex(/^[\w-]*$/, 'must be letters, digits, _ -')
      .default(''),

    SWEEP_TIMEZONE: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as UTC or Asia/Kolkata')
      .default('UTC'),
    // How long a sweep's claim on a message may stay unsent before a scheduling tick sends it again.
    // Worst-case delay of a failed send = lease + the */5 tick period (+ a sweep's duration): 300 s
    // keeps it within 10-15 minutes (docs/operations.md, "Claims"). It must stay longer than sending
    // a page can take, or a tick would send again a claim its live sender is still sending: a page is
    // 1000 messages, 100 SendMessageBatch calls 8 at a time behind at most one earlier page, each
    // retried 4 times with 1.4 s of backoff, seconds in all. A send hanging longer than the lease (a
    // dead network) may go out twice; FIFO deduplication (5 min) and the workflow id absorb that.
    SWEEP_CLAIM_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),

    // Keyring for credentials at rest: `keyId:base64Key` pairs (32-byte keys), and which one seals.
    CREDENTIALS_KEYS: z
      .string()
      .regex(
        /^[\w-]+:[A-Za-z0-9+/]{43}=(,[\w-]+:[A-Za-z0-9+/]{43}=)*$/,
        'must be keyId:base64 pairs of 32-byte keys, comma-separated',
      )
      .optional(),
    CREDENTIALS_ACTIVE_KEY_ID: z.string().optional(),

    // Which queues this poller process serves (comma-separated logical names); unset: all of them.
    POLLER_QUEUES: z
      .string()
      .refine((list) => list.split(',').every(isQueueName), {
        message: `must list queues of the catalogue: ${QUEUE_NAMES.join(', ')}`,
      })
      .optional(),
    // How long a stopping poller waits for workflows in flight before releasing their messages.
    POLLER_SHUTDOWN_SECONDS: z.coerce.number().int().min(0).max(3_600).default(25),
    // Whether a message's work is looked for under its old workflow id (docs/messages.md, "Workflow ids").
    POLLER_LEGACY_ID_LOOKUP: z.enum(['on', 'off']).default('on'),
    // Overrides of the catalogue's per-queue poller settings, for this process.
    POLLER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).optional(),
    POLLER_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(3).max(43_200).optional(),

    // Marketplace API base URLs: the real services in production, the simulator locally.
    MARKETPLACE_AJIO_URL: urlWithScheme(['http', 'https']).optional(),
    MARKETPLACE_AMAZON_URL: urlWithScheme(['http', 'https']).optional(),
    MARKETPLACE_FLIPKART_URL: urlWithScheme(['http', 'https']).optional(),
    MARKETPLACE_MEESHO_URL: urlWithScheme(['http', 'https']).optional(),
    // Amazon's Login with Amazon credentials belong to our application, not to a seller.
    AMAZON_LWA_CLIENT_ID: z.string().optional(),
    AMAZON_LWA_CLIENT_SECRET: z.string().optional(),
    MARKETPLACE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
    // Worker processes calling marketplaces: while Redis is away each keeps 1/N of every rate limit.
    MARKETPLACE_RATE_LIMIT_PROCESSES: z.coerce.number().int().min(1).max(1_000).default(4),
    // Where downloaded marketplace documents are kept (a mounted volume in deployments).
    DOCUMENT_STORE_DIR: z.string().min(1).optional(),
    // Marketplace credentials travel over TLS only: an http:// base URL (the local simulator's) needs this.
    MARKETPLACE_ALLOW_HTTP: flag.default(false),
    // The largest JSON answer and document taken from a marketplace; a larger one fails its call.
    MARKETPLACE_MAX_JSON_BYTES: z.coerce.number().int().min(1_024).max(268_435_456).default(4_194_304),
    DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1_024).max(68_719_476_736).default(209_715_200),

    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Every role answers /livez and /readyz here; 0 picks a free port (several roles on one host).
    HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
    // The Temporal worker's SDK metrics, for Prometheus to scrape at /metrics; 0 picks a free port.
    TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
    // Unset means real AWS; set it to talk to a local CloudWatch-compatible server.
    CLOUDWATCH_ENDPOINT: urlWithScheme(['http', 'https']).optional(),
    METRICS_NAMESPACE: z
      .string()
      .regex(/^[\w./#:-]{1,255}$/, 'must be a CloudWatch namespace (letters, digits, . - _ / # :)')
      .refine((namespace) => !namespace.startsWith('AWS/'), 'must not start with AWS/ (reserved for AWS)')
      .default('SellerWorkflows'),
    METRICS_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
    // Where alarms notify (an SNS topic); unset: alarms change state in CloudWatch only.
    ALARM_TOPIC_ARN: z
      .string()
      .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')
      .optional(),
    // The admin role (Bull Board) refuses every request without `Authorization: Bearer <token>`.
    ADMIN_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    // Which proxies' X-Forwarded-For/-Proto the admin server believes (Express `trust proxy`): unset, trust none.
    ADMIN_TRUST_PROXY: z
      .string()
      .refine(isTrustProxy, 'must be true, false, a number of hops, or a comma-separated list of addresses/subnets')
      .default('false'),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
      const missing = env.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required when the other mTLS file is set' });
    }
    if (env.CREDENTIALS_KEYS) {
      const ids = env.CREDENTIALS_KEYS.split(',').map((pair) => pair.split(':')[0]);
      if (!env.CREDENTIALS_ACTIVE_KEY_ID || !ids.includes(env.CREDENTIALS_ACTIVE_KEY_ID)) {
        ctx.addIssue({
          code: 'custom',
          path: ['CREDENTIALS_ACTIVE_KEY_ID'],
          message: 'must name one of the CREDENTIALS_KEYS',
        });
      }
    }
    if (Boolean(env.AMAZON_LWA_CLIENT_ID) !== Boolean(env.AMAZON_LWA_CLIENT_SECRET)) {
      const missing = env.AMAZON_LWA_CLIENT_ID ? 'AMAZON_LWA_CLIENT_SECRET' : 'AMAZON_LWA_CLIENT_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required when the other LWA credential is set' });
    }
    if (env.REDIS_CLUSTER_NODES && env.REDIS_SENTINELS) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_NODES'],
        message: 'and REDIS_SENTINELS exclude each other',
      });
    }
    if (env.REDIS_CLUSTER_NODES && !/\{[^{}]+\}/.test(env.REDIS_KEY_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_KEY_PREFIX'],
        // BullMQ's scripts touch several keys of a queue at once, which Cluster allows only within one slot.
        message: 'must contain a {hash-tag} on Redis Cluster (REDIS_CLUSTER_NODES), e.g. {bull}',
      });
    }
    for (const variable of MARKETPLACE_URL_VARIABLES) {
      if (!env.MARKETPLACE_ALLOW_HTTP && isHttpUrl(env[variable])) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'must be an https:// URL (set MARKETPLACE_ALLOW_HTTP=true to allow http:// for a local simulator)',
        });
      }
    }
    if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_SENTINEL_MASTER'],
        message: 'is required when REDIS_SENTINELS is set',
      });
    }
  });

/** POLLER_CONCURRENCY and POLLER_VISIBILITY_TIMEOUT_SECONDS: this process's overrides of the catalogue's settings. */
export interface PollerOverrides {
  concurrency?: number;
  visibilityTimeoutSeconds?: number;
}

/** TEMPORAL_WORKER_*: what one Temporal worker process may hold at once, and how long it drains. */
export interface WorkerBudgetSettings {
  activitySlots: number;
  workflowTaskSlots: number;
  /** undefined: derived from the heap limit. */
  cacheMiB?: number;
  shutdownGraceSeconds: number;
  /** undefined: every family, and the base task queue. */
  families?: readonly QueueFamily[];
}

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** undefined: plain TCP (the local dev server). */
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
    apiKey?: string;
    /** The worker process's budget (TEMPORAL_WORKER_*); src/workers/worker-sizing.ts splits it. */
    worker: WorkerBudgetSettings;
    /**
     * `prebuilt`: load dist/workflow-bundle.js (`npm run build`); `at-start`: bundle the workflows in
     * memory at every start, as before the bundle was built once (for the benchmark's comparison; needs
     * src/, so never in the image).
     */
    workflowBundle: 'prebuilt' | 'at-start';
  };
  redis: {
    url: string;
    sentinel?: { sentinels: HostPort[]; masterName: string; password?: string; tls: boolean };
    /** REDIS_CLUSTER_NODES: a Redis Cluster, reached through these nodes. */
    clusterNodes?: HostPort[];
    /** REDIS_TLS_CA_FILE: verify Redis's (and TLS sentinels') certificates against this CA. */
    tlsCaFile?: string;
    keyPrefix: string;
  };
  database: { url: string };
  aws: { region: string; sqsEndpoint?: string; cloudWatchEndpoint?: string };
  queues: { prefix: string };
  sweeps: { timezone: string; claimLeaseSeconds: number };
  pollers: {
    queueNames: readonly QueueName[];
    shutdownSeconds: number;
    overrides: PollerOverrides;
    /** POLLER_LEGACY_ID_LOOKUP: look for a message's work under its old workflow id too. */
    legacyIdLookup: boolean;
  };
  /** undefined entries where not configured: only the Temporal worker role requires them. */
  marketplaces: {
    urls: Partial<Record<Marketplace, string>>;
    amazonLwa?: { clientId: string; clientSecret: string };
    timeoutMs: number;
    /** How many worker processes share the rate limits when Redis is away. */
    rateLimitProcesses: number;
    documentStoreDir?: string;
    /** The size caps of marketplace answers: a JSON answer (MARKETPLACE_MAX_JSON_BYTES), a document (DOCUMENT_MAX_BYTES). */
    maxJsonBytes: number;
    documentMaxBytes: number;
  };
  observability: {
    logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    healthPort: number;
    /** The Temporal worker's Prometheus endpoint (its SDK metrics); 0: a free port, logged. */
    temporalMetricsPort: number;
    metrics: { namespace: string; intervalSeconds: number };
    alarmTopicArn?: string;
  };
  /** token undefined where not configured: only the admin role requires it. */
  admin: {
    port: number;
    token?: string;
    /** ADMIN_TRUST_PROXY in Express `trust proxy` form: whether, how many hops, or which proxy addresses. */
    trustProxy: boolean | number | string[];
  };
  /** undefined where no key is configured: only roles that read or write credentials require it. */
  credentials?: { activeKeyId: string; keys: ReadonlyMap<string, Buffer> };
}

function describeIssue(issue: z.core.$ZodIssue, env: NodeJS.ProcessEnv): string {
  const variable = String(issue.path[0] ?? 'configuration');
  const missing = env[variable] === undefined || env[variable] === '';
  if (missing && issue.code !== 'custom') return `${variable} is required`;
  return `${variable} ${issue.message}`;
}

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, `address/prefix`, or one of Express's names for a range (loopback, linklocal, uniquelocal). */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function isTrustProxy(value: string): boolean {
  return /^(true|false|\d{1,2})$/.test(value) || value.split(',').every((entry) => isProxyAddress(entry.trim()));
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((entry) => entry.trim());
}

function parseHostPorts(list: string): HostPort[] {
  return list.split(',').map((entry) => {
    const [host, port] = entry.split(':') as [string, string];
    return { host, port: Number(port) };
  });
}

/** Empty values count as unset, the way `KEY=` lines in env files are meant. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, env));
    throw new ConfigError(`Configuration error: ${[...new Set(problems)].join('; ')}`);
  }
  const e = parsed.data;
  const wantsTls = e.TEMPORAL_TLS || Boolean(e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_CA_PATH);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      workflowBundle: e.WORKFLOW_BUNDLE,
      tls: wantsTls
        ? {
            certPath: e.TEMPORAL_TLS_CERT_PATH,
            keyPath: e.TEMPORAL_TLS_KEY_PATH,
            caPath: e.TEMPORAL_TLS_CA_PATH,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      worker: {
        activitySlots: e.TEMPORAL_WORKER_ACTIVITY_SLOTS,
        workflowTaskSlots: e.TEMPORAL_WORKER_WORKFLOW_TASK_SLOTS,
        cacheMiB: e.TEMPORAL_WORKER_CACHE_MIB,
        shutdownGraceSeconds: e.TEMPORAL_WORKER_SHUTDOWN_GRACE_SECONDS,
        families: e.TEMPORAL_WORKER_FAMILIES
          ? [...new Set(e.TEMPORAL_WORKER_FAMILIES.split(',') as QueueFamily[])]
          : undefined,
      },
    },
    redis: {
      url: e.REDIS_URL,
      sentinel: e.REDIS_SENTINELS
        ? {
            sentinels: parseHostPorts(e.REDIS_SENTINELS),
            masterName: e.REDIS_SENTINEL_MASTER!,
            password: e.REDIS_SENTINEL_PASSWORD,
            tls: e.REDIS_SENTINEL_TLS === 'on',
          }
        : undefined,
      clusterNodes: e.REDIS_CLUSTER_NODES ? parseHostPorts(e.REDIS_CLUSTER_NODES) : undefined,
      tlsCaFile: e.REDIS_TLS_CA_FILE,
      keyPrefix: e.REDIS_KEY_PREFIX,
    },
    database: { url: e.DATABASE_URL },
    aws: { region: e.AWS_REGION, sqsEndpoint: e.SQS_ENDPOINT, cloudWatchEndpoint: e.CLOUDWATCH_ENDPOINT },
    queues: { prefix: e.QUEUE_PREFIX },
    sweeps: { timezone: e.SWEEP_TIMEZONE, claimLeaseSeconds: e.SWEEP_CLAIM_LEASE_SECONDS },
    pollers: {
      queueNames: e.POLLER_QUEUES ? (e.POLLER_QUEUES.split(',') as QueueName[]) : QUEUE_NAMES,
      shutdownSeconds: e.POLLER_SHUTDOWN_SECONDS,
      legacyIdLookup: e.POLLER_LEGACY_ID_LOOKUP === 'on',
      overrides: Object.fromEntries(
        Object.entries({
          concurrency: e.POLLER_CONCURRENCY,
          visibilityTimeoutSeconds: e.POLLER_VISIBILITY_TIMEOUT_SECONDS,
        }).filter(([, value]) => value !== undefined),
      ),
    },
    marketplaces: {
      urls: Object.fromEntries(
        Object.entries({
          ajio: e.MARKETPLACE_AJIO_URL,
          amazon: e.MARKETPLACE_AMAZON_URL,
          flipkart: e.MARKETPLACE_FLIPKART_URL,
          meesho: e.MARKETPLACE_MEESHO_URL,
        }).filter(([, url]) => url !== undefined),
      ),
      amazonLwa:
        e.AMAZON_LWA_CLIENT_ID && e.AMAZON_LWA_CLIENT_SECRET
          ? { clientId: e.AMAZON_LWA_CLIENT_ID, clientSecret: e.AMAZON_LWA_CLIENT_SECRET }
          : undefined,
      timeoutMs: e.MARKETPLACE_TIMEOUT_MS,
      rateLimitProcesses: e.MARKETPLACE_RATE_LIMIT_PROCESSES,
      documentStoreDir: e.DOCUMENT_STORE_DIR,
      maxJsonBytes: e.MARKETPLACE_MAX_JSON_BYTES,
      documentMaxBytes: e.DOCUMENT_MAX_BYTES,
    },
    observability: {
      logLevel: e.LOG_LEVEL,
      healthPort: e.HEALTH_PORT,
      temporalMetricsPort: e.TEMPORAL_METRICS_PORT,
      metrics: { namespace: e.METRICS_NAMESPACE, intervalSeconds: e.METRICS_INTERVAL_SECONDS },
      alarmTopicArn: e.ALARM_TOPIC_ARN,
    },
    admin: { port: e.ADMIN_PORT, token: e.ADMIN_TOKEN, trustProxy: parseTrustProxy(e.ADMIN_TRUST_PROXY) },
    credentials: e.CREDENTIALS_KEYS
      ? {
          activeKeyId: e.CREDENTIALS_ACTIVE_KEY_ID!,
          keys: new Map(
            e.CREDENTIALS_KEYS.split(',').map((pair) => {
              const [id, key] = pair.split(':') as [string, string];
              return [id, Buffer.from(key, 'base64')];
            }),
          ),
        }
      : undefined,
  };
}

/**
 * What the Temporal worker needs beyond the common configuration: every marketplace's base URL, the
 * Amazon LWA application credentials and a document store. Checked when the worker starts, with
 * one line naming everything missing.
 */
export function requireMarketplaceConfig(config: Config): Required<Config['marketplaces']> & {
  urls: Record<Marketplace, string>;
} {
  const { urls, amazonLwa, documentStoreDir } = config.marketplaces;
  const missing = [
    ...MARKETPLACES.filter((marketplace) => !urls[marketplace]).map((m) => `MARKETPLACE_${m.toUpperCase()}_URL`),
    ...(amazonLwa ? [] : ['AMAZON_LWA_CLIENT_ID', 'AMAZON_LWA_CLIENT_SECRET']),
    ...(documentStoreDir ? [] : ['DOCUMENT_STORE_DIR']),
  ];
  if (missing.length > 0) {
    throw new ConfigError(`Configuration error: ${missing.join(', ')} required (the worker calls the marketplaces)`);
  }
  return config.marketplaces as ReturnType<typeof requireMarketplaceConfig>;
}

/** The admin server refuses every request without its token, so the admin role needs one to start. */
export function requireAdminToken(config: Config): string {
  if (!config.admin.token) {
    throw new ConfigError(
      'Configuration error: ADMIN_TOKEN required (the admin server refuses every request without it)',
    );
  }
  return config.admin.token;
}
