import { expect, expectAccessible, holdPageCode, hydrated, ready, signUp, test } from './fixtures';

// A newcomer's first walk through every page, in both modes, under the
// fixtures' guard: any page error or console error fails it. The other specs
// go deeper into each action; this one makes sure no page is left unvisited.

test('a newcomer walks every page: empty states first, then with their own things', async ({ page }) => {
  // Every page runs under a Content-Security-Policy (this suite fails on any violation it logs).
  const login = await page.goto('/login');
  expect(login!.headers()['content-security-policy']).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic'/);

  // Logged out: the app sends them to log in, and back afterwards.
  await page.goto('/projects');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page).toHaveURL(/\/login\?next=%2Fprojects|\/login\?next=\/projects/);
  await page.goto('/unsubscribe?token=not-a-real-token');
  await expect(page.getByRole('heading', { name: 'Stop brief emails' })).toBeVisible();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'the unsubscribe page with a bad link');

  // The pages emailed links open, with a link that is not (or no longer) good.
  await page.goto('/reset-password');
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await page.goto('/login/link?token=not-a-real-token');
  await ready(page);
  await page.getByRole('button', { name: 'Sign me in' }).click();
  await expect(page.getByRole('alert')).toContainText('expired or was used already');
  await expectAccessible(page, 'the sign-in link page with a bad link');
  await page.goto('/verify-email?token=not-a-real-token');
  await ready(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('alert')).toContainText('expired or was used already');
  await expectAccessible(page, 'the address confirmation page with a bad link');

  await signUp(page, 'walk');
  // Every list says what to do while it is empty.
  await expect(page.getByText('Nothing scheduled yet.')).toBeVisible();
  await page.getByRole('link', { name: 'Brain dump' }).first().click();
  await expect(page.getByText('Your processed brain dumps will be listed here.')).toBeVisible();
  await page.getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByText('No projects yet.')).toBeVisible();
  await page.getByRole('link', { name: 'Brief' }).click();
  await expect(page.getByText('No brief yet.')).toBeVisible();
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByLabel('Display name')).toHaveValue('Ada');
  await expect(page.getByText('No tokens yet.')).toBeVisible();
  // Addresses that lead nowhere say so.
  await page.goto('/projects/no-such-project');
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expectAccessible(page, 'a page that is not found');
  await page.goto('/tasks/00000000-0000-0000-0000-000000000000');
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await page.goto('/brain-dump/00000000-0000-0000-0000-000000000000');
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await page.goto('/briefs/00000000-0000-0000-0000-000000000000');
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();

  // A dump makes their first project; the history lists it and opens it again.
  await page.goto('/brain-dump');
  await ready(page);
  await page.getByLabel("What's on your mind?").fill('Garden\n- buy seeds tomorrow\n- fix the fence');
  await page.getByRole('button', { name: 'Process' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await ready(page);
  await page.getByRole('button', { name: 'Confirm ticked items' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();
  await page.goto('/brain-dump');
  await page.getByRole('link', { name: /Garden/ }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();

  // The dashboard shows tomorrow's task; its page edits it.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  const upcoming = page.getByRole('region', { name: /Next 7 days/ });
  await upcoming.getByRole('link', { name: 'Buy seeds' }).click();
  await expect(page.getByRole('heading', { name: 'Edit task' })).toBeVisible();
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Buy tomato seeds');
  await page.getByLabel('Priority').selectOption('high');
  await page.getByRole('button', { name: 'Save task' }).click();
  // Saved, the task's project opens with it.
  await expect(page).toHaveURL(/\/projects\/garden$/);
  await expect(page.getByRole('link', { name: 'Buy tomato seeds' })).toBeVisible();
  await expect(page.locator('li', { hasText: 'Buy tomato seeds' })).toContainText(/high/i);
  await expect(page.getByRole('link', { name: 'Fix the fence' })).toBeVisible();
  await page.goto('/projects');
  await expect(page.getByRole('link', { name: 'Garden' })).toBeVisible();
});

test('the calendar feed address is on the profile, can be replaced and turned off', async ({ page, request }) => {
  await signUp(page, 'feed');
  await page.goto('/profile');
  await ready(page);
  const address = page.getByLabel('Feed address');
  await expect(address).toHaveValue(/\/calendar\/.+\.ics$/);
  const first = await address.inputValue();
  expect((await request.get(first)).status()).toBe(200);

  await page.getByRole('button', { name: 'Make a new address' }).click();
  await expect(address).not.toHaveValue(first);
  const second = await address.inputValue();
  expect((await request.get(first)).status()).toBe(404);
  const feed = await request.get(second);
  expect(feed.status()).toBe(200);
  expect(await feed.text()).toContain('BEGIN:VCALENDAR');

  await ready(page);
  await page.getByRole('button', { name: 'Turn the feed off' }).click();
  await expect(page.getByText('The feed is off: no address works.')).toBeVisible();
  expect((await request.get(second)).status()).toBe(404);
  await ready(page);
  await page.getByRole('button', { name: 'Turn the feed on' }).click();
  await expect(address).toHaveValue(/\/calendar\/.+\.ics$/);
});

// The router takes over links as soon as the page starts hydrating, while the
// code of the page itself may still be on its way (a lazy route): a link
// followed in that moment opens the page it names, and nothing panics (the
// fixtures fail on any console error). It once hydrated the page named by the
// new address over the old page's HTML.
test('a link followed while the page is still fetching its code opens that page', async ({ page }) => {
  test.skip(!hydrated(), 'without JavaScript every link is a full page load');
  const release = await holdPageCode(page);
  await page.goto('/login');
  // Until the router listens, a click is the browser's: wait until a click on
  // a link to this same page is the router's (it prevents the default).
  await expect
    .poll(() =>
      page.evaluate(() => {
        const probe = document.createElement('a');
        probe.href = location.pathname + location.search;
        document.body.append(probe);
        let taken = false;
        const after = (ev: Event) => {
          taken = ev.defaultPrevented;
          ev.preventDefault();
        };
        window.addEventListener('click', after);
        probe.click();
        window.removeEventListener('click', after);
        probe.remove();
        return taken;
      }),
    )
    .toBe(true);
  await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
  await page.getByRole('link', { name: 'Create an account' }).click();
  release();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await ready(page);
  await expect(page.getByLabel('Email')).toBeEditable();
});
