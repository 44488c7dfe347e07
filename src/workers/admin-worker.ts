/**
 * The admin role: Bull Board over the sweep queues on ADMIN_PORT, behind ADMIN_TOKEN (it will not
 * start without one), plus /livez and /readyz on HEALTH_PORT. SIGTERM/SIGINT: stop answering, exit 0.
 */
import { createServer } from 'node:http';
import { createAdminApp } from '../admin/app';
import { loadConfig, requireAdminToken } from '../config';
import { startHealthServer } from '../platform/health-server';
import { roleLogger } from '../platform/logger';
import { redisReady } from '../platform/probes';
import { createRedisConnection } from '../platform/redis';
import { closeServer, listen } from '../platform/http-server';
import { redisServer, requireServers } from '../platform/startup-checks';
import { onShutdownSignal, runMain } from '../platform/main';
import { SWEEPS } from '../sweeps/registry';
import { sweepQueue } from '../sweeps/schedulers';

runMain(async () => {
  const config = loadConfig();
  const token = requireAdminToken(config);
  const log = roleLogger(config, 'admin');
  const redis = createRedisConnection(config);
  // Before the queues: a BullMQ queue prints every connection error of a Redis that is not there.
  await requireServers([redisServer(redis)]);
  const queues = SWEEPS.map((sweep) => sweepQueue(config, redis, sweep));
  const health = await startHealthServer({
    port: config.observability.healthPort,
    checks: { redis: redisReady(redis) },
    log,
  });

  const server = createServer(createAdminApp({ queues, token, log }));
  const port = await listen(server, config.admin.port, 'ADMIN_PORT');
  log.info({ port, queues: SWEEPS.map((sweep) => sweep.name) }, 'admin server listening');

  await new Promise<void>((resolve) =>
    onShutdownSignal(async (signal) => {
      log.info({ signal }, 'stopping');
      health.markStopping();
      await closeServer(server);
      await Promise.all(queues.map((queue) => queue.close()));
      await redis.quit();
      await health.close();
      resolve();
    }),
  );
  log.info('stopped');
});
