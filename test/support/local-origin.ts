/**
 * A tiny HTTP server of the test's own on an ephemeral port: another origin than the marketplace
 * (where a redirect points), or a marketplace that answers what the test writes. It records every
 * request it gets, headers and body, so a test can tell whether a credential reached it, and how each
 * answer ended (sent whole, or the client hung up first).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface AnswerEnd {
  /** Bytes of the body written before the answer ended. */
  written: number;
  /** The client closed the connection before the whole answer was sent. */
  closedByClient: boolean;
}

export interface LocalOrigin {
  url: string;
  requests: ReceivedRequest[];
  /** How each answer ended, in the order they ended. */
  ends: AnswerEnd[];
  close: () => Promise<void>;
}

/** Answers a request; `count` adds written body bytes to the answer's tally. */
export type LocalHandler = (request: ReceivedRequest, res: ServerResponse, count: (bytes: number) => void) => void;

/** By default, a 200 JSON answer that would do for any call (a token, a page, a listing read). */
const ANSWER_ANYTHING: LocalHandler = (_request, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: 'from-elsewhere', expires_in: 3600, items: [], sellerId: 'elsewhere' }));
};

export async function startLocalOrigin(handle: LocalHandler = ANSWER_ANYTHING): Promise<LocalOrigin> {
  const requests: ReceivedRequest[] = [];
  const ends: AnswerEnd[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      let written = 0;
      res.on('close', () => ends.push({ written, closedByClient: !res.writableFinished }));
      handle(request, res, (bytes) => (written += bytes));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    ends,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `piece` again and again, minding backpressure, until the client hangs up: an endless body.
 * Never ends the answer itself.
 */
export function writeForever(res: ServerResponse, piece: Buffer, count: (bytes: number) => void): void {
  const pump = () => {
    while (!res.destroyed) {
      count(piece.length);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
