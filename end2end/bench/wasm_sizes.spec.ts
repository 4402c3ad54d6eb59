import { test, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { signUp } from './signup';

// What the browser downloads of the app's code (`/pkg/*.wasm` and `*.js`):
// on a first visit to each page (a fresh browser context, nothing cached),
// and, for the pages after the first, what navigating to them adds. Sizes
// are the bodies as served (raw) and gzip -9 of each body. Written to
// WASM_OUT for scripts/bench.sh.
type Download = { url: string; raw: number; gzip: number };

function recorder(page: Page): Download[] {
  const seen: Download[] = [];
  page.on('response', async (r) => {
    const path = new URL(r.url()).pathname;
    if (!path.startsWith('/pkg/') || !/\.(wasm|js)$/.test(path)) return;
    const body = await r.body().catch(() => Buffer.alloc(0));
    seen.push({ url: path, raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
  });
  return seen;
}

const pages: [string, string][] = [
  ['/login', 'login'],
  ['/', 'dashboard'],
  ['/brain-dump', 'brain dump'],
  ['/projects', 'projects'],
  ['/calendar', 'calendar'],
  ['/briefs', 'briefs'],
  ['/profile', 'profile'],
];

test('code downloaded per page', async ({ browser }) => {
  const setup = await browser.newPage();
  await signUp(setup, 'wasm');
  const cookies = await setup.context().cookies();
  await setup.close();

  const first: Record<string, Download[]> = {};
  for (const [path, name] of pages) {
    const context = await browser.newContext();
    if (path !== '/login') await context.addCookies(cookies);
    const page = await context.newPage();
    const seen = recorder(page);
    await page.goto(path);
    await page.locator('body[data-hydrated="true"]').waitFor();
    await page.waitForLoadState('networkidle');
    first[name] = [...seen];
    await context.close();
  }

  // Navigating from the dashboard to each other page: what each adds.
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page = await context.newPage();
  const seen = recorder(page);
  await page.goto('/');
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.waitForLoadState('networkidle');
  const navigated: Record<string, Download[]> = {};
  for (const [path, name] of pages.slice(2)) {
    const before = seen.length;
    await page.locator(`nav a[href="${path}"]`).first().click();
    await page.waitForURL((u) => u.pathname === path);
    await page.waitForLoadState('networkidle');
    navigated[name] = seen.slice(before);
  }
  await context.close();
  writeFileSync(process.env.WASM_OUT ?? 'wasm-sizes.json', JSON.stringify({ first, navigated }, null, 2));
});
