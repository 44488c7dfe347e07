/**
 * Document downloads time out on stalls, not on the transfer's length, and a document that fails for
 * good does not keep the account's other documents waiting. Production settings: MARKETPLACE_TIMEOUT_MS
 * (15 s) and the `downloads` activity options. The simulator (this file's own) serves a document slowly
 * but steadily (`trickle`), or half of it and then nothing (`stall`); expectations are the SHA-256 of
 * the bytes seeded, computed here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SimDocument } from '../../simulator/src/control';
import { benchOnOwnSimulator, lastAttempt } from '../support/own-simulator';
import type { Seller } from '../support/workflow-bench';

jest.setTimeout(300_000);

const own = benchOnOwnSimulator();

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** A document's bytes: distinct per document, large enough to come in many slices. */
const contentOf = (documentId: string) => Buffer.from(`%PDF-1.7 ${documentId} ${'page '.repeat(40_000)}`);

async function sellerWithDocuments(ids: string[]): Promise<Seller> {
  const documents: SimDocument[] = ids.map((documentId, i) => ({
    documentId,
    kind: 'invoice',
    createdAt: new Date(Date.now() - (60 - i) * 60_000).toISOString(),
    content: contentOf(documentId).toString('base64'),
  }));
  return own.bench.seedSeller({ marketplace: 'flipkart', idPrefix: `docs-${randomUUID().slice(0, 6)}-`, documents });
}

/** What the document store holds for the account: each stored document's SHA-256, and any leftover file. */
async function stored(seller: Seller) {
  const { rows } = await own.bench.pool.query(
    `SELECT external_id, sha256, storage_path FROM documents WHERE account_id = $1 AND sha256 IS NOT NULL
      ORDER BY external_id`,
    [seller.accountId],
  );
  const files = rows.length ? await readdir(path.dirname(rows[0].storage_path)) : [];
  const hashes = await Promise.all(
    rows.map(async (row) => ({
      documentId: row.external_id,
      sha256: row.sha256,
      file: sha(await readFile(row.storage_path)),
    })),
  );
  return { hashes, files: files.sort() };
}

it('a document that takes 30 s to transfer (slow but steady) is stored, its SHA-256 that of the bytes served', async () => {
  const seller = await sellerWithDocuments(['SLOW-1']);
  await own.bench.sim.addFault({
    kind: 'trickle',
    ms: 30_000,
    sellerId: seller.accountId,
    operation: 'document-content',
  });
  const envelope = own.bench.envelope('document.download', seller);

  const handle = await own.bench.start(envelope);

  const digest = sha(contentOf('SLOW-1'));
  expect(await handle.result()).toEqual({ downloaded: [{ documentId: 'SLOW-1', sha256: digest }] });
  expect((await lastAttempt(own.bench, handle.workflowId, 'downloadDocument')).attempt).toBe(1);
  expect(await stored(seller)).toEqual({
    hashes: [{ documentId: 'SLOW-1', sha256: digest, file: digest }],
    files: ['SLOW-1'],
  });
});

it('a stalled transfer times out on its idle time and the retry stores the document; no partial file stays', async () => {
  const seller = await sellerWithDocuments(['STALL-1']);
  await own.bench.sim.addFault({ kind: 'stall', sellerId: seller.accountId, operation: 'document-content', times: 1 });

  const handle = await own.bench.start(own.bench.envelope('document.download', seller));

  const digest = sha(contentOf('STALL-1'));
  expect(await handle.result()).toEqual({ downloaded: [{ documentId: 'STALL-1', sha256: digest }] });
  // The first attempt was cut off by the stall watchdog (not by the activity's heartbeat timeout).
  expect(await lastAttempt(own.bench, handle.workflowId, 'downloadDocument')).toEqual({
    attempt: 2,
    lastFailure: expect.stringMatching(/STALL-1 cut off after \d+ bytes.*no bytes for 15000 ms/),
  });
  expect(await stored(seller)).toEqual({
    hashes: [{ documentId: 'STALL-1', sha256: digest, file: digest }],
    files: ['STALL-1'],
  });
});

it('a document that fails every attempt does not block the later ones; the run then fails naming it', async () => {
  const seller = await sellerWithDocuments(['A-BAD', 'B-OK', 'C-OK']);
  // Downloads go one by one in document order: the first document's five attempts all get a 503.
  await own.bench.sim.addFault({
    kind: 'error',
    status: 503,
    sellerId: seller.accountId,
    operation: 'document-content',
    times: 5,
  });
  const envelope = own.bench.envelope('document.download', seller);

  await expect((await own.bench.start(envelope)).result()).rejects.toMatchObject({
    cause: {
      type: 'DocumentsNotDownloaded',
      message: expect.stringMatching(/^1 of 3 documents not downloaded: A-BAD \(/),
    },
  });

  expect(await stored(seller)).toEqual({
    hashes: ['B-OK', 'C-OK'].map((documentId) => {
      const digest = sha(contentOf(documentId));
      return { documentId, sha256: digest, file: digest };
    }),
    files: ['B-OK', 'C-OK'],
  });
  // The message's next run downloads only the one still missing.
  const again = await own.bench.execute(own.bench.envelope('document.download', seller));
  expect(again).toEqual({ downloaded: [{ documentId: 'A-BAD', sha256: sha(contentOf('A-BAD')) }] });
});
