import { createProject, expect, iso, nextMonday, ready, signUp, test } from './fixtures';

const ics = (d: Date) =>
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n' +
  `BEGIN:VEVENT\r\nUID:e2e-1\r\nSUMMARY:Team planning\r\nDTSTART:${iso(d).replaceAll('-', '')}T090000Z\r\n` +
  `DTEND:${iso(d).replaceAll('-', '')}T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

test('the calendar shows an uploaded calendar beside a task, and the task moves to another day', async ({ page }) => {
  await signUp(page, 'calendar');
  const monday = nextMonday();
  const tuesday = new Date(monday.getTime() + 86_400_000);
  const wednesday = new Date(monday.getTime() + 2 * 86_400_000);

  await createProject(page, 'Garden');
  await ready(page);
  await page.getByLabel('Title', { exact: true }).fill('Prune roses');
  await page.locator('#new-task-start_date').fill(iso(tuesday));
  await page.getByRole('button', { name: 'Add task' }).click();
  await expect(page.getByRole('link', { name: 'Prune roses' })).toBeVisible();

  await page.getByRole('link', { name: 'Calendar' }).click();
  await expect(page.getByRole('heading', { name: 'Calendar', level: 1 })).toBeVisible();
  await expect(page.getByText('No calendars yet.')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).last().fill('Work');
  await page.getByLabel('File').setInputFiles({ name: 'work.ics', mimeType: 'text/calendar', buffer: Buffer.from(ics(monday)) });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#calendars ~ ul')).toContainText('Work');

  await page.goto(`/calendar?week=${iso(monday)}`);
  await ready(page);
  const day = (d: Date) =>
    page.getByRole('region', { name: d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).replace(',', '') });
  await expect(day(monday)).toContainText('Team planning');
  await expect(day(tuesday)).toContainText('Prune roses');

  await day(tuesday).getByLabel('New day for Prune roses').fill(iso(wednesday));
  await day(tuesday).getByRole('button', { name: 'Move' }).click();
  await expect(day(wednesday)).toContainText('Prune roses');
  await expect(day(tuesday)).not.toContainText('Prune roses');

  // Marked as holidays, and back.
  const calendars = page.locator('#calendars ~ ul');
  await calendars.getByRole('button', { name: /^Holidays: the all-day events of Work/ }).click();
  await expect(calendars).toContainText('Holidays: days off');
  await calendars.getByRole('button', { name: /^Not holidays/ }).click();
  await expect(calendars).not.toContainText('Holidays: days off');
});

test('recent meetings suggest a project with tasks, reviewed and confirmed like a brain dump', async ({ page }) => {
  await signUp(page, 'analysis');
  const day = (offset: number) => iso(new Date(Date.now() + offset * 86_400_000)).replaceAll('-', '');
  const event = (uid: string, summary: string, d: string, from: string, to: string, rule = '') =>
    `BEGIN:VEVENT\r\nUID:${uid}\r\nSUMMARY:${summary}\r\nDTSTART:${d}T${from}00Z\r\nDTEND:${d}T${to}00Z\r\n${rule}END:VEVENT\r\n`;
  const body =
    'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n' +
    event('r', 'Acme design review', day(-20), '1400', '1500', 'RRULE:FREQ=WEEKLY;COUNT=6\r\n') +
    event('k', 'Acme kickoff', day(-3), '1000', '1130') +
    'END:VCALENDAR\r\n';

  await page.goto('/calendar');
  await ready(page);
  await expect(page.getByTestId('suggest-projects')).toHaveCount(0);
  await page.getByLabel('Name', { exact: true }).last().fill('Work');
  await page.getByLabel('File').setInputFiles({ name: 'work.ics', mimeType: 'text/calendar', buffer: Buffer.from(body) });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#calendars ~ ul')).toContainText('Work');
  await ready(page);

  await page.getByRole('button', { name: 'Suggest projects' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Ready to review' })).toBeVisible();
  await ready(page);
  await expect(page.getByLabel('Name').first()).toHaveValue('Acme');
  await expect(page.locator('input[value="Follow up on Acme kickoff"]')).toBeVisible();
  await page.getByRole('button', { name: 'Confirm ticked items' }).click();
  await expect(page.getByRole('heading', { name: 'Review · Applied' })).toBeVisible();

  await page.goto('/projects/acme');
  await expect(page.getByRole('link', { name: 'Prepare for Acme design review' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Follow up on Acme kickoff' })).toBeVisible();
});
