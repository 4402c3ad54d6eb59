import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type Page } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Every test runs twice (playwright.config.ts): hydrated, and with JavaScript
// disabled (every form posts natively and the server redirects back).
//
// Every test fails on an uncaught page error or a console error, in both
// modes: a panic in the wasm app (which leaves the page looking fine but dead)
// cannot pass unnoticed. A 4xx answer to a server function or API call is the
// app's own business (a form with a field error, say); the browser logs it as a
// failed load, which is not an error of the page.
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const expected4xx =
          /Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text()) &&
          /\/api\//.test(msg.location().url);
        // A transcription that failed: the page says so and keeps the recording.
        const transcription =
          /Failed to load resource: the server responded with a status of [45]\d\d/.test(msg.text()) &&
          /\/brain-dump\/transcribe$/.test(msg.location().url);
        // A test that sets the browser offline sees its requests fail.
        const offline = /net::ERR_INTERNET_DISCONNECTED/.test(msg.text());
        if (!expected4xx && !transcription && !offline) errors.push(`console error: ${msg.text()} (${msg.location().url})`);
      });
      await use(errors);
      expect(errors, 'no page or console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export const hydrated = () => test.info().project.name === 'hydrated';

/** Wait until the client app has taken over the page (hydrated mode only). */
export async function ready(page: Page) {
  if (hydrated()) {
    await page.locator('body[data-hydrated="true"]').waitFor();
  }
}

/**
 * A slow connection, made exact: from now on every piece of the wasm but the
 * main module (the pages' own code, `cargo leptos build --split`) is held
 * back until the returned function is called. The page is there, and
 * hydrates once its piece arrives.
 */
export async function holdPageCode(page: Page): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/chunk_\d+\.wasm$/, async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

/**
 * Check the open page with axe (every rule it has, WCAG 2.1 A and AA and its
 * best practices): no serious or critical violation, each one named with up
 * to three of the elements it found. Hydrated mode only: axe runs as a script
 * in the page, which the no-JS mode forbids (its pages are the same
 * server-rendered HTML).
 */
export async function expectAccessible(page: Page, what: string) {
  if (!hydrated()) return;
  // target-size (WCAG 2.2, 2.5.8) is off in axe by default; Lighthouse runs it.
  const results = await new AxeBuilder({ page }).options({ rules: { 'target-size': { enabled: true } } }).analyze();
  const found = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  expect.soft(found, `serious or critical axe violations on ${what}`).toEqual([]);
}

/**
 * Wait until the brief on the page is ready: the hydrated page hears the
 * worker through server-sent events; without JavaScript, reload until it is.
 */
export async function waitForBrief(page: Page) {
  if (hydrated()) {
    await expect(page.locator('[data-brief-status="ready"]')).toBeVisible({ timeout: 20_000 });
  } else {
    await expect(page.locator('[data-brief-status]')).toBeVisible();
    await expect(async () => {
      await page.reload();
      await expect(page.locator('[data-brief-status="ready"]')).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
  }
}

/** A new account (`tag` makes a unique address; an address is used as is), signed in, on the dashboard; its email. */
export async function signUp(page: Page, tag: string, name = 'Ada') {
  const email = tag.includes('@') ? tag : `${tag}-${test.info().project.name}-${Date.now()}@example.com`;
  await page.goto('/signup');
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}` })).toBeVisible();
  return email;
}

/** Create project `name` from the projects page; its page is open afterwards. */
export async function createProject(page: Page, name: string) {
  await page.goto('/projects');
  await ready(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

/**
 * The newest email to `to` holding a link to `path` (waiting for it up to 10 s),
 * as a path and query to open. The server writes its emails to OUTBOX_DIR.
 */
export async function emailedLink(to: string, path: string): Promise<string> {
  const dir = process.env.OUTBOX_DIR;
  if (!dir) throw new Error('OUTBOX_DIR is not set (scripts/test.sh sets it)');
  for (let i = 0; i < 100; i++) {
    const mails = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => ({ at: statSync(join(dir, f)).mtimeMs, text: readFileSync(join(dir, f), 'utf8') }))
      .map((m) => ({ ...m, text: m.text.replace(/=\r?\n/g, '').replace(/=3D/g, '=') }))
      .filter((m) => m.text.split(/\r?\n/).some((l) => l.startsWith('To: ') && l.includes(to)))
      .sort((a, b) => b.at - a.at);
    for (const m of mails) {
      const link = m.text.match(new RegExp(`https?://[^\\s/]+(${path}\\?\\S+)`));
      if (link) return link[1];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${to} with a ${path} link`);
}

/** Confirm the address of the signed-in person with the emailed link. */
export async function confirmEmail(page: Page, email: string) {
  await page.goto(await emailedLink(email, '/verify-email'));
  await ready(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByText('Your address is confirmed.')).toBeVisible();
}

/** Next week's Monday, at noon UTC (the server's default timezone for this browser). */
export function nextMonday(): Date {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d;
}

/** A date as YYYY-MM-DD (UTC). */
export const iso = (d: Date) => d.toISOString().slice(0, 10);
