import { createProject, expect, ready, signUp, test } from './fixtures';

// Runs twice (playwright.config.ts): hydrated, and with JavaScript disabled.
// Without JavaScript every form posts natively and the server redirects back.

test('sign up, create a project, add a task, complete it, see it under recently completed', async ({ page }) => {
  await signUp(page, 'flow');
  await ready(page);

  await page.getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
  await expect(page.getByText('No projects yet.')).toBeVisible();
  await ready(page);
  await page.getByLabel('Name').fill('Launch the newsletter');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('heading', { name: 'Launch the newsletter', level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/projects\/launch-the-newsletter$/);

  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Write the first issue');
  await page.getByRole('button', { name: 'Add task' }).click();
  const complete = page.getByRole('button', { name: 'Complete Write the first issue' });
  await expect(complete).toBeVisible();
  // The form is ready for the next task.
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('');

  await ready(page);
  await complete.click();
  await expect(page.getByRole('button', { name: 'Reopen Write the first issue' })).toBeVisible();

  await page.getByRole('link', { name: 'Dashboard' }).click();
  const completed = page.getByRole('region', { name: /Recently completed/ });
  await expect(completed.getByRole('link', { name: 'Write the first issue' })).toBeVisible();
  await expect(completed.getByRole('link', { name: 'Launch the newsletter' })).toBeVisible();
});

test('a deleted task and a deleted note come back with Undo', async ({ page }) => {
  await signUp(page, 'undo');
  await createProject(page, 'Move house');

  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Book a van');
  await page.getByRole('button', { name: 'Add task' }).click();
  await page.getByRole('link', { name: 'Book a van' }).click();
  await expect(page.getByRole('heading', { name: 'Edit task' })).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Delete task' }).click();
  await expect(page.getByRole('status')).toContainText('Task deleted.');
  await expect(page.getByRole('link', { name: 'Book a van' })).toHaveCount(0);
  await ready(page);
  await page.getByRole('status').getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('link', { name: 'Book a van' })).toBeVisible();

  await ready(page);
  await page.getByLabel('Note', { exact: true }).fill('The lift is out until January.');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText('The lift is out until January.')).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Delete note' }).click();
  await expect(page.getByRole('status')).toContainText('Note deleted.');
  await expect(page.getByText('The lift is out until January.')).toHaveCount(0);
  await ready(page);
  await page.getByRole('status').getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByText('The lift is out until January.')).toBeVisible();
});

test('a validation error names the field and keeps what was typed', async ({ page }) => {
  await signUp(page, 'invalid');
  await page.goto('/projects');
  await ready(page);
  const longName = 'A name that goes on and on '.repeat(8); // > 200 characters
  await page.getByLabel('Name').fill(longName);
  await page.getByLabel('Description').fill('Keep this description');
  await page.getByLabel('Context (markdown)').fill('Keep these **notes** too');
  await page.getByRole('button', { name: 'Create project' }).click();

  await expect(page.getByRole('alert').filter({ hasText: 'Name is too long' })).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveValue(longName);
  await expect(page.getByLabel('Description')).toHaveValue('Keep this description');
  await expect(page.getByLabel('Context (markdown)')).toHaveValue('Keep these **notes** too');
  await expect(page.getByText('No projects yet.')).toBeVisible();
});

test('a wrong password says so and keeps the email', async ({ page }) => {
  const email = await signUp(page, 'login');
  await ready(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'do not match' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email);
});

test('the profile offers the browser timezone and saves it', async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name === 'no-js', 'the offer needs JavaScript; the field itself works without it');
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  await signUp(page, 'tz');
  await page.goto('/profile');
  await ready(page);
  // Sign-up already took the browser's timezone.
  await expect(page.getByLabel('Timezone')).toHaveValue('Asia/Tokyo');
  await page.getByLabel('Timezone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'IANA name' })).toBeVisible();
  await expect(page.getByLabel('Timezone')).toHaveValue('Mars/Olympus');
  await page.getByRole('button', { name: 'Use it' }).click();
  await expect(page.getByLabel('Timezone')).toHaveValue('Asia/Tokyo');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await context.close();
});
