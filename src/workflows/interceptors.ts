/**
 * Workflow interceptors, bundled with the workflows: every activity the workflow schedules carries
 * the message's trace id (from the memo the poller set) in a header, and the workflow's own log
 * lines carry it as an attribute.
 */
import {
  defaultPayloadConverter,
  workflowInfo,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { TRACE_HEADER, TRACE_MEMO_FIELD } from '../contracts/trace';

function traceId(): string | undefined {
  const value = workflowInfo().memo?.[TRACE_MEMO_FIELD];
  return typeof value === 'string' ? value : undefined;
}

const carryTraceId: WorkflowOutboundCallsInterceptor = {
  scheduleActivity(input, next) {
    const id = traceId();
    if (!id) return next(input);
    return next({ ...input, headers: { ...input.headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(id) } });
  },
  getLogAttributes(input, next) {
    const id = traceId();
    return next(id ? { ...input, traceId: id } : input);
  },
};

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [carryTraceId] });
