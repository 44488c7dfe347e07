/**
 * What the worker role republishes to CloudWatch from its own Temporal SDK metrics (the Prometheus
 * endpoint of src/platform/temporal-runtime.ts): workflow task failures, which CloudWatch alarms on.
 * A failing workflow task (a nondeterministic deploy, a bug in workflow code) retries for ever without
 * failing its workflow, so nothing else we publish would show it.
 */
import { METRICS, type MetricsBuffer } from './metrics';

/** The SDK's counter: one per failed workflow task, labelled by workflow type and failure reason. */
export const WORKFLOW_TASK_FAILED_COUNTER = 'temporal_workflow_task_execution_failed';

/** The sum of a counter over all its label sets in a Prometheus text exposition; 0 before its first sample. */
export function sumCounter(exposition: string, name: string): number {
  const sample = new RegExp(`^${name}(?:_total)?(?:\\{[^}]*\\})?\\s+(\\S+)`);
  return exposition
    .split('\n')
    .map((line) => sample.exec(line)?.[1])
    .filter((value): value is string => value !== undefined)
    .reduce((sum, value) => sum + Number(value), 0);
}

/**
 * Adds the failures since the last sample to the buffer (0 when there were none, so a healthy
 * worker reads as 0, not as missing). The counter starts at 0 with the process.
 */
export function workflowTaskFailureSampler(metricsUrl: string): (buffer: MetricsBuffer) => Promise<void> {
  let counted = 0;
  return async (buffer) => {
    const total = sumCounter(await readExposition(metricsUrl), WORKFLOW_TASK_FAILED_COUNTER);
    buffer.count(METRICS.workflowTaskFailures, {}, Math.max(0, total - counted));
    counted = total;
  };
}

async function readExposition(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.text();
}
