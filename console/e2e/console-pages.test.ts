import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, testKeyring, testPassword, tokenFor, type TestUser } from '../../test/auth.js';
import { useListeningApp } from '../../test/listening-app.js';
import { ensureConsoleBuilt } from '../build.js';
import { desktop, launchChromium, openPerson, type Person, phone, screenshot, screenshots, seriousViolationsAtBothWidths, signIn, whenCapacityReads } from './browser.js';

/**
 * The administrator's working screens beyond the training day, in Debian's Chromium against the real
 * server: adding a person to a session by search, students without an account named, the session's
 * activity, a certificate's page, editing and pausing a schedule, editing a roster, the dashboard's
 * charts. Every page is checked by axe at 1280 and at 390 px, and none may break the CSP.
 */
beforeAll(async () => {
  await ensureConsoleBuilt({ log: () => undefined });
}, 180_000);

const server = useListeningApp(true);
let browser: Browser;
let admin: TestUser;
let instructor: TestUser;
let trainee: TestUser;
let adminToken: string;
let person: Person;
let sessionId: string;
let scheduleId: string;
let rosterId: string;
let courseId: string;
let locationId: string;
const figures: Record<string, number> = {};

function addDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

beforeAll(async () => {
  admin = await createUser(server.db, testKeyring, { role: 'SA', email: 'ada.admin@example.test', firstName: 'Ada', lastName: 'Admin' });
  instructor = await createUser(server.db, testKeyring, { role: 'IC', email: 'ines.instructor@example.test', firstName: 'Ines', lastName: 'Instructor' });
  trainee = await createUser(server.db, testKeyring, { role: 'IT', email: 'tom.trainee@example.test', firstName: 'Tom', lastName: 'Trainee' });
  adminToken = await tokenFor(server.baseUrl, admin.email, admin.password);
  const location = await server.call('POST', '/v1/locations', adminToken, { name: 'Lyon Training Centre', city: 'Lyon', country: 'FR', timezone: 'Europe/Paris' });
  locationId = String(location.json['id']);
  const course = await server.call('POST', '/v1/courses', adminToken, { code: 'FA-201', title: 'First aid refresher', duration_minutes: 240, certifies: true, certificate_validity_months: 24 });
  courseId = String(course.json['id']);
  expect((await server.call('POST', `/v1/courses/${courseId}/publish`, adminToken, { version: course.json['version'] })).status).toBe(200);
  const session = await server.call('POST', '/v1/sessions', adminToken, {
    course_id: courseId, location_id: locationId, instructor_id: instructor.id, title: 'Refresher — winter', session_date: addDays(20), start_time: '09:00', end_time: '13:00', max_capacity: 3,
  });
  expect(session.status).toBe(201);
  sessionId = String(session.json['id']);
  // A student without an account, enrolled by e-mail (as a CSV row would).
  const batch = await server.call('POST', `/v1/sessions/${sessionId}/enrollments/batch`, adminToken, { students: [{ email: 'carla.csv@example.test', first_name: 'Carla', last_name: 'Csv' }] });
  expect(batch.status).toBe(200);
  // Within the dashboard's fortnight: its fill is charted.
  const soon = await server.call('POST', '/v1/sessions', adminToken, {
    course_id: courseId, location_id: locationId, instructor_id: instructor.id, title: 'Refresher — next week', session_date: addDays(5), start_time: '09:00', end_time: '13:00', max_capacity: 4,
  });
  expect((await server.call('POST', `/v1/sessions/${soon.json['id']}/enrollments`, adminToken, { student_id: trainee.id })).status).toBe(201);
  const schedule = await server.call('POST', '/v1/schedules', adminToken, {
    course_id: courseId, location_id: locationId, instructor_id: instructor.id, rrule: 'FREQ=WEEKLY;BYDAY=WE;COUNT=4', start_date: addDays(30), start_time: '14:00', duration_minutes: 120, max_capacity: 6,
  });
  expect(schedule.status).toBe(201);
  scheduleId = String((schedule.json['schedule'] as { id: string }).id);
  const roster = await server.call('POST', '/v1/rosters', adminToken, { name: 'Harbour crew roster', course_id: courseId, location_id: locationId, instructor_name: 'Ines Instructor', roster_type: 'CERTIFICATE', issue_date: addDays(-3) });
  expect(roster.status).toBe(201);
  rosterId = String(roster.json['id']);
  const member = await server.call('POST', `/v1/rosters/${rosterId}/members`, adminToken, { first_name: 'Mia', last_name: 'Member', completion_status: 'COMPLETED', attendance_status: 'ATTENDED', practical_score: 91 });
  expect(member.status).toBe(201);
  expect((await server.call('POST', '/v1/certificates', adminToken, { roster_member_id: member.json['id'] })).status).toBe(201);
  browser = await launchChromium();
  person = await openPerson(browser, server.baseUrl, desktop);
  await person.page.goto('/');
  await signIn(person, admin.email, testPassword);
}, 120_000);

afterAll(async () => {
  await person?.context.close();
  await browser?.close();
  if (Object.keys(figures).length > 0) console.log(`console figures (pages): ${JSON.stringify(figures)}`);
});

/** axe at both widths on the page as shown, and nothing the CSP refused so far. */
async function expectAccessible(what: string): Promise<void> {
  const violations = await seriousViolationsAtBothWidths(person.page);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  expect(person.problems, what).toEqual([]);
}



describe('the administrator’s working screens', () => {
  it('names a student without an account, follows another writer, adds a person found by name, and shows the session’s activity', async () => {
    const { page } = person;
    await page.goto(`/sessions/${sessionId}`);
    const enrolled = page.getByTestId('enrolled-table');
    await enrolled.getByText('Carla Csv').waitFor();
    await enrolled.getByText('No account (enrolled by e-mail)').waitFor();

    // Someone else enrolls a person through the API: the open page moves on its own.
    const other = await createUser(server.db, testKeyring, { role: 'IN', email: 'lou.live@example.test', firstName: 'Lou', lastName: 'Live' });
    const seen = whenCapacityReads(page, '2 / 3');
    const enrolledElsewhere = await server.call('POST', `/v1/sessions/${sessionId}/enrollments`, adminToken, { student_id: other.id });
    const answeredAt = Date.now();
    expect(enrolledElsewhere.status).toBe(201);
    figures['live update after another writer’s response (ms)'] = (await seen) - answeredAt;
    await enrolled.getByText('Lou Live').waitFor();
    await expectAccessible('session page with a student without an account');
    await screenshots(page, 'session-names');

    await page.getByRole('button', { name: 'Add a person' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name or e-mail').fill('zz-nobody');
    await dialog.getByText('Nobody matches').waitFor();
    await dialog.getByLabel('Name or e-mail').fill('tom');
    await dialog.getByTestId('person-matches').getByText('Tom Trainee').waitFor();
    await expectAccessible('add a person');
    await screenshots(page, 'session-add-person');
    await dialog.getByRole('button', { name: 'Enroll Tom Trainee' }).click();
    await page.getByTestId('capacity-text').filter({ hasText: '3 / 3' }).waitFor();
    // An e-mail finds them too; enrolling them again is refused and said so.
    await dialog.getByLabel('Name or e-mail').fill('tom.trainee@example.test');
    await dialog.getByRole('button', { name: 'Enroll Tom Trainee' }).click();
    await dialog.getByRole('alert').waitFor();
    await page.keyboard.press('Escape');
    await enrolled.getByText('Tom Trainee').waitFor();

    const capacity = await server.call('PUT', `/v1/sessions/${sessionId}/capacity`, adminToken, { max_capacity: 5 });
    expect(capacity.status).toBe(200);
    await page.getByRole('tab', { name: 'Activity' }).click();
    await page.waitForURL('**?tab=activity');
    const activity = page.getByTestId('session-activity');
    await activity.getByRole('row').filter({ hasText: 'max_capacity' }).filter({ hasText: '3 → 5' }).waitFor();
    await activity.getByText('Created · training_sessions').waitFor();
    await expectAccessible('session activity');
    await screenshots(page, 'session-activity');
  });

  it('shows a certificate on its own page, with its verification link, and revokes it with the reason shown', async () => {
    const { page } = person;
    await page.goto('/certificates');
    await page.getByTestId('certificates-table').getByRole('link', { name: 'Mia Member', exact: true }).click();
    await page.waitForURL(/\/certificates\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Certificate of Mia Member' }).waitFor();
    await expect.poll(() => page.getByTestId('verify-url').textContent()).toMatch(/\/verify\/[\w-]+$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^certificate-[0-9a-f-]{36}\.pdf$/);
    await expectAccessible('certificate page');
    await screenshots(page, 'certificate');
    await page.getByRole('button', { name: 'Revoke Mia Member’s certificate' }).click();
    const revoke = page.getByRole('dialog');
    await revoke.getByLabel('Reason').selectOption('ISSUED_IN_ERROR');
    await revoke.getByLabel(/Explanation/).fill('Issued to the wrong crew.');
    await revoke.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('revocation').filter({ hasText: 'Issued in error — Issued to the wrong crew.' }).waitFor();
    await page.getByText('Revoked', { exact: true }).first().waitFor();
    await expectAccessible('revoked certificate page');
    await screenshots(page, 'certificate-revoked');

    // The audit log shows the revocation's instant as the console writes dates, not as the row's ISO text.
    await page.goto('/audit?table=certificates&operation=UPDATE');
    const revokedAt = page.getByTestId('audit-table').locator('.change-list li').filter({ hasText: 'revoked_at' }).first();
    await expect.poll(() => revokedAt.textContent()).toMatch(/^revoked_at ∅ → \d{1,2} \w{3} \d{4}, \d{2}:\d{2}$/);
  });

  it('edits a schedule’s sessions with the error beside its field, says "changed by someone else" on a 409, and pauses it', async () => {
    const { page } = person;
    await page.goto('/schedules');
    await page.getByTestId('schedules-table').getByRole('link', { name: /every Wednesday at 14:00 Europe\/Paris, 4 sessions/ }).click();
    await page.waitForURL(`**/schedules/${scheduleId}`);
    await page.getByTestId('schedule-rule').filter({ hasText: 'every Wednesday at 14:00 Europe/Paris, 4 sessions' }).waitFor();
    await page.locator('label', { hasText: /^One day$/ }).click();
    await page.getByLabel('Capacity').fill('9');
    await page.getByRole('button', { name: 'Change the sessions' }).click();
    // The API's 400 names occurrence_date: its message sits under that field.
    const day = page.getByLabel(/^The day/);
    await expect.poll(() => day.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible('schedule edit with an error beside its field');
    await screenshots(page, 'schedule-edit-error');

    await page.locator('label', { hasText: 'All upcoming' }).click();
    await page.getByRole('button', { name: 'Change the sessions' }).click();
    await page.getByTestId('schedule-report').getByText(/^4 sessions now follow the schedule/).waitFor();
    const { rows } = await server.db.query<{ max_capacity: number }>('select distinct max_capacity from training_sessions where schedule_id = $1', [scheduleId]);
    expect(rows).toEqual([{ max_capacity: 9 }]);
    await expectAccessible('schedule edited');
    await screenshots(page, 'schedule-edited');

    // Someone else changes the schedule while the page shows the version it read.
    const current = await server.call('GET', `/v1/schedules/${scheduleId}`, adminToken);
    await page.getByLabel('Capacity').fill('7');
    expect((await server.call('PATCH', `/v1/schedules/${scheduleId}`, adminToken, { duration_minutes: 150, version: current.json['version'] })).status).toBe(200);
    await page.getByRole('button', { name: 'Change the sessions' }).click();
    await page.getByText('Someone else changed this').waitFor();
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => page.getByLabel('Duration (minutes)').inputValue()).toBe('150');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.getByText('Paused', { exact: true }).first().waitFor();
    await expectAccessible('paused schedule');
    await screenshots(page, 'schedule-paused');
  });

  it('adds, edits and removes roster members', async () => {
    const { page } = person;
    await page.goto(`/rosters/${rosterId}`);
    const members = page.getByTestId('roster-members');
    await members.getByText('Mia Member').waitFor();
    await page.getByRole('button', { name: 'Add a member' }).click();
    const add = page.getByRole('dialog');
    await add.getByLabel(/^First name/).fill('Noor');
    await add.getByLabel(/^Last name/).fill('New');
    await add.getByLabel(/^E-mail/).fill('not-an-address');
    await add.getByRole('button', { name: 'Add a member' }).click();
    // The API's 400 names the e-mail: the message sits beside it.
    await expect.poll(() => add.getByLabel(/^E-mail/).getAttribute('aria-invalid')).toBe('true');
    await expectAccessible('add a roster member with an error beside its field');
    await add.getByLabel(/^E-mail/).fill('noor.new@example.test');
    await add.getByRole('button', { name: 'Add a member' }).click();
    const noor = members.getByRole('row').filter({ hasText: 'Noor New' });
    await noor.waitFor();

    await noor.getByRole('button', { name: 'Edit Noor New' }).click();
    const edit = page.getByRole('dialog');
    await edit.getByLabel('Attendance').selectOption({ label: 'Attended' });
    await edit.getByLabel('Practical score (0–100)').fill('88');
    await edit.getByLabel('Completion').selectOption({ label: 'Completed' });
    await expectAccessible('edit a roster member');
    await screenshots(page, 'roster-member-edit');
    await edit.getByRole('button', { name: 'Save' }).click();
    await noor.filter({ hasText: 'Attended' }).filter({ hasText: '88 / —' }).filter({ hasText: 'Completed' }).waitFor();
    await expectAccessible('roster with members to edit');
    await screenshots(page, 'roster-editable');

    await noor.getByRole('button', { name: 'Remove Noor New' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => members.getByText('Noor New').count()).toBe(0);
    const { rows } = await server.db.query<{ count: number }>('select count(*)::int as count from student_roster_members where roster_id = $1', [rosterId]);
    expect(rows[0]?.count).toBe(1);
  });

  it('lists sessions as cards on a phone, nothing hidden off to the right', async () => {
    const { page } = person;
    await page.goto('/sessions');
    const table = page.getByTestId('sessions-table');
    await table.getByRole('link', { name: 'Refresher — winter' }).waitFor();
    await page.setViewportSize(phone);
    try {
      const sizes = await table.evaluate((element) => ({ table: element.getBoundingClientRect().right, page: document.documentElement.clientWidth }));
      expect(sizes.table).toBeLessThanOrEqual(sizes.page);
    } finally {
      await page.setViewportSize(desktop);
    }
  });

  it('lists all of a trainee’s places soonest first, whatever the order they were made in and however many pages they take', async () => {
    // Tom holds a place next week (made first); then one in a fortnight, then one the day after tomorrow.
    for (const [title, day] of [['Refresher — fortnight', 14], ['Refresher — this week', 2]] as const) {
      const session = await server.call('POST', '/v1/sessions', adminToken, {
        course_id: courseId, location_id: locationId, instructor_id: instructor.id, title, session_date: addDays(day), start_time: '09:00', end_time: '12:00', max_capacity: 5,
      });
      expect((await server.call('POST', `/v1/sessions/${session.json['id']}/enrollments`, adminToken, { student_id: trainee.id })).status).toBe(201);
    }
    const tom = await openPerson(browser, server.baseUrl, phone);
    try {
      await tom.page.goto('/');
      await signIn(tom, trainee.email, testPassword);
      // Two places a page: the schedule still shows every place, each page read in turn.
      await tom.page.route(/\/v1\/enrollments\?/, (route) => route.continue({ url: route.request().url().replace(/limit=\d+/, 'limit=2') }));
      const sessionReads: string[] = [];
      tom.page.on('request', (request) => {
        const { pathname, search } = new URL(request.url());
        if (pathname.startsWith('/v1/sessions')) sessionReads.push(`${pathname}${search}`);
      });
      await tom.page.goto('/my/schedule');
      const places = tom.page.getByTestId('my-place');
      const ours = ['Refresher — this week', 'Refresher — next week', 'Refresher — fortnight'];
      // A generous deadline for a page that will show them, never a measure of how fast it did.
      await expect.poll(async () => (await places.allTextContents()).map((text) => ours.find((title) => text.startsWith(title))).filter((title) => title !== undefined), { timeout: 30_000 }).toEqual(ours);
      // The places' sessions in one list request by their ids, not one request per place (was /v1/sessions/{id} for each).
      expect(sessionReads.filter((read) => /^\/v1\/sessions\/[0-9a-f-]{36}$/.test(read)), sessionReads.join('\n')).toEqual([]);
      const byIds = sessionReads.filter((read) => read.startsWith('/v1/sessions?') && read.includes('ids='));
      expect(byIds.length, sessionReads.join('\n')).toBeGreaterThan(0);
      expect(new URLSearchParams(byIds[0]!.split('?')[1]).getAll('ids')).toHaveLength(await places.count());

      // The calendar link fits the phone's width (wrapped, not cut off), and copies with a visible confirmation.
      await tom.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
      await tom.page.getByRole('button', { name: 'Create my calendar link' }).click();
      const url = tom.page.getByTestId('calendar-feed-url');
      await expect.poll(() => url.textContent()).toMatch(/\/v1\/calendar\/feeds\/.+\.ics$/);
      const fit = await url.evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth, right: element.getBoundingClientRect().right, page: document.documentElement.clientWidth }));
      expect(fit.scroll, JSON.stringify(fit)).toBeLessThanOrEqual(fit.client);
      expect(fit.right, JSON.stringify(fit)).toBeLessThanOrEqual(fit.page);
      await tom.page.getByRole('button', { name: 'Copy the link' }).click();
      await tom.page.getByRole('button', { name: /^Copied/ }).waitFor();
      // Also spoken: a screen reader announces a polite live region's new words, not a button's new label.
      await tom.page.getByRole('status').filter({ hasText: 'Copied: paste it into your calendar app' }).waitFor({ state: 'attached' });
      expect(await tom.page.evaluate(() => navigator.clipboard.readText())).toBe(await url.textContent());
      await screenshots(tom.page, 'my-schedule-feed');
      expect(tom.problems).toEqual([]);
    } finally {
      await tom.context.close();
    }
  });

  it('draws the dashboard’s charts', async () => {
    const { page } = person;
    // Eight sessions in the dashboard's fortnight, with course titles that wrap: the fill chart names each on its own lines.
    for (let day = 6; day < 13; day++) {
      const session = await server.call('POST', '/v1/sessions', adminToken, {
        course_id: courseId, location_id: locationId, instructor_id: instructor.id, title: `Instructor foundations, part ${day}`, session_date: addDays(day), start_time: '09:00', end_time: '12:00', max_capacity: 10,
      });
      expect(session.status).toBe(201);
    }
    await page.goto('/dashboard');
    for (const chart of ['chart-months', 'chart-fill', 'chart-compliance', 'chart-expiring']) await page.getByTestId(chart).locator('svg').first().waitFor();
    await page.getByTestId('chart-months').getByText(/^Enrollments \d+ \(last month \d+\)/).waitFor();
    // The legend names the months in the bars' order, this month (the later YYYY-MM) first.
    const legendItems = page.getByTestId('chart-months').locator('[class*="legendItemName"]');
    await expect.poll(() => legendItems.count()).toBe(2);
    const legend = await legendItems.allTextContents();
    expect(legend[0]! > legend[1]!, `legend ${legend.join(', ')}`).toBe(true);
    for (const viewport of [desktop, phone]) {
      await page.setViewportSize(viewport);
      const labels = page.getByTestId('chart-fill').locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value');
      await expect.poll(() => labels.count()).toBe(8);
      const boxes = (await labels.evaluateAll((elements) => elements.map((element) => element.getBoundingClientRect()).map(({ top, bottom }) => ({ top, bottom })))).sort((a, b) => a.top - b.top);
      for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.top, `${viewport.width} px: label ${i + 1} overlaps the one above`).toBeGreaterThanOrEqual(boxes[i - 1]!.bottom);
    }
    await page.setViewportSize(desktop);
    await expectAccessible('dashboard with charts');
    // This month against last on a phone: a card per month, nothing off to the right (it scrolled sideways).
    await page.setViewportSize(phone);
    try {
      const months = page.getByTestId('dashboard-months-table');
      const fit = await months.evaluate((element) => ({ right: element.getBoundingClientRect().right, box: element.parentElement!.scrollWidth, shown: element.parentElement!.clientWidth, page: document.documentElement.clientWidth }));
      expect(fit.right, JSON.stringify(fit)).toBeLessThanOrEqual(fit.page);
      expect(fit.box, JSON.stringify(fit)).toBeLessThanOrEqual(fit.shown);
      if (process.env['CONSOLE_SCREENSHOTS']) {
        await months.evaluate((element) => window.scrollTo(0, element.getBoundingClientRect().top + window.scrollY - 120));
        await screenshot(page, 'dashboard-months-390');
      }
    } finally {
      await page.setViewportSize(desktop);
    }
    if (process.env['CONSOLE_SCREENSHOTS']) {
      await page.getByTestId('dashboard-months-table').evaluate((element) => window.scrollTo(0, element.getBoundingClientRect().top + window.scrollY - 120));
      await screenshot(page, 'dashboard-months-1280');
    }
    // The charts are below the figures: each width's picture starts at them.
    if (process.env['CONSOLE_SCREENSHOTS']) {
      for (const viewport of [desktop, phone]) {
        await page.setViewportSize(viewport);
        // Below the sticky top bar, not under it.
        await page.getByTestId('chart-months').evaluate((element) => window.scrollTo(0, element.getBoundingClientRect().top + window.scrollY - 72));
        await screenshot(page, `dashboard-charts-${viewport.width}`);
      }
      await page.setViewportSize(desktop);
    }
  });
});
