/**
 * The trace id a sweep gives each message travels: envelope → workflow memo → a header on every
 * activity the workflow schedules → the activity's log lines. Workflow-safe: no imports.
 */
export const TRACE_HEADER = 'trace-id';
export const TRACE_MEMO_FIELD = 'traceId';
