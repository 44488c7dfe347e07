/**
 * Document downloads: streamed to the document store through a SHA-256 hash, heartbeating as bytes
 * arrive (a stalled download times out on its heartbeat, not after the whole start-to-close), written
 * to a temporary name and renamed, so a half-written file never carries the final name.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { documentsToDownload, recordDownloadedDocument } from '../db/marketplace-data';
import type { Marketplace } from '../queues/inventory';
import { forAccount } from './account-guard';
import type { ActivityDeps } from './deps';

/** A marketplace's document id becomes a file name: nothing that could leave the account's folder. */
const SAFE_DOCUMENT_ID = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,128}$/;

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
      if (!SAFE_DOCUMENT_ID.test(input.documentId)) {
        throw ApplicationFailure.nonRetryable(
          `document id ${JSON.stringify(input.documentId)} is not safe as a file name`,
          'InvalidDocumentId',
        );
      }
      const folder = path.join(deps.documentStoreDir, input.marketplace, input.accountId);
      const storagePath = path.join(folder, input.documentId);
      await mkdir(folder, { recursive: true });
      const body = await forAccount(deps, input.accountId, () =>
        deps.marketplaces.clients[input.marketplace].documentContent(input.accountId, input.documentId),
      );
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
      const partial = `${storagePath}.part`;
      await pipeline(
        Readable.fromWeb(body as import('node:stream/web').ReadableStream),
        hashing,
        createWriteStream(partial),
      );
      await rename(partial, storagePath);
      const sha256 = hash.digest('hex');
      await recordDownloadedDocument(deps.pool, { ...input, sha256, storagePath });
      return { sha256, bytes };
    },
  };
}
