/**
 * Marketplace answers are read within a size cap, as they arrive: a JSON answer within
 * MARKETPLACE_MAX_JSON_BYTES (production default, 4 MiB), a document within DOCUMENT_MAX_BYTES. An
 * answer over its cap fails its call for good, naming the cap and the call, whether its Content-Length
 * says so up front or its bytes just keep coming (an endless body ends at the cap, not at a timeout
 * or in memory); a document over its cap leaves no file behind.
 *
 * The marketplace here is a server of this test's own (Meesho's base URL points at it), which writes
 * answers of exactly the sizes each case needs and sees whether the client hung up. DOCUMENT_MAX_BYTES
 * is 1 MiB here, not the default 200 MiB: the cap is one byte count compared with another, the same
 * code at any size, and 200 MiB written to this shared machine's disk per case would prove nothing
 * more. The JSON cap runs at its production value.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { MARKETPLACE_FAILURES } from '../../src/contracts/failures';
import type { Seller } from '../../scripts/harness/sellers';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';
import { startLocalOrigin, writeForever, type LocalHandler, type LocalOrigin } from '../support/local-origin';

const MAX_JSON_BYTES = 4 * 1024 * 1024;
const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** MARKETPLACE_TIMEOUT_MS's production value: an answer over its cap must fail well before it. */
const CALL_TIMEOUT_MS = 15_000;

let env: ActivityEnvironment;
let marketplace: LocalOrigin;
let documentStore: string;
/** What the marketplace answers the next call with. */
let answer: LocalHandler;

beforeAll(async () => {
  marketplace = await startLocalOrigin((request, res, count) => answer(request, res, count));
  documentStore = await mkdtemp(path.join(tmpdir(), 'answer-caps-'));
  env = await activityEnvironment({
    MARKETPLACE_MEESHO_URL: `${marketplace.url}/meesho`,
    DOCUMENT_STORE_DIR: documentStore,
    DOCUMENT_MAX_BYTES: String(MAX_DOCUMENT_BYTES),
  });
  expect(env.t.config.marketplaces.maxJsonBytes).toBe(MAX_JSON_BYTES);
}, 120_000);
afterAll(async () => {
  await env?.close();
  await marketplace?.close();
  if (documentStore) await rm(documentStore, { recursive: true, force: true });
});

beforeEach(() => {
  marketplace.ends.length = 0;
});

const seller = (): Promise<Seller> =>
  env.sellers.seedSeller({ marketplace: 'meesho', idPrefix: `cap-${randomUUID().slice(0, 6)}-` });

/** Writes `bytes` as the whole answer, announcing its length or not (chunked). */
function answerWith(status: number, contentType: string, bytes: Buffer, announce: boolean): LocalHandler {
  return (_request, res: ServerResponse, count) => {
    res.writeHead(status, { 'content-type': contentType, ...(announce ? { 'content-length': bytes.length } : {}) });
    count(bytes.length);
    res.end(bytes);
  };
}

/** A listings answer of exactly `size` bytes: one listing, padded with JSON whitespace. */
function listingsOfSize(size: number): { bytes: Buffer; listing: object } {
  const listing = { sku: 'CAP-1', quantity: 7, pricePaise: 4_200, status: 'active' };
  const json = JSON.stringify({ items: [listing] });
  return { bytes: Buffer.from(json.slice(0, -1) + ' '.repeat(size - json.length) + '}'), listing };
}

const readListings = (account: Seller) =>
  new MockActivityEnvironment().run(env.activities.readListings, { ...account, skus: ['CAP-1'] });

/** The activity's failure, and how long it took to come. */
async function failureOf(run: () => Promise<unknown>): Promise<{ failure: ApplicationFailure; ms: number }> {
  const started = Date.now();
  const outcome = await run().then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ApplicationFailure);
  return { failure: outcome as ApplicationFailure, ms: Date.now() - started };
}

/** How the marketplace's answers ended, once one has (the client's hang-up reaches it a moment later). */
async function answerEnds() {
  for (let waited = 0; marketplace.ends.length === 0 && waited < 5_000; waited += 50) await sleep(50);
  return marketplace.ends;
}

function expectTooLarge(failure: ApplicationFailure, message: string) {
  expect({ type: failure.type, nonRetryable: failure.nonRetryable, message: failure.message }).toEqual({
    type: MARKETPLACE_FAILURES.responseTooLarge,
    nonRetryable: true,
    message,
  });
}

describe('JSON answers', () => {
  it('one of exactly MARKETPLACE_MAX_JSON_BYTES is read', async () => {
    const account = await seller();
    const { bytes, listing } = listingsOfSize(MAX_JSON_BYTES);
    answer = answerWith(200, 'application/json', bytes, false);

    expect(await readListings(account)).toEqual([listing]);
  });

  it.each([
    ['announced by its Content-Length', true],
    ['counted as it comes (chunked)', false],
  ])('one byte more, %s, fails the call for good naming the cap', async (_how, announce) => {
    const account = await seller();
    answer = answerWith(200, 'application/json', listingsOfSize(MAX_JSON_BYTES + 1).bytes, announce);

    const { failure } = await failureOf(() => readListings(account));

    expectTooLarge(
      failure,
      `meesho listings-read for ${account.accountId}: JSON answer over MARKETPLACE_MAX_JSON_BYTES (${MAX_JSON_BYTES} bytes)`,
    );
  });

  it('an endless one ends at the cap, at once: the client hangs up rather than read on', async () => {
    const account = await seller();
    answer = (_request, res, count) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
      writeForever(
        res,
        Buffer.from(`${JSON.stringify({ sku: 'X', quantity: 1, pricePaise: 1, status: 'active' })},`),
        count,
      );
    };

    const { failure, ms } = await failureOf(() => readListings(account));

    expectTooLarge(
      failure,
      `meesho listings-read for ${account.accountId}: JSON answer over MARKETPLACE_MAX_JSON_BYTES (${MAX_JSON_BYTES} bytes)`,
    );
    expect(ms).toBeLessThan(CALL_TIMEOUT_MS / 3);
    expect(await answerEnds()).toEqual([expect.objectContaining({ closedByClient: true })]);
  });

  it('an endless error answer is read only for its reason: the call fails as its status says, at once', async () => {
    const account = await seller();
    answer = (_request, res, count) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.write('{"error":"bad request","detail":"');
      writeForever(res, Buffer.from('x'.repeat(64 * 1024)), count);
    };

    const { failure, ms } = await failureOf(() => readListings(account));

    expect([failure.type, failure.nonRetryable]).toEqual([MARKETPLACE_FAILURES.validation, true]);
    expect(failure.message).toMatch(new RegExp(`^meesho listings-read for ${account.accountId}: HTTP 400`));
    expect(ms).toBeLessThan(CALL_TIMEOUT_MS / 3);
  });
});

describe('documents', () => {
  const download = (account: Seller, documentId: string) => () =>
    new MockActivityEnvironment().run(env.activities.downloadDocument, {
      accountId: account.accountId,
      marketplace: 'meesho' as const,
      documentId,
    });
  /** Every file the document store holds for the account; null when its folder was never made. */
  const filesOf = (account: Seller) => readdir(path.join(documentStore, 'meesho', account.accountId)).catch(() => null);

  it('one of exactly DOCUMENT_MAX_BYTES is stored, its SHA-256 that of the bytes served', async () => {
    const account = await seller();
    const bytes = Buffer.alloc(MAX_DOCUMENT_BYTES, 'document ');
    answer = answerWith(200, 'application/pdf', bytes, false);

    const stored = await download(account, 'DOC-EXACT')();

    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(stored).toEqual({ sha256, bytes: MAX_DOCUMENT_BYTES });
    expect(await filesOf(account)).toEqual(['DOC-EXACT']);
    const file = await readFile(path.join(documentStore, 'meesho', account.accountId, 'DOC-EXACT'));
    expect(createHash('sha256').update(file).digest('hex')).toBe(sha256);
  });

  it('one announced one byte over fails for good before a file is made', async () => {
    const account = await seller();
    answer = answerWith(200, 'application/pdf', Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 'd'), true);

    const { failure } = await failureOf(download(account, 'DOC-ANNOUNCED'));

    expectTooLarge(
      failure,
      `meesho document-content for ${account.accountId}: answer over DOCUMENT_MAX_BYTES (${MAX_DOCUMENT_BYTES} bytes)`,
    );
    expect(await filesOf(account)).toBeNull();
  });

  it.each([
    [
      'one byte over, unannounced',
      (res: ServerResponse, count: (bytes: number) => void) => {
        count(MAX_DOCUMENT_BYTES + 1);
        res.end(Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 'd'));
      },
    ],
    [
      'an endless one',
      (res: ServerResponse, count: (bytes: number) => void) => writeForever(res, Buffer.alloc(64 * 1024, 'd'), count),
    ],
  ])('%s fails for good once past the cap, and leaves no partial file', async (_what, write) => {
    const account = await seller();
    answer = (_request, res, count) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      write(res, count);
    };

    const { failure, ms } = await failureOf(download(account, 'DOC-ENDLESS'));

    expectTooLarge(
      failure,
      `meesho document-content for ${account.accountId}: answer over DOCUMENT_MAX_BYTES (${MAX_DOCUMENT_BYTES} bytes)`,
    );
    expect(ms).toBeLessThan(CALL_TIMEOUT_MS / 3);
    expect(await filesOf(account)).toEqual([]);
  });
});
