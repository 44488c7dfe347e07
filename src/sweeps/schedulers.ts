/**
 * The sweeps' BullMQ Job Schedulers: one queue per sweep, one scheduler per queue, upserted by id, so
 * any number of sweep processes starting at once (a rolling deploy) still leave exactly one scheduler
 * per sweep and one job per tick.
 *
 * Redis can lose them while the sweep role runs (a FLUSHALL, a fail-over to an empty replica), and
 * nothing else would put them back: the sweeps would stop silently. So the role keeps a
 * `SchedulerGuard` that looks for each scheduler every few seconds, re-creates a missing one, and
 * makes /readyz fail once one has been missing longer than a Redis fail-over takes.
 */
import { Queue } from 'bullmq';
import type { RedisConnection } from '../platform/redis';
import type { Config } from '../config';
import type { ReadinessCheck } from '../platform/health-server';
import type { Logger } from '../platform/logger';
import { SWEEPS, type SweepDefinition } from './registry';

/** Bounded retention in Redis; every run is archived in sweep_runs before its job finishes. */
export const SWEEP_JOB_OPTIONS = {
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 500 },
  // A sweep that fails is not retried by BullMQ: the next tick picks up the work and its unsent claims.
  attempts: 1,
};

/** How often the guard looks: a lost scheduler is back within this (plus one upsert). */
export const SCHEDULER_CHECK_INTERVAL_MS = 10_000;
/** Missing longer than this is not a fail-over in progress: the role is not ready. */
export const SCHEDULER_MISSING_GRACE_MS = 30_000;

export function sweepQueue(config: Config, connection: RedisConnection, sweep: SweepDefinition): Queue {
  return new Queue(sweep.name, { connection, prefix: config.redis.keyPrefix });
}

/** Idempotent: an existing scheduler of the same id is updated in place, never doubled. */
function upsertSweepScheduler(config: Config, queue: Queue, sweep: SweepDefinition): Promise<unknown> {
  return queue.upsertJobScheduler(
    sweep.name,
    { pattern: sweep.pattern, tz: config.sweeps.timezone },
    { name: sweep.name, data: {}, opts: SWEEP_JOB_OPTIONS },
  );
}

export async function upsertSweepSchedulers(config: Config, connection: RedisConnection): Promise<void> {
  await Promise.all(
    SWEEPS.map(async (sweep) => {
      const queue = sweepQueue(config, connection, sweep);
      try {
        await upsertSweepScheduler(config, queue, sweep);
      } finally {
        await queue.close();
      }
    }),
  );
}

export interface SchedulerGuardOptions {
  intervalMs?: number;
  graceMs?: number;
}

export interface SchedulerGuard {
  /** One look at every scheduler, re-creating the missing ones (the timer calls it; tests may too). */
  checkOnce: () => Promise<void>;
  /** Fails, naming them, while a scheduler has been missing for longer than the grace period. */
  ready: ReadinessCheck;
  stop: () => Promise<void>;
}

/**
 * Watches the schedulers from one sweep process. Several processes may each re-create the same
 * missing scheduler at once: upserts by id leave one. A look that cannot reach Redis changes
 * nothing (the role's Redis check says why it is not ready); a scheduler counts as missing from the
 * first look that found it absent until one found it back.
 */
export function guardSweepSchedulers(
  config: Config,
  connection: RedisConnection,
  log: Logger,
  { intervalMs = SCHEDULER_CHECK_INTERVAL_MS, graceMs = SCHEDULER_MISSING_GRACE_MS }: SchedulerGuardOptions = {},
): SchedulerGuard {
  const queues = SWEEPS.map((sweep) => {
    const queue = sweepQueue(config, connection, sweep);
    // A Redis that is down is the Redis check's news; without a listener BullMQ prints each error.
    queue.on('error', (error) => log.debug({ sweep: sweep.name, err: error }, 'sweep queue: RedisConnection error'));
    return { sweep, queue };
  });
  const missingSince = new Map<string, number>();

  const checkOne = async ({ sweep, queue }: (typeof queues)[number]) => {
    if (await queue.getJobScheduler(sweep.name)) {
      missingSince.delete(sweep.name);
      return;
    }
    if (!missingSince.has(sweep.name)) missingSince.set(sweep.name, Date.now());
    await upsertSweepScheduler(config, queue, sweep);
    missingSince.delete(sweep.name);
    log.warn({ sweep: sweep.name, pattern: sweep.pattern }, 'job scheduler was missing from Redis; re-created');
  };

  const checkOnce = async () => {
    const results = await Promise.allSettled(queues.map(checkOne));
    results.forEach((result, index) => {
      if (result.status === 'rejected')
        log.warn({ sweep: queues[index]!.sweep.name, err: result.reason }, 'job scheduler check failed');
    });
  };

  let running = Promise.resolve();
  const timer = setInterval(() => {
    // One look at a time: a slow Redis must not pile looks up.
    running = running.then(checkOnce);
  }, intervalMs);

  return {
    checkOnce,
    ready: async () => {
      const now = Date.now();
      const overdue = [...missingSince].filter(([, since]) => now - since > graceMs);
      if (overdue.length === 0) return;
      throw new Error(
        `job scheduler missing: ${overdue.map(([name, since]) => `${name} for ${Math.round((now - since) / 1_000)} s`).join(', ')}`,
      );
    },
    stop: async () => {
      clearInterval(timer);
      await running;
      await Promise.all(queues.map(({ queue }) => queue.close()));
    },
  };
}
