import { expect, ready, signUp, test } from './fixtures';

test('a brain dump naming two projects is reviewed, confirmed and undone', async ({ page }) => {
  await signUp(page, 'dump');

  await page.goto('/brain-dump');
  await ready(page);
  await expect(page.getByText('Your processed brain dumps will be listed here.')).toBeVisible();
  await page
    .getByLabel("What's on your mind?")
    .fill('# Garden\n- buy seeds by Friday\n- water the beds\n\n# Newsletter\n- draft issue one\n- pick a mailing tool');
  await page.getByRole('button', { name: 'Process' }).click();

  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await ready(page);
  const card = (text: string) => page.locator('[data-op]').filter({ has: page.locator(`input[value="${text}"]`) });
  await expect(card('Garden')).toContainText('New project');
  await card('Pick a mailing tool').getByRole('checkbox').uncheck();
  await card('Draft issue one').getByRole('textbox', { name: 'Title' }).fill('Draft the first issue');
  await card('Draft issue one').getByLabel('Priority').selectOption('high');
  await page.getByRole('button', { name: 'Confirm ticked items' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();
  const review = page.url();

  await page.goto('/projects/newsletter');
  await expect(page.getByRole('link', { name: 'Draft the first issue' })).toBeVisible();
  await expect(page.locator('li', { hasText: 'Draft the first issue' })).toContainText(/high/i);
  await expect(page.getByRole('link', { name: 'Pick a mailing tool' })).toHaveCount(0);
  await page.goto('/projects/garden');
  await expect(page.getByRole('link', { name: 'Buy seeds' })).toBeVisible();

  await page.goto(review);
  await ready(page);
  await page.getByRole('button', { name: 'Undo this brain dump' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Undone' })).toBeVisible();
  await page.goto('/projects');
  await expect(page.getByText('No projects yet.')).toBeVisible();
  await page.goto('/brain-dump');
  await expect(page.getByRole('link', { name: /# Garden/ })).toBeVisible();
});
