import { confirmEmail, emailedLink, expect, ready, signUp, test } from './fixtures';

// The account in both modes: confirming the address from the emailed link,
// a forgotten password, the browsers signed in.

test('a new account confirms its address from the emailed link', async ({ page }) => {
  const email = await signUp(page, 'confirm');
  await expect(page.getByText('Confirm your email address: the link is in your inbox.')).toBeVisible();
  await confirmEmail(page, email);
  await expect(page.getByTestId('email-confirmed')).toBeVisible();
  await page.goto('/');
  await expect(page.getByText('Confirm your email address')).toHaveCount(0);
  // The link works once.
  await page.goto(await emailedLink(email, '/verify-email'));
  await ready(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('alert')).toContainText('expired or was used already');
});

test('a forgotten password is reset from the emailed link', async ({ page }) => {
  const email = await signUp(page, 'forgot');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await ready(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByText('If an account uses that address')).toBeVisible();
  await page.goto(await emailedLink(email, '/reset-password'));
  await ready(page);
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByText('Password must be at least 10 characters.')).toBeVisible();
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('heading', { name: 'Hello, Ada' })).toBeVisible();
  // The new password works, the old one does not.
  await page.getByRole('button', { name: 'Log out' }).click();
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('That email and password do not match an account.')).toBeVisible();
  await page.getByLabel('Password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Hello, Ada' })).toBeVisible();
});

test('the profile lists the browsers signed in and changes the password', async ({ page, browser }) => {
  const email = await signUp(page, 'sessions');
  // A second browser signs in too.
  const other = await browser.newPage();
  await other.goto('/login');
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password').fill('correct horse battery');
  await other.getByRole('button', { name: 'Log in' }).click();
  await expect(other.getByRole('heading', { name: 'Hello, Ada' })).toBeVisible();

  await page.goto('/profile');
  await ready(page);
  const sessions = page.getByTestId('sessions');
  await expect(sessions.getByRole('listitem')).toHaveCount(2);
  await expect(sessions.getByText('this browser')).toBeVisible();
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('That is not your current password.')).toBeVisible();
  await page.getByLabel('Current password').fill('correct horse battery');
  await page.getByLabel('New password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed. Every other browser is signed out.')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('sessions').getByRole('listitem')).toHaveCount(1);
  await other.goto('/projects');
  await expect(other.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await other.close();
});
