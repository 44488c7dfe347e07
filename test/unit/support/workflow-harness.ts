/**
 * Runs workflows of src/workflows on the shared test server with each run's own stub activities.
 * One harness per test file: it starts the server, bundles the workflows and creates the worker once
 * (a worker takes a few hundred milliseconds to create; a short workflow runs in about a hundred),
 * and the worker hands each activity to the stubs of the run whose workflow scheduled it. Runs may
 * therefore go in parallel (`it.concurrent`).
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type TypedSearchAttributes } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type ActivityInterceptorsFactory, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../../../src/activities';
import type * as serviceWorkflows from '../../../src/workflows';
import { bundleServiceWorkflows, startTestServer } from './temporal-env';

export type Workflows = typeof serviceWorkflows;
export type WorkflowName = keyof Workflows;
type StubActivity = (...args: unknown[]) => Promise<unknown>;

export interface HarnessOptions {
  /** Sees every activity execution of every run, headers included (the stubs do not). */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** Default: the service's built bundle. A test's variant of it (test/unit/replay/variant-bundle.ts). */
  workflowBundle?: WorkflowBundleOption;
}

export interface RunOptions {
  memo?: Record<string, unknown>;
}

export interface WorkflowRun<R> {
  workflowId: string;
  result: R;
  /** As the server shows them once the workflow has ended (the Temporal UI reads the same). */
  searchAttributes: TypedSearchAttributes;
}

export type FailedWorkflowRun = Omit<WorkflowRun<never>, 'result'> & { failure: unknown };

/**
 * A workflow stuck on a failing workflow task (a bug, not an activity failure) would retry that task
 * forever; this ends it well inside Jest's timeout, with a timeout error that points at it.
 */
const RUN_TIMEOUT = '20 seconds';

export class WorkflowHarness {
  private readonly stubsByWorkflowId = new Map<string, Partial<Activities>>();
  private readonly taskQueue = `unit-${randomUUID()}`;
  private worker?: Worker;
  private running?: Promise<void>;
  /** Why the worker stopped, if it stopped before close(): every later run fails with it. */
  private workerFailure?: unknown;

  private constructor(private readonly env: TestWorkflowEnvironment) {}

  /** The test server's client: to read a finished run's history or query it as the Temporal UI does. */
  get client(): TestWorkflowEnvironment['client'] {
    return this.env.client;
  }

  static async start(options: HarnessOptions = {}): Promise<WorkflowHarness> {
    const [env, workflowBundle] = await Promise.all([
      startTestServer(),
      options.workflowBundle ?? bundleServiceWorkflows(),
    ]);
    const harness = new WorkflowHarness(env);
    try {
      harness.worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: harness.taskQueue,
        workflowBundle,
        // Temporal's fallback for activity types with no function of their own: here, every type.
        activities: { default: (...args: unknown[]) => harness.dispatch(args) },
        interceptors: { activity: options.activityInterceptors ?? [] },
      });
    } catch (error) {
      await env.teardown();
      throw error;
    }
    harness.running = harness.worker.run().catch((error: unknown) => {
      harness.workerFailure = error;
    });
    return harness;
  }

  async run<W extends WorkflowName>(
    workflow: W,
    args: Parameters<Workflows[W]>,
    stubs: Partial<Activities>,
    options: RunOptions = {},
  ): Promise<WorkflowRun<Awaited<ReturnType<Workflows[W]>>>> {
    return this.runToEnd(workflow, args, stubs, options, async (handle) => ({
      result: (await handle.result()) as Awaited<ReturnType<Workflows[W]>>,
    }));
  }

  /** Runs a workflow that must fail: the error its result rejects with (a WorkflowFailedError), not a result. */
  async runFailing<W extends WorkflowName>(
    workflow: W,
    args: Parameters<Workflows[W]>,
    stubs: Partial<Activities>,
    options: RunOptions = {},
  ): Promise<FailedWorkflowRun> {
    return this.runToEnd(workflow, args, stubs, options, (handle) =>
      handle.result().then(
        (result: unknown) => {
          throw new Error(`${workflow} completed with ${JSON.stringify(result)}; it was expected to fail`);
        },
        (failure: unknown) => ({ failure }),
      ),
    );
  }

  private async runToEnd<W extends WorkflowName, E>(
    workflow: W,
    args: Parameters<Workflows[W]>,
    stubs: Partial<Activities>,
    options: RunOptions,
    end: (handle: WorkflowHandle<Workflows[W]>) => Promise<E>,
  ): Promise<E & { workflowId: string; searchAttributes: TypedSearchAttributes }> {
    if (this.workerFailure) throw this.workerFailure;
    const workflowId = `${workflow}-${randomUUID()}`;
    this.stubsByWorkflowId.set(workflowId, stubs);
    try {
      const handle = await this.env.client.workflow.start<Workflows[W]>(workflow, {
        taskQueue: this.taskQueue,
        workflowId,
        args,
        memo: options.memo,
        workflowExecutionTimeout: RUN_TIMEOUT,
      });
      const ended = await end(handle);
      const { typedSearchAttributes } = await handle.describe();
      return { ...ended, workflowId, searchAttributes: typedSearchAttributes };
    } finally {
      this.stubsByWorkflowId.delete(workflowId);
    }
  }

  async close(): Promise<void> {
    try {
      // A worker that already stopped cannot be shut down again.
      if (!this.workerFailure) this.worker?.shutdown();
      await this.running;
    } finally {
      await this.env.teardown();
    }
  }

  /** Runs the stub the scheduling workflow's test gave for this activity type. */
  private dispatch(args: unknown[]): Promise<unknown> {
    const { activityType, workflowExecution } = Context.current().info;
    const stubs = this.stubsByWorkflowId.get(workflowExecution?.workflowId ?? '') as
      Record<string, StubActivity> | undefined;
    const stub = stubs?.[activityType];
    if (!stub) {
      // Non-retryable: the test fails at once, saying which activity it did not expect.
      throw ApplicationFailure.nonRetryable(`no stub for activity ${activityType}`, 'MissingStub');
    }
    return stub(...args);
  }
}

/**
 * One harness for the calling test file: started before its tests, closed after them. Returns a
 * getter, since the harness exists only once `beforeAll` has run.
 */
export function useWorkflowHarness(options?: HarnessOptions): () => WorkflowHarness {
  let harness: WorkflowHarness | undefined;
  beforeAll(async () => {
    harness = await WorkflowHarness.start(options);
  });
  afterAll(() => harness?.close());
  return () => {
    if (!harness) throw new Error('the workflow harness did not start (see the beforeAll error)');
    return harness;
  };
}
