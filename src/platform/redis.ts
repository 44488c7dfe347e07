/**
 * Redis connections for BullMQ. Sweeps keep their schedule in Redis, so a Redis that may evict keys
 * could silently drop a scheduler: start-up refuses one.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config, HostPort } from '../config';
import { roleLogger, type Logger } from './logger';
import { FatalError } from './main';

/** A single Redis (Sentinel's master included) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisConnection = Redis | Cluster;

/**
 * While Redis is away, ioredis reports every reconnect attempt; without a listener it prints each as
 * an "Unhandled error event" stack trace. One warning per distinct error until it is back is enough.
 */
function reportConnectionErrors<C extends RedisConnection>(redis: C, log: Logger): C {
  let lastReported: string | undefined;
  redis.on('error', (error: Error) => {
    if (error.message === lastReported) return;
    lastReported = error.message;
    log.warn({ err: error }, 'Redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (lastReported !== undefined) log.info('Redis connection back');
    lastReported = undefined;
  });
  return redis;
}

/**
 * `blocking`: connections that BullMQ workers block on must retry forever instead of failing a
 * command after a few attempts (BullMQ refuses them otherwise).
 */
export function createRedisConnection(
  config: Config,
  { blocking = false, log = roleLogger(config, 'redis') }: { blocking?: boolean; log?: Logger } = {},
): RedisConnection {
  return reportConnectionErrors(openConnection(config, blocking), log);
}

/**
 * How long a Sentinel fail-over may keep the master away (down-after-milliseconds plus the promotion)
 * before commands fail and readiness turns red: until then commands wait for the new master.
 */
export const SENTINEL_FAILOVER_RIDE_OUT_MS = 15_000;

/** How long commands wait for, and readiness forgives, a master that is away. */
export const failoverRideOutMs = (config: Config): number =>
  config.redis.sentinel ? SENTINEL_FAILOVER_RIDE_OUT_MS : 0;

/** Reconnect attempts back off to this, so a new master is found within about a second. */
const MAX_RECONNECT_DELAY_MS = 1_000;
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS);

/** Reconnect attempts a command waits through before it fails: they add up to `rideOutMs`. */
function retriesWithin(rideOutMs: number): number {
  let attempts = 0;
  for (let waited = 0; waited < rideOutMs; waited += reconnectDelay(attempts)) attempts += 1;
  return Math.max(attempts, 3);
}

/**
 * A demoted master (a fail-over the connection has not heard of yet) answers writes with READONLY:
 * reconnect (Sentinel names the new master) and send the command again (2) instead of failing it.
 */
export const reconnectOnReadonly = (error: Error): 2 | false => (error.message.startsWith('READONLY') ? 2 : false);

function tlsOptions(config: Config): ConnectionOptions {
  const file = config.redis.tlsCaFile;
  if (!file) return {};
  try {
    return { ca: readFileSync(file) };
  } catch (error) {
    throw new FatalError(`REDIS_TLS_CA_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
}

function openConnection(config: Config, blocking: boolean): RedisConnection {
  const { redis } = config;
  const options: RedisOptions = {
    maxRetriesPerRequest: blocking ? null : retriesWithin(failoverRideOutMs(config)),
    retryStrategy: reconnectDelay,
  };
  const url = new URL(redis.url);
  const tls = url.protocol === 'rediss:' ? tlsOptions(config) : undefined;
  if (redis.clusterNodes) return openCluster(redis.clusterNodes, url, { ...options, tls });
  if (!redis.sentinel) return new Redis(redis.url, { ...options, tls });

  const { sentinel } = redis;
  return new Redis({
    ...options,
    sentinels: sentinel.sentinels,
    name: sentinel.masterName,
    sentinelPassword: sentinel.password,
    // Without it ioredis ignores `tls` in Sentinel mode and speaks plaintext to a rediss:// master.
    enableTLSForSentinelMode: tls !== undefined,
    sentinelTLS: sentinel.tls ? tlsOptions(config) : undefined,
    // Watch the sentinels for +switch-master: a planned fail-over leaves the old master writable
    // (until Sentinel demotes it seconds later), and writes it takes then are lost.
    failoverDetector: true,
    // Only here: the sentinels name the new master. A plain REDIS_URL at a replica would reconnect
    // to the same replica and send the write again forever; there READONLY fails the command.
    reconnectOnError: reconnectOnReadonly,
    sentinelRetryStrategy: reconnectDelay,
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number(url.pathname.slice(1) || 0),
    tls,
  });
}

/** The nodes named are a start: ioredis discovers the others and follows the slots as they move. */
function openCluster(nodes: HostPort[], url: URL, options: RedisOptions): Cluster {
  return new Cluster(nodes, {
    clusterRetryStrategy: reconnectDelay,
    redisOptions: {
      ...options,
      username: url.username || undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
    },
  });
}

/** Reads the policy from INFO, which managed Redis services allow even where CONFIG is disabled. */
export async function readMaxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** On a Cluster, every master's: BullMQ's keys may be on any of them. */
export async function assertNoEviction(redis: RedisConnection): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    const policy = await readMaxmemoryPolicy(node);
    if (policy !== 'noeviction') {
      throw new FatalError(
        `Redis maxmemory-policy is "${policy ?? 'unknown'}"; BullMQ needs "noeviction" or it may lose jobs and schedulers`,
      );
    }
  }
}
