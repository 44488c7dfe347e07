/**
 * Alarms you can see fire, on the real local stack: the dashboard has no empty line on an idle stack,
 * the metrics role mirrors the queue figures the alarms watch under `AWS/SQS` (only with SQS_ENDPOINT),
 * and a DLQ message, a stale sweep and a flagged claim turn their alarms red and back, as judged by
 * `npm run alarms -- status`'s own evaluation (src/observability/alarm-status.ts).
 *
 * Each test has its own namespace and queue prefix, so the alarm names and queue series are its own.
 */
import { randomUUID } from 'node:crypto';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { loadConfig, type Config } from '../../src/config';
import { flagClaims } from '../../src/db/dispatch-claims';
import { alarmDefinitions, SQS_NAMESPACE } from '../../src/observability/alarms';
import { alarmStatus, alarmStatuses, provisionedAlarms } from '../../src/observability/alarm-status';
import { dashboardBody } from '../../src/observability/dashboard';
import { METRICS, createCloudWatchClient, type Dimensions } from '../../src/observability/metrics';
import { provisionMonitoring } from '../../src/observability/provision-monitoring';
import { NUMBER_OF_MESSAGES_RECEIVED, watchedSqsMetricNames } from '../../src/observability/sqs-mirror';
import { createLogger } from '../../src/platform/logger';
import { createSqsClient } from '../../src/platform/sqs-client';
import { QUEUES, deadLetterQueueName, queueName } from '../../src/queues/catalogue';
import { SWEEPS, findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { createMetricsRole, openMetricsConnections } from '../../src/workers/metrics-worker';
import { readStatistic, type Stat } from '../support/cloudwatch';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { startRole } from '../support/role-process';
import { runEntryPoint } from '../support/run-command';
import { drainRawQueue, sqsServers } from '../support/sqs';

jest.setTimeout(240_000);

const silent = createLogger({ level: 'silent', role: 'test' });
let cloudWatch: CloudWatchClient;
beforeAll(() => {
  cloudWatch = createCloudWatchClient(loadConfig());
});
afterAll(() => cloudWatch.destroy());

const unique = () => randomUUID().replace(/-/g, '').slice(0, 8);
const isolated = (overrides: NodeJS.ProcessEnv = {}) =>
  isolatedEnvironment({
    METRICS_NAMESPACE: `SellerWorkflowsTest/${unique()}`,
    REDIS_KEY_PREFIX: `talarms${unique()}`,
    ...overrides,
  });

const read = (namespace: string, name: string, dimensions: Dimensions, stat: string) =>
  readStatistic(cloudWatch, namespace, { name, unit: 'Count' }, dimensions, stat as Stat);

interface DashboardLine {
  namespace: string;
  name: string;
  dimensions: Dimensions;
  stat: string;
}

/** Every line the dashboard draws, from its own data: namespace, metric, dimension pairs, options last. */
function dashboardLines(config: Config): DashboardLine[] {
  return dashboardBody(config).widgets.flatMap((widget) =>
    widget.properties.metrics.map((line) => {
      const options = line.find((part) => typeof part === 'object') as { stat?: string } | undefined;
      const [namespace, name, ...pairs] = line.filter((part): part is string => typeof part === 'string');
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
      return { namespace: namespace!, name: name!, dimensions, stat: options?.stat ?? widget.properties.stat };
    }),
  );
}

describe.each(sqsServers())('an idle stack on %s after one metrics interval', (server, serverEnv) => {
  let t: IsolatedEnvironment;
  afterAll(() => t?.cleanup());
  /** ElasticMQ cannot tell a queue's oldest message without receiving it: that figure is not mirrored there. */
  const tellsOldestMessage = server === 'fauxqs';

  it('has data on every dashboard line but latency, and every alarm but sweep-stale is judged OK', async () => {
    const id = unique();
    t = await isolated({ ...serverEnv, TEMPORAL_TASK_QUEUE: `alarms-idle-${id}` });
    await provisionMonitoring(cloudWatch, t.config);
    // No sweep runs here: its staleness would be published under Sweep=<name>, a series moto shares
    // with every other environment (it ignores the namespace of a query with dimensions), and
    // test/observability/metrics.test.ts expects none for claim-sweeper. sweep-stale is judged below.

    // The three publishing roles, as processes; nothing is sent to any queue. Each publishes what is
    // left when it stops: the interval in progress, whatever its length.
    const roles = [
      [startRole('temporal-worker', t.env), 'temporal-worker: polling'],
      [startRole('poller-worker', t.env), 'poller-worker: polling'],
      [startRole('metrics-worker', t.env), 'metrics-worker: publishing'],
    ] as const;
    let signalledAt = new Date();
    try {
      for (const [role, ready] of roles) await role.waitForOutput(ready, 120_000);
    } finally {
      signalledAt = new Date();
      for (const [role] of roles) role.child.kill('SIGTERM');
      for (const [role] of roles) await role.exited;
    }
    const exitedAt = new Date();

    const lines = dashboardLines(t.config);
    // Per queue: visible + in flight, DLQ depth, four workflow counters, latency; per sweep: four job
    // counts and staleness; five lines of what needs a person; four of stock and workflow tasks.
    expect(lines).toHaveLength(QUEUES.length * 8 + SWEEPS.length * 5 + 5 + 4);
    // SendToStartLatency has no figure by design: it is a statistic set of the messages started, with
    // none started there is no sample, and a 0 would be a false one (it would pull Minimum and Average
    // down). The per-sweep lines (Sweep=<name>) are left out of the reading: moto shares them with every
    // other environment, so what it returns may be another's (metrics.test.ts checks the role's own).
    // Every other line, every counter included (WorkflowsFailed, MessagesDeadLettered, ...), has a figure.
    const label = (line: DashboardLine) => `${line.name} ${JSON.stringify(line.dimensions)}`;
    const ownLines = lines.filter((line) => !('Sweep' in line.dimensions));
    expect(ownLines).toHaveLength(lines.length - SWEEPS.length * 5);
    const latencyLines = ownLines.filter((line) => line.name === METRICS.sendToStartLatency.name).map(label);
    expect(latencyLines).toHaveLength(QUEUES.length);
    const empty: string[] = [];
    for (const line of ownLines)
      if ((await read(line.namespace, line.name, line.dimensions, line.stat)) === undefined) empty.push(label(line));
    expect(empty.sort()).toEqual(latencyLines.sort());

    // Every AWS/SQS series an alarm watches (directly or in its expression) was mirrored: depth and
    // oldest message by the metrics role, receives by the pollers.
    const watchedSqsSeries = alarmDefinitions(t.config).flatMap((alarm) => [
      ...(alarm.Namespace === SQS_NAMESPACE ? [{ MetricName: alarm.MetricName, Dimensions: alarm.Dimensions }] : []),
      ...(alarm.Metrics ?? []).flatMap(({ MetricStat }) =>
        MetricStat?.Metric?.Namespace === SQS_NAMESPACE ? [MetricStat.Metric] : [],
      ),
    ]);
    expect(watchedSqsSeries).toHaveLength(QUEUES.length * 4);
    const unmirrored: string[] = [];
    for (const { MetricName, Dimensions = [] } of watchedSqsSeries) {
      const dimensions = Object.fromEntries(Dimensions.map((d) => [d.Name!, d.Value!]));
      if ((await read(SQS_NAMESPACE, MetricName!, dimensions, 'SampleCount')) === undefined)
        unmirrored.push(`${MetricName} ${JSON.stringify(dimensions)}`);
    }
    expect(unmirrored).toEqual(
      tellsOldestMessage
        ? []
        : watchedSqsSeries
            .filter((series) => series.MetricName === 'ApproximateAgeOfOldestMessage')
            .map((series) => `${series.MetricName} ${JSON.stringify({ QueueName: series.Dimensions![0]!.Value })}`),
    );

    // Every provisioned alarm now has data to judge, and an idle stack alarms on nothing it owns alone.
    // The roles' last figures went out between the signal and their exit; a 1-minute alarm's window
    // holds them at one of the two instants (the minute may turn in between).
    const [atSignal, atExit] = await Promise.all([
      alarmStatuses(cloudWatch, t.config, signalledAt),
      alarmStatuses(cloudWatch, t.config, exitedAt),
    ]);
    const statuses = atExit.map((status, i) => (status.values.some((v) => v !== null) ? status : atSignal[i]!));
    expect(statuses).toHaveLength(alarmDefinitions(t.config).length);
    // sweep-stale is judged in the tests below, in a time window of their own.
    const judged = statuses.filter((s) => !s.name.includes('sweep-stale'));
    expect(judged).toHaveLength(statuses.length - SWEEPS.length);
    expect(judged.filter((s) => s.values.every((v) => v === null)).map((s) => s.name)).toEqual(
      tellsOldestMessage ? [] : judged.filter((s) => s.name.includes('oldest-message-age')).map((s) => s.name),
    );
    expect(judged.filter((s) => s.state !== 'OK').map((s) => `${s.name}: ${s.state} ${s.reason}`)).toEqual([]);
  });
});

describe('the AWS/SQS mirror', () => {
  let t: IsolatedEnvironment;
  afterAll(() => t?.cleanup());

  /** Every queue and DLQ name with each watched metric the metrics role mirrors (the pollers add receives). */
  const mirroredSeries = (config: Config) => {
    const names = watchedSqsMetricNames(alarmDefinitions(config)).filter(
      (name) => name !== NUMBER_OF_MESSAGES_RECEIVED.name,
    );
    const queues = QUEUES.flatMap((q) => [
      queueName(q, config.queues.prefix),
      deadLetterQueueName(q, config.queues.prefix),
    ]);
    return queues.flatMap((queue) => names.map((name) => ({ queue, name })));
  };

  it('publishes the figures the alarms watch with SQS_ENDPOINT set, and nothing under AWS/SQS without it', async () => {
    t = await isolated();
    const returns = t.queues.find((q) => q.queue.name === 'returns-sync')!;
    await t.deps.sqs.send(new SendMessageCommand({ QueueUrl: returns.dlqUrl, MessageBody: 'dead' }));
    const dlq = deadLetterQueueName(returns.queue, t.config.queues.prefix);
    // The names come from the alarms: a DLQ's depth, a queue's oldest message (and receives, from pollers).
    expect(watchedSqsMetricNames(alarmDefinitions(t.config))).toEqual([
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'NumberOfMessagesReceived',
    ]);

    // Configured for AWS (no SQS_ENDPOINT), reading the same local queues through the client it is given.
    const awsConfig = loadConfig({ ...t.env, SQS_ENDPOINT: undefined });
    const onAws = createMetricsRole(awsConfig, silent, {
      ...openMetricsConnections(awsConfig),
      sqs: createSqsClient(t.config),
    });
    try {
      await onAws.flusher.flush();
    } finally {
      await onAws.stop();
    }
    expect(
      await read(t.config.observability.metrics.namespace, METRICS.messagesVisible.name, { QueueName: dlq }, 'Maximum'),
    ).toBe(1);
    for (const { queue, name } of mirroredSeries(t.config))
      expect({ queue, name, value: await read(SQS_NAMESPACE, name, { QueueName: queue }, 'Maximum') }).toEqual({
        queue,
        name,
        value: undefined,
      });

    const local = createMetricsRole(t.config, silent);
    try {
      await local.flusher.flush();
    } finally {
      await local.stop();
    }
    expect(await read(SQS_NAMESPACE, 'ApproximateNumberOfMessagesVisible', { QueueName: dlq }, 'Maximum')).toBe(1);
    const age = await read(SQS_NAMESPACE, 'ApproximateAgeOfOldestMessage', { QueueName: dlq }, 'Maximum');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    for (const { queue, name } of mirroredSeries(t.config))
      expect({ queue, name, value: await read(SQS_NAMESPACE, name, { QueueName: queue }, 'Maximum') }).toEqual({
        queue,
        name,
        value: queue === dlq && name === 'ApproximateNumberOfMessagesVisible' ? 1 : expect.any(Number),
      });
  });
});

/**
 * Production periods are minutes (1 min for a DLQ, 5 min for sweeps and claims), and an alarm turns
 * back only once the bad figure has left its window. Rather than wait, the metrics role's clock
 * (the stamp on what it publishes) and the evaluation instant move together: a minute or five later
 * on the clock is a minute or five later for the alarm, since CloudWatch judges data points only by
 * their stamps relative to the evaluation instant. The clock starts at a random minute of the last
 * week, a window of this test's own (moto matches a query with dimensions on name and dimensions only,
 * and Sweep=scheduling-sweep is every environment's).
 */
class TestClock {
  private instant = Date.now() - 24 * 3_600_000 - Math.floor(Math.random() * 6 * 24 * 60) * 60_000;
  readonly now = () => new Date(this.instant);
  advance(seconds: number): void {
    this.instant += seconds * 1_000;
  }
}

describe.each(sqsServers())('alarms turning red and back on %s', (_server, serverEnv) => {
  let t: IsolatedEnvironment;
  const clock = new TestClock();
  beforeAll(async () => {
    t = await isolated(serverEnv);
    await provisionMonitoring(cloudWatch, t.config);
  });
  afterAll(() => t?.cleanup());

  /** One interval of the real metrics role at the clock's time, then the command's judgement of one alarm then. */
  async function stateAfterInterval(kind: string, subject: string) {
    const role = createMetricsRole(t.config, silent, undefined, { now: clock.now });
    try {
      await role.flusher.flush();
    } finally {
      await role.stop();
    }
    const name = `${t.config.observability.metrics.namespace} ${kind}: ${t.config.queues.prefix}${subject}`;
    const alarm = (await provisionedAlarms(cloudWatch, t.config)).find((a) => a.AlarmName === name);
    if (!alarm) throw new Error(`no alarm ${name}`);
    return alarmStatus(cloudWatch, alarm, clock.now());
  }

  /** `npm run alarms -- status --json --at <clock>` as an operator runs it: exit status and the states by alarm. */
  async function command() {
    const { code, stdout, stderr } = await runEntryPoint('src/commands/alarms.ts', {
      args: ['status', '--json', '--at', clock.now().toISOString()],
      env: t.env,
    });
    if (code !== 0 && code !== 3) throw new Error(`alarms status failed (${code}): ${stderr}`);
    const statuses = JSON.parse(stdout) as { name: string; state: string }[];
    return { code, red: statuses.filter((s) => s.state === 'ALARM').map((s) => s.name) };
  }

  it('a DLQ message turns dlq-not-empty red, and its removal back to OK, in the command too', async () => {
    const returns = t.queues.find((q) => q.queue.name === 'returns-sync')!;
    const alarm = `${t.config.observability.metrics.namespace} dlq-not-empty: ${t.config.queues.prefix}returns-sync-dlq`;
    await t.deps.sqs.send(new SendMessageCommand({ QueueUrl: returns.dlqUrl, MessageBody: 'dead' }));
    const red = await stateAfterInterval('dlq-not-empty', 'returns-sync-dlq');
    expect(red).toMatchObject({ state: 'ALARM', values: [1] });
    // Exit status 3: an alarm is red, and it is this one alone.
    expect(await command()).toEqual({ code: 3, red: [alarm] });

    expect(await drainRawQueue(t.deps.sqs, returns.dlqUrl)).toHaveLength(1);
    clock.advance(60); // the alarm's period: 1 min
    expect(await stateAfterInterval('dlq-not-empty', 'returns-sync-dlq')).toMatchObject({ state: 'OK', values: [0] });
    expect(await command()).toEqual({ code: 0, red: [] });
  });

  it('a sweep without a success for twice its period turns sweep-stale red, and its next run back to OK', async () => {
    const sweep = findSweep('scheduling-sweep');
    // Its last success eleven minutes ago: past the 600 s (twice its 5-minute cron) the alarm allows.
    await t.deps.pool.query(
      `INSERT INTO sweep_runs (sweep, slot_at, trigger, status, started_at, finished_at)
       VALUES ($1, now() - interval '11 minutes', 'manual', 'succeeded', now() - interval '661 seconds', now() - interval '660 seconds')`,
      [sweep.name],
    );
    const red = await stateAfterInterval('sweep-stale', sweep.name);
    expect(red.state).toBe('ALARM');
    expect(red.values[0]).toBeGreaterThanOrEqual(660);

    await runSweep(t.deps, sweep, { trigger: 'manual' });
    clock.advance(300); // the alarm's period: 5 min
    const green = await stateAfterInterval('sweep-stale', sweep.name);
    expect(green.state).toBe('OK');
    expect(green.values[0]).toBeLessThan(600);
  });

  it('a flagged claim turns claims-need-attention red, and dropping it back to OK', async () => {
    const key = `alarm-claim-${unique()}`;
    // A claim SQS did not take for a day, flagged as the scheduling sweep flags one (its own function).
    await t.deps.pool.query(
      `INSERT INTO dispatch_claims (idempotency_key, sweep, account_id, queue, message_type, envelope, slot_at,
                                    claimed_at, lease_expires_at, last_error)
       VALUES ($1, 'scheduling-sweep', 'acct-1', 'returns-sync', 'returns.sync', '{}', now() - interval '25 hours',
               now() - interval '25 hours', now() - interval '24 hours', 'InternalError')`,
      [key],
    );
    const client = await t.deps.pool.connect();
    try {
      await flagClaims(client, [{ key, reason: 'unsent for more than 24 h: InternalError' }]);
    } finally {
      client.release();
    }
    expect(await stateAfterInterval('claims-need-attention', 'dispatch_claims')).toMatchObject({
      state: 'ALARM',
      values: [1],
    });

    // docs/operations.md#claims-need-attention: "To drop it".
    await t.deps.pool.query('DELETE FROM dispatch_claims WHERE idempotency_key = $1', [key]);
    clock.advance(300); // the alarm's period: 5 min
    expect(await stateAfterInterval('claims-need-attention', 'dispatch_claims')).toMatchObject({
      state: 'OK',
      values: [0],
    });
  });
});
