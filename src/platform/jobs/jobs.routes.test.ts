import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../db/actor.js';
import { insertJob } from './jobs.repository.js';

// The real application through inject on a real database; jobs are queued and moved as the owner.
const context = useTestApp();
const tokens = {} as Record<Role, string>;
const unknownId = '00000000-0000-4000-8000-000000000000';
let dead: string;
let succeeded: string;

beforeAll(async () => {
  for (const role of ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const) {
    const user = await createUser(context.db, testKeyring, { role });
    tokens[role] = await mintAccessToken(testKeyring, { userId: user.id, role });
  }
  dead = (await insertJob(context.db, { handler: 'probe.dead', maxAttempts: 2 }))!;
  succeeded = (await insertJob(context.db, { handler: 'probe.done' }))!;
  // Queued a minute before the other: on the embedded engine two inserts in a row can share a millisecond, and newest first would be a tie.
  await context.db.query(`update jobs set status = 'DEAD', attempts = 2, last_error = 'Error: boom', finished_at = now(), created_at = created_at - interval '1 minute' where id = $1`, [dead]);
  await context.db.query(`update jobs set status = 'SUCCEEDED', attempts = 1, finished_at = now() where id = $1`, [succeeded]);
});

const get = (url: string, role: Role | null = 'SA') => context.app.inject({ method: 'GET', url, headers: role ? bearer(tokens[role]) : {} });
const retry = (id: string, role: Role | null = 'SA') => context.app.inject({ method: 'POST', url: `/v1/admin/jobs/${id}/retry`, headers: role ? bearer(tokens[role]) : {} });

describe('GET /v1/admin/jobs', () => {
  it('lists the dead letters to SA and AD, without the relay position row', async () => {
    for (const role of ['SA', 'AD'] as const) {
      const response = await get('/v1/admin/jobs?status=DEAD', role);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({
        items: [expect.objectContaining({ id: dead, handler: 'probe.dead', status: 'DEAD', attempts: 2, max_attempts: 2, last_error: 'Error: boom', event_seq: null })],
        next_cursor: null,
      });
    }
    const all = await get('/v1/admin/jobs');
    expect(all.json().items.map((job: { id: string }) => job.id).sort()).toEqual([dead, succeeded].sort());
  });

  it('pages newest first with next_cursor', async () => {
    const first = await get('/v1/admin/jobs?limit=1');
    expect(first.json().items.map((job: { id: string }) => job.id)).toEqual([succeeded]);
    const second = await get(`/v1/admin/jobs?limit=1&cursor=${encodeURIComponent(first.json().next_cursor)}`);
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: dead })], next_cursor: null });
  });

  it('refuses every other role with 403 and a signed-out caller with 401', async () => {
    for (const role of ['AP', 'IC', 'IP', 'IT', 'IN'] as const) {
      const response = await get('/v1/admin/jobs', role);
      expect(response.statusCode, role).toBe(403);
      expect(response.json().error.code).toBe('FORBIDDEN');
    }
    expect((await get('/v1/admin/jobs', null)).statusCode).toBe(401);
  });

  it('answers 400 naming the field for a bad status, limit or cursor', async () => {
    for (const [query, field] of [['status=BURIED', 'status'], ['limit=0', 'limit'], ['limit=201', 'limit'], ['cursor=nonsense', 'cursor'], ['colour=red', 'colour']]) {
      const response = await get(`/v1/admin/jobs?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error, query).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(response.json().error), query).toContain(field);
    }
  });
});

describe('POST /v1/admin/jobs/:id/retry', () => {
  it('refuses every role but SA and AD, and changes nothing', async () => {
    for (const role of ['AP', 'IC', 'IP', 'IT', 'IN'] as const) expect((await retry(dead, role)).statusCode, role).toBe(403);
    expect((await retry(dead, null)).statusCode).toBe(401);
    const { rows: [row] } = await context.db.query<{ status: string }>('select status from jobs where id = $1', [dead]);
    expect(row!.status).toBe('DEAD');
  });

  it('puts a dead job back in the queue with its attempts reset (SA, then AD)', async () => {
    const response = await retry(dead, 'SA');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ id: dead, status: 'PENDING', attempts: 0, finished_at: null, last_error: 'Error: boom' });
    await context.db.query(`update jobs set status = 'DEAD', attempts = 2 where id = $1`, [dead]);
    expect((await retry(dead, 'AD')).json()).toMatchObject({ status: 'PENDING' });
  });

  it('answers 409 with the current job for one that is not dead or failed, 404 for an unknown id, 400 for a malformed one', async () => {
    const conflict = await retry(succeeded);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'INVALID_TRANSITION', details: { current: { id: succeeded, status: 'SUCCEEDED' } } });
    const missing = await retry(unknownId);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'NOT_FOUND', details: { field: 'params.id' } });
    const malformed = await retry('not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED');
  });
});
