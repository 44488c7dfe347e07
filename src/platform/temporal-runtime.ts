/**
 * The Temporal SDK's process-wide Runtime for a worker role: its log lines through ours, and its own
 * metrics (schedule-to-start latencies, slots, sticky cache, workflow task failures) on a Prometheus
 * endpoint, `GET :TEMPORAL_METRICS_PORT/metrics`. docs/operations.md names the ones to watch.
 */
import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';
import type { Logger } from './logger';
import { freePort } from './free-ports';
import { FatalError } from './main';
import { temporalLogger } from './temporal-logger';

/** The line (with its `port`) a worker logs once its SDK metrics can be scraped. */
export const TEMPORAL_METRICS_LISTENING = 'Temporal SDK metrics listening (/metrics)';

/** Where this process's SDK metrics are scraped; the worker reads its own there too. */
export interface TemporalMetricsEndpoint {
  port: number;
  url: string;
}

/**
 * Installs the Runtime once, before anything opens a NativeConnection. A taken port is an operator's
 * problem: one line naming the variable, as for HEALTH_PORT.
 */
export async function installTemporalRuntime(config: Config, log: Logger): Promise<TemporalMetricsEndpoint> {
  const configured = config.observability.temporalMetricsPort;
  // TEMPORAL_METRICS_PORT=0: the SDK does not say which port it bound, so it is given one.
  const port = configured === 0 ? await freePort() : configured;
  try {
    Runtime.install({
      logger: temporalLogger(log),
      telemetryOptions: {
        // Names as Temporal documents them: temporal_activity_schedule_to_start_latency, in milliseconds.
        metrics: { prometheus: { bindAddress: `0.0.0.0:${port}` } },
      },
    });
  } catch (error) {
    throw new FatalError(`cannot listen on TEMPORAL_METRICS_PORT=${port}: ${(error as Error).message}`);
  }
  const endpoint = { port, url: `http://127.0.0.1:${port}/metrics` };
  log.info({ port }, TEMPORAL_METRICS_LISTENING);
  return endpoint;
}
