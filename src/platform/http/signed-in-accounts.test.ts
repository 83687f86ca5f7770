import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import type { TestApp } from '../../../test/test-app.js';

// The real application on a real database; the account kept in memory between requests (decision 0063).
// A change made by this process's own transactions applies at once; one made outside them (a single
// statement on another connection, as another process or psql would) once the change feed has read it,
// and never later than a second after the feed last caught up, whatever the feed does.

/**
 * Resolves once the app's change feed has finished a round begun after this call that left nothing
 * committed unread: every commit before the call has been read by then.
 */
function nextSettledRound(context: TestApp): Promise<void> {
  return new Promise((resolve) => {
    let begun = false;
    let done = false;
    context.app.realtime.hub.feed.observe({
      roundStarting() {
        begun = true;
      },
      roundSettled() {
        if (begun && !done) resolve();
        done ||= begun;
      },
    });
  });
}

async function accountReads(context: TestApp): Promise<{ memory: number; database: number }> {
  const text = (await context.app.inject({ method: 'GET', url: '/metrics' })).body;
  const count = (source: string) => Number(/^unitrain_signed_in_account_reads_total\{source="(\w+)"\} (\d+)$/m.exec(text.split('\n').filter((line) => line.includes(`source="${source}"`)).join('\n'))?.[2] ?? 0);
  return { memory: count('memory'), database: count('database') };
}

const me = (context: TestApp, token: string) => context.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });

/** A signed-in user whose account the app answers from memory (proved by the metric). */
async function keptAccount(context: TestApp, role: 'IT' | 'AP' = 'IT', providerId?: string) {
  const user = await createUser(context.db, testKeyring, { role, ...(providerId ? { providerId } : {}) });
  const token = await mintAccessToken(testKeyring, { userId: user.id, role });
  expect((await me(context, token)).statusCode).toBe(200);
  await nextSettledRound(context);
  expect((await me(context, token)).statusCode).toBe(200);
  const before = await accountReads(context);
  expect((await me(context, token)).json().id).toBe(user.id);
  expect((await accountReads(context)).memory).toBe(before.memory + 1);
  return { user, token };
}

describe('signed-in accounts kept in memory', () => {
  const context = useTestApp();

  it("applies this process's deactivation and role change at once, though the account was answered from memory", async () => {
    const admin = await mintAccessToken(testKeyring, { userId: (await createUser(context.db, testKeyring, { role: 'SA' })).id, role: 'SA' });
    const promoted = await keptAccount(context);
    const { version } = (await context.app.inject({ method: 'GET', url: `/v1/users/${promoted.user.id}`, headers: bearer(admin) })).json<{ version: number }>();
    const patched = await context.app.inject({ method: 'PATCH', url: `/v1/users/${promoted.user.id}`, headers: bearer(admin), payload: { version, role: 'AD' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await me(context, promoted.token)).json().role).toBe('AD');

    const leaver = await keptAccount(context);
    const deactivated = await context.app.inject({ method: 'POST', url: `/v1/users/${leaver.user.id}/deactivate`, headers: bearer(admin) });
    expect(deactivated.statusCode).toBe(200);
    expect((await me(context, leaver.token)).statusCode).toBe(401);
  });

  it('applies a change committed outside this process once the feed has read it', async () => {
    const { user, token } = await keptAccount(context);
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    await nextSettledRound(context);
    expect((await me(context, token)).statusCode).toBe(401);
  });
});

describe("signed-in accounts and the account's provider", () => {
  const context = useTestApp();
  // The provider an AP acts as reaches the database as a claim, which no answer shows: a route of the test's own shows the actor.
  beforeAll(() => {
    context.app.get('/test/actor-provider', async (request) => ({ provider_id: request.actor.providerId }));
  });

  it('applies a change to the provider memberships once the feed has read it', async () => {
    const { rows: [provider] } = await context.db.query<{ id: string }>(`insert into authorized_providers (name) values ('Kept Ltd') returning id`);
    const { user, token } = await keptAccount(context, 'AP', provider!.id);
    const actorProvider = async () => (await context.app.inject({ method: 'GET', url: '/test/actor-provider', headers: bearer(token) })).json().provider_id;
    expect(await actorProvider()).toBe(provider!.id);
    await context.db.query('delete from provider_members where user_id = $1', [user.id]);
    await nextSettledRound(context);
    expect(await actorProvider()).toBeNull();
  });
});

describe('signed-in accounts when the feed falls behind', () => {
  // The business date is fixed, as many tests fix it; the bound is measured on the monotonic clock, which moves.
  const today = new Date('2026-12-01T09:00:00Z');
  let monotonic = 50_000;
  const context = useTestApp({ now: () => today, monotonicNow: () => monotonic });

  it('answers from the database once the feed has not caught up for more than a second, on the monotonic clock', async () => {
    const { user, token } = await keptAccount(context);
    await context.app.realtime.hub.feed.stop();
    monotonic += 1_000;
    const atTheBound = await accountReads(context);
    expect((await me(context, token)).statusCode).toBe(200);
    expect((await accountReads(context)).memory).toBe(atTheBound.memory + 1);
    monotonic += 1;
    await context.db.query(`update users set status = 'INACTIVE' where id = $1`, [user.id]);
    const before = await accountReads(context);
    expect((await me(context, token)).statusCode).toBe(401);
    expect((await accountReads(context)).database).toBe(before.database + 1);
  });
});

describe("signed-in accounts after this process's own commits", () => {
  // The monotonic clock stands still and the feed is stopped: nothing but the process's own commits decides.
  const context = useTestApp({ monotonicNow: () => 80_000 });

  it('reads accounts from the database after a commit that changed an account, and not after one that changed none (decision 0088)', async () => {
    const admin = await mintAccessToken(testKeyring, { userId: (await createUser(context.db, testKeyring, { role: 'SA' })).id, role: 'SA' });
    const { user, token } = await keptAccount(context);
    await context.app.realtime.hub.feed.stop();

    const created = await context.app.inject({ method: 'POST', url: '/v1/locations', headers: bearer(admin), payload: { name: 'Own-commit hall', country: 'GB' } });
    expect(created.statusCode, created.body).toBe(201);
    const afterLocation = await accountReads(context);
    expect((await me(context, token)).statusCode).toBe(200);
    expect(await accountReads(context)).toEqual({ ...afterLocation, memory: afterLocation.memory + 1 });

    const deactivated = await context.app.inject({ method: 'POST', url: `/v1/users/${user.id}/deactivate`, headers: bearer(admin) });
    expect(deactivated.statusCode).toBe(200);
    const afterDeactivation = await accountReads(context);
    expect((await me(context, token)).statusCode).toBe(401);
    expect((await accountReads(context)).database).toBe(afterDeactivation.database + 1);
  });
});
