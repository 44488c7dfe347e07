/**
 * Activity interceptors for the worker: read the trace id header the workflow interceptor sets, add
 * it to every `log` line the activity writes, and log one line per activity attempt (outcome and
 * duration) so each message's trail through the marketplaces can be followed by its trace id; and
 * scrub every failure an activity ends with before Temporal writes it into workflow history.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../platform/logger';
import { scrubError } from '../platform/scrub';
import { TRACE_HEADER } from '../contracts/trace';

export function traceActivities(log: Logger): ActivityInterceptorsFactory {
  return (ctx) => {
    let traceId: string | undefined;
    return {
      inbound: {
        async execute(input, next) {
          const header = input.headers[TRACE_HEADER];
          traceId = header ? defaultPayloadConverter.fromPayload<string>(header) : undefined;
          const { activityType, attempt, workflowExecution, workflowType } = ctx.info;
          const attemptLog = log.child({
            traceId,
            activityType,
            attempt,
            workflowId: workflowExecution?.workflowId,
            workflowType,
          });
          const startedAt = Date.now();
          try {
            const result = await next(input);
            attemptLog.info({ durationMs: Date.now() - startedAt }, 'activity completed');
            return result;
          } catch (error) {
            attemptLog.warn({ durationMs: Date.now() - startedAt, err: error }, 'activity attempt failed');
            throw error;
          }
        },
      },
      outbound: {
        getLogAttributes: (attributes, next) => next(traceId ? { ...attributes, traceId } : attributes),
      },
    };
  };
}

/**
 * Whatever an activity throws (a marketplace failure, a database or network error with a connection
 * string in it) has its message, stack and causes scrubbed: Temporal keeps them unencrypted in
 * workflow history. Failures built from a marketplace's answer are scrubbed where they are made
 * (src/marketplaces/errors.ts); this is the net for the rest.
 */
export const scrubActivityFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw scrubError(error);
      }
    },
  },
});
