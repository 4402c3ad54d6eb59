import { expect, type Page } from '@playwright/test';

/** Make a new account at `base` (the config's baseURL when ""), signed in on `page`. */
export async function signUp(page: Page, tag: string, base = '') {
  await page.goto(`${base}/signup`);
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.getByLabel('Email').fill(`${tag}-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: /Hello/ })).toBeVisible();
}
