/**
 * Hostile input shared by the test/hostile suites: message bodies no producer of ours would send,
 * ids that look like SQL or paths, a check that PostgreSQL's tables came through untouched, and
 * the check that a poller dead-letters hostile bodies while the valid messages between them run.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import { findQueue } from '../../src/queues/catalogue';
import { queueForMessage } from '../../src/queues/routing';
import { messageGroup, type Envelope } from '../../src/contracts/envelope';
import { DEAD_LETTER_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { eventually, type PipelineBench } from './pipeline';
import type { IsolatedEnvironment } from './isolated-env';
import { drainRawQueue, queueIsEmpty } from './sqs';

export const SQL_LOOKING = "'; DROP TABLE seller_accounts; --";
export const PATH_LIKE_IDS = ['../../etc/passwd', 'a/b', 'a\\b'];

/** A body that must end in the DLQ, and what its `dlq-reason` must say. */
export interface HostileBody {
  name: string;
  body: string;
  reason: string;
}

const json = (value: unknown) => JSON.stringify(value);

/** `good` with one field replaced (or removed, with `undefined`), as JSON text. */
const variant = (good: Envelope, field: string, value: unknown) => json({ ...good, [field]: value });

/** Lone surrogates and NUL cannot travel raw through SQS, but JSON escapes spell them in plain ASCII. */
const withPayloadText = (good: Envelope, payloadJson: string) =>
  json({ ...good, payload: {} }).replace('"payload":{}', `"payload":${payloadJson}`);

/**
 * Bodies for the queue `good` belongs on, each invalid in one way (`elsewhere` is valid but belongs
 * on another queue). On a FIFO queue they are sent in `good`'s group (its account), between valid
 * messages of that account; there a valid message of another account is hostile too.
 */
export function hostileBodies(good: Envelope, elsewhere: Envelope, { fifo }: { fifo: boolean }): HostileBody[] {
  const schema = (path: string) => `schema violation: ${path}:`;
  return [
    { name: 'invalid JSON', body: '{"v":1,', reason: 'invalid JSON' },
    { name: 'whitespace only', body: ' \n ', reason: 'invalid JSON' },
    { name: 'JSON that is not an object', body: '["account.sync"]', reason: schema('envelope') },
    { name: 'JSON null', body: 'null', reason: schema('envelope') },
    { name: 'version 2', body: variant(good, 'v', 2), reason: 'unsupported envelope version 2' },
    { name: 'version as text', body: variant(good, 'v', '1'), reason: 'unsupported envelope version "1"' },
    { name: 'no version', body: variant(good, 'v', undefined), reason: schema('v') },
    { name: 'unknown type', body: variant(good, 'type', 'account.delete'), reason: schema('type') },
    { name: 'missing accountId', body: variant(good, 'accountId', undefined), reason: schema('accountId') },
    { name: 'accountId as a number', body: variant(good, 'accountId', 42), reason: schema('accountId') },
    { name: 'dueAt not a time', body: variant(good, 'dueAt', 'tomorrow'), reason: schema('dueAt') },
    { name: 'payload an array', body: variant(good, 'payload', []), reason: schema('payload') },
    { name: 'nested payload', body: variant(good, 'payload', { order: { id: 1 } }), reason: schema('payload.order') },
    { name: 'unknown field', body: variant(good, 'accessToken', 'x'), reason: 'Unrecognized key: "accessToken"' },
    {
      name: '__proto__ in the payload',
      body: withPayloadText(good, '{"__proto__":{"fail":true}}'),
      reason: schema('payload.__proto__'),
    },
    {
      name: 'deeply nested payload',
      body: withPayloadText(good, `{"a":${'['.repeat(3_000)}${']'.repeat(3_000)}}`),
      reason: schema('payload.a'),
    },
    { name: 'over 8 KiB', body: variant(good, 'traceId', 'x'.repeat(9_000)), reason: 'oversized' },
    {
      name: 'lone surrogate in accountId',
      body: variant(good, 'accountId', 'acct\ud800'),
      reason: schema('accountId'),
    },
    {
      name: 'lone surrogate in a payload value',
      body: withPayloadText(good, '{"note":"\\udc00"}'),
      reason: schema('payload.note'),
    },
    {
      name: 'lone surrogate in a payload field name',
      body: withPayloadText(good, '{"a\\ud800":1}'),
      reason: 'Invalid key in record',
    },
    {
      name: 'NUL in a payload value',
      body: withPayloadText(good, '{"note":"a\\u0000b"}'),
      reason: schema('payload.note'),
    },
    { name: 'SQL in accountId', body: variant(good, 'accountId', SQL_LOOKING), reason: schema('accountId') },
    {
      name: 'SQL in idempotencyKey',
      body: variant(good, 'idempotencyKey', SQL_LOOKING),
      reason: schema('idempotencyKey'),
    },
    { name: 'SQL in type', body: variant(good, 'type', SQL_LOOKING), reason: schema('type') },
    ...PATH_LIKE_IDS.map((id) => ({
      name: `accountId ${id}`,
      body: variant(good, 'accountId', id),
      reason: schema('accountId'),
    })),
    {
      name: 'path in idempotencyKey',
      body: variant(good, 'idempotencyKey', `${good.type}:../../${good.accountId}`),
      reason: schema('idempotencyKey'),
    },
    { name: 'path in traceId', body: variant(good, 'traceId', '../../etc/passwd'), reason: schema('traceId') },
    {
      name: 'an AJIO type for another marketplace',
      body: json({ ...good, type: 'ajio.token-refresh', marketplace: 'meesho' }),
      reason: 'marketplace: must be ajio for ajio.token-refresh',
    },
    {
      name: 'a message of another queue',
      body: json(elsewhere),
      reason: `belongs on ${queueForMessage(elsewhere.type, elsewhere.marketplace).name}`,
    },
    ...(fifo
      ? [
          {
            name: "another account's message in this account's group",
            body: json({ ...good, accountId: 'someone-else', idempotencyKey: `${good.type}:someone-else:1` }),
            reason: `misrouted: FIFO group "${good.accountId}" is not "someone-else"`,
          },
          {
            name: "a token refresh in the account's own group, not its token group",
            body: json({
              ...good,
              type: 'ajio.token-refresh',
              marketplace: 'ajio',
              idempotencyKey: `ajio.token-refresh:${good.accountId}:1`,
            }),
            reason: `misrouted: FIFO group "${good.accountId}" is not "${messageGroup({ type: 'ajio.token-refresh', accountId: good.accountId })}"`,
          },
        ]
      : []),
  ];
}

const GUARDED_TABLES = ['seller_accounts', 'account_credentials', 'schedules', 'dispatch_claims', 'saga_runs'] as const;

/** Row counts of the tables an injected `DROP TABLE` or `DELETE` would hit first; throws if one is gone. */
export async function tableRowCounts(pool: Pool): Promise<Record<(typeof GUARDED_TABLES)[number], number>> {
  const counts = {} as Record<(typeof GUARDED_TABLES)[number], number>;
  for (const table of GUARDED_TABLES) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

/** Idempotency keys of `account`'s messages whose (stand-in) workflow has ended, in the order they ended. */
export async function completedKeys(bench: PipelineBench, account: string): Promise<string[]> {
  const rows = await bench.executions();
  return rows.filter((r) => r.account_id === account && r.phase === 'end').map((r) => r.idempotency_key);
}

/**
 * Sends the hostile bodies in `account`'s group, a valid message of `account` before every
 * `spacing`-th of them, and one after the last.
 */
async function sendInterleaved(
  bench: PipelineBench,
  queue: string,
  account: string,
  hostile: HostileBody[],
  make: () => Envelope,
  spacing: number,
) {
  const valid: Envelope[] = [];
  const sent = new Map<string, HostileBody>();
  for (const [index, body] of hostile.entries()) {
    if (index % spacing === 0) {
      valid.push(make());
      await bench.send(queue, valid.at(-1)!);
    }
    sent.set(await bench.sendRaw(queue, body.body, account), body);
  }
  valid.push(make());
  await bench.send(queue, valid.at(-1)!);
  return { valid, sent };
}

/** Waits (up to `timeoutMs`) for `count` dead letters of `queue`, taking them out of its DLQ. */
export async function deadLetters(
  { t }: { t: IsolatedEnvironment },
  queue: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Message[]> {
  const dlqUrl = t.queues.find((q) => q.queue.name === queue)!.dlqUrl;
  const all: Message[] = [];
  await eventually(
    async () => all.push(...(await drainRawQueue(t.deps.sqs, dlqUrl))),
    () => all.length >= count,
    timeoutMs,
  );
  return all;
}

const byName = <T extends { name?: string }>(a: T, b: T) => (a.name! < b.name! ? -1 : 1);

/**
 * Sends `hostile` between valid messages of `account` (made by `make`; one before every `spacing`
 * hostile bodies) to `queue`, which a poller serves. Every hostile body must end in the DLQ with its
 * reason and source queue; the valid messages must all complete (FIFO: in the order sent) and the
 * queue must end empty.
 */
export async function expectHostileDeadLettered(
  bench: PipelineBench,
  queue: string,
  account: string,
  hostile: HostileBody[],
  make: () => Envelope,
  { spacing = 1 }: { spacing?: number } = {},
): Promise<void> {
  const { valid, sent } = await sendInterleaved(bench, queue, account, hostile, make, spacing);
  const dead = (await deadLetters(bench, queue, hostile.length)).map((message) => {
    const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
    const source = sent.get(attribute(DEAD_LETTER_ATTRIBUTES.sourceMessageId) ?? '');
    return {
      name: source?.name,
      reason: attribute(DEAD_LETTER_ATTRIBUTES.reason),
      from: attribute(DEAD_LETTER_ATTRIBUTES.sourceQueue),
    };
  });
  expect(dead.sort(byName)).toEqual(
    hostile
      // The dead-letter record names its source queue by its catalogue name.
      .map(({ name, reason }) => ({ name, reason: expect.stringContaining(reason), from: queue }))
      .sort(byName),
  );
  const done = await eventually(
    () => completedKeys(bench, account),
    (keys) => keys.length >= valid.length,
  );
  const expected = valid.map((m) => m.idempotencyKey);
  if (findQueue(queue).fifo) expect(done).toEqual(expected);
  else expect([...done].sort()).toEqual(expected.sort());
  expect(await eventually(() => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl(queue)), Boolean)).toBe(true);
}
