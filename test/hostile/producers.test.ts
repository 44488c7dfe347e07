/**
 * Hostile input at the sending end: envelopes no queue should carry (refused before sending),
 * messages SQS itself refuses (each failed alone, never taking its batch down), schedule rows that
 * look like SQL or paths (the scheduling sweep flags or skips them, sends only what is valid and
 * leaves every table intact), and the operator commands' arguments (`npm run sweep`, `npm run dlq`).
 */
import { randomUUID } from 'node:crypto';
import { sendInBatches, type OutgoingMessage } from '../../src/queues/batch-sender';
import { serializeEnvelope, type Envelope } from '../../src/contracts/envelope';
import { SQS_MAX_MESSAGE_BYTES } from '../../src/queues/sqs-conventions';
import { PATH_LIKE_IDS, SQL_LOOKING, tableRowCounts } from '../support/hostile';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { envelope } from '../support/pipeline';
import type { Launchable } from '../../scripts/harness/spawn';
import { runEntryPoint, type CommandResult } from '../support/run-command';
import { seedAccount } from '../../scripts/harness/accounts';
import { seedSchedule } from '../support/seed';
import { drainRawQueue } from '../support/sqs';

jest.setTimeout(60_000);

let t: IsolatedEnvironment;
let elasticMq: IsolatedEnvironment;

beforeAll(async () => {
  [t, elasticMq] = await Promise.all([
    isolatedEnvironment(),
    isolatedEnvironment({ SQS_ENDPOINT: process.env.ELASTICMQ_ENDPOINT }),
  ]);
});
afterAll(() => Promise.all([t?.cleanup(), elasticMq?.cleanup()]));

/** One line on stderr, no stack trace, exit 1. */
function expectOneLineRefusal(result: CommandResult, says: string | RegExp) {
  expect({ code: result.code, lines: result.stderr.trim().split('\n').length }).toEqual({ code: 1, lines: 1 });
  expect(result.stderr).toMatch(says);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe('serializeEnvelope, the producers’ gate', () => {
  const good = envelope('account.sync', 'producer-1');
  it.each<[string, Partial<Envelope> | Record<string, unknown>, string]>([
    ['SQL in accountId', { accountId: SQL_LOOKING }, 'accountId'],
    ...PATH_LIKE_IDS.map((id): [string, Partial<Envelope>, string] => [
      `accountId ${id}`,
      { accountId: id },
      'accountId',
    ]),
    ['a path in idempotencyKey', { idempotencyKey: 'account.sync:../../x' }, 'idempotencyKey'],
    ['a lone surrogate in the payload', { payload: { note: 'a\ud800' } }, 'payload'],
    ['NUL in the payload', { payload: { note: 'a\u0000' } }, 'payload'],
    ['U+FFFF in the payload', { payload: { note: '\uffff' } }, 'payload'],
    ['an unknown type', { type: 'account.delete' }, 'type'],
    ['version 2', { v: 2 }, 'v'],
    ['a secret riding along', { accessToken: 'x' }, 'accessToken'],
  ])('refuses %s before anything is sent', (_name, change, field) => {
    // zod names the field as a JSON path element.
    expect(() => serializeEnvelope({ ...good, ...change } as Envelope)).toThrow(`"${field}"`);
  });

  it('refuses an envelope over 8 KiB', () => {
    const payload = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`f${i}`, 'x'.repeat(256)]));
    expect(() => serializeEnvelope({ ...good, payload })).toThrow('oversized');
  });
});

describe.each([
  ['fauxqs', () => t],
  ['ElasticMQ', () => elasticMq],
])('sendInBatches on %s', (_server, env: () => IsolatedEnvironment) => {
  it('fails only the messages SQS cannot take; the rest of their batch is sent', async () => {
    const url = env().queueUrl('payout-sync');
    const message = (key: string, body: string): OutgoingMessage => ({ key, queueUrl: url, body });
    const messages = [
      message('good-1', 'first'),
      message('over-the-limit', 'x'.repeat(SQS_MAX_MESSAGE_BYTES + 1)),
      message('lone-surrogate', 'a\ud800b'),
      message('nul', 'a\u0000b'),
      // Ten of these make a request over 256 KiB: they go in smaller batches.
      ...Array.from({ length: 10 }, (_, i) => message(`large-${i}`, 'y'.repeat(40 * 1024))),
      message('good-2', 'last'),
    ];

    const outcome = await sendInBatches(env().deps.sqs, messages, { attempts: 2, backoffMs: 10 });

    expect(outcome.failed.map((f) => f.key).sort()).toEqual(['lone-surrogate', 'nul', 'over-the-limit']);
    expect(outcome.failed.find((f) => f.key === 'over-the-limit')?.reason).toBe(
      `oversized: ${SQS_MAX_MESSAGE_BYTES + 1} bytes; SQS takes at most ${SQS_MAX_MESSAGE_BYTES}`,
    );
    expect(outcome.sent).toHaveLength(12);
    const bodies = (await drainRawQueue(env().deps.sqs, url)).map((m) => m.Body!.slice(0, 5));
    expect(bodies.sort()).toEqual(['first', 'last', ...Array(10).fill('yyyyy')].sort());
  });
});

describe('npm run sweep -- scheduling-sweep over hostile schedule rows', () => {
  it('flags or skips them with their reason, sends only the valid row, and leaves every table intact', async () => {
    const pool = t.deps.pool;
    const due = new Date(Date.now() - 60_000);
    const id = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
    const [good, off, reauth] = [id('good'), id('off'), id('reauth')];
    await seedAccount(pool, t.config, { id: good, marketplace: 'meesho' });
    await seedAccount(pool, t.config, { id: off, marketplace: 'meesho', enabled: false });
    await seedAccount(pool, t.config, { id: reauth, marketplace: 'meesho', status: 'needs_reauth' });
    const flagged = {
      sqlKind: await seedSchedule(pool, { accountId: good, kind: SQL_LOOKING, nextRunAt: due }),
      pathKind: await seedSchedule(pool, { accountId: good, kind: '../../etc/passwd', nextRunAt: due }),
      sqlCadence: await seedSchedule(pool, { accountId: good, kind: 'payouts', cadence: SQL_LOOKING, nextRunAt: due }),
    };
    await seedSchedule(pool, { accountId: off, kind: 'payouts', nextRunAt: due });
    await seedSchedule(pool, { accountId: reauth, kind: 'payouts', nextRunAt: due });
    const valid = await seedSchedule(pool, { accountId: good, kind: 'payouts', nextRunAt: due });
    const before = await tableRowCounts(pool);

    const run = await runEntryPoint('src/commands/sweep.ts', { args: ['scheduling-sweep'], env: t.env });

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(report).toMatchObject({
      messagesSent: 1,
      details: { skippedByReason: { account_disabled: 1, account_needs_reauth: 1, needs_attention: 3 } },
    });
    const { rows } = await pool.query<{ id: string; attention_reason: string }>(
      'SELECT id, attention_reason FROM schedules WHERE needs_attention ORDER BY id',
    );
    expect(rows).toEqual([
      { id: flagged.sqlKind, attention_reason: `unknown schedule kind "${SQL_LOOKING}"` },
      { id: flagged.pathKind, attention_reason: 'unknown schedule kind "../../etc/passwd"' },
      { id: flagged.sqlCadence, attention_reason: `malformed cadence "${SQL_LOOKING}"` },
    ]);
    const sent = (await t.drainAll()).flatMap((q) => q.messages.map((m) => m.envelope));
    expect(sent.map((e) => [e.accountId, e.payload])).toEqual([[good, { scheduleId: valid }]]);
    // The claims and the audit grew by this run; nothing was dropped or deleted.
    expect(await tableRowCounts(pool)).toEqual({ ...before, dispatch_claims: before.dispatch_claims + 1 });
  });
});

describe('operator commands given hostile arguments', () => {
  const run = (entry: Launchable, args: string[]) => runEntryPoint(entry, { args, env: t.env });

  it.each([[[SQL_LOOKING]], [['../../etc/passwd']], [['scheduling-sweep; rm -rf /']], [[]]])(
    'npm run sweep -- %j answers with its usage in one line',
    async (args: string[]) => {
      expectOneLineRefusal(await run('src/commands/sweep.ts', args), /^usage: npm run sweep -- </);
    },
  );

  it.each([
    [['peek', SQL_LOOKING], /^unknown queue ".*DROP TABLE.*"; known: account-sync, /],
    [['replay', '../../etc/passwd'], /^unknown queue "\.\.\/\.\.\/etc\/passwd"; known: /],
    [['purge', 'account-sync/../payout-sync', '--yes'], /^unknown queue /],
    [[SQL_LOOKING, 'account-sync'], /^usage: npm run dlq -- /],
    [['peek', 'account-sync', '--max', '-1'], /^Option '--max' argument is ambiguous; usage: npm run dlq -- /],
    [['peek', 'account-sync', '--max=-1'], /^usage: npm run dlq -- /],
    [['peek', 'account-sync', '--max', '1; DROP TABLE x'], /^usage: npm run dlq -- /],
    [['list', '--frobnicate'], /^Unknown option '--frobnicate'; usage: npm run dlq -- /],
    [['peek', 'account-sync', '--max'], /argument missing; usage: npm run dlq -- /],
  ])('npm run dlq -- %j refuses in one line', async (args, says) => {
    expectOneLineRefusal(await run('src/commands/dlq.ts', args), says);
  });
});
