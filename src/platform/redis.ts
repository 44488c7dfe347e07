/**
 * Redis connections for BullMQ. Sweeps keep their schedule in Redis, so a Redis that may evict keys
 * could silently drop a scheduler: start-up refuses one.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config';
import { roleLogger, type Logger } from './logger';
import { FatalError } from './main';

/**
 * While Redis is away, ioredis reports every reconnect attempt; without a listener it prints each as
 * an "Unhandled error event" stack trace. One warning per distinct error until it is back is enough.
 */
function reportConnectionErrors(redis: Redis, log: Logger): Redis {
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
): Redis {
  return reportConnectionErrors(openConnection(config, blocking), log);
}

function openConnection(config: Config, blocking: boolean): Redis {
  const { redis } = config;
  const options: RedisOptions = { maxRetriesPerRequest: blocking ? null : 3 };
  if (!redis.sentinel) return new Redis(redis.url, options);

  const url = new URL(redis.url);
  return new Redis({
    ...options,
    sentinels: redis.sentinel.sentinels,
    name: redis.sentinel.masterName,
    sentinelPassword: redis.sentinel.password,
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number(url.pathname.slice(1) || 0),
    tls: url.protocol === 'rediss:' ? {} : undefined,
  });
}

/** Reads the policy from INFO, which managed Redis services allow even where CONFIG is disabled. */
export async function readMaxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

export async function assertNoEviction(redis: Redis): Promise<void> {
  const policy = await readMaxmemoryPolicy(redis);
  if (policy !== 'noeviction') {
    throw new FatalError(
      `Redis maxmemory-policy is "${policy ?? 'unknown'}"; BullMQ needs "noeviction" or it may lose jobs and schedulers`,
    );
  }
}
