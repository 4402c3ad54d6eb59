import { expect, ready, signUp, test } from './fixtures';

test('generate phases from the context headings, rename and untick one, apply, see the timeline, remove', async ({ page }) => {
  await signUp(page, 'phases');
  await page.goto('/projects');
  await ready(page);
  await page.getByLabel('Name').fill('Launch');
  await page.getByLabel('Context (markdown)').fill('## Research\n- talk to five users\n\n## Build\n\n## Ship\n');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('heading', { name: 'Launch', level: 1 })).toBeVisible();
  await ready(page);
  for (const title of ['Talk to five users', 'Write the code']) {
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.getByRole('button', { name: 'Add task' }).click();
    await expect(page.getByRole('link', { name: title })).toBeVisible();
  }

  await expect(page.getByText('No phases yet.')).toBeVisible();
  await page.getByRole('link', { name: 'Generate phases' }).click();
  const proposal = page.getByTestId('phase-proposal');
  await expect(proposal.locator('[data-proposed-phase]')).toHaveCount(3);
  await ready(page);
  const phase = (key: string) => proposal.locator(`[data-proposed-phase="${key}"]`);
  await expect(phase('p-1').getByLabel('Name')).toHaveValue('Research');
  await expect(phase('p-1')).toContainText('Talk to five users');
  await expect(phase('p-1')).toContainText('1 task named under this heading');
  await phase('p-2').getByLabel('Name').fill('Build it');
  await phase('p-3').getByLabel('Keep this phase').uncheck();
  await proposal.getByLabel('Write the code').selectOption('p-2');
  await proposal.getByRole('button', { name: 'Apply ticked phases' }).click();

  await expect(page.getByText('2 phases applied.')).toBeVisible();
  const timeline = page.getByTestId('phase-timeline');
  await expect(timeline.locator('[data-phase]')).toHaveCount(2);
  await expect(timeline.locator('[data-phase="Research"]')).toContainText('Talk to five users');
  await expect(timeline.locator('[data-phase="Build it"]')).toContainText('Write the code');
  await expect(timeline.locator('[data-phase="Research"]')).toContainText('Now');

  await ready(page);
  await page.getByRole('button', { name: 'Remove phases' }).click();
  await expect(page.getByText('No phases yet.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Write the code' })).toBeVisible();
});
