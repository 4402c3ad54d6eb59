import type { Page } from '@playwright/test';
import { expect, holdPageCode, hydrated, ready, signUp, test } from './fixtures';

/** Undo the dump reviewed at `review`: every project it made is gone again. */
async function undo(page: Page, review: string) {
  await page.goto(review);
  await ready(page);
  await page.getByRole('button', { name: 'Undo this brain dump' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Undone' })).toBeVisible();
  await page.goto('/projects');
  await expect(page.getByText('No projects yet.')).toBeVisible();
}

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

  await undo(page, review);
  await page.goto('/brain-dump');
  await expect(page.getByRole('link', { name: /# Garden/ })).toBeVisible();
});

test('a rambling dump becomes its project with its tasks; confirm and undo', async ({ page }) => {
  await signUp(page, 'prose');
  await page.goto('/brain-dump');
  await ready(page);
  await page
    .getByLabel("What's on your mind?")
    .fill(
      'Launch the podcast\n' +
        'First I have to finish editing episode 1, then write show notes. Also need to set up the RSS feed ' +
        'and submit it to Apple and Spotify. I should also email the ethics board by Friday, 30 min.',
    );
  await page.getByRole('button', { name: 'Process' }).click();

  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await ready(page);
  const card = (text: string) => page.locator('[data-op]').filter({ has: page.locator(`input[value="${text}"]`) });
  await expect(card('Launch the podcast')).toContainText('New project');
  const tasks = [
    'Finish editing episode 1',
    'Write show notes',
    'Set up the RSS feed',
    'Submit it to Apple and Spotify',
    'Email the ethics board',
  ];
  for (const t of tasks) await expect(card(t)).toBeVisible();
  await expect(card('Email the ethics board').getByLabel('Minutes')).toHaveValue('30');
  await expect(card('Email the ethics board').getByLabel('Due')).not.toHaveValue('');
  await page.getByRole('button', { name: 'Confirm ticked items' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();
  const review = page.url();

  await page.goto('/projects/launch-the-podcast');
  await expect(page.getByRole('heading', { name: 'Launch the podcast', level: 1 })).toBeVisible();
  for (const t of tasks) await expect(page.getByRole('link', { name: t, exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Email the ethics board', exact: true }).click();
  await expect(page.getByLabel('Duration (minutes)')).toHaveValue('30');

  await undo(page, review);
});

test('cancel while processing keeps the text, and Process works again', async ({ page }) => {
  test.skip(!hydrated(), 'without JavaScript the form waits for the review; there is nothing to cancel');
  await signUp(page, 'cancel');
  await page.goto('/brain-dump');
  await ready(page);
  // Hold the progress stream so that processing is still running when Cancel is pressed.
  await page.route('**/brain-dump/*/events', () => {});
  const text = 'Garden\n- buy seeds tomorrow\n- fix the fence';
  await page.getByLabel("What's on your mind?").fill(text);
  await page.getByRole('button', { name: 'Process' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Cancelled. Your text is still here.')).toBeVisible();
  await expect(page.getByLabel("What's on your mind?")).toHaveValue(text);

  await page.unroute('**/brain-dump/*/events');
  await page.getByRole('button', { name: 'Process' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
});

// A slow connection: the page is there, its code is not yet. What is typed in
// that moment is counted, saved and processed once the page has its code.
test('text typed before the page has its code is kept and processed', async ({ page }) => {
  test.skip(!hydrated(), 'without JavaScript the form posts what the text area holds');
  await signUp(page, 'early');
  const release = await holdPageCode(page);
  await page.goto('/brain-dump');
  const text = 'Shed\n- paint the door';
  await page.getByLabel("What's on your mind?").fill(text);
  release();
  await ready(page);
  await expect(page.getByText(`${text.length} / 50,000 characters`)).toBeVisible();
  await expect(page.getByLabel("What's on your mind?")).toHaveValue(text);
  await page.getByRole('button', { name: 'Process' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await expect(page.locator('[data-op] input[value="Paint the door"]')).toBeVisible();
});
