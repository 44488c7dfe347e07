import { newEnvelope, type Envelope, type MessageType } from '../../../src/contracts/envelope';

/** A valid envelope of `type`; tests override what their workflow reads. */
export function envelopeOf(type: MessageType, fields: Partial<Envelope> = {}): Envelope {
  const base = newEnvelope({
    type,
    accountId: 'acct-unit',
    marketplace: 'ajio',
    idempotencyKey: `${type}:unit-1`,
    dueAt: '2025-01-15T06:00:00.000Z',
    traceId: 'trace-unit-0001',
  });
  return { ...base, ...fields };
}
