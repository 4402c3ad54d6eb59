import { createProject, expect, ready, signUp, test } from './fixtures';

test('export everything, import it into another account after a preview', async ({ page }) => {
  await signUp(page, 'export-from');
  await createProject(page, 'Garden');
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Prune roses');
  await page.getByRole('button', { name: 'Add task' }).click();
  await expect(page.getByRole('link', { name: 'Prune roses' })).toBeVisible();

  await page.goto('/profile');
  await ready(page);
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download everything (JSON)' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^buildos-export-\d{4}-\d{2}-\d{2}\.json$/);
  const file = await download.path();

  // Somebody else (or the same person on a new account) imports it.
  await page.context().clearCookies();
  await signUp(page, 'export-to', 'Bea');
  await page.goto('/profile');
  await ready(page);
  // Nothing chosen: the form says so, and nothing happens.
  await page.getByRole('button', { name: 'Preview import' }).click();
  await expect(page.getByRole('alert')).toHaveText('Choose a BuildOS export (.json), a Todoist project (.csv) or a Todoist backup (.zip) to import.');
  await page.getByLabel('Import a BuildOS export').setInputFiles(file);
  await page.getByRole('button', { name: 'Preview import' }).click();
  await expect(page.getByRole('heading', { name: 'Import', level: 1 })).toBeVisible();
  await expect(page.locator('[data-import-report]')).toContainText('Will import: 1 project, 1 task.');
  await page.goto('/projects');
  await expect(page.getByText('No projects yet.')).toBeVisible();
  await page.goBack();
  await ready(page);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('Done.');
  await expect(page.locator('[data-import-report]')).toContainText('Imported: 1 project, 1 task.');
  await page.getByRole('link', { name: 'See your projects' }).click();
  await page.getByRole('link', { name: 'Garden' }).click();
  await expect(page.getByRole('link', { name: 'Prune roses' })).toBeVisible();
});

test('delete my account: the password and the box, then signed out for good', async ({ page }) => {
  const email = await signUp(page, 'delete-me');
  await page.goto('/profile#delete');
  await ready(page);
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Delete my account' }) });
  await form.getByLabel('Your password').fill('correct horse battery');
  await form.getByRole('button', { name: 'Delete my account' }).click();
  await expect(form.getByText('Tick the box to say you understand that this cannot be undone.')).toBeVisible();
  await form.getByLabel('Your password').fill('not my password');
  await form.getByLabel('I understand that my account').check();
  await form.getByRole('button', { name: 'Delete my account' }).click();
  await expect(form.getByText('That is not your current password.')).toBeVisible();
  await form.getByLabel('Your password').fill('correct horse battery');
  await form.getByLabel('I understand that my account').check();
  await form.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('status')).toContainText('Your account and everything in it are deleted.');
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
});
