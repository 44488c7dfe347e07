import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { createTemporalWorker } from '../../src/workers/temporal-worker';
import { smokeCheckWorkflow } from '../../src/workflows';

const config = loadConfig();
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
  });
});

afterAll(async () => {
  await env?.teardown();
});

describe('Temporal on the local stack', () => {
  it('runs a workflow with one activity through the service worker', async () => {
    // A task queue of its own, so a running `npm run dev` worker cannot pick the task up.
    const taskQueue = `test-smoke-${randomUUID()}`;
    const worker = await createTemporalWorker(
      { ...config, temporal: { ...config.temporal, taskQueue } },
      env.nativeConnection,
    );
    const workflowId = `smoke-check/test/${randomUUID()}`;

    const result = await worker.runUntil(
      env.client.workflow.execute(smokeCheckWorkflow, { taskQueue, workflowId, args: ['ping'] }),
    );

    expect(result).toBe('echo: ping');
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const activityTypes = history.events
      ?.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(activityTypes).toEqual(['echo']);
  });

  it('has the custom search attributes registered as Keyword', async () => {
    const { customAttributes } = await env.client.connection.operatorService.listSearchAttributes({
      namespace: config.temporal.namespace,
    });
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) {
      // IndexedValueType 2 is KEYWORD.
      expect({ name: key.name, type: customAttributes?.[key.name] }).toEqual({ name: key.name, type: 2 });
    }
  });
});
