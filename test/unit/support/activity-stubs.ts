/**
 * Stub activities that record every call, so a test can assert which activities a workflow ran, in
 * what order, with what input. Stubs are plain async functions keyed by activity name.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../../src/activities';

export type ActivityName = keyof Activities;

export interface ActivityCall {
  name: ActivityName;
  /** Every activity of the service takes one argument. */
  input: unknown;
}

export class ActivityRecorder {
  readonly calls: ActivityCall[] = [];

  /** The same stubs, each recording its call before it runs (a throwing stub is recorded too). */
  record(stubs: Partial<Activities>): Partial<Activities> {
    const recorded: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, stub] of Object.entries(stubs) as [ActivityName, (input: unknown) => Promise<unknown>][]) {
      recorded[name] = (input) => {
        this.calls.push({ name, input });
        return stub(input);
      };
    }
    return recorded as Partial<Activities>;
  }

  names(): ActivityName[] {
    return this.calls.map((call) => call.name);
  }

  inputsOf(name: ActivityName): unknown[] {
    return this.calls.filter((call) => call.name === name).map((call) => call.input);
  }
}

/**
 * A failure no retry policy repeats: the step fails at its first attempt, so no test waits on backoff.
 * `type`: the failure type the activity refuses with (an account's state, say); default RefusedByStub.
 */
export function refuse(message: string, type = 'RefusedByStub'): never {
  throw ApplicationFailure.nonRetryable(message, type);
}
