import { setTimeout as sleep } from 'node:timers/promises';
/** The simulator's plumbing between node:http and its handlers, which only deal in `Answer`s. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A complete HTTP answer, kept as data so the idempotency cache can store and replay it. */
export interface Answer {
  status: number;
  /** Serialised as JSON, unless `raw` is set. */
  body?: unknown;
  raw?: { bytes: Buffer | string; contentType: string };
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body,
  headers,
});
export const failure = (status: number, error: string): Answer => json(status, { error });

/** A request body the handlers can look at: `ok: false` means it was not valid JSON (or form data). */
export type ParsedBody = { ok: true; value: unknown } | { ok: false };

/** A caller mistake that becomes a 400 with this message. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export const MAX_BODY_BYTES = 1 << 20;

/** Reads the whole body; `undefined` when it is larger than `MAX_BODY_BYTES`. */
export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining past the limit, so the client gets our 413 rather than a reset.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * JSON bodies, plus form-encoded ones because real token endpoints (LWA) take those. An empty
 * body parses to `undefined`.
 */
export function parseBody(bytes: Buffer, contentType: string | undefined): ParsedBody {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function payloadOf(answer: Answer): { bytes: Buffer; contentType: string } | undefined {
  const raw =
    answer.raw ??
    (answer.body === undefined ? undefined : { bytes: JSON.stringify(answer.body), contentType: 'application/json' });
  return raw && { bytes: Buffer.from(raw.bytes), contentType: raw.contentType };
}

/** Headers for the whole answer, Content-Length included; `undefined` when there is nobody to answer. */
function writeHead(res: ServerResponse, answer: Answer) {
  // A client that went away (or a connection we dropped on purpose) needs no answer.
  if (res.destroyed || res.headersSent) return undefined;
  const payload = payloadOf(answer);
  res.writeHead(answer.status, {
    ...answer.headers,
    ...(payload ? { 'content-type': payload.contentType, 'content-length': payload.bytes.length } : {}),
  });
  return { bytes: payload?.bytes ?? Buffer.alloc(0) };
}

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  const head = writeHead(res, answer);
  if (head) res.end(head.bytes);
}

/**
 * A transport fault: announces the whole answer (status, Content-Length) but sends only the first
 * half of its body, then drops the connection, as a proxy or a server dying mid-answer would.
 */
export function writeTruncatedAnswer(res: ServerResponse, answer: Answer): void {
  const head = writeHead(res, answer);
  if (!head) return;
  res.write(head.bytes.subarray(0, Math.floor(head.bytes.length / 2)), () => res.destroy());
}

/** How often a trickled answer sends its next slice. */
const TRICKLE_SLICE_MS = 250;

/**
 * A slow but steady answer (a large document from a busy server): the body in even slices over `ms`,
 * one every TRICKLE_SLICE_MS, then the end. Stops (dropping the connection) when `signal` aborts.
 */
export async function writeTrickledAnswer(
  res: ServerResponse,
  answer: Answer,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  const head = writeHead(res, answer);
  if (!head) return;
  const slices = Math.max(1, Math.ceil(ms / TRICKLE_SLICE_MS));
  const sliceBytes = Math.ceil(head.bytes.length / slices);
  try {
    for (let offset = 0; offset < head.bytes.length && !res.destroyed; offset += sliceBytes) {
      res.write(head.bytes.subarray(offset, offset + sliceBytes));
      await sleep(ms / slices, undefined, { signal });
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/**
 * A stalled transfer: announces the whole answer, sends the first half of its body, then sends
 * nothing more and keeps the connection open, until the client gives up (or the simulator stops).
 */
export function writeStalledAnswer(res: ServerResponse, answer: Answer): void {
  const head = writeHead(res, answer);
  if (head) res.write(head.bytes.subarray(0, Math.floor(head.bytes.length / 2)));
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

export const isIsoDate = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** One header's value, whether node gave us a string or (for repeated headers) an array. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
