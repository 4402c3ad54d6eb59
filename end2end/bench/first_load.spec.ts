import { writeFileSync } from 'node:fs';
import { test } from '@playwright/test';
import { signUp } from './signup';

// Time to interactive on a first visit (fresh context, nothing cached) under
// Lighthouse's mobile conditions (150 ms RTT, 1.6 Mbps down, 750 Kbps up, CPU
// 4× slower), for one or more servers compared in one run:
//   BASES="split=http://127.0.0.1:3411 whole=http://127.0.0.1:3412"
// From navigation to the page's data-hydrated marker, LOAD_RUNS times each
// (5). Skipped unless BASES is set; the table also goes to LOAD_OUT if set.
const bases = (process.env.BASES ?? '').split(/\s+/).filter(Boolean).map((b) => b.split('=') as [string, string]);
const RUNS = Number(process.env.LOAD_RUNS ?? 5);

test('first visit to interactive, throttled like Lighthouse mobile', async ({ browser }) => {
  test.skip(bases.length === 0, 'BASES not set');
  test.setTimeout(600_000);
  const rows: string[] = [];
  for (const [label, base] of bases) {
    const setup = await browser.newPage();
    await signUp(setup, `load-${label}`, base);
    const cookies = await setup.context().cookies();
    await setup.close();
    for (const path of ['/login', '/']) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const context = await browser.newContext();
        if (path !== '/login') await context.addCookies(cookies);
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 150,
          downloadThroughput: (1.6 * 1024 * 1024) / 8,
          uploadThroughput: (750 * 1024) / 8,
        });
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
        const started = Date.now();
        await page.goto(`${base}${path}`);
        await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 120_000 });
        times.push(Date.now() - started);
        await context.close();
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${label} | ${path} | ${times[Math.floor(times.length / 2)]} ms | ${times[0]}–${times[times.length - 1]} ms |`);
    }
  }
  const table = ['| build | page | first visit to interactive, median | range |', '| --- | --- | --- | --- |', ...rows].join('\n');
  console.log(table);
  if (process.env.LOAD_OUT) writeFileSync(process.env.LOAD_OUT, `${table}\n`);
});
