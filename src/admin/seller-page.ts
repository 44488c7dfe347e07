/**
 * The seller page of the admin app: `GET /sellers` (a form to type an id) and `GET /sellers/:id`,
 * "why is this seller stuck?" as HTML (src/observability/seller-status.ts). GET only: it changes
 * nothing. Every value from data goes through the `html` tag, which escapes it, so a display name or
 * a failure message that holds markup shows as text.
 */
import express, { type Router } from 'express';
import {
  InvalidSellerIdError,
  UnknownSellerError,
  type Section,
  type SellerStatus,
} from '../observability/seller-status';
import type { Logger } from '../platform/logger';
import { escapeHtml, SIGN_OUT_FORM } from './html';

/** Markup already made safe; anything else interpolated into `html` is escaped. */
class Html {
  constructor(readonly text: string) {}
}

function piece(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value instanceof Date) return escapeHtml(value.toISOString());
  return value === null || value === undefined ? '' : escapeHtml(String(value));
}

function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, text, i) => out + text + (i < values.length ? piece(values[i]) : ''), ''));
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.3rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.unavailable{color:#a00;font-weight:bold}.bad{color:#a00}.none{color:#777}
section h2{font-size:1.1rem;margin:1rem 0 .2rem}pre{white-space:pre-wrap;margin:0;max-width:60rem}`;

function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title}</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <form method="get" action="/sellers">
          <label
            >Seller or account id <input name="id" required maxlength="64" pattern="[A-Za-z0-9_\\-]{1,64}"
          /></label>
          <button type="submit">Show</button>
        </form>
        ${new Html(SIGN_OUT_FORM)} ${body}
      </body>
    </html> `.text;
}

function table<T>(title: string, section: Section<T[]>, headers: string[], row: (item: T) => unknown[]): Html {
  const id = title.toLowerCase().replace(/[^a-z]+/g, '-');
  if (!section.ok) {
    return html`<section id="${id}">
      <h2>${title}</h2>
      <p class="unavailable">unavailable: ${section.unavailable}</p>
    </section>`;
  }
  if (section.value.length === 0)
    return html`<section id="${id}">
      <h2>${title}</h2>
      <p class="none">none</p>
    </section>`;
  return html`<section id="${id}">
    <h2>${title} (${section.value.length})</h2>
    <table>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
      ${section.value.map(
        (item) =>
          html`<tr>
            ${row(item).map((cell) => html`<td>${cell}</td>`)}
          </tr> `,
      )}
    </table>
  </section>`;
}

const flag = (on: boolean, text: string) => (on ? html`<span class="bad">${text}</span>` : '');

function statusBody(status: SellerStatus): Html {
  const who = status.seller
    ? html`<h1>Seller ${status.seller.id}: ${status.seller.displayName}</h1>
        <p>Matched by ${status.matched} id <code>${status.asked}</code>; read at ${status.readAt}.</p>`
    : html`<h1>${status.asked}</h1>
        <p class="unavailable">PostgreSQL did not answer: read as an account id.</p>`;
  return html`${who}
  ${table('Accounts', status.accounts, ['account', 'marketplace', 'enabled', 'status', 'token expires'], (a) => [
    a.id,
    a.marketplace,
    a.enabled ? 'yes' : flag(true, 'DISABLED'),
    html`${a.status} ${flag(a.needsReauth, 'needs re-authorisation')}`,
    a.token
      ? html`${a.token.expiresAt ?? 'no expiry'} ${flag(a.token.expired, 'EXPIRED')}`
      : flag(true, 'no credentials'),
  ])}
  ${table(
    'Open workflows',
    status.workflows,
    ['workflow', 'type', 'account', 'started', 'pending activity', 'attempt', 'next attempt', 'last failure'],
    (w) => [
      w.workflowId,
      w.workflowType,
      w.accountId,
      w.startedAt,
      w.pendingActivities.map((p) => html`<div>${p.activityType} (${p.state})</div>`),
      w.pendingActivities.map((p) => html`<div>${p.attempt}</div>`),
      w.pendingActivities.map((p) => html`<div>${p.nextAttemptAt ?? '-'}</div>`),
      w.pendingActivities.map((p) => html`<pre>${p.lastFailure ?? ''}</pre>`),
    ],
  )}
  ${table(
    'Dead letters',
    status.deadLetters,
    ['disposition', 'queue', 'message', 'account', 'key', 'dead-lettered', 'reason'],
    (l) => [
      l.disposition === 'parked' ? html`<strong>parked</strong>` : l.disposition,
      l.sourceQueue,
      l.messageType ?? '(not an envelope)',
      l.accountId,
      l.idempotencyKey ?? l.sourceMessageId,
      l.deadLetteredAt,
      html`<pre>${l.reason}</pre>`,
    ],
  )}
  ${table(
    'Flagged claims',
    status.flaggedClaims,
    ['claim', 'queue', 'account', 'unsent since', 'attempts', 'reason'],
    (c) => [c.idempotencyKey, c.queue, c.accountId, c.claimedAt, c.attempts, c.reason ?? c.lastError],
  )}
  ${table('Flagged schedules', status.flaggedSchedules, ['schedule', 'kind', 'account', 'reason'], (s) => [
    s.id,
    s.kind,
    s.accountId,
    s.reason,
  ])}
  ${table('Sagas needing attention', status.sagas, ['workflow', 'saga', 'account', 'failed step', 'reason'], (s) => [
    s.workflowId,
    s.saga,
    s.accountId,
    s.failedStep,
    s.reason,
  ])}
  ${table('Rate-limit cooldowns', status.cooldowns, ['account', 'bucket', 'used', 'next call at'], (c) => [
    c.accountId,
    `${c.marketplace} ${c.operation}`,
    `${c.used}/${c.points}`,
    c.until,
  ])}`;
}

export function sellerRoutes(sellerStatus: (id: string) => Promise<SellerStatus>, log: Logger): Router {
  const router = express.Router();
  router.get('/sellers', (req, res) => {
    const id = req.query.id;
    if (typeof id === 'string' && id !== '') return res.redirect(303, `/sellers/${encodeURIComponent(id)}`);
    res.type('html').send(page('Seller status', html`<p>Type a seller or account id.</p>`));
  });
  router.get('/sellers/:id', (req, res) => {
    sellerStatus(req.params.id).then(
      (status) => res.type('html').send(page(`Seller ${status.asked}`, statusBody(status))),
      (error: unknown) => {
        const [code, shown] =
          error instanceof InvalidSellerIdError
            ? [400, error.message]
            : error instanceof UnknownSellerError
              ? [404, error.message]
              : [503, 'seller status unavailable'];
        if (code === 503) log.warn({ err: error }, 'seller status unavailable');
        res
          .status(code)
          .type('html')
          .send(page('Seller status', html`<p class="unavailable">${shown}</p>`));
      },
    );
  });
  return router;
}
