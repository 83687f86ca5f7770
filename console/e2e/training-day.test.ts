import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, testKeyring, testPassword, tokenFor, type TestUser } from '../../test/auth.js';
import { useListeningApp } from '../../test/listening-app.js';
import { createJobHandlers } from '../../src/job-handlers.js';
import { createWorker, type Dispatcher } from '../../src/platform/jobs/index.js';
import { createFieldCipher } from '../../src/platform/security/field-cipher.js';
import { createLogger } from '../../src/platform/shared/logger.js';
import { ensureConsoleBuilt } from '../build.js';
import { desktop, launchChromium, measureListRender, medianAndRange, openPerson, type Person, phone, type RenderMeasure, screenshots, seriousViolationsAtBothWidths, signIn, tablet, whenCapacityReads } from './browser.js';

/**
 * The training day, in Debian's Chromium against the real server on a port (the built console, the
 * API, the change stream, the database): an administrator creates a session; two trainees on phones
 * enroll and join the waitlist while the administrator's open session page follows on its own; the
 * instructor takes attendance and scores on a tablet and completes the session. axe-core checks every
 * page visited (no serious or critical violation), and no page may break the Content-Security-Policy.
 */
const distAssets = fileURLToPath(new URL('../dist/assets', import.meta.url));

beforeAll(async () => {
  // Before the app is built: the server serves the build it finds at start.
  await ensureConsoleBuilt({ log: () => undefined });
}, 180_000);

const server = useListeningApp(true);
let browser: Browser;
let admin: TestUser;
let instructor: TestUser;
let firstTrainee: TestUser;
let secondTrainee: TestUser;
let adminToken: string;
let worker: Dispatcher;
let outboxDir: string;
const people: Person[] = [];
const figures: Record<string, number | string> = {};

beforeAll(async () => {
  admin = await createUser(server.db, testKeyring, { role: 'SA', email: 'ada.admin@example.test', firstName: 'Ada', lastName: 'Admin' });
  instructor = await createUser(server.db, testKeyring, { role: 'IC', email: 'ines.instructor@example.test', firstName: 'Ines', lastName: 'Instructor' });
  firstTrainee = await createUser(server.db, testKeyring, { role: 'IT', email: 'tom.trainee@example.test', firstName: 'Tom', lastName: 'Trainee' });
  secondTrainee = await createUser(server.db, testKeyring, { role: 'IN', email: 'nina.newcomer@example.test', firstName: 'Nina', lastName: 'Newcomer' });
  adminToken = await tokenFor(server.baseUrl, admin.email, admin.password);
  const location = await server.call('POST', '/v1/locations', adminToken, { name: 'Paris Training Centre', city: 'Paris', country: 'FR', timezone: 'Europe/Paris' });
  expect(location.status).toBe(201);
  const course = await server.call('POST', '/v1/courses', adminToken, { code: 'FA-101', title: 'First aid at work', duration_minutes: 420, certifies: true, certificate_validity_months: 36, description: 'Three-day first aid course.' });
  expect(course.status).toBe(201);
  const published = await server.call('POST', `/v1/courses/${course.json['id']}/publish`, adminToken, { version: course.json['version'] });
  expect(published.status).toBe(200);
  // The job worker as the server runs it, driven by the test (drain) so a batch's progress comes when asked.
  outboxDir = await mkdtemp(join(tmpdir(), 'unitrain-console-outbox-'));
  const logger = createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: () => undefined });
  const mail = { from: 'Unitrain <no-reply@unitrain.test>', outboxDir, smtpUrl: null };
  worker = createWorker(server.db, { worker: { inProcess: false, pollMs: 10, leaseMs: 60_000 } }, createJobHandlers({ cipher: createFieldCipher(testKeyring), mail, logger, publicUrl: server.baseUrl }), logger);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
  for (const person of people) await person.context.close();
  await browser?.close();
  if (Object.keys(figures).length > 0) console.log(`console figures: ${JSON.stringify(figures)}`);
});

async function open(viewport: { width: number; height: number }, path = '/'): Promise<Person> {
  const person = await openPerson(browser, server.baseUrl, viewport);
  people.push(person);
  await person.page.goto(path);
  return person;
}

/** axe on the page as shown, at 1280 and at 390 px, and nothing the CSP refused so far. */
async function expectAccessible(person: Person, what: string): Promise<void> {
  const violations = await seriousViolationsAtBothWidths(person.page);
  expect(violations, `${what}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  expect(person.problems, what).toEqual([]);
}


function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The Tuesday three weeks before Europe's next spring clock change (the last Sunday of March), at least two weeks away. */
function tuesdayBeforeSpringForward(): string {
  const soon = new Date(Date.now() + 14 * 86_400_000);
  for (let year = soon.getUTCFullYear(); ; year++) {
    const lastOfMarch = new Date(Date.UTC(year, 2, 31, 12));
    const sunday = addDays(lastOfMarch.toISOString().slice(0, 10), -lastOfMarch.getUTCDay());
    const tuesday = addDays(sunday, -19);
    if (tuesday > soon.toISOString().slice(0, 10)) return tuesday;
  }
}


describe('the training day in the console', () => {
  let adminPerson: Person;
  let sessionUrl: string;

  it('loads the sign-in page with little JavaScript', async () => {
    const visitor = await open(desktop, '/');
    await visitor.page.getByRole('button', { name: 'Sign in' }).waitFor();
    const scripts = await visitor.page.evaluate(() =>
      performance.getEntriesByType('resource').filter((entry) => (entry as PerformanceResourceTiming).initiatorType === 'script' || entry.name.endsWith('.js')).map((entry) => entry.name),
    );
    const gzipBytes = scripts.map((url) => readFileSync(join(distAssets, `${new URL(url).pathname.split('/').pop()}.gz`)).length).reduce((sum, size) => sum + size, 0);
    figures['sign-in JavaScript, gzip (kB)'] = Math.round(gzipBytes / 1024);
    figures['sign-in scripts'] = scripts.map((url) => new URL(url).pathname).join(' ');
    expect(gzipBytes).toBeLessThan(250 * 1024);
    await expectAccessible(visitor, 'sign-in page');
    await screenshots(visitor.page, 'sign-in');
    await visitor.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await visitor.page.getByLabel('E-mail').fill('nobody@example.test');
    await visitor.page.getByRole('button', { name: 'Send me a link' }).click();
    await visitor.page.getByRole('status').filter({ hasText: 'a link to choose a new password is on its way' }).waitFor();
    await expectAccessible(visitor, 'forgot password');
    await visitor.page.goto('/accept-invitation');
    await visitor.page.getByText('This page needs the link from your e-mail').waitFor();
    await expectAccessible(visitor, 'accept an invitation without its link');
  });

  it('lets the administrator create a session, with the API error beside its field', async () => {
    adminPerson = await open(desktop, '/');
    const { page } = adminPerson;
    await signIn(adminPerson, admin.email, testPassword);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.waitForURL('**/sessions');
    await expectAccessible(adminPerson, 'sessions (empty)');
    await page.getByRole('button', { name: 'New session' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Course').selectOption({ label: 'FA-101 · First aid at work' });
    await dialog.getByLabel('Location').selectOption({ label: 'Paris Training Centre (Europe/Paris)' });
    await dialog.getByLabel('Instructor').selectOption({ label: 'Ines Instructor' });
    await dialog.getByLabel('Capacity').fill('1');
    await dialog.getByLabel('Title (optional)').fill('x'.repeat(201));
    await expectAccessible(adminPerson, 'new session dialog');
    await dialog.getByRole('button', { name: 'Create session' }).click();
    // The server's 400 names body.title: the message sits under the Title field, which says it is invalid.
    const title = dialog.getByLabel('Title (optional)');
    await expect.poll(() => title.getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('must NOT have more than 200 characters').waitFor();
    await expectAccessible(adminPerson, 'new session dialog with an error');
    await screenshots(page, 'new-session-error');
    await title.fill('First aid — spring intake');
    await dialog.getByRole('button', { name: 'Create session' }).click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    sessionUrl = new URL(page.url()).pathname;
    await page.getByTestId('capacity-text').filter({ hasText: '0 / 1' }).waitFor();
    await expect.poll(() => page.getByTestId('session-when').textContent()).toMatch(/09:00–17:00 Europe\/Paris$/);
    await expectAccessible(adminPerson, 'session page');
  });

  it('moves the administrator’s open session page as trainees enroll and join the waitlist', async () => {
    const trainee = await open(phone, '/');
    await signIn(trainee, firstTrainee.email, testPassword);
    await trainee.page.waitForURL('**/catalogue');
    await trainee.page.getByLabel('Search courses').fill('first aid');
    await trainee.page.waitForURL('**/catalogue?q=first+aid');
    await expectAccessible(trainee, 'catalogue');
    await screenshots(trainee.page, 'catalogue');
    await trainee.page.getByRole('link', { name: 'First aid at work' }).click();
    await trainee.page.getByTestId('seats-left').filter({ hasText: '1 seat left' }).waitFor();
    await expectAccessible(trainee, 'course sessions');
    await screenshots(trainee.page, 'course-sessions');

    const seen = whenCapacityReads(adminPerson.page, '1 / 1');
    const [enrolled] = await Promise.all([
      trainee.page.waitForResponse((response) => response.request().method() === 'POST' && /\/enrollments$/.test(response.url())),
      trainee.page.getByRole('button', { name: 'Enroll' }).click(),
    ]);
    expect(enrolled.status()).toBe(201);
    // When the trainee's browser had the whole answer, on the same clock as the administrator's page.
    const answeredAt = await trainee.page.evaluate(() => {
      const answer = performance.getEntriesByType('resource').filter((entry) => /\/enrollments$/.test(entry.name)).pop() as PerformanceResourceTiming | undefined;
      return performance.timeOrigin + (answer?.responseEnd ?? performance.now());
    });
    figures['live update after the writer’s response (ms)'] = Math.round((await seen) - answeredAt);
    await trainee.page.getByTestId('my-place').filter({ hasText: 'Enrolled' }).waitFor();

    const second = await open(phone, '/catalogue/FA-101');
    await signIn(second, secondTrainee.email, testPassword);
    await second.page.getByTestId('seats-left').filter({ hasText: 'Full' }).waitFor();
    await second.page.getByRole('button', { name: "Full — join the waitlist, you'd be #1" }).click();
    await second.page.getByTestId('my-place').filter({ hasText: 'Waitlist #1' }).waitFor();
    await adminPerson.page.getByTestId('capacity-text').filter({ hasText: '1 / 1 · 1 waitlisted' }).waitFor();
    await adminPerson.page.getByRole('tab', { name: /Waitlist/ }).click();
    await adminPerson.page.waitForURL('**?tab=waitlist');
    await adminPerson.page.getByTestId('waitlist-table').getByText('Nina Newcomer').waitFor();
    await expectAccessible(adminPerson, 'session page, waitlist');
    await screenshots(adminPerson.page, 'session-waitlist');
    await adminPerson.page.getByRole('tab', { name: /Enrolled/ }).click();
    await adminPerson.page.getByTestId('enrolled-table').getByText('Tom Trainee').waitFor();
    await screenshots(adminPerson.page, 'session');

    // A reload keeps the trainee signed in (a silent refresh) and on the same page.
    await trainee.page.reload();
    await trainee.page.getByTestId('my-place').filter({ hasText: 'Enrolled' }).waitFor();
    expect(new URL(trainee.page.url()).pathname).toBe('/catalogue/FA-101');

    await trainee.page.getByRole('button', { name: 'Open navigation' }).click();
    await trainee.page.getByRole('link', { name: 'My schedule' }).click();
    await trainee.page.getByText('First aid — spring intake').waitFor();
    await trainee.page.getByRole('button', { name: 'Create my calendar link' }).click();
    await expect.poll(() => trainee.page.getByTestId('calendar-feed-url').textContent()).toMatch(/\/v1\/calendar\/feeds\/.+\.ics$/);
    await expectAccessible(trainee, 'my schedule');
    await screenshots(trainee.page, 'my-schedule');
    for (const [path, name] of [['/my/certificates', 'My certificates'], ['/notifications', 'Notifications']] as const) {
      await trainee.page.goto(path);
      await trainee.page.getByRole('heading', { name }).waitFor();
      await trainee.page.getByText(/No (certificates|notifications)/).waitFor();
      await expectAccessible(trainee, name);
    }
  });

  it('adds people to the session from a CSV, with a result per row, and takes a waiting place back', async () => {
    const { page } = adminPerson;
    await page.getByRole('button', { name: 'Add people (CSV)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('CSV', { exact: true }).fill(['email,first_name,last_name', 'tom.trainee@example.test,Tom,Trainee', 'carla.csv@example.test,Carla,Csv', 'not-an-email,Bad,Row'].join('\n'));
    await dialog.getByRole('button', { name: 'Enroll these people' }).click();
    const report = dialog.getByTestId('import-report');
    await report.getByText('3 rows: 0 enrolled, 1 waitlisted, 1 already there, 1 invalid.').waitFor();
    await report.locator('tr[data-outcome="WAITLISTED"]').getByText('Waitlist #2').waitFor();
    await report.locator('tr[data-outcome="INVALID"]').getByText('not-an-email,Bad,Row').waitFor();
    await expectAccessible(adminPerson, 'CSV enrollment with its report');
    await screenshots(page, 'session-import');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.getByTestId('capacity-text').filter({ hasText: '1 / 1 · 2 waitlisted' }).waitFor();
    await page.getByRole('tab', { name: /Waitlist/ }).click();
    const waitlist = page.getByTestId('waitlist-table');
    await waitlist.getByRole('row').filter({ hasText: '#2' }).getByRole('button', { name: 'Cancel place' }).click();
    await page.getByRole('dialog').getByText('Those behind move up').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel place' }).click();
    await page.getByTestId('capacity-text').filter({ hasText: '1 / 1 · 1 waitlisted' }).waitFor();
    await waitlist.getByRole('row').filter({ hasText: '#1' }).getByText('Nina Newcomer').waitFor();
    await page.getByRole('tab', { name: /Enrolled/ }).click();

    // Names come in lists (GET /v1/users?id=…), never one request per person.
    const asked: string[] = [];
    const record = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/users')) asked.push(`${url.pathname}${url.search}`);
    };
    page.on('request', record);
    await page.reload();
    await page.getByTestId('enrolled-table').getByText('Tom Trainee').waitFor();
    page.off('request', record);
    expect(asked.filter((path) => /^\/v1\/users\/[0-9a-f-]{36}$/.test(path))).toEqual([]);
    expect(asked.some((path) => path.startsWith('/v1/users?id='))).toBe(true);
  });

  it('lets the instructor take attendance and scores on a tablet and complete the session', async () => {
    const teacher = await open(tablet, '/');
    const { page } = teacher;
    await signIn(teacher, instructor.email, testPassword);
    await page.waitForURL('**/teaching');
    await page.getByText('First aid — spring intake').waitFor();
    await expectAccessible(teacher, 'my sessions (instructor)');
    await screenshots(page, 'instructor-sessions');
    await page.getByRole('link', { name: 'Attendance and scores' }).click();
    await page.getByTestId('attendance-row').getByText('Tom Trainee').waitFor();
    await page.getByRole('button', { name: 'Mark all present' }).click();
    await page.getByTestId('save-state').filter({ hasText: '1 unsaved change' }).waitFor();
    const score = page.getByLabel('Score (0–100)');
    await score.fill('150');
    await page.getByText('Between 0 and 100').waitFor();
    expect(await page.getByRole('button', { name: 'Complete session' }).isDisabled()).toBe(true);
    await score.fill('88');
    await expectAccessible(teacher, 'attendance');
    await screenshots(page, 'attendance');
    await page.getByRole('button', { name: 'Save attendance and scores' }).click();
    await page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();
    const sessionId = sessionUrl.split('/').pop() ?? '';
    const { rows: [saved] } = await server.db.query<{ attendance_status: string; assessment_score: number }>(
      'select attendance_status, assessment_score::float8 as assessment_score from session_enrollments where session_id = $1 and student_id = $2',
      [sessionId, firstTrainee.id],
    );
    expect(saved).toEqual({ attendance_status: 'ATTENDED', assessment_score: 88 });

    const adminSeesCompleted = adminPerson.page.getByText('Completed', { exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Complete session' }).click();
    await page.getByRole('dialog').getByText('Completing marks 1 of 1 trainees').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Complete session' }).click();
    await page.getByText('Completed', { exact: true }).first().waitFor();
    await adminSeesCompleted;
    const { rows: [done] } = await server.db.query<{ status: string; completion_status: string }>(
      'select s.status, e.completion_status from training_sessions s join session_enrollments e on e.session_id = s.id where s.id = $1 and e.student_id = $2',
      [sessionId, firstTrainee.id],
    );
    expect(done).toEqual({ status: 'COMPLETED', completion_status: 'COMPLETED' });
  });

  it('issues the session’s certificates as a batch with live progress, and revokes one with a reason', async () => {
    const { page } = adminPerson;
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();
    await page.getByRole('heading', { name: 'Certificates' }).waitFor();
    await page.getByRole('button', { name: 'Issue a batch' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: /^Session/ }).selectOption({ index: 1 });
    await expectAccessible(adminPerson, 'issue a certificate batch');
    await dialog.getByRole('button', { name: 'Issue certificates' }).click();
    await page.waitForURL(/\/certificates\/batches\/[0-9a-f-]{36}$/);
    await page.getByTestId('batch-progress').waitFor();
    // The job runs now; the page hears of each chunk on the stream.
    await worker.drain();
    await page.getByTestId('batch-progress').filter({ hasText: '1 of 1 processed' }).waitFor();
    await page.getByTestId('batch-results').getByText('Tom Trainee').waitFor();
    await expectAccessible(adminPerson, 'certificate batch');
    await screenshots(page, 'certificate-batch');

    await page.getByRole('link', { name: 'All certificates' }).click();
    const table = page.getByTestId('certificates-table');
    await table.getByRole('cell', { name: 'Tom Trainee', exact: true }).waitFor();
    const verifyPath = await table.getByRole('link', { name: /Verification page \(new tab\) of Tom Trainee/ }).getAttribute('href');
    expect(verifyPath).toMatch(/^\/verify\/[\w-]+$/);
    await expectAccessible(adminPerson, 'certificates');
    await screenshots(page, 'certificates');
    await page.goto('/certificates?status=REVOKED');
    await page.getByText('No certificates match').waitFor();
    await page.getByLabel('Status').selectOption({ label: 'Valid' });
    await table.getByRole('button', { name: 'Revoke Tom Trainee’s certificate' }).click();
    const revoke = page.getByRole('dialog');
    await revoke.getByRole('button', { name: 'Revoke' }).click();
    // The API's 400 names the missing reason code: its message sits under that field.
    await expect.poll(() => revoke.getByLabel('Reason').getAttribute('aria-invalid')).toBe('true');
    await revoke.getByText('Choose the reason.').waitFor();
    await expectAccessible(adminPerson, 'revoke with an error beside its field');
    await screenshots(page, 'certificate-revoke-error');
    await revoke.getByLabel('Reason').selectOption('ISSUED_IN_ERROR');
    await revoke.getByLabel(/Explanation/).fill('Issued for the wrong intake.');
    await revoke.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No certificates match').waitFor();
    await page.goto(verifyPath ?? '/');
    await page.getByText(/revoked/i).first().waitFor();
  });

  it('builds a schedule from a rule with a plain-words preview, a clock change and a conflict, and shows what it made', async () => {
    const { page } = adminPerson;
    const start = tuesdayBeforeSpringForward();
    const clash = addDays(start, 7);
    const { rows: [ids] } = await server.db.query<{ course_id: string; location_id: string }>(
      "select (select id from courses where code = 'FA-101') as course_id, (select id from locations where name = 'Paris Training Centre') as location_id",
    );
    // The instructor already teaches on the second Tuesday: the preview marks it, and the API makes every other occurrence.
    const busy = await server.call('POST', '/v1/sessions', adminToken, { ...ids, instructor_id: instructor.id, session_date: clash, start_time: '10:00', end_time: '11:00', max_capacity: 4 });
    expect(busy.status).toBe(201);
    await page.goto('/sessions');
    await page.getByRole('link', { name: 'Schedules', exact: true }).click();
    await page.getByText('No schedules yet').waitFor();
    await expectAccessible(adminPerson, 'schedules (empty)');
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByLabel('Course').selectOption({ label: 'FA-101 · First aid at work' });
    await page.getByLabel('Location').selectOption({ label: 'Paris Training Centre (Europe/Paris)' });
    await page.getByLabel('Instructor').selectOption({ label: 'Ines Instructor' });
    await page.getByLabel('First day').fill(start);
    await expect.poll(() => page.getByTestId('schedule-summary').textContent()).toBe('every Tuesday at 09:00 Europe/Paris, 12 sessions');
    const preview = page.getByTestId('schedule-preview-days');
    await preview.getByText('Instructor busy').waitFor();
    await preview.getByText(/^Clocks change between .+ \(GMT\+1 → GMT\+2\)/).waitFor();
    await expectAccessible(adminPerson, 'schedule builder');
    await screenshots(page, 'schedule-builder');
    await page.getByRole('button', { name: 'Create schedule and its sessions' }).click();
    const report = page.getByTestId('schedule-report');
    await report.getByText('11 sessions created, 1 not made because of a conflict.').waitFor();
    await expect.poll(() => page.getByTestId('schedule-preview-days').count()).toBe(0);
    await report.locator('tr[data-outcome="conflicts"]').getByText('The instructor teaches another session').waitFor();
    await expectAccessible(adminPerson, 'schedule report');
    await screenshots(page, 'schedule-report');
    await page.getByRole('link', { name: 'All schedules' }).click();
    await page.getByTestId('schedules-table').getByText('every Tuesday at 09:00 Europe/Paris, 12 sessions').waitFor();
    await expectAccessible(adminPerson, 'schedules');
    await screenshots(page, 'schedules');

    await page.goto(`/calendar?view=week&week=${clash}`);
    await page.getByRole('link', { name: /^10:00–11:00 First aid at work.*0\/4 · 0% full$/ }).waitFor();
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.getByRole('link', { name: /^09:00–10:30 First aid at work.*0\/12 · 0% full$/ }).waitFor();
    await page.getByLabel('Instructor').selectOption({ label: 'Ines Instructor' });
    await page.getByLabel('Course').selectOption({ label: 'FA-101' });
    await page.waitForURL(/view=week.*instructor=.*course=/);
    await page.getByRole('link', { name: /^09:00–10:30 First aid at work/ }).waitFor();
    await expectAccessible(adminPerson, 'calendar, week');
    await screenshots(page, 'calendar-week');
  });

  it('shows rosters and their members, the audit log, the jobs and the dashboard', async () => {
    const { page } = adminPerson;
    const completed = (await server.db.query<{ id: string }>("select id from training_sessions where title = 'First aid — spring intake'")).rows[0]?.id;
    const roster = await server.call('POST', '/v1/rosters/from-session', adminToken, { session_id: completed, name: 'Spring intake roster' });
    expect(roster.status).toBe(201);
    await page.goto('/sessions');
    await page.getByRole('link', { name: 'Rosters', exact: true }).click();
    await page.getByRole('link', { name: 'Spring intake roster' }).click();
    await page.getByTestId('roster-members').getByText('Tom Trainee').waitFor();
    await expectAccessible(adminPerson, 'roster');
    await screenshots(page, 'roster');
    await page.getByRole('link', { name: 'All rosters' }).click();
    await page.getByTestId('rosters-table').waitFor();
    await expectAccessible(adminPerson, 'rosters');
    await screenshots(page, 'rosters');

    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.getByLabel('Table').selectOption('training_sessions');
    await page.getByLabel('Change', { exact: true }).selectOption('UPDATE');
    const audit = page.getByTestId('audit-table');
    // The instructor's completion, field by field: status IN_PROGRESS → COMPLETED.
    await audit.getByRole('row').filter({ hasText: 'Changed · training_sessions' }).filter({ hasText: 'IN_PROGRESS → COMPLETED' }).first().waitFor();
    await expectAccessible(adminPerson, 'audit');
    await screenshots(page, 'audit');
    await page.getByLabel('Change', { exact: true }).selectOption('');
    await expect.poll(() => new URL(page.url()).searchParams.has('operation')).toBe(false);
    await page.getByLabel('Who').selectOption({ label: 'Ada Admin' });
    await expect.poll(() => new URL(page.url()).searchParams.get('actor')).toBe(admin.id);
    await audit.getByText('Created · training_sessions').first().waitFor();

    // Tomorrow's session with one seat taken of ten: upcoming, with its fill bar, and under-filled (attention).
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const soon = await server.call('POST', '/v1/sessions', adminToken, { course_id: roster.json['course_id'], location_id: roster.json['location_id'], instructor_id: instructor.id, title: 'First aid — refresher', session_date: tomorrow, start_time: '18:00', end_time: '20:00', max_capacity: 10 });
    expect(soon.status).toBe(201);
    expect((await server.call('POST', `/v1/sessions/${soon.json['id']}/enrollments`, adminToken, { student_id: secondTrainee.id })).status).toBe(201);
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('upcoming-list').getByText('1 / 10').waitFor();
    await page.getByTestId('attention-list').getByText(/Under half full/).waitFor();
    await expectAccessible(adminPerson, 'dashboard');
    await screenshots(page, 'dashboard');

    // A job that ran out of attempts (as a broken mail server leaves one), then a retry from the page.
    await server.db.query("insert into jobs (handler, status, attempts, max_attempts, last_error, finished_at) values ('mail.send', 'DEAD', 5, 5, 'connect ECONNREFUSED 127.0.0.1:25', now())");
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const jobs = page.getByTestId('jobs-table');
    await jobs.getByText('connect ECONNREFUSED 127.0.0.1:25').waitFor();
    await expectAccessible(adminPerson, 'jobs');
    await screenshots(page, 'jobs');
    await jobs.getByRole('button', { name: 'Retry mail.send' }).click();
    await page.getByText('No dead jobs').waitFor();
    const { rows: [retried] } = await server.db.query<{ status: string; attempts: number }>("select status, attempts from jobs where handler = 'mail.send'");
    expect(retried).toEqual({ status: 'PENDING', attempts: 0 });
  });

  it('says "changed by someone else" on a 409 and reloads', async () => {
    const { page } = adminPerson;
    const created = await server.call('POST', '/v1/sessions', adminToken, {
      course_id: (await server.db.query<{ id: string }>("select id from courses where code = 'FA-101'")).rows[0]?.id,
      location_id: (await server.db.query<{ id: string }>("select id from locations where name = 'Paris Training Centre'")).rows[0]?.id,
      instructor_id: instructor.id,
      session_date: '2031-03-04',
      start_time: '09:00',
      end_time: '12:30',
      max_capacity: 5,
    });
    expect(created.status).toBe(201);
    await page.goto(`/sessions/${created.json['id']}`);
    await page.getByTestId('capacity-text').filter({ hasText: '0 / 5' }).waitFor();
    await page.getByRole('button', { name: 'Change capacity' }).click();
    // Someone else changes the capacity meanwhile; the dialog still holds the version it read.
    const elsewhere = await server.call('PUT', `/v1/sessions/${created.json['id']}/capacity`, adminToken, { max_capacity: 8 });
    expect(elsewhere.status).toBe(200);
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New capacity').fill('6');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Someone else changed this').waitFor();
    await dialog.getByRole('button', { name: 'Reload' }).click();
    await page.getByTestId('capacity-text').filter({ hasText: '0 / 8' }).waitFor();
  });

  it('renders a session page of 200 enrollments soon after their data arrives', async () => {
    const { page } = adminPerson;
    const created = await server.call('POST', '/v1/sessions', adminToken, {
      course_id: (await server.db.query<{ id: string }>("select id from courses where code = 'FA-101'")).rows[0]?.id,
      location_id: (await server.db.query<{ id: string }>("select id from locations where name = 'Paris Training Centre'")).rows[0]?.id,
      instructor_id: instructor.id,
      session_date: '2031-03-05',
      start_time: '09:00',
      end_time: '17:00',
      max_capacity: 200,
    });
    const students = Array.from({ length: 200 }, (_, index) => ({ email: `student-${index}@example.test`, first_name: 'Student', last_name: String(index) }));
    const batch = await server.call('POST', `/v1/sessions/${created.json['id']}/enrollments/batch`, adminToken, { students });
    expect(batch.status).toBe(200);
    // Reported, not asserted: five loads of the page, each with the list's answer held until the rest is
    // shown, then measured from its arrival to the first frame painted with the 200 rows (decision 0062).
    const runs: RenderMeasure[] = [];
    for (let run = 0; run < 5; run++) {
      runs.push(
        await measureListRender(page, `/sessions/${created.json['id']}`, /\/v1\/sessions\/[^/]+\/enrollments\?/, async (shown) => {
          await shown.getByText('FA-101 · First aid at work').waitFor();
          await shown.getByText('Ines Instructor').waitFor();
        }, '[data-testid="enrolled-table"] tbody tr', 200),
      );
    }
    figures['200 enrollments painted after their answer, median (range) of 5 (ms)'] = medianAndRange(runs.map((run) => run.wallMs));
    figures['200 enrollments: main-thread CPU, median (range) of 5 (ms)'] = medianAndRange(runs.map((run) => run.mainThreadCpuMs));
    figures['200 enrollments: elements on the page'] = runs[0]?.elements ?? 0;
    expect(runs.every((run) => Number.isFinite(run.wallMs) && run.mainThreadCpuMs > 0)).toBe(true);
    await page.getByTestId('capacity-text').filter({ hasText: '200 / 200' }).waitFor();
    // Every row named (these students have no account: named by their profile).
    await page.getByRole('cell', { name: /^Student 199\b/ }).waitFor();
    expect(await page.getByTestId('enrolled-table').getByText('…').count()).toBe(0);
    // A list this long is ordered by name at a click (numbers by value) and found in by name.
    const rows = page.getByTestId('enrolled-table').locator('tbody tr');
    await page.getByRole('button', { name: 'Person', exact: true }).click();
    await rows.first().locator('td').first().filter({ hasText: /^Student 0(?!\d)/ }).waitFor();
    await rows.nth(10).locator('td').first().filter({ hasText: /^Student 10(?!\d)/ }).waitFor();
    expect(await page.getByRole('columnheader', { name: /Person/ }).getAttribute('aria-sort')).toBe('ascending');
    await screenshots(page, 'session-200');
    await page.getByLabel('Find in this list').fill('student 19');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="enrolled-table"] tbody tr').length === 11);
    await rows.first().locator('td').first().filter({ hasText: /^Student 19(?!\d)/ }).waitFor();
    await expectAccessible(adminPerson, 'session page, 200 enrolled, found in');
    await page.getByLabel('Find in this list').fill('nobody like this');
    await page.getByText('Nobody in this list has that in their name.').waitFor();
    await page.getByLabel('Find in this list').fill('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="enrolled-table"] tbody tr').length === 200);
    await expectAccessible(adminPerson, 'session page, 200 enrolled');
  });

  it('shows courses and people to the administrator', async () => {
    const { page } = adminPerson;
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByRole('link', { name: 'First aid — spring intake' }).waitFor();
    await expectAccessible(adminPerson, 'sessions');
    await screenshots(page, 'sessions');
    const { rows: [first] } = await server.db.query<{ month: string }>("select to_char(session_date, 'YYYY-MM') as month from training_sessions where title = 'First aid — spring intake'");
    await page.goto(`/calendar?month=${first?.month}`);
    await page.getByRole('link', { name: /First aid — spring intake · 1\/1 \+1/ }).waitFor();
    await expectAccessible(adminPerson, 'calendar');
    await screenshots(page, 'calendar');
    await page.getByRole('link', { name: 'Courses' }).click();
    await page.getByRole('cell', { name: 'FA-101' }).waitFor();
    await expectAccessible(adminPerson, 'courses');
    await screenshots(page, 'courses');
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('cell', { name: 'Nina Newcomer' }).waitFor();
    await expectAccessible(adminPerson, 'people');
    await screenshots(page, 'people');
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
