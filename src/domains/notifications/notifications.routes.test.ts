import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../../platform/db/actor.js';

// The real application through inject on a real database. Notifications are inserted as the owner,
// as the jobs that send them do; every read and change goes through the API under row-level security.
const context = useTestApp();
const roles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const;

interface Person {
  id: string;
  token: string;
}

interface Notification {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  read_at: string | null;
  created_at: string;
}

interface InboxPage {
  items: Notification[];
  next_cursor: string | null;
  total: number;
  unread: number;
}

async function person(role: Role): Promise<Person> {
  const { id } = await createUser(context.db, testKeyring, { role });
  return { id, token: await mintAccessToken(testKeyring, { userId: id, role }) };
}

/** `count` notifications for one user, inserted in one statement (so with one created_at); ids returned. */
async function notify(userId: string, count: number, kind = 'session.cancelled'): Promise<string[]> {
  const { rows } = await context.db.query<{ id: string }>(
    `insert into notifications (user_id, kind, title, body, data)
     select $1, $2, 'Session cancelled', 'Your session on 5 May was cancelled.', jsonb_build_object('n', n)
       from generate_series(1, $3::integer) as n
     returning id`,
    [userId, kind, count],
  );
  return rows.map((row) => row.id);
}

const request = (method: 'GET' | 'POST', url: string, who: Person | null) =>
  context.app.inject({ method, url, headers: who ? bearer(who.token) : {} });
const inbox = async (who: Person, query = ''): Promise<InboxPage> => {
  const response = await request('GET', `/v1/notifications${query}`, who);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

let people = {} as Record<Role, Person>;

beforeAll(async () => {
  people = Object.fromEntries(await Promise.all(roles.map(async (role) => [role, await person(role)] as const))) as Record<Role, Person>;
});

describe('GET /v1/notifications', () => {
  it('shows every role its own notifications only, with total and unread counts', async () => {
    const own = {} as Record<Role, string[]>;
    for (const [index, role] of roles.entries()) own[role] = await notify(people[role].id, index + 1);
    for (const role of roles) {
      const page = await inbox(people[role]);
      expect({ role, ids: page.items.map((item) => item.id).sort(), total: page.total, unread: page.unread })
        .toEqual({ role, ids: [...own[role]].sort(), total: own[role].length, unread: own[role].length });
      expect(page.items.every((item) => item.user_id === people[role].id)).toBe(true);
    }
  });

  it('pages newest first by cursor, without gaps or duplicates, also among notifications created at the same instant', async () => {
    const reader = await person('IN');
    const older = await notify(reader.id, 4, 'course.published');
    const newer = await notify(reader.id, 3);
    const seen: Notification[] = [];
    let cursor: string | null = null;
    for (let pages = 1; pages <= 10; pages++) {
      const page: InboxPage = await inbox(reader, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page).toMatchObject({ total: 7, unread: 7 });
      seen.push(...page.items);
      cursor = page.next_cursor;
      if (cursor === null) {
        expect(pages).toBe(4);
        break;
      }
    }
    expect(seen.slice(0, 3).map((item) => item.id).sort()).toEqual([...newer].sort());
    expect(seen.slice(3).map((item) => item.id).sort()).toEqual([...older].sort());
    const keys = seen.map((item) => `${item.created_at} ${item.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });

  it('filters unread and read ones; the unread count stays the whole inbox', async () => {
    const reader = await person('IT');
    const [first, second] = await notify(reader.id, 3);
    for (const id of [first, second]) expect((await request('POST', `/v1/notifications/${id}/read`, reader)).statusCode).toBe(200);
    expect(await inbox(reader, '?unread=true')).toMatchObject({ total: 1, unread: 1, items: [{ read_at: null }] });
    const read = await inbox(reader, '?unread=false');
    expect(read).toMatchObject({ total: 2, unread: 1 });
    expect(read.items.map((item) => item.id).sort()).toEqual([first, second].sort());
    expect(await inbox(reader)).toMatchObject({ total: 3, unread: 1 });
  });

  it('answers bad input with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['?unread=maybe', 'querystring.unread'],
      ['?limit=0', 'querystring.limit'],
      ['?limit=201', 'querystring.limit'],
      ['?cursor=not-a-cursor', 'querystring.cursor'],
      [`?cursor=${Buffer.from(JSON.stringify(['created_at', 'yesterday', randomUUID()])).toString('base64url')}`, 'querystring.cursor'],
      [`?cursor=${Buffer.from(JSON.stringify(['title', '2026-01-01 00:00:00+00', randomUUID()])).toString('base64url')}`, 'querystring.cursor'],
      ['?user_id=someone', 'querystring.user_id'],
    ];
    for (const [query, field] of cases) {
      const response = await request('GET', `/v1/notifications${query}`, people.IN);
      expect({ query, status: response.statusCode, field: response.json().error?.details?.field }).toEqual({ query, status: 400, field });
    }
  });
});

describe('POST /v1/notifications/:id/read, /unread and /read-all', () => {
  it('marks read keeping the first read time, and unread again, for every role', async () => {
    for (const role of roles) {
      const [id] = await notify(people[role].id, 1);
      const read = await request('POST', `/v1/notifications/${id}/read`, people[role]);
      expect({ role, status: read.statusCode }).toEqual({ role, status: 200 });
      const readAt: string = read.json().read_at;
      expect(readAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect((await request('POST', `/v1/notifications/${id}/read`, people[role])).json().read_at).toBe(readAt);
      const unread = await request('POST', `/v1/notifications/${id}/unread`, people[role]);
      expect(unread.json()).toMatchObject({ id, user_id: people[role].id, read_at: null });
    }
  });

  it("keeps two people's notifications apart: another's is 404 and read-all marks only your own", async () => {
    const [alice, bob] = [await person('IN'), await person('IN')];
    const alices = await notify(alice.id, 2);
    const [bobs] = await notify(bob.id, 1);
    for (const action of ['read', 'unread']) {
      const response = await request('POST', `/v1/notifications/${bobs}/${action}`, alice);
      expect({ action, status: response.statusCode, code: response.json().error.code }).toEqual({ action, status: 404, code: 'NOT_FOUND' });
    }
    const all = await request('POST', '/v1/notifications/read-all', alice);
    expect(all.json()).toEqual({ marked: 2 });
    expect((await request('POST', '/v1/notifications/read-all', alice)).json()).toEqual({ marked: 0 });
    const { rows } = await context.db.query<{ id: string; read: boolean }>(
      'select id, read_at is not null as read from notifications where user_id = any($1) order by id', [[alice.id, bob.id]],
    );
    expect(Object.fromEntries(rows.map((row) => [row.id, row.read]))).toEqual({ [alices[0]!]: true, [alices[1]!]: true, [bobs!]: false });
    expect(await inbox(bob)).toMatchObject({ total: 1, unread: 1, items: [{ id: bobs, read_at: null }] });
    expect((await inbox(alice)).unread).toBe(0);
  });

  it('even an administrator cannot see or mark anyone else’s notification', async () => {
    const [theirs] = await notify(people.IN.id, 1);
    for (const role of ['SA', 'AD'] as const) {
      expect((await request('POST', `/v1/notifications/${theirs}/read`, people[role])).statusCode).toBe(404);
      expect((await inbox(people[role])).items.map((item) => item.id)).not.toContain(theirs);
    }
  });

  it('answers 404 for an unknown id, 400 for a malformed one', async () => {
    expect((await request('POST', `/v1/notifications/${randomUUID()}/read`, people.IC)).json().error.code).toBe('NOT_FOUND');
    const malformed = await request('POST', '/v1/notifications/42/unread', people.IC);
    expect({ status: malformed.statusCode, field: malformed.json().error.details.field }).toEqual({ status: 400, field: 'params.id' });
  });

  it('refuses a signed-out caller with 401 on every endpoint', async () => {
    const [id] = await notify(people.IN.id, 1);
    for (const [method, url] of [['GET', '/v1/notifications'], ['POST', `/v1/notifications/${id}/read`], ['POST', `/v1/notifications/${id}/unread`], ['POST', '/v1/notifications/read-all']] as const) {
      const response = await request(method, url, null);
      expect({ url, status: response.statusCode, code: response.json().error.code }).toEqual({ url, status: 401, code: 'UNAUTHENTICATED' });
    }
    const { rows: [row] } = await context.db.query<{ read_at: Date | null }>('select read_at from notifications where id = $1', [id]);
    expect(row!.read_at).toBeNull();
  });
});
