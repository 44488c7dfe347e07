/**
 * The admin role's seller page in a real browser (chromium): sign in with the token, type a seller's
 * id, and see what test/support/stuck-seller.ts seeded — the workflow stuck on a 429, its dead letters
 * (one parked), the flagged claim, the saga needing attention, the used-up rate-limit bucket — with the
 * seller's display name and a failure reason full of markup shown as text. The screenshot is kept in
 * `.data/artifacts/admin-seller-page.png`. The page reads no SQS queue: no SQS server to vary.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, saveScreenshot } from '../support/browser';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';
import { HOSTILE_NAME, HOSTILE_REASON, seedStuckSeller, untilStuck, type StuckSeller } from '../support/stuck-seller';
import { WorkflowBench } from '../support/workflow-bench';

// The first chromium launch is slow on two cores.
jest.setTimeout(120_000);

const token = randomBytes(32).toString('base64url');

let bench: WorkflowBench;
let seeded: StuckSeller;
let role: RoleProcess;
let base: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [bench, browser] = await Promise.all([WorkflowBench.create(), launchChromium()]);
  seeded = await seedStuckSeller(bench);
  await untilStuck(bench, seeded);
  role = startRole('admin-worker', { ...bench.t.env, ADMIN_TOKEN: token, ADMIN_PORT: '0', LOG_LEVEL: 'info' });
  base = `http://127.0.0.1:${await loggedPort(role, 'admin server listening')}`;
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
});

afterAll(async () => {
  if (role && role.child.exitCode === null) role.child.kill('SIGKILL');
  await browser?.close();
  await bench?.close();
});

const section = (id: string) => page.locator(`section#${id}`);

describe('the seller page', () => {
  it('refuses a visitor without the token: the sign-in form, none of the seller', async () => {
    const response = await page.goto(`${base}/sellers/${seeded.sellerId}`);
    expect(response?.status()).toBe(401);
    await expect(page.getByLabel('Admin token').count()).resolves.toBe(1);
    expect(await page.content()).not.toContain(seeded.expected.workflowId);
    const script = await fetch(`${base}/sellers/${seeded.sellerId}`, { headers: { accept: 'application/json' } });
    expect(script.status).toBe(401);
  });

  it('after signing in, shows the seller typed into the form with everything that holds it up', async () => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Admin token').fill(token);
    await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()]);

    await page.goto(`${base}/sellers`);
    await page.getByLabel('Seller or account id').fill(seeded.sellerId);
    await Promise.all([
      page.waitForURL(`${base}/sellers/${seeded.sellerId}`),
      page.getByRole('button', { name: 'Show' }).click(),
    ]);

    // The display name's markup is text: no image, no bold, the title untouched by its onerror.
    expect(await page.locator('h1').innerText()).toBe(`Seller ${seeded.sellerId}: ${HOSTILE_NAME}`);
    expect(await page.locator('h1 img, h1 b, script').count()).toBe(0);
    expect(await page.title()).toBe(`Seller ${seeded.sellerId}`);

    const { expected, stuck, reauth, cooling } = seeded;
    const accounts = await section('accounts').innerText();
    for (const id of expected.accountIds) expect(accounts).toContain(id);
    expect(accounts).toMatch(new RegExp(`${reauth.accountId}.*needs re-authorisation.*EXPIRED`));

    const workflows = await section('open-workflows').innerText();
    expect(workflows).toContain(expected.workflowId);
    expect(workflows).toMatch(
      new RegExp(`${stuck.accountId}[\\s\\S]*syncOrders \\(scheduled\\)\\s+2\\s+\\d{4}-[\\s\\S]*HTTP 429`),
    );

    const letters = await section('dead-letters').innerText();
    for (const letter of expected.deadLetters) expect(letters).toContain(`key-${letter.sourceMessageId}`);
    expect(letters).toMatch(new RegExp(`parked\\s+account-sync\\s+account.sync\\s+${reauth.accountId}`));
    expect(letters).toContain(HOSTILE_REASON);

    expect(await section('flagged-claims').innerText()).toContain(expected.flaggedClaimKeys[0]);
    expect(await section('sagas-needing-attention').innerText()).toContain(expected.sagaWorkflowIds[0]);
    expect(await section('rate-limit-cooldowns').innerText()).toMatch(
      new RegExp(`${cooling.accountId}\\s+amazon orders\\s+20/20`),
    );
    // The other seller's rows are not this seller's.
    expect(await page.locator('body').innerText()).not.toContain(seeded.other.accountId);

    await saveScreenshot(page, 'admin-seller-page');
  });

  it('finds the seller from one of its accounts, and says it matched an account', async () => {
    await page.goto(`${base}/sellers/${seeded.cooling.accountId}`);
    expect(await page.locator('h1').innerText()).toBe(`Seller ${seeded.sellerId}: ${HOSTILE_NAME}`);
    expect(await page.locator('body').innerText()).toContain(`Matched by account id ${seeded.cooling.accountId}`);
  });

  it('answers a hostile id 400 and an unknown one 404, as text', async () => {
    const hostile = '<script>document.title="pwned"</script>';
    const refused = await page.goto(`${base}/sellers/${encodeURIComponent(hostile)}`);
    expect(refused?.status()).toBe(400);
    expect(await page.locator('body').innerText()).toContain(
      `${JSON.stringify(hostile)} is not a seller or account id`,
    );
    expect(await page.locator('script').count()).toBe(0);
    const unknown = await page.goto(`${base}/sellers/no_such_seller`);
    expect(unknown?.status()).toBe(404);
    expect(await page.locator('body').innerText()).toContain('no seller or account has the id no_such_seller');
  });

  it('is read-only: nothing but GET answers under /sellers', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await fetch(`${base}/sellers/${seeded.sellerId}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }
  });
});
