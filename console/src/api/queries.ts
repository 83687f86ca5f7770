import { queryOptions } from '@tanstack/react-query';
import type { Schemas } from '../../../client/index.ts';
import { ApiFailure, dataOf } from './failure.ts';
import { api } from './session.ts';

/**
 * The queries the pages share. Each key starts with what it lists (see live.ts: a stream change to a
 * table invalidates the keys that start with its name).
 */
export type Session = Schemas['Session'];
export type Enrollment = Schemas['Enrollment'];
/** A session's enrollment as its page lists it: a student without an account comes with its profile's name. */
export type SessionEnrollment = Schemas['SessionEnrollment'];
export type Course = Schemas['Course'];
export type Location = Schemas['Location'];
export type User = Schemas['User'];

export const queries = {
  me: () => queryOptions({ queryKey: ['users', 'me'], queryFn: () => dataOf(api.GET('/v1/me')) }),
  session: (id: string) => queryOptions({ queryKey: ['sessions', id], queryFn: () => dataOf(api.GET('/v1/sessions/{id}', { params: { path: { id } } })) }),
  /** The sessions of these ids (at most 100: the API's limit) in one request; those the caller may not see are left out. */
  sessionsByIds: (ids: readonly string[]) =>
    queryOptions({
      queryKey: ['sessions', 'list', { ids }],
      queryFn: () => dataOf(api.GET('/v1/sessions', { params: { query: { ids: [...ids], limit: ids.length } } })),
    }),
  sessions: (filter: { from?: string; to?: string; status?: Session['status']; course_id?: string; instructor_id?: string; cursor?: string }) =>
    queryOptions({
      queryKey: ['sessions', 'list', filter],
      queryFn: () => dataOf(api.GET('/v1/sessions', { params: { query: { ...filter, sort: 'session_date', direction: 'asc', limit: 50 } } })),
    }),
  sessionEnrollments: (id: string) =>
    queryOptions({
      queryKey: ['enrollments', 'session', id],
      queryFn: () => dataOf(api.GET('/v1/sessions/{id}/enrollments', { params: { path: { id }, query: { limit: 500, sort: 'enrollment_date', direction: 'asc' } } })),
    }),
  myEnrollments: (userId: string) =>
    queryOptions({
      queryKey: ['my-enrollments', userId],
      // Every page, not the first: a trainee's schedule orders all their places by day, and a place missing
      // past the first page would go unsaid (a trainee holds tens of places, so this is one request).
      queryFn: async () => {
        const items: Enrollment[] = [];
        let cursor: string | undefined;
        do {
          const page = await dataOf(api.GET('/v1/enrollments', { params: { query: { student_id: userId, limit: 500, ...(cursor ? { cursor } : {}) } } }));
          items.push(...page.items);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        return { items };
      },
    }),
  location: (id: string) => queryOptions({ queryKey: ['locations', id], queryFn: () => dataOf(api.GET('/v1/locations/{id}', { params: { path: { id } } })), staleTime: 300_000 }),
  locations: () => queryOptions({ queryKey: ['locations', 'list'], queryFn: () => dataOf(api.GET('/v1/locations', { params: { query: { limit: 200, sort: 'name' } } })), staleTime: 60_000 }),
  course: (id: string) => queryOptions({ queryKey: ['courses', id], queryFn: () => dataOf(api.GET('/v1/courses/{id}', { params: { path: { id } } })), staleTime: 60_000 }),
  courses: (cursor?: string) =>
    queryOptions({ queryKey: ['courses', 'list', cursor ?? ''], queryFn: () => dataOf(api.GET('/v1/courses', { params: { query: { limit: 50, sort: 'title', ...(cursor ? { cursor } : {}) } } })) }),
  catalogue: (q: string) =>
    queryOptions({ queryKey: ['catalogue', q], queryFn: () => dataOf(api.GET('/v1/catalogue', { params: { query: { limit: 50, ...(q ? { q } : {}) } } })) }),
  catalogueEntry: (code: string) => queryOptions({ queryKey: ['catalogue', 'entry', code], queryFn: () => dataOf(api.GET('/v1/catalogue/{code}', { params: { path: { code } } })) }),
  user: (id: string) => queryOptions({ queryKey: ['users', id], queryFn: () => loadUser(id), staleTime: 300_000, retry: false }),
  users: (filter: { role?: User['role']; cursor?: string; q?: string }) =>
    queryOptions({ queryKey: ['users', 'list', filter], queryFn: () => dataOf(api.GET('/v1/users', { params: { query: { limit: 50, ...filter } } })) }),
  notifications: () => queryOptions({ queryKey: ['notifications'], queryFn: () => dataOf(api.GET('/v1/notifications', { params: { query: { limit: 50 } } })) }),
  unreadNotifications: () =>
    queryOptions({
      queryKey: ['notifications', 'unread'],
      queryFn: () => dataOf(api.GET('/v1/notifications', { params: { query: { unread: true, limit: 1 } } })),
      // Notifications are not on the change stream (no captured table): asked again every half minute.
      refetchInterval: 30_000,
    }),
  /** A session's own recorded changes; under 'sessions' so a change to the session refetches them. */
  sessionActivity: (id: string) =>
    queryOptions({ queryKey: ['sessions', id, 'activity'], queryFn: () => dataOf(api.GET('/v1/audit', { params: { query: { table: 'training_sessions', row_id: id, limit: 100 } } })) }),
  calendarFeed: () => queryOptions({ queryKey: ['calendar-feed'], queryFn: () => dataOf(api.GET('/v1/me/calendar-feed')) }),
};

/** Ids asked for in the same tick, each with the lookups waiting for it. */
const waitingUsers = new Map<string, { resolve: (user: User) => void; reject: (error: unknown) => void }[]>();
/** What GET /v1/users takes in one `id` list. */
const usersPerRequest = 200;

/**
 * One person by id, asked together with the others a page asks for in the same tick: a table of 200
 * enrollments names its people in one request (GET /v1/users?id=…), not 200.
 */
function loadUser(id: string): Promise<User> {
  return new Promise((resolve, reject) => {
    if (waitingUsers.size === 0) setTimeout(askWaitingUsers, 0);
    waitingUsers.set(id, [...(waitingUsers.get(id) ?? []), { resolve, reject }]);
  });
}

function askWaitingUsers(): void {
  const waiting = new Map(waitingUsers);
  waitingUsers.clear();
  const ids = [...waiting.keys()];
  for (let start = 0; start < ids.length; start += usersPerRequest) {
    const chunk = ids.slice(start, start + usersPerRequest);
    const settle = (outcome: (id: string) => { user?: User; error?: unknown }) => {
      for (const id of chunk) {
        const { user, error } = outcome(id);
        for (const waiter of waiting.get(id) ?? []) {
          if (user) waiter.resolve(user);
          else waiter.reject(error);
        }
      }
    };
    dataOf(api.GET('/v1/users', { params: { query: { id: chunk, limit: usersPerRequest } } })).then(
      (page) => {
        const found = new Map(page.items.map((user) => [user.id, user]));
        // Not in the answer: gone, or not one this caller may see.
        settle((id) => (found.has(id) ? { user: found.get(id) } : { error: new ApiFailure(404, undefined) }));
      },
      (error: unknown) => settle(() => ({ error })),
    );
  }
}

export function personName(user: User | undefined): string | null {
  if (!user) return null;
  return user.display_name ?? ([user.first_name, user.last_name].filter(Boolean).join(' ') || user.email || null);
}
