/**
 * Admin sign-in in a real browser (chromium through playwright-core, as seller-page.test.ts): the
 * session cookie is not the token, the board and the seller page work under the Content Security
 * Policy, signing out ends the session, forged and expired cookies are refused, wrong tokens are
 * throttled per client address. The role trusts X-Forwarded-* from loopback (ADMIN_TRUST_PROXY), so
 * each browser context plays a client of its own behind a TLS-terminating proxy by sending them.
 */
import { createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedAccount } from '../../scripts/harness/accounts';
import { SWEEPS } from '../../src/sweeps/registry';
import { launchChromium, saveScreenshot } from '../support/browser';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';

// The first chromium launch is slow on two cores.
jest.setTimeout(120_000);

const token = randomBytes(32).toString('base64url');
const HOUR_MS = 60 * 60 * 1_000;

let t: IsolatedEnvironment;
let role: RoleProcess;
let base: string;
let browser: Browser;

beforeAll(async () => {
  [t, browser] = await Promise.all([isolatedEnvironment(), launchChromium()]);
  role = startRole('admin-worker', {
    ...t.env,
    REDIS_KEY_PREFIX: `test-admin-session-${randomUUID().slice(0, 8)}`,
    ADMIN_TOKEN: token,
    ADMIN_TRUST_PROXY: 'loopback',
    ADMIN_PORT: '0',
  });
  base = `http://127.0.0.1:${await loggedPort(role, 'admin server listening')}`;
});

afterAll(async () => {
  if (role && role.child.exitCode === null) role.child.kill('SIGKILL');
  await browser?.close();
  await t?.cleanup();
});

/** A browser of its own, seen by the server as `client` (X-Forwarded-For from the trusted loopback proxy). */
async function clientBrowser(client: string): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': client } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return { context, page, violations };
}

/** Submits the sign-in form and answers the status of the POST. */
async function signIn(page: Page, value: string): Promise<{ status: number; retryAfter: string | null }> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Admin token').fill(value);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState();
  return { status: response.status(), retryAfter: await response.headerValue('retry-after') };
}

/** A session cookie value made from the documented format, not by the server: HMAC-SHA256 keyed by HKDF(token). */
function sessionSignedWith(secret: string, expiresAt: number): string {
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'seller-workflows admin session v1', 32));
  const payload = `${randomBytes(16).toString('base64url')}.${expiresAt}`;
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

const statusWithCookie = async (value: string) =>
  (await fetch(`${base}/`, { headers: { cookie: `admin_session=${value}` } })).status;

describe('admin sign-in in a browser', () => {
  it('signs in with a session cookie that is not the token, and Bull Board renders under the CSP', async () => {
    const { context, page, violations } = await clientBrowser('203.0.113.10');
    expect((await signIn(page, token)).status).toBe(303);
    const cookies = await context.cookies(base);
    expect(cookies.map(({ name, httpOnly, sameSite }) => ({ name, httpOnly, sameSite }))).toEqual([
      { name: 'admin_session', httpOnly: true, sameSite: 'Strict' },
    ]);
    expect(cookies[0]!.value).not.toContain(token);
    // About 8 h from now (the cookie's expiry is in seconds).
    expect(cookies[0]!.expires * 1_000 - Date.now()).toBeGreaterThan(8 * HOUR_MS - 60_000);
    expect(cookies[0]!.expires * 1_000 - Date.now()).toBeLessThanOrEqual(8 * HOUR_MS);

    // Bull Board's scripts ran: the React app replaced "Loading" with the queues.
    const response = await page.goto(`${base}/`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    for (const sweep of SWEEPS) await page.getByText(sweep.name, { exact: true }).first().waitFor();
    await page.getByText('Loading').first().waitFor({ state: 'detached', timeout: 20_000 });
    // Each queue twice, in the menu and as a card of counts: its fetch of /api/queues was let through.
    for (const sweep of SWEEPS) expect(await page.getByText(sweep.name, { exact: true }).count()).toBe(2);
    await saveScreenshot(page, 'admin-bull-board-under-csp');
    // The policy is enforced: Google Fonts, the one thing it refuses, was refused, and nothing else was.
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.filter((text) => !text.includes('https://fonts.googleapis.com/'))).toEqual([]);
    // An inline script, as an injection would add, does not run.
    expect(
      await page.evaluate(`(() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.body.append(script);
        return window.injected === true;
      })()`),
    ).toBe(false);
    await context.close();
  });

  it('shows the seller page, then signing out there ends the session, in the browser and on the server', async () => {
    await seedAccount(t.deps.pool, t.config, { id: 'session-acct', sellerId: 'session-seller', marketplace: 'amazon' });
    const { context, page, violations } = await clientBrowser('203.0.113.11');
    expect((await signIn(page, token)).status).toBe(303);
    const [session] = await context.cookies(base);
    // Signing in lands on Bull Board, whose Google Fonts were refused; the seller page must need nothing refused.
    violations.length = 0;
    await page.goto(`${base}/sellers/session-acct`);
    expect(await page.locator('h1').innerText()).toBe('Seller session-seller: Seller session-seller');
    expect(await page.locator('body').innerText()).toContain('Matched by account id session-acct');
    expect(violations).toEqual([]);

    await Promise.all([page.waitForURL(`${base}/login`), page.getByRole('button', { name: 'Sign out' }).click()]);
    expect(await context.cookies(base)).toEqual([]);
    expect((await page.goto(`${base}/sellers/session-acct`))?.status()).toBe(401);
    await expect(page.getByLabel('Admin token').count()).resolves.toBe(1);
    // A copy of the cookie kept from before is refused too: the server ended the session.
    expect(await statusWithCookie(session!.value)).toBe(401);
    await context.close();
  });

  it('refuses a forged, an expired and another token’s cookie, and takes one made as documented', async () => {
    const { context, page } = await clientBrowser('203.0.113.12');
    const cookie = (value: string) => ({ name: 'admin_session', value, url: base, httpOnly: true });
    await context.addCookies([cookie(sessionSignedWith(token, Date.now() + HOUR_MS))]);
    // The construction is right: without this, the refusals below would prove nothing.
    expect((await page.goto(`${base}/`))?.status()).toBe(200);
    for (const forged of [
      sessionSignedWith(token, Date.now() - 1_000),
      sessionSignedWith(randomBytes(32).toString('base64url'), Date.now() + HOUR_MS),
      'guess',
      token,
    ]) {
      await context.clearCookies();
      await context.addCookies([cookie(forged)]);
      const response = await page.goto(`${base}/`);
      expect({ forged, status: response?.status() }).toEqual({ forged, status: 401 });
      await expect(page.getByLabel('Admin token').count()).resolves.toBe(1);
    }
    await context.close();
  });

  it('throttles an address after 5 wrong tokens in a minute, the right one too, 429 with Retry-After; others still sign in', async () => {
    const { context, page } = await clientBrowser('203.0.113.13');
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect({ attempt, ...(await signIn(page, `wrong-${attempt}`)) }).toEqual({
        attempt,
        status: 401,
        retryAfter: null,
      });
      await expect(page.getByText('Wrong token.').count()).resolves.toBe(1);
    }
    for (const value of ['wrong-6', token]) {
      const { status, retryAfter } = await signIn(page, value);
      expect(status).toBe(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(await page.locator('body').innerText()).toContain(`try again in ${retryAfter} s`);
    }
    expect(await context.cookies(base)).toEqual([]);
    await context.close();

    const other = await clientBrowser('203.0.113.14');
    expect((await signIn(other.page, token)).status).toBe(303);
    await other.context.close();
  });

  it('will not be framed: frame-ancestors none', async () => {
    const { context, page } = await clientBrowser('203.0.113.15');
    const refused = page.waitForEvent('console', (message) => message.text().includes("frame-ancestors 'none'"));
    await page.setContent(`<iframe src="${base}/login"></iframe>`);
    await refused;
    expect(await page.frames()[1]?.locator('input[name="token"]').count()).toBe(0);
    await context.close();
  });

  it('sets the cookie Secure when the trusted proxy says the request came over TLS, with the headers on every answer', async () => {
    const signInOver = (proto: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        body: new URLSearchParams({ token }),
        headers: { 'x-forwarded-proto': proto, 'x-forwarded-for': '203.0.113.16' },
        redirect: 'manual',
      });
    expect((await signInOver('https')).headers.getSetCookie()[0]).toMatch(/; Secure/);
    expect((await signInOver('http')).headers.getSetCookie()[0]).not.toMatch(/; Secure/);
    for (const path of ['/login', '/', '/sellers', '/api/queues']) {
      const response = await fetch(`${base}${path}`);
      expect({
        path,
        csp: response.headers.get('content-security-policy'),
        frame: response.headers.get('x-frame-options'),
        sniff: response.headers.get('x-content-type-options'),
        referrer: response.headers.get('referrer-policy'),
      }).toEqual({
        path,
        csp: expect.stringMatching(/^default-src 'self'; script-src 'self'; .*frame-ancestors 'none'$/),
        frame: 'DENY',
        sniff: 'nosniff',
        referrer: 'no-referrer',
      });
    }
  });
});
