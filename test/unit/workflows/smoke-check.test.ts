/**
 * smokeCheckWorkflow on a stub echo, and the workflow interceptors bundled with every workflow as
 * the worker deploys them: the trace id the poller puts in the memo reaches each activity's headers.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { TRACE_HEADER, TRACE_MEMO_FIELD } from '../../../src/contracts/trace';
import { ActivityRecorder } from '../support/activity-stubs';
import { useWorkflowHarness } from '../support/workflow-harness';

/** The trace header each workflow's activities arrived with, by workflow id. */
const traceHeaders = new Map<string, (string | undefined)[]>();

const captureTraceHeader: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute(input, next) {
      const workflowId = ctx.info.workflowExecution?.workflowId ?? 'none';
      const header = input.headers[TRACE_HEADER];
      const seen = traceHeaders.get(workflowId) ?? [];
      seen.push(header ? defaultPayloadConverter.fromPayload<string>(header) : undefined);
      traceHeaders.set(workflowId, seen);
      return next(input);
    },
  },
});

const harness = useWorkflowHarness({ activityInterceptors: [captureTraceHeader] });

const echoStub = { echo: async (message: string) => `echoed ${message}` };

it.concurrent('returns what the echo activity answered for its message', async () => {
  const recorder = new ActivityRecorder();
  const { result } = await harness().run('smokeCheckWorkflow', ['ping 42'], recorder.record(echoStub));

  expect(recorder.calls).toEqual([{ name: 'echo', input: 'ping 42' }]);
  expect(result).toBe('echoed ping 42');
});

it.concurrent("carries the memo's trace id to the activity in a header", async () => {
  const { workflowId } = await harness().run('smokeCheckWorkflow', ['traced'], echoStub, {
    memo: { [TRACE_MEMO_FIELD]: 'trace-7f3a9c21' },
  });

  expect(traceHeaders.get(workflowId)).toEqual(['trace-7f3a9c21']);
});

it.concurrent('adds no trace header when the memo has no trace id', async () => {
  const { workflowId } = await harness().run('smokeCheckWorkflow', ['untraced'], echoStub);

  expect(traceHeaders.get(workflowId)).toEqual([undefined]);
});
