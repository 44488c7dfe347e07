/**
 * The fixed list of deliberate bugs `npm run mutants` plants, one at a time, each in a scratch copy
 * of the tree (issue 20, deliverable 3). Each one is a defect a check of ours once let through or
 * could let through; its catchers are the smallest set of the suite's own test files that must fail
 * with it. `find` must occur exactly once in `file`: a mutant whose text moved is stale and fails
 * the run, so the list cannot silently stop planting its bug. Every replacement is type-correct:
 * a catcher must fail on behaviour, not on a compile error.
 */
export interface Mutant {
  name: string;
  /** The bug, as the issue or the property it breaks words it. */
  bug: string;
  file: string;
  find: string;
  replace: string;
  /** Test files (1-3) that must fail with the mutant; `testName` narrows them (jest -t) to stay short. */
  catchers: string[];
  testName?: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'delete-at-start',
    bug: 'the poller deletes the SQS message when its workflow starts, not once it has completed',
    file: 'src/pollers/queue-poller.ts',
    find: `          log.info('workflow started');\n`,
    replace: `          log.info('workflow started');\n          void this.deps.messages.delete(message).catch(() => undefined);\n`,
    // Held messages given back at shutdown must be received again: a deleted one never is.
    catchers: ['test/pollers/poller-shutdown.test.ts'],
  },
  {
    name: 'fifo-group-in-parallel',
    bug: 'the poller runs two messages of one FIFO group at once',
    file: 'src/pollers/queue-poller.ts',
    find: `      groups.set(group, [...(groups.get(group) ?? []), message]);`,
    replace: `      groups.set(\`\${group}:\${message.MessageId}\`, [message]);`,
    catchers: ['test/pollers/poller.test.ts'],
    testName: 'strictly in order',
  },
  {
    name: 'retry-derives-new-key',
    bug: "a marketplace update's idempotency key is not derived from business identity: each attempt gets a new one",
    file: 'src/activities/listings.ts',
    find: `updateListings(input.accountId, input.changes, input.idempotencyKey),`,
    replace: `updateListings(input.accountId, input.changes, \`\${input.idempotencyKey}:\${Date.now()}\`),`,
    catchers: ['test/workflows/marketplace-push.test.ts'],
    testName: 'lost answer',
  },
  {
    name: 'advance-without-claim',
    bug: 'the scheduling sweep moves a full page of schedules on without claiming or sending them',
    file: 'src/sweeps/scheduling-sweep.ts',
    find: `        claims.push(decision.claim);`,
    replace: `        if (rows.length < ctx.pageSize) claims.push(decision.claim);`,
    catchers: ['test/sweeps/scheduling-sweep.test.ts'],
    testName: 'more than one page',
  },
  {
    name: 'push-unlocked-quantity',
    bug: 'a stock push sends the available count it read without holding the SKU still (a reserve-time quantity)',
    file: 'src/db/listing-pushes.ts',
    find: `ORDER BY id FOR SHARE`,
    replace: `ORDER BY id`,
    catchers: ['test/inventory/versioned-push.test.ts'],
    testName: 'held in flight',
  },
  {
    name: 'push-ignores-reservations',
    bug: 'a stock push sends the SKU\'s stock, not what is available (stock - reserved): units an order reserved on one marketplace are offered again on the others',
    file: 'src/db/listing-pushes.ts',
    find: `SELECT id, version, stock - reserved AS available FROM skus`,
    replace: `SELECT id, version, stock AS available FROM skus`,
    catchers: ['test/inventory/marketplace-moved-listing.test.ts'],
  },
  {
    name: 'compensation-cancellable',
    bug: "a saga's compensations run in a cancellable scope: a cancelled saga does not undo its steps",
    file: 'src/workflows/saga.ts',
    find: `    return CancellationScope.nonCancellable(async () => {`,
    replace: `    return CancellationScope.cancellable(async () => {`,
    catchers: ['test/workflows/cancellation.test.ts'],
  },
  {
    name: 'undo-in-step-order',
    bug: "a saga undoes its steps oldest first, not newest first: an earlier step's undo runs under a later step's changes",
    file: 'src/workflows/saga.ts',
    find: `      const undos = [...this.undo].reverse();`,
    replace: `      const undos = [...this.undo];`,
    catchers: ['test/workflows/marketplace-push.test.ts'],
    testName: 'fails at status:1',
  },
  {
    name: 'redirect-followed',
    bug: 'a marketplace call follows a redirect, taking its credentials to the Location',
    file: 'src/marketplaces/http.ts',
    find: `        redirect: 'manual',`,
    replace: `        redirect: 'follow',`,
    catchers: ['test/marketplaces/redirects.test.ts'],
  },
  {
    name: 'scrub-misses-api-key',
    bug: 'the scrubber does not know a name ending in "api key" (x-api-key) as a credential',
    file: 'src/platform/scrub.ts',
    find: `|pwd|apikey|credentials?|`,
    replace: `|pwd|credentials?|`,
    catchers: ['test/unit/platform/secret-corpus.test.ts'],
  },
  {
    name: 'fifo-dedup-id-not-key',
    bug: "a FIFO message's deduplication id is not its idempotency key: SQS no longer absorbs a second send",
    file: 'src/queues/routing.ts',
    find: `    MessageDeduplicationId: envelope.idempotencyKey,`,
    replace: `    MessageDeduplicationId: \`\${envelope.idempotencyKey}:\${Date.now()}\`,`,
    catchers: ['test/sweeps/scheduling-sweep.test.ts'],
    testName: 'exactly the due rows',
  },
  {
    name: 'claim-lease-ignored',
    bug: 'the claim-sweeper takes back unsent claims whose lease has not run out (their sender may still send)',
    file: 'src/db/dispatch-claims.ts',
    find: `AND lease_expires_at < $1`,
    replace: `AND lease_expires_at < $1::timestamptz + interval '1 hour'`,
    catchers: ['test/sweeps/claim-sweeper.test.ts'],
  },
  {
    name: 'dlq-replay-drops-fifo',
    bug: 'a DLQ replay marks a FIFO letter replayed and deletes it without sending it back',
    file: 'src/queues/dead-letters.ts',
    find: `      await messages.send(url, letter.body, fifo, replayAttributes(letter, now));`,
    replace: `      if (!queue.fifo) await messages.send(url, letter.body, fifo, replayAttributes(letter, now));`,
    catchers: ['test/pollers/dlq-command.test.ts'],
    testName: 'replays a group in its original order',
  },
];
