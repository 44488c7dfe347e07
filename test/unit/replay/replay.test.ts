/**
 * Deploy safety: every recorded history (at least one per workflow type and one per saga ending)
 * replays without nondeterminism against the BUILT bundle, dist/workflow-bundle.js, the file the image
 * ships. A change to a workflow that would break runs in flight fails here, before a deploy.
 */
import { Worker, type ReplayResult, type WorkflowBundlePath } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import * as serviceWorkflows from '../../../src/workflows';
import { prebuiltWorkflowBundle, WORKFLOW_BUNDLE_PATH } from '../../../src/platform/workflow-bundle';
import { OUTCOMES, recordedHistories, type Outcome } from './histories';

const EventType = temporal.api.enums.v1.EventType;

const histories = recordedHistories();
let bundle: WorkflowBundlePath;
const results = new Map<string, ReplayResult>();

beforeAll(async () => {
  bundle = await prebuiltWorkflowBundle();
  const replays = Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'recorded-histories' },
    histories.map(({ file, history }) => ({ workflowId: file, history })),
  );
  for await (const result of replays) results.set(result.workflowId, result);
}, 120_000);

/** How a history's run ended, read from its last event; a saga's failure type says which end. */
function endOf(events: temporal.api.history.v1.IHistoryEvent[]): Outcome | string {
  const last = events.at(-1)!;
  switch (last.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      return 'completed';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      return 'cancelled';
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
      const type = last.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type;
      return { SagaCompensated: 'compensated', SagaNeedsAttention: 'needs-attention' }[type ?? ''] ?? `failed ${type}`;
    }
    default:
      return EventType[last.eventType ?? 0] ?? 'unknown';
  }
}

it('replays the bundle the image ships', () => {
  expect(bundle.codePath).toBe(WORKFLOW_BUNDLE_PATH);
});

it('holds a history of every workflow type src/workflows exports, and of every saga ending', () => {
  const types = new Set(histories.map((recorded) => recorded.workflowType));
  expect(Object.keys(serviceWorkflows).filter((type) => !types.has(type))).toEqual([]);
  const outcomes = new Set(histories.map((recorded) => recorded.outcome));
  expect(OUTCOMES.filter((outcome) => !outcomes.has(outcome))).toEqual([]);
});

describe.each(histories.map((recorded) => [recorded.file, recorded] as const))('%s', (file, recorded) => {
  it('is the run its name says: that workflow type, ended that way', () => {
    const started = recorded.history.events![0]!.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).toBe(recorded.workflowType);
    expect(endOf(recorded.history.events!)).toBe(recorded.outcome);
  });

  it('replays without nondeterminism against the built bundle', () => {
    const result = results.get(file);
    expect(result).toBeDefined();
    expect(result!.error).toBeUndefined();
  });
});
