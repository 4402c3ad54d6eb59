import { createProject, expect, iso, nextMonday, ready, signUp, test } from './fixtures';

test('plan the week: untick one block, apply, see the blocks on the calendar, undo', async ({ page }) => {
  await signUp(page, 'plan');
  const monday = nextMonday();
  const day = (d: Date) =>
    page.getByRole('region', {
      name: d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).replace(',', ''),
    });

  await createProject(page, 'Launch');
  await ready(page);
  for (const [title, days] of [
    ['Write the report', 2],
    ['Book the venue', 3],
    ['Order badges', 4],
  ] as const) {
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.locator('#new-task-due_date').fill(iso(new Date(monday.getTime() + days * 86_400_000)));
    await page.getByRole('button', { name: 'Add task' }).click();
    await expect(page.getByRole('link', { name: title })).toBeVisible();
  }

  await page.goto(`/calendar?week=${iso(monday)}`);
  await ready(page);
  await expect(day(monday)).not.toContainText('Write the report');
  await page.getByRole('link', { name: 'Plan my week' }).click();
  const proposal = page.getByTestId('plan-proposal');
  await expect(proposal.locator('[data-block]')).toHaveCount(3);
  // Earliest due first, each with its reason, from Monday 09:00.
  await expect(proposal.locator('[data-block]').first()).toContainText('Write the report');
  await expect(proposal.locator('[data-block]').first()).toContainText('09:00–10:00');
  // "due Wednesday" within a week, "due Wed 9 Dec" beyond.
  await expect(proposal.locator('[data-block]').first()).toContainText(/due Wed/);
  await proposal.getByLabel(/Book the venue/).uncheck();
  await proposal.getByRole('button', { name: 'Apply ticked blocks' }).click();

  await expect(page.getByText('Planned 2 blocks.')).toBeVisible();
  await expect(page.getByTestId('plan-proposal')).toHaveCount(0);
  await expect(day(monday).locator('[data-task]', { hasText: 'Write the report' })).toContainText('09:00');
  await expect(day(monday).locator('[data-task]', { hasText: 'Order badges' })).toContainText('11:20');
  await expect(day(monday)).not.toContainText('Book the venue');

  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByText('Plan undone: 2 blocks back where they were.')).toBeVisible();
  await expect(day(monday)).not.toContainText('Write the report');
  await expect(day(monday)).not.toContainText('Order badges');
});

test('a task longer than a day allows is split into parts, applied as its subtasks, undone', async ({ page }) => {
  await signUp(page, 'split');
  const monday = nextMonday();
  const tuesday = new Date(monday.getTime() + 86_400_000);
  const day = (d: Date) =>
    page.getByRole('region', {
      name: d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).replace(',', ''),
    });

  await createProject(page, 'Book');
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Write chapter one');
  await page.locator('#new-task-due_date').fill(iso(tuesday));
  await page.getByRole('button', { name: 'Add task' }).click();
  await page.getByRole('link', { name: 'Write chapter one' }).click();
  await expect(page.getByRole('heading', { name: 'Edit task' })).toBeVisible();
  await ready(page);
  await page.getByLabel('Duration (minutes)').fill('480');
  await page.getByRole('button', { name: 'Save task' }).click();
  await expect(page).toHaveURL(/\/projects\/book$/);

  // Eight hours, at most six a day: two parts, before the due date.
  await page.goto(`/calendar?week=${iso(monday)}&plan=1`);
  await ready(page);
  const blocks = page.getByTestId('plan-proposal').locator('[data-block]');
  await expect(blocks).toHaveCount(2);
  await expect(blocks.first()).toContainText('Part 1 of 2');
  await expect(blocks.first()).toContainText('09:00–15:00');
  await expect(blocks.last()).toContainText('Part 2 of 2');
  await expect(blocks.last()).toContainText('09:00–11:00');
  await page.getByRole('button', { name: 'Apply ticked blocks' }).click();

  await expect(page.getByText('Planned 2 blocks.')).toBeVisible();
  await expect(day(monday).locator('[data-task]', { hasText: 'Write chapter one (part 1 of 2)' })).toContainText('09:00');
  await expect(day(tuesday).locator('[data-task]', { hasText: 'Write chapter one (part 2 of 2)' })).toContainText('09:00');

  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByText('Plan undone: 2 blocks back where they were.')).toBeVisible();
  await expect(day(monday)).not.toContainText('part 1 of 2');
  await expect(day(tuesday)).not.toContainText('part 2 of 2');
});
