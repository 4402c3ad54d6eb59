import { expect, hydrated, ready, signUp, test } from './fixtures';

test('installable, and the brain dump keeps what is written offline and sends it once when back', async ({ page, context }) => {
  test.skip(!hydrated(), 'the service worker and offline keeping need JavaScript');
  await signUp(page, 'offline');
  await page.goto('/brain-dump');
  await ready(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Opened again, the page is under the service worker's control (and kept).
  await page.reload();
  await ready(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // Chromium's own installability checks (manifest, icons, service worker):
  // none fails but "in-incognito", which every Playwright context is.
  expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);

  await context.setOffline(true);
  const editor = page.getByLabel("What's on your mind?");
  await editor.fill('Call the plumber about the leak');
  await expect(page.getByText('Offline: kept on this device, and sent when the connection is back')).toBeVisible();
  // The page opens offline, with what was written.
  await page.reload();
  await ready(page);
  await expect(editor).toHaveValue('Call the plumber about the leak');
  await editor.press('End');
  await editor.pressSequentially(' today');

  await context.setOffline(false);
  await expect(page.getByText('Draft saved')).toBeVisible();
  const unsent = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('buildos-unsent-draft:')).length);
  await expect.poll(unsent).toBe(0);
  // On the server, once: the one draft holds every word.
  await page.reload();
  await ready(page);
  await expect(editor).toHaveValue('Call the plumber about the leak today');
  await expect(page.getByText('Your processed brain dumps will be listed here.')).toBeVisible();
});
