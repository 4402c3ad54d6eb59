import { confirmEmail, createProject, expect, expectAccessible, hydrated, ready, signUp, test, waitForBrief } from './fixtures';

test('generate a brief now: the status changes by itself, then the brief is shown', async ({ page }) => {
  await signUp(page, `brief-${test.info().project.name}-${Date.now()}@example.com`);
  await createProject(page, 'Garden');

  await page.goto('/briefs');
  await ready(page);
  // (The worker's hourly tick may have made today's brief already: then Generate now redoes it.)
  await page.getByRole('button', { name: 'Generate now' }).click();
  // Hydrated, with no reload: the page hears the worker through server-sent events.
  await waitForBrief(page);
  await expect(page.getByTestId('brief-summary')).toContainText('Nothing is due today.');
});

test('brief settings are saved from the profile', async ({ page }) => {
  await signUp(page, `prefs-${test.info().project.name}-${Date.now()}@example.com`);
  await page.goto('/profile');
  await ready(page);
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Save brief settings' }) });
  await form.getByLabel('How often').selectOption('weekly');
  await form.getByLabel('Day (weekly)').selectOption('5');
  await form.getByLabel('At (your time)').fill('06:45');
  await form.getByRole('button', { name: 'Save brief settings' }).click();
  if (hydrated()) {
    await expect(page.getByText('Saved.').first()).toBeVisible();
  } else {
    await page.waitForURL('**/profile**');
  }
  await page.reload();
  await expect(form.getByLabel('How often')).toHaveValue('weekly');
  await expect(form.getByLabel('At (your time)')).toHaveValue('06:45');
});

test('the admin pages are for admins only', async ({ page }) => {
  test.skip(!hydrated(), 'one admin account per run');
  await signUp(page, `someone-${Date.now()}@example.com`);
  await page.goto('/admin/queues');
  await expect(page.getByRole('alert')).toContainText('You cannot do that.');
  await page.goto('/admin/errors');
  await expect(page.getByRole('alert')).toContainText('You cannot do that.');
  await expect(page.getByTestId('error-group')).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByRole('alert')).toContainText('You cannot do that.');
  await expect(page.getByTestId('figures')).toHaveCount(0);
  await page.getByRole('button', { name: 'Log out' }).click();
  await signUp(page, 'queue-admin@example.com');
  // Listed in ADMIN_EMAILS, but not an admin until the address is confirmed.
  await page.goto('/admin/queues');
  await expect(page.getByRole('alert')).toContainText('You cannot do that.');
  await confirmEmail(page, 'queue-admin@example.com');
  await page.goto('/admin/queues');
  await expect(page.getByRole('heading', { name: 'Job queues' })).toBeVisible();
  await expect(page.locator('table')).toContainText('maintenance');
  await expectAccessible(page, 'the job queues page');
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Errors' }).click();
  await expect(page.getByRole('heading', { name: 'Errors' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expectAccessible(page, 'the error log');
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('heading', { name: 'The last seven days' })).toBeVisible();
  await expect(page.getByTestId('figures')).toContainText('People');
  await expectAccessible(page, 'the admin overview');
});

test('an API token is shown once, works, and can be revoked', async ({ page, request }) => {
  test.skip(!hydrated(), 'the token is read from the page once');
  await signUp(page, `token-${Date.now()}@example.com`);
  await page.goto('/profile');
  await ready(page);
  await page.getByLabel('Name', { exact: true }).fill('my script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!.trim();
  expect(token).toMatch(/^bos_/);
  const me = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId('new-token')).toHaveCount(0);
  await expect(page.getByText('my script')).toBeVisible();
  await page.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('No tokens yet.')).toBeVisible();
  const after = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});
