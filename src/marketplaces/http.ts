/**
 * The HTTP core every marketplace client shares: a timeout on every call (for streamed bodies, on
 * stalls rather than on the whole transfer), the rate limits taken
 * before it, an `Idempotency-Key` on every mutation, responses parsed against a schema, and every
 * failure classified for Temporal's retry policy (errors.ts). Credentials stay with the marketplace's
 * origin: a redirect is never followed. Answers are read within a size cap as they arrive.
 */
import type { z } from 'zod';
import type { Marketplace } from '../contracts/marketplaces';
import { RATE_LIMIT_HEADER } from './adaptive-limits';
import { cancellationOf, currentCancellation, waitBudget, type WaitBudget } from './call-wait';
import {
  cutOffFailure,
  failureForResponse,
  malformedFailure,
  networkFailure,
  redirectFailure,
  retryAfterMs,
  tooLargeFailure,
  type CallSite,
} from './errors';
import { RATE_LIMITS, type MarketplaceOperation } from './limits';
import type { MarketplaceRateLimiter } from './rate-limiter';

/** A 429 without a usable Retry-After is tried again after this long. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Of an error answer only its reason is read (errors.ts keeps 200 characters): the rest is dropped. */
const ERROR_BODY_MAX_BYTES = 64 * 1024;

export interface MarketplaceCall {
  operation: MarketplaceOperation;
  accountId: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to the marketplace's base URL, query string included. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Required on every mutation: the marketplace applies one key once. */
  idempotencyKey?: string;
}

export interface HttpCoreOptions {
  marketplace: Marketplace;
  baseUrl: string;
  timeoutMs: number;
  rateLimiter: MarketplaceRateLimiter;
  /** The largest JSON answer read (MARKETPLACE_MAX_JSON_BYTES). */
  maxJsonBytes: number;
  /** The largest streamed answer, a document (DOCUMENT_MAX_BYTES). */
  maxDocumentBytes: number;
}

export class MarketplaceHttp {
  constructor(private readonly options: HttpCoreOptions) {}

  get marketplace(): Marketplace {
    return this.options.marketplace;
  }

  /** Sends a call and returns the successful response; the timeout covers reading its (small) body too. */
  send(call: MarketplaceCall): Promise<Response> {
    return this.request(call, () => AbortSignal.timeout(this.options.timeoutMs));
  }

  /**
   * Sends a call whose body is streamed (a document): it times out when the answer's headers take
   * longer than `timeoutMs`, or when no bytes arrive for `timeoutMs`, never on the transfer's total
   * length, so a large document from a slow but steady server is stored, and a stalled one fails.
   * An answer over `maxDocumentBytes` fails at once when its Content-Length says so, else its body
   * errors as soon as more than that has come.
   */
  async stream(call: MarketplaceCall): Promise<Response> {
    const watchdog = new StallWatchdog(this.options.timeoutMs);
    let response: Response;
    try {
      response = await this.request(call, () => watchdog.start('no answer'));
    } catch (error) {
      watchdog.stop();
      throw error;
    }
    const cap = { setting: 'DOCUMENT_MAX_BYTES', bytes: this.options.maxDocumentBytes };
    const tooLarge = () => {
      watchdog.stop();
      return tooLargeFailure(this.site(call), 'answer', cap);
    };
    if (!response.body) {
      watchdog.stop();
      return response;
    }
    if (announcedLength(response) > cap.bytes) {
      await discard(response);
      throw tooLarge();
    }
    const body = capped(watchdog.watch(response.body), cap.bytes, tooLarge);
    return new Response(body, { status: response.status, headers: response.headers });
  }

  /**
   * Sends a call and returns the successful response with its body unread. Our own limiter's turn
   * and a 429's Retry-After are waited out here, heartbeating, and the call is sent again, within the
   * activity's wait budget (call-wait.ts); what the marketplace says about its limits adjusts them
   * (adaptive-limits.ts). `signal` gives each request its own abort signal.
   */
  private async request(call: MarketplaceCall, signal: () => AbortSignal): Promise<Response> {
    const budget = waitBudget(this.options.timeoutMs);
    for (;;) {
      const outcome = await this.attempt(call, budget, signal);
      if (outcome instanceof Response) return outcome;
      const { failure, retryAfter } = outcome;
      if (!budget.retriesRateLimits || !budget.allows(retryAfter)) throw failure;
      await budget.wait(retryAfter);
    }
  }

  /** One request: the response, or a 429 to wait out (anything else is thrown). */
  private async attempt(
    call: MarketplaceCall,
    budget: WaitBudget,
    signal: () => AbortSignal,
  ): Promise<Response | { failure: Error; retryAfter: number }> {
    const site = this.site(call);
    const bucket = { marketplace: this.options.marketplace, operation: call.operation, accountId: call.accountId };
    const { rateLimiter } = this.options;
    const configured = RATE_LIMITS[bucket.marketplace][bucket.operation].perAccount;
    await rateLimiter.acquire(bucket, budget);
    budget.alive();
    const cancellation = currentCancellation();
    // A cancelled activity sends nothing more. A read on its way is aborted; a mutation on its way is
    // not: abandoned, it could still land after the saga's undo, so its answer is awaited (within
    // the call's timeout) and the activity ends cancelled after it (call-wait.ts).
    if (cancellation?.aborted) throw cancellationOf(cancellation, undefined);
    const abortsOnCancel = call.idempotencyKey === undefined ? cancellation : undefined;
    const url = this.url(call.path);
    let response: Response;
    try {
      response = await fetch(url, {
        method: call.method,
        // Followed, the call would go on to the Location with its credentials (errors.ts).
        redirect: 'manual',
        headers: {
          accept: 'application/json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
          ...call.headers,
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: abortsOnCancel ? AbortSignal.any([signal(), abortsOnCancel]) : signal(),
      });
    } catch (error) {
      if (abortsOnCancel?.aborted) throw cancellationOf(abortsOnCancel, error);
      throw networkFailure(site, error);
    }
    rateLimiter.answered(bucket, response.headers.get(RATE_LIMIT_HEADER));
    if (response.ok) return response;
    if (isRedirect(response.status)) {
      await discard(response);
      throw redirectFailure(site, response.status, response.headers.get('location'), url);
    }
    const body = (await textWithin(response, ERROR_BODY_MAX_BYTES).catch(() => undefined)) ?? '';
    const retryAfterHeader = response.headers.get('retry-after');
    const failure = failureForResponse(site, response.status, body, retryAfterHeader);
    if (response.status !== 429) throw failure;
    const retryAfter = retryAfterMs(retryAfterHeader) ?? DEFAULT_RETRY_AFTER_MS;
    rateLimiter.adaptive.rateLimited(bucket, retryAfter, body, configured);
    return { failure, retryAfter };
  }

  /** Sends a call and parses its JSON body against `schema`; anything else is a malformed answer. */
  async json<T>(call: MarketplaceCall, schema: z.ZodType<T>): Promise<T> {
    const site = this.site(call);
    const response = await this.send(call);
    let text: string | undefined;
    try {
      text = await textWithin(response, this.options.maxJsonBytes);
    } catch (error) {
      if (call.idempotencyKey === undefined)
        throw cancellationOf(currentCancellation(), cutOffFailure(site, 'response body cut off', error));
      throw cutOffFailure(site, 'response body cut off', error);
    }
    if (text === undefined) {
      throw tooLargeFailure(site, 'JSON answer', {
        setting: 'MARKETPLACE_MAX_JSON_BYTES',
        bytes: this.options.maxJsonBytes,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw malformedFailure(site, `not JSON (${type}, ${text.length} bytes)`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw malformedFailure(site, `${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}`);
    }
    return result.data;
  }

  private url(path: string): string {
    return `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
  }

  private site(call: MarketplaceCall): CallSite {
    return { marketplace: this.options.marketplace, operation: call.operation, accountId: call.accountId };
  }
}

/** 3xx: with `redirect: 'manual'` fetch hands these back instead of following them. */
const isRedirect = (status: number) => status >= 300 && status < 400;

/** Lets an answer's unread body go; a connection that fails meanwhile changes nothing about the call's failure. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** The Content-Length the answer announces; 0 when it announces none (chunked). */
function announcedLength(response: Response): number {
  return Number(response.headers.get('content-length')) || 0;
}

/**
 * An answer's text, read as it arrives and never more than `maxBytes` of it: undefined, and the rest
 * cancelled, once the answer announces or brings more, so an endless answer ends here rather than in
 * memory. A body that breaks off throws, as `text()` would.
 */
async function textWithin(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return '';
  if (announcedLength(response) > maxBytes) {
    await discard(response);
    return undefined;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new TextDecoder().decode(Buffer.concat(chunks, length));
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

/** The body passed on until more than `maxBytes` have come; then it errors with `tooLarge()` and the rest is cancelled. */
function capped(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error): ReadableStream<Uint8Array> {
  let length = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        length += chunk.byteLength;
        if (length > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Aborts a streamed call that stalls: first while waiting for the answer, then whenever `idleMs`
 * pass without a byte of the body. The abort errors the body stream, and the reader sees a cut-off.
 */
class StallWatchdog {
  private controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {}

  /** A fresh signal per request: one that fired while a 429 was waited out must not cut the next. */
  start(waitingFor: string): AbortSignal {
    this.controller = new AbortController();
    this.arm(waitingFor);
    return this.controller.signal;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The body, re-armed by each chunk; the timer stops when it ends (or its reader cancels it). */
  watch(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    this.arm('no bytes');
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          this.arm('no bytes');
          controller.enqueue(chunk);
        },
        flush: () => this.stop(),
      }),
    );
  }

  private arm(waitingFor: string): void {
    clearTimeout(this.timer);
    const stalled = new Error(`${waitingFor} for ${this.idleMs} ms`);
    stalled.name = 'TimeoutError';
    this.timer = setTimeout(() => this.controller.abort(stalled), this.idleMs);
    // A reader that walked away must not keep the process alive for the watchdog's sake.
    this.timer.unref();
  }
}
