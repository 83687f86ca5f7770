import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';

// Real database and application over HTTP; the clock is fixed at 2031-01-01 09:00 UTC so states are
// known. Who may do what follows the access matrix: SA and AD everything; an AP its affiliated
// instructors; everyone else their own.
const now = new Date('2031-01-01T09:00:00Z');
const context = useTestApp({ now: () => now });
let world: EnrollmentWorld;
let saToken: string;
let unaffiliated: string;
const requirement: Record<string, string> = {};

async function call(token: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return context.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  saToken = await mintAccessToken(testKeyring, { userId: world.sa.id, role: 'SA' });
  unaffiliated = (await createUser(context.db, testKeyring, { role: 'IC', firstName: 'Una', lastName: 'Affiliated' })).id;
  await context.db.query("insert into instructor_profiles (user_id, display_name, provider_id) values ($1, 'Affiliated IC', $2)", [world.instructor.id, world.providerId]);
  for (const [code, body] of [
    ['CERT', { name: 'Hold a valid instructor certificate', applies_to_roles: ['IC', 'IP'], validity_months: 24, weight: 2, renewal_window_days: 60 }],
    ['UPDATE', { name: 'Attend the annual update', applies_to_roles: ['IC', 'IP'], validity_months: 12 }],
    ['ROBUST', { name: 'Observed teaching', applies_to_roles: ['IC'], tier: 'robust' }],
  ] as const) {
    const created = await call(world.tokens.ad, 'POST', '/v1/compliance/requirements', { code, ...body });
    expect(created.statusCode, created.body).toBe(201);
    requirement[code] = created.json<{ id: string }>().id;
  }
  await call(world.tokens.ad, 'PUT', '/v1/compliance/records', {
    user_id: world.instructor.id, requirement_id: requirement['CERT'], status: 'MET', completed_at: '2029-02-01T09:00:00Z',
  });
  await call(world.tokens.ad, 'PUT', '/v1/compliance/records', {
    user_id: unaffiliated, requirement_id: requirement['UPDATE'], status: 'MET', completed_at: '2029-06-01T09:00:00Z',
  });
});

describe('compliance requirements', () => {
  it('are listed to every signed-in role, by the role that owes them and tier, and written by SA and AD only', async () => {
    const codes = async (token: string, query = '') =>
      (await call(token, 'GET', `/v1/compliance/requirements${query}`)).json<{ items: { code: string }[] }>().items.map((item) => item.code);
    expect(await codes(world.tokens.trainee)).toEqual(['CERT', 'ROBUST', 'UPDATE']);
    expect(await codes(world.tokens.ap, '?role=IP')).toEqual(['CERT', 'UPDATE']);
    expect(await codes(world.tokens.instructor, '?role=IC&tier=robust')).toEqual(['ROBUST']);
    expect(await codes(world.tokens.ad, '?role=IT')).toEqual([]);

    const draft = { code: 'SHOULD-NOT', name: 'x', applies_to_roles: ['IC'] };
    for (const token of [world.tokens.ap, world.tokens.instructor, world.tokens.trainee]) {
      expect((await call(token, 'POST', '/v1/compliance/requirements', draft)).statusCode).toBe(403);
    }
    const duplicate = await call(saToken, 'POST', '/v1/compliance/requirements', { code: 'CERT', name: 'again', applies_to_roles: ['IC'] });
    expect(duplicate.statusCode).toBe(409);
    const offsets = await call(saToken, 'POST', '/v1/compliance/requirements', { code: 'BAD', name: 'bad', applies_to_roles: ['IC'], reminder_offsets_days: [0] });
    expect(offsets.statusCode).toBe(400);
    expect(offsets.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.reminder_offsets_days.0' } } });
  });

  it('changes at the version read and recomputes the people it applies to', async () => {
    const read = (await call(world.tokens.ad, 'GET', '/v1/compliance/requirements?role=IC')).json<{ items: { id: string; code: string; version: number }[] }>().items;
    const robust = read.find((item) => item.code === 'ROBUST')!;
    // The affiliated IC holds CERT (2) of CERT + UPDATE (3): 66.67; UPDATE weighing 0.5 makes it 2 of 2.5.
    const changed = await call(world.tokens.ad, 'PATCH', `/v1/compliance/requirements/${requirement['UPDATE']}`, { version: 1, weight: 0.5 });
    expect(changed.statusCode, changed.body).toBe(200);
    const { rows: [profile] } = await context.db.query<{ compliance_score: number }>('select compliance_score from profiles where user_id = $1', [world.instructor.id]);
    expect(profile!.compliance_score).toBe(80);
    expect((await call(world.tokens.ad, 'PATCH', `/v1/compliance/requirements/${robust.id}`, { version: robust.version + 1, weight: 3 })).json())
      .toMatchObject({ error: { code: 'VERSION_CONFLICT', details: { field: 'body.version', current: { id: robust.id } } } });
    expect((await call(world.tokens.ad, 'PATCH', `/v1/compliance/requirements/${robust.id}`, { version: robust.version })).statusCode).toBe(400);
  });
});

describe('compliance records', () => {
  it('are written by SA and AD with what each status needs, and a waiver carries its reason', async () => {
    const ic = world.instructor.id;
    const put = (token: string, body: Record<string, unknown>) => call(token, 'PUT', '/v1/compliance/records', body);
    expect((await put(world.tokens.ap, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'PENDING' })).statusCode).toBe(403);
    expect((await put(world.tokens.instructor, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'PENDING' })).statusCode).toBe(403);
    expect((await put(world.tokens.ad, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'WAIVED' })).json())
      .toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.waiver_reason' } } });
    expect((await put(world.tokens.ad, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'MET' })).json())
      .toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'body.completed_at' } } });
    const missing = await put(world.tokens.ad, { user_id: ic, requirement_id: '00000000-0000-4000-8000-000000000000', status: 'PENDING' });
    expect(missing.statusCode).toBe(404);

    const waived = await put(world.tokens.ad, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'WAIVED', waiver_reason: 'Taught the update this year' });
    expect(waived.statusCode, waived.body).toBe(200);
    expect(waived.json()).toMatchObject({ status: 'WAIVED', state: 'WAIVED', waiver_reason: 'Taught the update this year', expires_at: null, version: 1 });
    const stale = await put(world.tokens.ad, { user_id: ic, requirement_id: requirement['UPDATE'], status: 'PENDING', version: 7 });
    expect(stale.json()).toMatchObject({ error: { code: 'VERSION_CONFLICT', details: { current: { status: 'WAIVED' } } } });
    const { rows: [profile] } = await context.db.query<{ compliance_status: string }>('select compliance_status from profiles where user_id = $1', [ic]);
    expect(profile!.compliance_status).toBe('COMPLIANT');
  });

  it('are read by SA and AD all, an AP its affiliated instructors’, and everyone else their own', async () => {
    const owners = async (token: string) =>
      [...new Set((await call(token, 'GET', '/v1/compliance/records')).json<{ items: { user_id: string }[] }>().items.map((item) => item.user_id))].sort();
    expect(await owners(world.tokens.ad)).toEqual([world.instructor.id, unaffiliated].sort());
    expect(await owners(world.tokens.ap)).toEqual([world.instructor.id]);
    expect(await owners(world.tokens.otherAp)).toEqual([]);
    expect(await owners(world.tokens.instructor)).toEqual([world.instructor.id]);
    expect(await owners(world.tokens.otherInstructor)).toEqual([]);
    expect(await owners(world.tokens.trainee)).toEqual([]);
    // The certificate met on 2029-02-01 lasts 24 months: on 2031-01-01 its 60-day window is open.
    const own = (await call(world.tokens.instructor, 'GET', `/v1/compliance/records?requirement_id=${requirement['CERT']}`)).json();
    expect(own).toMatchObject({ items: [{ state: 'EXPIRING', expires_at: '2031-02-01T09:00:00.000Z', renewal_opens_at: '2030-12-03T09:00:00.000Z' }], truncated: false });
  });
});

describe('the compliance matrix', () => {
  it('lists each person and owed requirement with where it stands, counts per provider, tier and requirement, scoped like the records', async () => {
    const matrix = (await call(world.tokens.ad, 'GET', '/v1/compliance/matrix')).json<{ rows: Record<string, unknown>[]; summary: Record<string, unknown>[] }>();
    const mine = matrix.rows.filter((row) => row['user_id'] === world.instructor.id);
    expect(mine.map((row) => [row['provider_id'], row['requirement_code'], row['state']])).toEqual([
      [world.providerId, 'CERT', 'EXPIRING'], [world.providerId, 'UPDATE', 'WAIVED'],
    ]);
    expect(matrix.summary).toContainEqual({
      provider_id: world.providerId, compliance_tier: 'basic', requirement_id: requirement['CERT'], requirement_code: 'CERT', compliant: 0, expiring: 1, overdue: 0, pending: 0,
    });
    const people = async (token: string, query = '') =>
      [...new Set((await call(token, 'GET', `/v1/compliance/matrix${query}`)).json<{ rows: { user_id: string }[] }>().rows.map((row) => row.user_id))];
    expect(await people(world.tokens.ap)).toEqual([world.instructor.id]);
    expect(await people(world.tokens.otherAp)).toEqual([]);
    expect(await people(world.tokens.instructor)).toEqual([world.instructor.id]);
    expect(await people(world.tokens.trainee)).toEqual([]);
    expect(await people(world.tokens.ad, `?provider_id=${world.providerId}&state=EXPIRING`)).toEqual([world.instructor.id]);
    // The other IC's update, met 2029-06-01 for 12 months, has lapsed.
    expect(await people(world.tokens.ad, '?state=OVERDUE')).toEqual([unaffiliated]);
  });

  it('exports the rows as CSV with Accept: text/csv', async () => {
    const response = await call(world.tokens.ap, 'GET', '/v1/compliance/matrix', undefined, { accept: 'text/csv' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="compliance-matrix.csv"');
    expect(response.body.split('\r\n')[0]).toBe(
      'provider_id,provider_name,user_id,first_name,last_name,role,compliance_tier,compliance_status,requirement_id,requirement_code,state,expires_at',
    );
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row['user_id'], row['requirement_code'], row['state'], row['expires_at']])).toEqual([
      [world.instructor.id, 'CERT', 'EXPIRING', '2031-02-01T09:00:00.000Z'], [world.instructor.id, 'UPDATE', 'WAIVED', ''],
    ]);
  });
});
