/**
 * `npm run dlq` run as an operator runs it (its own process), on both SQS servers, against real
 * PostgreSQL, and real Temporal and the marketplace simulator where replayed letters must run. Every
 * letter is written the way the poller writes one: received from its source queue and moved with
 * QueueMessages.deadLetter (record first, then the DLQ copy).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { serializeEnvelope, type Envelope } from '../../src/contracts/envelope';
import { workflowIdFor } from '../../src/contracts/workflows';
import { findQueue } from '../../src/queues/catalogue';
import {
  REPLAY_ATTRIBUTES,
  listDeadLetters,
  type DeadLetterState,
  type DeadLetterVerdict,
} from '../../src/queues/dead-letter-record';
import { DEAD_LETTER_HOLD_SECONDS, replayDeadLetters } from '../../src/queues/dead-letters';
import { QueueMessages } from '../../src/queues/queue-messages';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createSqsClient } from '../../src/platform/sqs-client';
import { eventually } from '../support/pipeline';
import { seedSchedule } from '../support/seed';
import { runEntryPoint } from '../support/run-command';
import { drainRawQueue, sqsServers } from '../support/sqs';
import { WorkflowBench, type Seller } from '../support/workflow-bench';

jest.setTimeout(240_000);

const FAILED: DeadLetterVerdict = {
  disposition: 'failed',
  reason: 'meesho answered 503',
  failureType: 'MarketplaceUnavailable',
};
const STOPPED: DeadLetterVerdict = {
  disposition: 'stopped',
  reason: 'terminated by ops: bad data',
  failureType: 'terminated',
};
const CANCELLED: DeadLetterVerdict = {
  disposition: 'cancelled',
  reason: 'cancelled by ops',
  failureType: 'cancelled',
};
const INVALID: DeadLetterVerdict = { disposition: 'invalid', reason: 'invalid JSON' };
const parkedFor = (accountId: string): DeadLetterVerdict => ({
  disposition: 'parked',
  reason: `account ${accountId} is disabled`,
  failureType: 'AccountDisabled',
});

describe('npm run dlq -- help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage and exits 0', async (arg) => {
    const result = await runEntryPoint('src/commands/dlq.ts', { args: [arg] });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^usage: npm run dlq -- list \| peek <queue> .*replay <queue> \[--account ID \| --seller ID\] \[--dry-run\]/,
    );
  });
});

/** A letter to write: its body, FIFO group and the poller's verdict. */
interface LetterSeed {
  body: string;
  groupId: string;
  verdict: DeadLetterVerdict;
}

describe.each(sqsServers())('npm run dlq on %s', (_server, serverEnv) => {
  let bench: WorkflowBench;
  let directory: QueueDirectory;
  const dlq = (...args: string[]) => runEntryPoint('src/commands/dlq.ts', { args, env: bench.t.env });
  const urls = (name: string) => bench.t.queues.find((q) => q.queue.name === name)!;
  const messagesOf = (name: string) =>
    new QueueMessages(
      bench.t.deps.sqs,
      { queue: findQueue(name), url: urls(name).url, deadLetterUrl: urls(name).dlqUrl },
      bench.pool,
    );
  const depth = async (url: string) => {
    const { visible, inFlight } = await directory.depth(url);
    return visible + inFlight;
  };
  const states = async (name: string) =>
    new Map(
      (await listDeadLetters(bench.pool, name, { states: ['in_dlq', 'replayed', 'set_aside', 'purged'] })).map(
        (l) => [l.sourceMessageId, l.state] as [string, DeadLetterState],
      ),
    );

  /**
   * Sends the letters' bodies to the queue, in order, then dead-letters each as the poller does.
   * Resolves with their source message ids, in the order given. No poller may run on the queue yet.
   */
  async function writeLetters(name: string, seeds: LetterSeed[]): Promise<string[]> {
    const ids: string[] = [];
    const verdicts = new Map<string, DeadLetterVerdict>();
    for (const seed of seeds) {
      const { MessageId } = await bench.t.deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: urls(name).url,
          MessageBody: seed.body,
          MessageGroupId: seed.groupId,
          MessageDeduplicationId: randomUUID(),
        }),
      );
      ids.push(MessageId!);
      verdicts.set(MessageId!, seed.verdict);
    }
    const messages = messagesOf(name);
    for (let moved = 0; moved < seeds.length;) {
      const batch: Message[] = await messages.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 30 });
      for (const message of batch) {
        await messages.deadLetter(message, verdicts.get(message.MessageId!)!);
        moved += 1;
      }
    }
    return ids;
  }

  const envelopeBody = (envelope: Envelope) => serializeEnvelope(envelope);

  beforeAll(async () => {
    bench = await WorkflowBench.create({ env: serverEnv });
    directory = new QueueDirectory(bench.t.deps.sqs, bench.t.config.queues.prefix);
  }, 120_000);
  afterAll(() => bench?.close());

  it('peek --seller lists the letters of a seller: its inventory work, in its group, from any of its accounts', async () => {
    const seller = `dlqseller_${randomUUID().slice(0, 8)}`;
    const other = `dlqother_${randomUUID().slice(0, 8)}`;
    const deduct = (sellerId: string, accountId: string) =>
      bench.envelope('inventory.deduct', { accountId, sellerId, marketplace: 'meesho' }, { skuId: 'X', quantity: 1 });
    const mine = [deduct(seller, `${seller}_a`), deduct(seller, `${seller}_b`)];
    const theirs = deduct(other, `${other}_a`);
    await writeLetters(
      'inventory-deduct',
      [...mine, theirs].map((e) => ({ body: envelopeBody(e), groupId: e.sellerId!, verdict: FAILED })),
    );

    const result = await dlq('peek', 'inventory-deduct', '--seller', seller);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const e of mine) expect(result.stdout).toContain(`inventory.deduct ${e.accountId} ${e.idempotencyKey}`);
    expect(result.stdout).not.toContain(theirs.idempotencyKey);

    // Other work of the seller's accounts travels in the account's group but names the seller too
    // (on a queue no other test of this file counts the letters of).
    const push = bench.envelope('marketplace.push', {
      accountId: `${seller}_c`,
      sellerId: seller,
      marketplace: 'amazon',
    });
    await writeLetters('marketplace-push-amazon', [
      { body: envelopeBody(push), groupId: push.accountId, verdict: FAILED },
    ]);
    const pushes = await dlq('peek', 'marketplace-push-amazon', '--seller', seller);
    expect(pushes.stdout).toContain(`marketplace.push ${push.accountId} ${push.idempotencyKey}`);

    const both = await dlq('peek', 'inventory-deduct', '--seller', seller, '--account', `${seller}_a`);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('give --account or --seller, not both');
  });

  describe('peek and list on a FIFO DLQ of 14 letters, 11 in one group', () => {
    const groups = { a: 'peek_a', b: 'peek_b', c: 'peek_c' };
    const seeds: LetterSeed[] = [];
    let recordedIds: string[];
    let movedBySqsId: string;
    let dlqUrl: string;

    beforeAll(async () => {
      dlqUrl = urls('account-sync').dlqUrl;
      const verdicts = [FAILED, STOPPED, parkedFor(groups.a), CANCELLED];
      for (let i = 0; i < 11; i += 1) {
        const envelope = bench.envelope('account.sync', { accountId: groups.a, marketplace: 'meesho' } as Seller);
        seeds.push({ body: envelopeBody(envelope), groupId: groups.a, verdict: verdicts[i % verdicts.length]! });
      }
      seeds.push({ body: '{"v":1,', groupId: groups.b, verdict: INVALID });
      const b = bench.envelope('account.sync', { accountId: groups.b, marketplace: 'meesho' } as Seller);
      seeds.push({ body: envelopeBody(b), groupId: groups.b, verdict: FAILED });
      recordedIds = await writeLetters('account-sync', seeds);
      // A letter SQS's redrive moved (after maxReceiveCount receives) carries no record and no attributes.
      const c = bench.envelope('account.sync', { accountId: groups.c, marketplace: 'meesho' } as Seller);
      const { MessageId } = await bench.t.deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: envelopeBody(c),
          MessageGroupId: groups.c,
          MessageDeduplicationId: randomUUID(),
        }),
      );
      movedBySqsId = MessageId!;
    });

    it('peek lists every letter of every group, in order, with source id, group, verdict and body summary', async () => {
      const result = await dlq('peek', 'account-sync');
      expect(result.code).toBe(0);
      const dlqName = `${bench.t.config.queues.prefix}account-sync-dlq.fifo`;
      expect(result.stdout).toContain(
        `${dlqName}: SQS counts 14 (14 visible, 0 in flight); 14 letter(s) listed in the DLQ, 0 set aside`,
      );
      expect(result.stdout).toContain(`group ${groups.a}: 11 letter(s)`);
      expect(result.stdout).toContain(`group ${groups.b}: 2 letter(s)`);
      expect(result.stdout).toContain(`group ${groups.c}: 1 letter(s)`);
      expect(result.stdout).toContain("recorded 1 letter(s) that SQS's redrive moved without a record");
      expect(result.stdout).toContain('counts match');

      const lines = result.stdout.split('\n');
      const lineOf = (id: string) => lines.findIndex((line) => line.trimStart().startsWith(`${id} `));
      // Each recorded letter once, with its verdict and what its body is; group a in the order sent.
      seeds.forEach((seed, i) => {
        const at = lineOf(recordedIds[i]!);
        expect(at).toBeGreaterThan(-1);
        const line = lines[at]!;
        expect(line).toContain(`  ${seed.verdict.disposition}  ${seed.verdict.failureType ?? '-'}  `);
        expect(lines[at + 1]).toBe(`      reason: ${seed.verdict.reason}`);
        const parsed = seed.body.startsWith('{"v":1,"') ? (JSON.parse(seed.body) as Envelope) : undefined;
        expect(line).toContain(parsed ? `account.sync ${seed.groupId} ${parsed.idempotencyKey}` : '(not an envelope)');
      });
      const groupA = recordedIds.slice(0, 11).map(lineOf);
      expect(groupA).toEqual([...groupA].sort((x, y) => x - y));
      expect(lineOf(movedBySqsId)).toBeGreaterThan(-1);
      expect(lines[lineOf(movedBySqsId) + 1]).toMatch(/reason: moved by SQS after maxReceiveCount/);

      // The look changed nothing in SQS, and what it recorded is listed from PostgreSQL from now on.
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 14,
        ),
      ).toBe(14);
      const again = await dlq('peek', 'account-sync');
      expect(again.stdout).toContain('14 letter(s) listed in the DLQ');
      expect(again.stdout).not.toContain('recorded 1 letter');
    });

    it('list shows SQS counts and the records by disposition and state', async () => {
      await eventually(
        () => depth(dlqUrl),
        (n) => n === 14,
      );
      const result = await dlq('list');
      expect(result.code).toBe(0);
      const row = result.stdout.split('\n').find((line) => line.includes("'account-sync'"))!;
      const cells = row.split('│').map((cell) => cell.trim());
      const count = (disposition: string) =>
        seeds.filter((s) => s.verdict.disposition === disposition).length + (disposition === 'failed' ? 1 : 0);
      // (index), queue, visible, inFlight, failed, parked, stopped, cancelled, invalid, setAside, replayed, purged
      // fauxqs counts a copy a look handed back as in flight until its next receive: the sum is what holds.
      expect(Number(cells[3]) + Number(cells[4])).toBe(14);
      expect([cells[2], ...cells.slice(5, 13)]).toEqual([
        "'account-sync'",
        String(count('failed')),
        String(count('parked')),
        String(count('stopped')),
        String(count('cancelled')),
        String(count('invalid')),
        '0',
        '0',
        '0',
      ]);
    });

    it('list names the claims and schedules flagged for attention, which never reached a DLQ', async () => {
      const seller = await bench.seedSeller({ marketplace: 'meesho', listings: [] });
      const scheduleId = await seedSchedule(bench.pool, {
        accountId: seller.accountId,
        kind: 'account-sync',
        nextRunAt: new Date(),
      });
      await bench.pool.query(
        `UPDATE schedules SET needs_attention = true, attention_reason = 'malformed cadence "x"' WHERE id = $1`,
        [scheduleId],
      );
      const envelope = bench.envelope('account.sync', seller);
      await bench.pool.query(
        `INSERT INTO dispatch_claims (idempotency_key, sweep, account_id, schedule_id, queue, message_type, envelope,
                                      slot_at, lease_expires_at, claimed_at, needs_attention, attention_reason)
         VALUES ($1, 'scheduling-sweep', $2, $3, 'account-sync', $4, $5, now(), now(), now() - interval '25 hours',
                 true, 'unsent for over 24 h')`,
        [envelope.idempotencyKey, seller.accountId, scheduleId, envelope.type, JSON.stringify(envelope)],
      );
      const result = await dlq('list');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('1 claim(s) and 1 schedule(s) flagged for attention');
      expect(result.stdout).toContain(`claim ${envelope.idempotencyKey}  account-sync  account ${seller.accountId}`);
      expect(result.stdout).toContain(`schedule ${scheduleId}  account-sync  account ${seller.accountId}`);
    });

    it('purge refuses without confirmation, and with --yes empties the DLQ and marks the records purged', async () => {
      const refused = await dlq('purge', 'account-sync');
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe('not purged: confirm at the prompt or pass --yes');
      const purged = await dlq('purge', 'account-sync', '--yes');
      expect(purged.code).toBe(0);
      expect(purged.stdout).toContain('14 record(s) marked purged');
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 0,
        ),
      ).toBe(0);
      expect(new Set((await states('account-sync')).values())).toEqual(new Set(['purged']));
    });
  });

  describe('replay', () => {
    let seller: Seller;
    let parkedSeller: Seller;
    const letters: Envelope[] = [];
    let letterIds: string[];
    const parked: Envelope[] = [];
    let parkedIds: string[];
    const invalidBodies = ['{"v":1,', '{"v":1,"type":"account.sync"}'];
    let invalidIds: string[];
    let validBehindInvalid: Envelope;
    let completedRunId: string;
    const skuId = `DLQ-${randomUUID().slice(0, 6)}`;

    beforeAll(async () => {
      const listing = { skuId, quantity: 7, pricePaise: 10_000 };
      [seller, parkedSeller] = [
        await bench.seedSeller({ marketplace: 'meesho', listings: [{ ...listing, atMarketplace: { quantity: 1 } }] }),
        await bench.seedSeller({ marketplace: 'meesho', listings: [{ ...listing, skuId: `${listing.skuId}P` }] }),
      ];
      for (let i = 0; i < 5; i += 1) letters.push(bench.envelope('marketplace.push', seller));
      for (let i = 0; i < 2; i += 1) parked.push(bench.envelope('marketplace.push', parkedSeller));
      // Written before any poller serves the queue (writing receives from it).
      letterIds = await writeLetters(
        'marketplace-push-meesho',
        letters.map((e) => ({ body: envelopeBody(e), groupId: seller.accountId, verdict: FAILED })),
      );
      parkedIds = await writeLetters('marketplace-push-meesho', [
        { body: envelopeBody(parked[0]!), groupId: parkedSeller.accountId, verdict: parkedFor(parkedSeller.accountId) },
        { body: envelopeBody(parked[1]!), groupId: parkedSeller.accountId, verdict: FAILED },
      ]);
      await bench.pool.query('UPDATE seller_accounts SET enabled = false WHERE id = $1', [parkedSeller.accountId]);

      validBehindInvalid = bench.envelope('marketplace.push', seller);
      invalidIds = await writeLetters('marketplace-push-flipkart', [
        ...invalidBodies.map((body) => ({ body, groupId: seller.accountId, verdict: INVALID })),
        { body: envelopeBody(validBehindInvalid), groupId: seller.accountId, verdict: FAILED },
      ]);

      // The second letter's work completed before (its completion record written as the poller writes it).
      const done = letters[1]!;
      await bench.execute(done);
      const run = await bench.client.workflow.getHandle(workflowIdFor(done)).describe();
      expect(run.status.name).toBe('COMPLETED');
      completedRunId = run.runId;
      await bench.pool.query(
        `INSERT INTO completed_work (workflow_id, idempotency_key, message_type, account_id, run_id, source_queue)
         VALUES ($1, $2, $3, $4, $5, 'marketplace-push-meesho')`,
        [workflowIdFor(done), done.idempotencyKey, done.type, done.accountId, run.runId],
      );
    });

    it('sets invalid letters at the head of a group aside and replays the valid letter behind them', async () => {
      const result = await dlq('replay', 'marketplace-push-flipkart');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/replayed 1, already completed 0, set aside 2, waits 0/);
      const { url, dlqUrl } = urls('marketplace-push-flipkart');
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 0,
        ),
      ).toBe(0);

      const sent = await drainRawQueue(bench.t.deps.sqs, url);
      expect(sent.map((m) => m.Body)).toEqual([envelopeBody(validBehindInvalid)]);
      const [replayed] = sent;
      expect(replayed!.Attributes).toMatchObject({
        MessageGroupId: seller.accountId,
        MessageDeduplicationId: `replay:${invalidIds[2]}`,
      });
      expect(replayed!.MessageAttributes?.[REPLAY_ATTRIBUTES.replayOf]?.StringValue).toBe(invalidIds[2]);
      const replayedAt = Date.parse(replayed!.MessageAttributes![REPLAY_ATTRIBUTES.replayedAt]!.StringValue!);
      expect(Date.now() - replayedAt).toBeLessThan(120_000);

      // Set aside: kept with their bodies, out of SQS, and still shown by peek.
      const kept = await listDeadLetters(bench.pool, 'marketplace-push-flipkart', { states: ['set_aside'] });
      expect(kept.map((l) => [l.sourceMessageId, l.body])).toEqual(
        invalidBodies.map((body, i) => [invalidIds[i], body]),
      );
      const peek = await dlq('peek', 'marketplace-push-flipkart');
      expect(peek.stdout).toContain('0 letter(s) listed in the DLQ, 2 set aside');
      for (const id of invalidIds.slice(0, 2)) expect(peek.stdout).toContain(id);
    });

    it('replays a group in its original order, skips completed work, sends nothing twice across a crash and re-runs', async () => {
      const { url, dlqUrl } = urls('marketplace-push-meesho');
      const expected = letters.filter((_, i) => i !== 1);

      const dry = await dlq('replay', 'marketplace-push-meesho', '--account', seller.accountId, '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('dry run: nothing is sent, recorded or deleted');
      expect(dry.stdout).toContain('is empty: the replayed letters run next, in their original order');
      const planned = dry.stdout.split('\n').filter((line) => /^ {2}\S/.test(line));
      letterIds.forEach((id, i) => {
        const line = planned.find((l) => l.includes(id))!;
        expect(line.trim().startsWith(i === 1 ? 'already completed' : 'would replay')).toBe(true);
      });
      expect(planned.map((line) => letterIds.findIndex((id) => line.includes(id)))).toEqual([0, 1, 2, 3, 4]);
      expect(await depth(url)).toBe(0);
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 7,
        ),
      ).toBe(7);

      // A replay whose process dies right after its second send, before recording it: from then on
      // nothing it asks reaches SQS (not even handing back the DLQ copies it holds).
      const crashing = createSqsClient(bench.t.config);
      let sends = 0;
      let dead = false;
      crashing.middlewareStack.add(
        (next, context) => async (args) => {
          if (dead) throw new Error('crashed');
          const output = await next(args);
          if (context.commandName === 'SendMessageCommand' && (sends += 1) === 2) dead = true;
          if (dead) throw new Error('crashed');
          return output;
        },
        { step: 'initialize', name: 'dieAfterSecondSend' },
      );
      const crashingMessages = new QueueMessages(crashing, messagesOf('marketplace-push-meesho').endpoints, bench.pool);
      await expect(
        replayDeadLetters({ messages: crashingMessages, pool: bench.pool, directory }, { accountId: seller.accountId }),
      ).rejects.toThrow('crashed');
      crashing.destroy();
      expect((await states('marketplace-push-meesho')).get(letterIds[0]!)).toBe('replayed');
      expect((await states('marketplace-push-meesho')).get(letterIds[2]!)).toBe('in_dlq');

      const rerun = await dlq('replay', 'marketplace-push-meesho', '--account', seller.accountId);
      expect(rerun.code).toBe(0);
      // The crashed run settled the first two (one sent, one already completed) before it stopped.
      expect(rerun.stdout).toMatch(/replayed 3, already completed 0, set aside 0, waits 0/);
      expect(rerun.stdout).toMatch(
        /holds 2 waiting and 0 in flight: a replayed letter runs after the messages of its group/,
      );
      // The crashed run's DLQ copies come back into view once its hold runs out; the next run deletes them.
      await sleep((DEAD_LETTER_HOLD_SECONDS + 2) * 1_000);
      const third = await dlq('replay', 'marketplace-push-meesho', '--account', seller.accountId);
      expect(third.stdout).toMatch(/replayed 0, already completed 0, set aside 0, waits 0/);
      expect(third.stdout).toContain(`deleted ${letters.length} leftover copy(ies) of settled letters`);
      // Four letters to run, each once: the crashed send's second attempt was deduplicated.
      expect(
        await eventually(
          () => depth(url),
          (n) => n >= 4,
          3_000,
        ),
      ).toBe(expected.length);
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 2,
        ),
      ).toBe(2);
      const after = await states('marketplace-push-meesho');
      expect(letterIds.map((id) => after.get(id))).toEqual(letterIds.map(() => 'replayed'));

      await bench.startPoller('marketplace-push-meesho');
      for (const envelope of expected)
        expect(await bench.ended(envelope, 90_000)).toMatchObject({ status: 'completed' });

      // In their original order: each started after the one before it had closed.
      const runs = await Promise.all(expected.map((e) => bench.client.workflow.getHandle(workflowIdFor(e)).describe()));
      for (let i = 1; i < runs.length; i += 1) {
        expect(runs[i]!.startTime.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.closeTime!.getTime());
      }
      // The completed letter was not run again.
      const done = await bench.client.workflow.getHandle(workflowIdFor(letters[1]!)).describe();
      expect(done.runId).toBe(completedRunId);

      // Every business effect applied once: one price and one status update per letter and batch (one
      // listing), and the listing's quantity once for its SKU's version (the versioned push: every later
      // push finds the listing already showing it).
      const ledger = await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
      const keys = ledger.map((entry) => entry.idempotencyKey).sort();
      // A saga's keys are its run's own; each letter ran once, so under its only run.
      const runIds = await Promise.all(
        letters.map(async (e) => (await bench.client.workflow.getHandle(workflowIdFor(e)).describe()).runId),
      );
      const effects = [
        ...letters.flatMap((e, i) =>
          ['pricePaise', 'status'].map((f) => `${e.idempotencyKey}:${f}:0:run-${runIds[i]}`),
        ),
        `stock:${seller.accountId}:${skuId}:v1`,
      ];
      expect(keys).toEqual(effects.sort());
    });

    it('leaves a parked letter while its account is disabled, and replays it once enabled', async () => {
      const { dlqUrl } = urls('marketplace-push-meesho');
      const waiting = await dlq('replay', 'marketplace-push-meesho', '--account', parkedSeller.accountId);
      expect(waiting.code).toBe(0);
      expect(waiting.stdout).toContain(`(account ${parkedSeller.accountId} still disabled)`);
      expect(waiting.stdout).toContain(`(behind ${parkedIds[0]} of its group, which waits)`);
      expect(waiting.stdout).toMatch(/replayed 0, already completed 0, set aside 0, waits 2/);
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 2,
        ),
      ).toBe(2);
      for (const envelope of parked) {
        await expect(bench.client.workflow.getHandle(workflowIdFor(envelope)).describe()).rejects.toThrow(
          WorkflowNotFoundError,
        );
      }

      await bench.pool.query('UPDATE seller_accounts SET enabled = true WHERE id = $1', [parkedSeller.accountId]);
      const replayed = await dlq('replay', 'marketplace-push-meesho', '--account', parkedSeller.accountId);
      expect(replayed.stdout).toMatch(/replayed 2, already completed 0, set aside 0, waits 0/);
      const ends = [];
      for (const envelope of parked) ends.push(await bench.ended(envelope, 90_000));
      expect(ends).toEqual([
        expect.objectContaining({ status: 'completed' }),
        expect.objectContaining({ status: 'completed' }),
      ]);
      const [first, second] = await Promise.all(
        parked.map((e) => bench.client.workflow.getHandle(workflowIdFor(e)).describe()),
      );
      expect(second!.startTime.getTime()).toBeGreaterThanOrEqual(first!.closeTime!.getTime());
      expect(
        await eventually(
          () => depth(dlqUrl),
          (n) => n === 0,
        ),
      ).toBe(0);
    });
  });
});
