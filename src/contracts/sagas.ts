/** How a saga ended, as workflows return it and saga_runs records it. */
export type SagaStatus = 'completed' | 'compensated' | 'needs_attention';

/** One compensation a saga ran while unwinding: which step it undid and whether the undo worked. */
export interface CompensationRecord {
  step: string;
  ok: boolean;
  error?: string;
}
