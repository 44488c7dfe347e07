/**
 * Document downloads: streamed to the document store through a SHA-256 hash, heartbeating as bytes
 * arrive. A transfer that stalls (no answer, or no bytes, for MARKETPLACE_TIMEOUT_MS) is cut off and
 * retried; a slow but steady one runs as long as it needs (http.ts `stream`), up to DOCUMENT_MAX_BYTES
 * (a larger one fails for good). Each attempt writes to a temporary name of its own
 * (`.part-<attempt>`, removed when it fails) and renames it, so a half-written file never carries
 * the final name.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { DOCUMENT_FAILURES, MARKETPLACE_FAILURES } from '../contracts/failures';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { documentsToDownload, recordDownloadedDocument, upsertDocuments } from '../db/marketplace-data';
import type { ReadItem } from '../contracts/marketplace-records';
import { cutOffFailure, isFailureOfType } from '../marketplaces/errors';
import type { Marketplace } from '../contracts/marketplaces';
import { forAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';

/** A marketplace's document id becomes a file name: nothing that could leave the account's folder. */
const SAFE_DOCUMENT_ID = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,128}$/;

/** Why a document id cannot be a file name; undefined when it can. */
function unsafeDocumentId(documentId: string): string | undefined {
  return SAFE_DOCUMENT_ID.test(documentId)
    ? undefined
    : `document id ${JSON.stringify(documentId)} is not safe as a file name`;
}

/**
 * Stores a page of a marketplace's document list. One listed under an unsafe id is recorded as
 * rejected, with the reason, and never downloaded: it must not fail every later run of the account,
 * nor keep its other documents waiting.
 */
export function storeDocumentList(pool: Pool, accountId: string, documents: ReadItem<'documents'>[]) {
  return upsertDocuments(
    pool,
    accountId,
    documents.map((document) => ({ ...document, rejectedReason: unsafeDocumentId(document.documentId) })),
  );
}

/** `<document id>.part-<attempt>`: an attempt's file until its bytes are all in and hashed. */
const PARTIAL_SUFFIX = '.part-';

/** Partial files an earlier attempt left behind (its worker died mid-transfer): the document is stored now. */
async function removeStalePartials(folder: string, documentId: string): Promise<void> {
  const stale = (await readdir(folder)).filter((name) => name.startsWith(`${documentId}${PARTIAL_SUFFIX}`));
  await Promise.all(stale.map((name) => rm(path.join(folder, name), { force: true })));
}

export interface DownloadInput {
  accountId: string;
  marketplace: Marketplace;
  documentId: string;
}

export function documentActivities(deps: ActivityDeps) {
  return {
    documentsToDownload: (input: { accountId: string; limit: number }) =>
      documentsToDownload(deps.pool, input.accountId, input.limit),

    async downloadDocument(input: DownloadInput): Promise<{ sha256: string; bytes: number }> {
      const unsafe = unsafeDocumentId(input.documentId);
      if (unsafe) throw ApplicationFailure.nonRetryable(unsafe, DOCUMENT_FAILURES.invalidId);
      const body = await forAccount(deps, input.accountId, () =>
        deps.marketplaces.clients[input.marketplace].documentContent(input.accountId, input.documentId),
      );
      const folder = path.join(deps.documentStoreDir, input.marketplace, input.accountId);
      const storagePath = path.join(folder, input.documentId);
      await mkdir(folder, { recursive: true });
      // Each attempt writes its own file: a late write of an attempt that timed out never mixes in.
      const partial = `${storagePath}${PARTIAL_SUFFIX}${Context.current().info.attempt}`;
      const { sha256, bytes } = await streamToFile(input, body, partial);
      await rename(partial, storagePath);
      await removeStalePartials(folder, input.documentId);
      await recordDownloadedDocument(deps.pool, { ...input, sha256, storagePath });
      return { sha256, bytes };
    },
  };
}

/**
 * Streams a document's bytes to `partial` through a SHA-256, heartbeating as they arrive. A body
 * that breaks off (the connection dropped before its Content-Length) leaves no partial file behind
 * and fails, for a retry, saying how far it got; one over DOCUMENT_MAX_BYTES leaves none either and
 * fails as that, for good.
 */
async function streamToFile(
  input: DownloadInput,
  body: ReadableStream<Uint8Array>,
  partial: string,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const context = Context.current();
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      context.heartbeat({ bytes });
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(body as import('node:stream/web').ReadableStream),
      hashing,
      createWriteStream(partial),
    );
  } catch (error) {
    await rm(partial, { force: true });
    if (isFailureOfType(error, MARKETPLACE_FAILURES.responseTooLarge)) throw error;
    const site = { marketplace: input.marketplace, operation: 'document-content', accountId: input.accountId };
    throw cutOffFailure(site, `document ${input.documentId} cut off after ${bytes} bytes`, error);
  }
  return { sha256: hash.digest('hex'), bytes };
}
