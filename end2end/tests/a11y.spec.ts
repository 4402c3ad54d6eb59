import { expect, expectAccessible, ready, signUp, test, waitForBrief } from './fixtures';

// Every page, as a newcomer meets it and once it holds their things, checked
// with axe (hydrated mode; see expectAccessible): no serious or critical
// accessibility violation.

test('every page has no serious or critical accessibility violation', async ({ page }) => {
  test.setTimeout(120_000);
  const check = async (path: string, what: string) => {
    await page.goto(path);
    await ready(page);
    await expectAccessible(page, what);
  };
  await check('/login', 'the login page');
  await check('/signup', 'the sign-up page');
  await check('/reset-password', 'the password reset page');

  await signUp(page, 'a11y');
  await expectAccessible(page, 'the dashboard after sign-up');
  await check('/brain-dump', 'the brain dump page');
  await check('/projects', 'the projects page, empty');
  await check('/briefs', 'the brief list, empty');
  await check('/calendar', 'the calendar page, empty');
  await check('/profile', 'the profile');

  // With their own things: a dump reviewed and confirmed, a project, a task, a brief.
  await page.goto('/brain-dump');
  await ready(page);
  await page.getByLabel("What's on your mind?").fill('# Garden\n- buy seeds tomorrow\n- fix the fence by Friday');
  await page.getByRole('button', { name: 'Process' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'the brain-dump review');
  await page.getByRole('button', { name: 'Confirm ticked items' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();
  await expectAccessible(page, 'an applied brain dump');
  await check('/brain-dump', 'the brain dump page with its history');
  await check('/', 'the dashboard with tasks');
  await check('/projects', 'the projects page');
  await check('/projects/garden', 'a project page');
  await page.getByRole('link', { name: 'Buy seeds' }).first().click();
  await expect(page.getByRole('heading', { name: 'Edit task' })).toBeVisible();
  await ready(page);
  await expectAccessible(page, 'a task page');
  await check('/projects/garden?phases=1', 'a phase proposal');
  await check('/calendar?plan=1', 'the calendar with a plan proposal');
  await check('/search?q=garden', 'search results');

  await page.goto('/briefs');
  await ready(page);
  await page.getByRole('button', { name: 'Generate now' }).click();
  await waitForBrief(page);
  await expectAccessible(page, 'a brief');
  await check('/briefs', 'the brief list');
});
