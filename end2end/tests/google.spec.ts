import { createProject, expect, iso, nextMonday, ready, signUp, test } from './fixtures';

// Against the fake Google that scripts/test.sh starts (end2end/fake-google.mjs):
// connect Google Calendar, see its events on the calendar page (synced by the
// worker), schedule a task and see its event arrive in Google.
const google = process.env.FAKE_GOOGLE ?? 'http://127.0.0.1:3312';

test('connect Google Calendar, see its events, schedule a task and see it arrive in Google', async ({ page, request }) => {
  const tag = `${test.info().project.name}-${Date.now()}`;
  const monday = nextMonday();
  const meeting = `Team sync ${tag}`;
  const made = await request.post(`${google}/test/events`, {
    data: {
      event: {
        id: `e2e${Date.now().toString(32)}`,
        summary: meeting,
        start: { dateTime: `${iso(monday)}T10:00:00Z` },
        end: { dateTime: `${iso(monday)}T11:00:00Z` },
      },
    },
  });
  expect(made.ok()).toBeTruthy();

  await signUp(page, 'gcal');
  await page.goto('/profile');
  await ready(page);
  await page.getByRole('link', { name: 'Connect Google Calendar' }).click();
  await expect(page.getByText('Google Calendar is connected.')).toBeVisible();
  await expect(page.getByTestId('google-calendar-state')).toContainText('Connected to e2e@example.com');

  // The worker reads the calendar list and syncs: the meeting shows on its day.
  await expect(async () => {
    await page.goto(`/calendar?week=${iso(monday)}`);
    await expect(page.getByText(meeting)).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('google-state')).toContainText('E2E work');

  // A task on Monday, given a time from the calendar page.
  const title = `Write the plan ${tag}`;
  await createProject(page, `Plans ${tag}`);
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.locator('#new-task-start_date').fill(iso(monday));
  await page.getByRole('button', { name: 'Add task' }).click();
  await expect(page.getByRole('link', { name: title })).toBeVisible();
  await page.goto(`/calendar?week=${iso(monday)}`);
  await ready(page);
  const task = page.locator('li[data-task]', { hasText: title });
  await task.getByText('Schedule a time').click();
  await task.getByLabel('Start').fill(`${iso(monday)}T14:00`);
  await task.getByLabel('Minutes').fill('45');
  await task.getByRole('button', { name: 'Schedule' }).click();
  await expect(page.locator('li[data-task]', { hasText: title }).getByTestId('task-time')).toContainText('14:00–14:45');

  // The worker writes its event into Google.
  await expect(async () => {
    const events = await (await request.get(`${google}/test/events`)).json();
    const event = events.find((e: { summary: string }) => e.summary === title);
    expect(event, 'the task event in Google').toBeTruthy();
    expect(event.start.dateTime).toContain(`${iso(monday)}T14:00:00`);
    expect(event.extendedProperties.private.buildosTaskId).toBeTruthy();
  }).toPass({ timeout: 30_000 });
});
