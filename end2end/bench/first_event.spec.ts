import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { signUp } from './signup';

// Submit-to-first-event for a 5,000-character brain dump (offline engine), measured
// in the browser with the page's own performance marks: dump-submit (Process
// pressed), dump-event (each server-sent event), dump-operation (each proposal).
const RUNS = Number(process.env.RUNS ?? 30);

function dump(): string {
  const lines: string[] = [];
  let i = 0;
  while (lines.join('\n').length < 5000) {
    i += 1;
    if (i % 8 === 1) lines.push(`# Project ${i}`);
    else if (i % 4 === 0) lines.push(`I keep thinking about the roof again, item ${i}, and the budget for it.`);
    else lines.push(`- call the plumber about item ${i} by Friday, urgent`);
  }
  return lines.join('\n').slice(0, 5000);
}

test('time from Process to the first streamed event', async ({ page }) => {
  await signUp(page, 'bench');
  const text = dump();
  const results: { first_event: number; first_operation: number; review: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto('/brain-dump');
    await page.locator('body[data-hydrated="true"]').waitFor();
    await page.getByLabel("What's on your mind?").fill(text);
    await page.getByRole('button', { name: 'Process' }).click();
    await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
    const r = await page.evaluate(() => {
      const at = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      const submit = at('dump-submit');
      return {
        first_event: at('dump-event') - submit,
        first_operation: at('dump-operation') - submit,
        review: performance.now() - submit,
      };
    });
    results.push(r);
  }
  writeFileSync(process.env.BENCH_OUT ?? 'first-event.json', JSON.stringify(results));
});
