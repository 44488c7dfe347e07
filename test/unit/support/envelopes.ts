import type { Envelope, MessageType } from '../../../src/queues/messages';

/** A valid envelope of `type`; tests override what their workflow reads. */
export function envelopeOf(type: MessageType, fields: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    type,
    accountId: 'acct-unit',
    marketplace: 'ajio',
    idempotencyKey: `${type}:unit-1`,
    dueAt: '2025-01-15T06:00:00.000Z',
    traceId: 'trace-unit-0001',
    payload: {},
    ...fields,
  };
}
