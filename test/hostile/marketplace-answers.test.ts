/**
 * A marketplace answering 200 with what is not its answer: a complete body that is not JSON, a web
 * page (text/html), JSON of the wrong shape, a body cut off mid-way (the connection dropped before
 * its Content-Length), and the same for a document's bytes. Run through the service's workflows and
 * activities against a simulator of this file's own (in this process, so it has this checkout's
 * fault kinds). Each such answer fails its attempt with a failure that names the marketplace, the
 * call and the problem, is retried, and never stores anything wrong (no page saved as a document, no
 * half file left); the account's work completes once the marketplace answers properly, and another
 * account's work runs meanwhile.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SimFault } from '../../simulator/src/control';
import { startSimulator, type RunningSimulator } from '../../simulator/src/server';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { WorkflowBench, type Seller } from '../support/workflow-bench';
import { workflowIdFor } from '../../src/contracts/workflows';

jest.setTimeout(60_000);

let simulator: RunningSimulator;
let bench: WorkflowBench;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  bench = await WorkflowBench.create({ simulatorUrl: simulator.url, log: SILENT_LOGGER });
}, 120_000);
afterAll(async () => {
  await bench?.close();
  await simulator?.close();
});

const CONTENT = Buffer.from(`%PDF-1.7 ${'invoice '.repeat(100)}`);
const DOCUMENT = {
  documentId: 'INV-1',
  kind: 'invoice',
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  content: CONTENT.toString('base64'),
};

/** The attempt an activity completed on and the failure of the attempt before it, from the history. */
async function retriedActivity(workflowId: string, activityType: string) {
  const events = (await bench.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const started = events.find(
    (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId),
  )?.activityTaskStartedEventAttributes;
  const failure = started?.lastFailure;
  return {
    attempt: started?.attempt,
    type: failure?.applicationFailureInfo?.type,
    message: failure?.message?.replace(/after \d+ bytes/, 'after N bytes'),
  };
}

interface Case {
  name: string;
  fault: Omit<SimFault, 'sellerId' | 'times'>;
  times: number;
  type: 'account.sync' | 'document.download';
  activity: string;
  /** What the failed attempts' message says after `<marketplace> <operation> for <account>: `. */
  says: string;
}

const CASES: Case[] = [
  {
    name: 'a complete body that is not JSON',
    fault: { kind: 'malformed', operation: 'orders' },
    times: 2,
    type: 'account.sync',
    activity: 'syncOrders',
    says: 'malformed response: not JSON (application/json, 13 bytes)',
  },
  {
    name: 'a web page with 200 (text/html)',
    fault: { kind: 'malformed', operation: 'orders', contentType: 'text/html', body: '<html>Maintenance</html>' },
    times: 2,
    type: 'account.sync',
    activity: 'syncOrders',
    says: 'malformed response: not JSON (text/html, 24 bytes)',
  },
  {
    name: 'JSON of the wrong shape',
    fault: { kind: 'malformed', operation: 'returns', body: '{"items":"none"}' },
    times: 2,
    type: 'account.sync',
    activity: 'syncReturns',
    says: 'malformed response: items Invalid input: expected array, received string',
  },
  {
    name: 'a JSON body cut off mid-way',
    fault: { kind: 'truncate', operation: 'orders' },
    times: 2,
    type: 'account.sync',
    activity: 'syncOrders',
    says: 'response body cut off: other side closed',
  },
  {
    name: 'a document cut off mid-way',
    fault: { kind: 'truncate', operation: 'document-content' },
    times: 1,
    type: 'document.download',
    activity: 'downloadDocument',
    // However many bytes of the half sent the activity had taken in when the stream failed.
    says: 'document INV-1 cut off after N bytes: other side closed',
  },
  {
    name: 'a web page instead of a document',
    fault: {
      kind: 'malformed',
      operation: 'document-content',
      contentType: 'text/html; charset=utf-8',
      body: '<h1>Sign in</h1>',
    },
    times: 1,
    type: 'document.download',
    activity: 'downloadDocument',
    says: 'malformed response: document INV-1 came as text/html; charset=utf-8, not as its bytes',
  },
];

const EXPECTED_RESULT = {
  'account.sync': { orders: 1, returns: 0 },
  'document.download': {
    downloaded: [{ documentId: 'INV-1', sha256: createHash('sha256').update(CONTENT).digest('hex') }],
  },
};

async function seededSeller(): Promise<Seller> {
  return bench.seedSeller({
    marketplace: 'flipkart',
    orders: [
      { orderId: `O-${randomUUID()}`, status: 'placed', totalPaise: 100, orderedAt: DOCUMENT.createdAt, lines: [] },
    ],
    documents: [DOCUMENT],
  });
}

it.each(CASES)('$name: each attempt fails naming it, is retried, and the work completes once answered', async (c) => {
  const [seller, bystander] = await Promise.all([seededSeller(), seededSeller()]);
  await bench.sim.addFault({ ...c.fault, sellerId: seller.accountId, times: c.times });
  const envelope = bench.envelope(c.type, seller);

  const [result, bystanderResult] = await Promise.all([
    bench.execute(envelope),
    bench.execute(bench.envelope(c.type, bystander)),
  ]);

  expect(result).toEqual(EXPECTED_RESULT[c.type]);
  expect(bystanderResult).toEqual(EXPECTED_RESULT[c.type]);
  const workflowId = workflowIdFor(envelope);
  const retried = await retriedActivity(workflowId, c.activity);
  expect(retried).toEqual({
    attempt: c.times + 1,
    type: c.fault.kind === 'truncate' ? 'MarketplaceUnavailable' : 'MarketplaceMalformedResponse',
    message: `flipkart ${c.fault.operation} for ${seller.accountId}: ${c.says}`,
  });
  if (c.type === 'document.download') {
    const folder = path.join(bench.t.config.marketplaces.documentStoreDir!, 'flipkart', seller.accountId);
    // What was stored is the document, and nothing half-written is left beside it.
    expect(readdirSync(folder)).toEqual(['INV-1']);
    expect(readFileSync(path.join(folder, 'INV-1'))).toEqual(CONTENT);
  }
});
