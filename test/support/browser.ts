/**
 * Debian's chromium driven by playwright-core, which downloads no browser of its own
 * (`scripts/prepare-local.ts` installs the Debian package).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DATA_DIR } from '../../scripts/stack/paths';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots the tests keep, under the git-ignored `.data/`. */
export const ARTIFACTS_DIR = path.join(DATA_DIR, 'artifacts');

const CHROMIUM_ARGS = [
  // We run as root, where chromium's sandbox cannot start; there is no GPU either.
  '--no-sandbox',
  '--disable-gpu',
  // The network is closed: chromium's own calls home (QUIC, component updates, sync) get refused
  // connections that slow the browser down or fail it.
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless, with a fresh temporary profile that playwright deletes on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** How much taller than the viewport the page's visible scroll containers' content is. */
const HIDDEN_HEIGHT = `Math.max(0, ...Array.from(document.querySelectorAll('*'))
  .filter((e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
  .filter((e) => e.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
  .map((e) => e.scrollHeight - e.clientHeight))`;

/**
 * A screenshot of the whole page. Apps that scroll inside a full-height container (the Temporal UI
 * does) leave `fullPage` at the viewport's height, so the viewport grows by what is scrolled away.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  const viewport = page.viewportSize();
  if (!viewport) throw new Error('the page has no fixed viewport to grow');
  // A string, evaluated in the page: the project's TypeScript has no DOM types.
  const hidden = await page.evaluate<number>(HIDDEN_HEIGHT);
  await page.setViewportSize({ width: viewport.width, height: Math.min(viewport.height + hidden, 10_000) });
  try {
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await page.setViewportSize(viewport);
  }
  return file;
}
