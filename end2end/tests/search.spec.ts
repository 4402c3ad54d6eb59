import { createProject, expect, hydrated, ready, signUp, test } from './fixtures';

test('search finds a task without its accent, from the header box or by pressing /', async ({ page }) => {
  await signUp(page, 'search');
  await createProject(page, 'Kitchen');
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Café opening hours');
  await page.getByRole('button', { name: 'Add task' }).click();
  await expect(page.getByRole('link', { name: 'Café opening hours' })).toBeVisible();

  await page.goto('/');
  await ready(page);
  const box = page.getByRole('searchbox', { name: 'Search' });
  if (hydrated()) {
    // "/" anywhere but in a field puts the cursor in the search box.
    await page.locator('main').click();
    await page.keyboard.press('/');
    await expect(box).toBeFocused();
    await page.keyboard.type('cafe open');
  } else {
    await box.fill('cafe open');
  }
  await box.press('Enter');
  await expect(page.getByRole('heading', { name: 'Search', level: 1 })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('1 result');
  const hit = page.getByRole('link', { name: 'Café opening hours' });
  await expect(hit.locator('mark')).toHaveText(['Café', 'opening']);
  await hit.click();
  await expect(page.getByRole('heading', { name: 'Edit task' })).toBeVisible();

  // Nothing found says what to try; a blank search says what search is for.
  await page.goto('/search?q=zebra');
  await expect(page.getByText('Nothing matches “zebra”.')).toBeVisible();
  await page.goto('/search');
  await expect(page.getByText('Press / on any page')).toBeVisible();
});
