import { expect, expectAccessible, ready, signUp, test } from './fixtures';

// Against the fake Stripe that scripts/test.sh starts (end2end/fake-stripe.mjs),
// with ENABLE_STRIPE on: subscribe through its Checkout page (which sends the
// signed webhook event before coming back), see Pro on the billing page, then
// cancel in its customer portal and see Free again.
test('subscribe through Stripe Checkout, see the plan on the billing page, cancel in the portal', async ({ page }) => {
  await signUp(page, 'billing');
  await page.goto('/profile');
  await ready(page);
  await page.getByRole('link', { name: 'See your plan, subscribe to Pro or manage billing' }).click();
  await expect(page.getByRole('heading', { name: 'Billing', level: 1 })).toBeVisible();
  await expect(page.locator('[data-plan]')).toHaveText('Free');
  await expect(page.getByRole('row', { name: /Free/ })).toContainText('10');
  await expectAccessible(page, 'the billing page');

  await ready(page);
  await page.getByLabel('Yearly').check();
  await page.getByRole('button', { name: 'Subscribe to Pro' }).click();
  await expect(page.getByRole('heading', { name: 'Fake Stripe Checkout' })).toBeVisible();
  await expect(page.getByText('price_e2e_yearly')).toBeVisible();
  await page.getByRole('button', { name: 'Pay and subscribe' }).click();

  await expect(page).toHaveURL(/\/billing\?checkout=done$/);
  await expect(page.getByText('Thank you: you are on Pro.')).toBeVisible();
  await expect(page.locator('[data-plan]')).toHaveText('Pro');
  await expect(page.getByText('Subscription: Active')).toBeVisible();
  await expect(page.getByText(/^Renews on /)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Subscribe to Pro' })).toHaveCount(0);

  await ready(page);
  await page.getByRole('button', { name: 'Manage billing' }).click();
  await expect(page.getByRole('heading', { name: 'Fake Stripe billing portal' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel subscription' }).click();
  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.locator('[data-plan]')).toHaveText('Free');
  await expect(page.getByText('Subscription: Canceled')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Subscribe to Pro' })).toBeVisible();
});
