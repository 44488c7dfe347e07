/** How a saga ended, as workflows return it and saga_runs records it. */
export type SagaStatus = 'completed' | 'compensated' | 'needs_attention';

/** One compensation a saga ran while unwinding: which step it undid and whether the undo worked. */
export interface CompensationRecord {
  step: string;
  ok: boolean;
  error?: string;
}

/**
 * A run's reservation key: the message's key and the run, so a second run of a message reserves anew
 * (its first run's reservation was released by the compensation, or is replaced: db/inventory.ts).
 */
export const reservationKey = (messageKey: string, runScope: string) => `${messageKey}@${runScope}`;
