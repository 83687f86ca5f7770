import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';
import { createDispatcher, createScheduler, defaultDispatcherSettings, insertJob } from '../../platform/jobs/index.js';
import { createScheduledJobs } from '../../job-handlers.js';
import { recomputeComplianceNightly, recomputeNightlyName, sendComplianceReminders, sendRemindersName } from './compliance-schedule.handlers.js';
import { testLogger } from '../../../test/logger.js';

// Real database, application, dispatcher and scheduler. Time is one clock the app, the handlers and the
// scheduler share, moved a day at a time by the test: nothing waits. Day 0 is 2031-01-01 09:00 UTC.
const day0 = Date.parse('2031-01-01T09:00:00Z');
const dayMs = 86_400_000;
let now = new Date(day0);
const onDay = (day: number) => (now = new Date(day0 + day * dayMs));
const at = (day: number) => new Date(day0 + day * dayMs).toISOString();

const context = useTestApp({ now: () => now });
let world: EnrollmentWorld;
let dispatcher: ReturnType<typeof createDispatcher>;
const requirement: Record<string, string> = {};

async function call(token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) {
  return context.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function addRequirement(body: Record<string, unknown>): Promise<string> {
  const created = await call(world.tokens.ad, 'POST', '/v1/compliance/requirements', body);
  expect(created.statusCode, created.body).toBe(201);
  return created.json<{ id: string }>().id;
}

async function record(body: Record<string, unknown>) {
  const response = await call(world.tokens.ad, 'PUT', '/v1/compliance/records', body);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Record<string, unknown>>();
}

/** The reminders in this person's inbox, as (requirement code, days before expiry, day sent). */
async function remindersOf(userId: string): Promise<string[]> {
  const { rows } = await context.db.query<{ line: string }>(
    `select r.code || ' ' || (n.data ->> 'offset_days') || ' day ' || round(extract(epoch from n.created_at - $2::timestamptz) / 86400)::int as line
       from notifications n join compliance_requirements r on r.id = (n.data ->> 'requirement_id')::uuid
      where n.user_id = $1 and n.kind = 'compliance.reminder' order by n.created_at, r.code`,
    [userId, new Date(day0)],
  );
  return rows.map((row) => row.line);
}

async function standing(userId: string) {
  const { rows: [row] } = await context.db.query<{ role: string; compliance_score: number; compliance_status: string }>(
    'select role, compliance_score, compliance_status from profiles where user_id = $1', [userId],
  );
  return row!;
}

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  await context.db.query("insert into instructor_profiles (user_id, display_name, provider_id) values ($1, 'Affiliated IC', $2)", [world.instructor.id, world.providerId]);
  dispatcher = createDispatcher(context.db, [recomputeComplianceNightly({ now: () => now }), sendComplianceReminders({ now: () => now })], testLogger, {
    ...defaultDispatcherSettings, pollMs: 10,
  });
  onDay(0);
  requirement['CERT'] = await addRequirement({
    code: 'INSTRUCTOR-CERT', name: 'Hold a valid instructor certificate', applies_to_roles: ['IC', 'IP'], validity_months: 12, weight: 2,
    renewal_window_days: 60, grace_days: 14, reminder_offsets_days: [90, 60, 30, 7], demotes_on_lapse: true,
  });
  requirement['UPDATE'] = await addRequirement({
    code: 'ANNUAL-UPDATE', name: 'Attend the annual update', applies_to_roles: ['IC', 'IP'], validity_months: 12, reminder_offsets_days: [30],
  });
  requirement['TEACH'] = await addRequirement({ code: 'TEACH-2', name: 'Teach 2 sessions a year', applies_to_roles: ['IC'], validity_months: 12 });
});

describe('compliance over time, one day at a time', () => {
  it('recomputes on each record, states renewal, grace and overdue by the clock, reminds once per offset, and proposes IC → IP', async () => {
    const ic = world.instructor.id;
    // Requirements added: the IC owes 4 weight and holds nothing yet.
    expect(await standing(ic)).toMatchObject({ compliance_score: 0, compliance_status: 'PENDING' });

    // The certificate expires on day 68; the annual update is waived until day 151; teaching met on day -31 lasts 12 months.
    await record({ user_id: ic, requirement_id: requirement['CERT'], status: 'MET', completed_at: at(-297), expires_at: at(68) });
    expect(await standing(ic)).toMatchObject({ compliance_score: 50, compliance_status: 'AT_RISK' });
    const waived = await record({
      user_id: ic, requirement_id: requirement['UPDATE'], status: 'WAIVED', waiver_reason: 'On parental leave during the update', expires_at: at(151),
    });
    expect(waived).toMatchObject({ status: 'WAIVED', state: 'WAIVED', waiver_reason: 'On parental leave during the update', expires_at: at(151) });
    const taught = await record({ user_id: ic, requirement_id: requirement['TEACH'], status: 'MET', completed_at: '2030-12-01T09:00:00.000Z' });
    expect(taught).toMatchObject({ state: 'MET', expires_at: '2031-12-01T09:00:00.000Z' });
    expect(await standing(ic)).toMatchObject({ compliance_score: 100, compliance_status: 'COMPLIANT' });

    // A reminder job every day, but none on day 38, the day the 30-day reminder of the certificate falls on.
    const down = new Set([38]);
    for (let day = 0; day <= 100; day++) {
      if (down.has(day)) continue;
      onDay(day);
      await context.db.transaction((tx) => insertJob(tx, { handler: sendRemindersName }));
      await dispatcher.drain();
    }
    // Day 0 is inside 90 days of the certificate's expiry, so its 90-day reminder goes out then; the
    // 30-day one a day late, after the missed day; none twice. The waiver's 30-day reminder comes on day 121, after the loop.
    expect(await remindersOf(ic)).toEqual(['INSTRUCTOR-CERT 90 day 0', 'INSTRUCTOR-CERT 60 day 8', 'INSTRUCTOR-CERT 30 day 39', 'INSTRUCTOR-CERT 7 day 61']);
    // They are in the instructor's own inbox.
    const inbox = (await call(world.tokens.instructor, 'GET', '/v1/notifications')).json<{ items: { kind: string; title: string }[] }>().items;
    expect(inbox.filter((n) => n.kind === 'compliance.reminder').map((n) => n.title)).toEqual(
      Array<string>(4).fill('Renewal due: Hold a valid instructor certificate expires on 2031-03-10'),
    );

    onDay(10);
    const records = (await call(world.tokens.instructor, 'GET', '/v1/compliance/records')).json<{ items: Record<string, unknown>[] }>().items;
    expect(records.map((r) => [r['requirement_code'], r['state']])).toEqual([['ANNUAL-UPDATE', 'WAIVED'], ['INSTRUCTOR-CERT', 'EXPIRING'], ['TEACH-2', 'MET']]);
    expect(records[1]).toMatchObject({ renewal_opens_at: at(8), overdue_at: at(82) });

    // Expired on day 68 but in grace until day 82: still counted, still COMPLIANT after the nightly recompute.
    onDay(75);
    await context.db.transaction((tx) => insertJob(tx, { handler: recomputeNightlyName }));
    await dispatcher.drain();
    expect(await standing(ic)).toMatchObject({ compliance_score: 100, compliance_status: 'COMPLIANT' });
    expect((await call(world.tokens.ad, 'GET', `/v1/compliance/records?user_id=${ic}&state=GRACE`)).json()).toMatchObject({ items: [{ requirement_code: 'INSTRUCTOR-CERT' }] });
    expect((await call(world.tokens.ad, 'GET', '/v1/compliance/tier-changes?status=PROPOSED')).json()).toEqual({ items: [] });
  });

  it('recomputes nightly on its schedule after downtime, proposes the tier change once, and an AD confirms it, audited', async () => {
    const ic = world.instructor.id;
    // The worker last looked on day 75 at 09:00 and is down until day 83 at 03:00: one job for the missed nights.
    onDay(75);
    const scheduler = createScheduler(context.db, createScheduledJobs({
      analyticsRefreshCron: '0 0 1 1 *', certificateExpiryCron: '0 0 1 1 *', complianceRecomputeCron: '30 1 * * *', complianceReminderCron: '0 8 * * *', instructorEligibilityCron: '0 0 1 1 *', waitlistOfferExpiryCron: '0 0 1 1 *', sessionReminderCron: '0 0 1 1 *', timezone: 'UTC',
    }).filter((schedule) => schedule.name === 'compliance-recompute'), { timezone: 'UTC', now: () => now }, testLogger);
    expect(await scheduler.enqueueDue()).toBe(0);
    now = new Date(day0 + 82 * dayMs + 18 * 3_600_000);
    expect(await scheduler.enqueueDue()).toBe(1);
    expect(await dispatcher.drain()).toBe(1);

    // Day 83 03:00: past the certificate's grace (day 82 09:00) — OVERDUE, NON_COMPLIANT, and IC → IP proposed.
    expect(await standing(ic)).toMatchObject({ role: 'IC', compliance_score: 50, compliance_status: 'NON_COMPLIANT' });
    const proposals = (await call(world.tokens.ad, 'GET', '/v1/compliance/tier-changes?status=PROPOSED')).json<{ items: Record<string, unknown>[] }>().items;
    expect(proposals).toEqual([expect.objectContaining({ user_id: ic, from_role: 'IC', to_role: 'IP', requirement_ids: [requirement['CERT']], version: 1 })]);
    const proposal = proposals[0]!;
    // Another night proposes nothing more.
    now = new Date(day0 + 84 * dayMs);
    expect(await scheduler.enqueueDue()).toBe(1);
    await dispatcher.drain();
    expect((await call(world.tokens.ad, 'GET', '/v1/compliance/tier-changes')).json<{ items: unknown[] }>().items).toHaveLength(1);

    // Who sees it: the AP of the instructor's provider and the instructor; not another provider's AP nor another instructor.
    const seen = async (token: string) => (await call(token, 'GET', '/v1/compliance/tier-changes')).json<{ items: unknown[] }>().items.length;
    expect([await seen(world.tokens.ap), await seen(world.tokens.instructor), await seen(world.tokens.otherAp), await seen(world.tokens.otherInstructor)]).toEqual([1, 1, 0, 0]);
    // Only SA and AD decide; a stale version is refused.
    expect((await call(world.tokens.ap, 'POST', `/v1/compliance/tier-changes/${String(proposal['id'])}/confirm`, { version: 1 })).statusCode).toBe(403);
    expect((await call(world.tokens.ad, 'POST', `/v1/compliance/tier-changes/${String(proposal['id'])}/confirm`, { version: 2 })).json()).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });

    const confirmed = await call(world.tokens.ad, 'POST', `/v1/compliance/tier-changes/${String(proposal['id'])}/confirm`, { version: 1, note: 'Certificate lapsed' });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'CONFIRMED', decision_note: 'Certificate lapsed', decided_at: now.toISOString(), version: 2 });
    // IP does not owe TEACH-2: certificate 2 lapsed, update 1 waived, of 3.
    expect(await standing(ic)).toMatchObject({ role: 'IP', compliance_score: 33.33, compliance_status: 'NON_COMPLIANT' });
    const { rows: audit } = await context.db.query<{ table_name: string; actor_id: string; role: string | null }>(
      `select table_name, actor_id, new_values ->> 'role' as role from audit_log
        where (table_name = 'compliance_tier_changes' and row_id = $1 and operation = 'UPDATE') or (table_name = 'users' and row_id = $2 and operation = 'UPDATE')
        order by table_name`,
      [proposal['id'], ic],
    );
    expect(audit).toEqual([
      { table_name: 'compliance_tier_changes', actor_id: world.ad.id, role: null },
      { table_name: 'users', actor_id: world.ad.id, role: 'IP' },
    ]);
    expect((await call(world.tokens.ad, 'POST', `/v1/compliance/tier-changes/${String(proposal['id'])}/dismiss`, { version: 2 })).json())
      .toMatchObject({ error: { code: 'INVALID_TRANSITION' } });

    // The waiver of the update ends on day 151: the next nightly run after it counts it as lapsed too.
    now = new Date(day0 + 152 * dayMs);
    expect(await scheduler.enqueueDue()).toBe(1);
    await dispatcher.drain();
    expect(await standing(ic)).toMatchObject({ role: 'IP', compliance_score: 0, compliance_status: 'NON_COMPLIANT' });
  });

  it('does not propose again a lapse an administrator dismissed, and proposes nothing for a lapse that does not demote', async () => {
    const other = await createUser(context.db, testKeyring, { role: 'IC' });
    await context.db.query(
      `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at) values
         ($1, $2, 'MET', $4, $5), ($1, $3, 'MET', $4, $5)`,
      [other.id, requirement['CERT'], requirement['UPDATE'], at(40), at(60)],
    );
    const nightly = async () => {
      await context.db.transaction((tx) => insertJob(tx, { handler: recomputeNightlyName }));
      await dispatcher.drain();
    };
    await nightly();
    const open = (await call(world.tokens.ad, 'GET', `/v1/compliance/tier-changes?user_id=${other.id}`)).json<{ items: Record<string, unknown>[] }>().items;
    expect(open).toEqual([expect.objectContaining({ status: 'PROPOSED', requirement_ids: [requirement['CERT']] })]);
    const sa = await mintAccessToken(testKeyring, { userId: world.sa.id, role: 'SA' });
    const dismissed = await call(sa, 'POST', `/v1/compliance/tier-changes/${String(open[0]!['id'])}/dismiss`, { version: 1, note: 'Renewal booked' });
    expect(dismissed.json()).toMatchObject({ status: 'DISMISSED' });
    await nightly();
    expect((await call(world.tokens.ad, 'GET', `/v1/compliance/tier-changes?user_id=${other.id}`)).json<{ items: unknown[] }>().items).toHaveLength(1);
  });
});
