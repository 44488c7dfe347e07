/**
 * The admin role: Bull Board over the sweep queues, `/attention` and `/sellers/:id` on ADMIN_PORT, behind ADMIN_TOKEN
 * (it will not start without one), plus /livez and /readyz on HEALTH_PORT. SIGTERM/SIGINT: stop answering, exit 0.
 */
import { createServer } from 'node:http';
import type { Queue } from 'bullmq';
import { createAdminApp } from '../admin/app';
import { requireAdminToken, type Config } from '../config';
import { attentionSummary } from '../db/attention';
import { createPool } from '../db/pool';
import { readSellerStatus } from '../observability/seller-status';
import { closeServer, listen } from '../platform/http-server';
import type { Logger } from '../platform/logger';
import { redisReady } from '../platform/probes';
import { createRedisConnection, failoverRideOutMs } from '../platform/redis';
import { findRole } from './roles';
import { runRole, untilStopped, type Role } from '../platform/role';
import { redisServer } from '../platform/startup-checks';
import { createLazyTemporalClient } from '../platform/temporal-client';
import { SWEEPS } from '../sweeps/registry';
import { sweepQueue } from '../sweeps/schedulers';

export function build(config: Config, log: Logger): Role {
  const token = requireAdminToken(config);
  const redis = createRedisConnection(config);
  // Only `/attention` and `/sellers` read them, on demand: not start-up or readiness dependencies of the board.
  const pool = createPool(config, { max: 4, log });
  const temporal = createLazyTemporalClient(config, { retryCalls: false });
  const sellerStatus = (id: string) =>
    readSellerStatus({ pool, temporal, redis, redisKeyPrefix: config.redis.keyPrefix }, id);
  const lifetime = untilStopped();
  let queues: Queue[] = [];
  let server: ReturnType<typeof createServer> | undefined;

  return {
    servers: [redisServer(redis, failoverRideOutMs(config))],
    // After the start-up check: a BullMQ queue prints every connection error of a Redis that is not there.
    async prepare() {
      queues = SWEEPS.map((sweep) => sweepQueue(config, redis, sweep));
    },
    checks: { redis: redisReady(redis, failoverRideOutMs(config)) },
    async run() {
      server = createServer(
        createAdminApp({
          queues,
          token,
          trustProxy: config.admin.trustProxy,
          log,
          attention: () => attentionSummary(pool),
          sellerStatus,
        }),
      );
      const port = await listen(server, config.admin.port, 'ADMIN_PORT');
      log.info({ port, queues: SWEEPS.map((sweep) => sweep.name) }, 'admin server listening');
      await lifetime.stopped;
    },
    async stop(signal) {
      log.info({ signal }, 'admin-worker: stopping');
      if (server) await closeServer(server);
      lifetime.release();
    },
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
      await pool.end();
      await temporal.connection.close();
      await redis.quit();
    },
  };
}

if (require.main === module) runRole(findRole('admin-worker'), build);
