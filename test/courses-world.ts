import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, createUser, mintAccessToken, testKeyring } from './auth.js';
import { type Role, roles } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';

/** Who calls in the course tests: one account of every role, or nobody signed in. */
export type Caller = Role | 'anon';
export const callers: readonly Caller[] = [...roles, 'anon'];
export const nonAdmins = ['AP', 'IC', 'IP', 'IT', 'IN'] as const satisfies readonly Role[];

type Method = 'GET' | 'POST' | 'PATCH';

export interface CoursesWorld {
  /** A real request through the application, as `caller`. */
  call(caller: Caller, method: Method, url: string, payload?: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A new draft course made by an administrator through the API; fields override the defaults. */
  draft(fields?: Record<string, unknown>): Promise<CourseJson>;
  /** A status change (`publish`, `unpublish`, `archive`) by an administrator at the course's current version. */
  transition(course: { id: string }, transition: 'publish' | 'unpublish' | 'archive'): Promise<CourseJson>;
  /** An administrator's edit of the working copy at its current version. */
  edit(course: { id: string }, fields: Record<string, unknown>): Promise<CourseJson>;
}

export interface CourseJson {
  id: string;
  code: string;
  title: string;
  status: string;
  version: number;
  published_version: number | null;
  has_unpublished_changes: boolean | null;
  [field: string]: unknown;
}

/** Accounts of every role on `db`, and helpers that drive the course API of `app` (read both lazily: set in beforeAll). */
export async function createCoursesWorld(db: Db, app: () => FastifyInstance): Promise<CoursesWorld> {
  const tokens = new Map<Caller, string>();
  for (const role of roles) {
    const user = await createUser(db, testKeyring, { role });
    tokens.set(role, await mintAccessToken(testKeyring, { userId: user.id, role }));
  }
  const call: CoursesWorld['call'] = (caller, method, url, payload, headers = {}) => {
    const token = tokens.get(caller);
    return app().inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...headers }, ...(payload ? { payload } : {}) });
  };
  const expectOk = (response: LightMyRequestResponse, what: string): CourseJson => {
    if (response.statusCode >= 300) throw new Error(`${what} failed with ${response.statusCode}: ${response.body}`);
    return response.json<CourseJson>();
  };
  const current = async (id: string) => expectOk(await call('SA', 'GET', `/v1/courses/${id}`), 'reading a course');
  return {
    call,
    draft: async (fields = {}) =>
      expectOk(await call('AD', 'POST', '/v1/courses', { code: `C-${randomUUID().slice(0, 8)}`, title: 'Basic Life Support', duration_minutes: 240, ...fields }), 'creating a course'),
    transition: async ({ id }, transition) =>
      expectOk(await call('SA', 'POST', `/v1/courses/${id}/${transition}`, { version: (await current(id)).version }), transition),
    edit: async ({ id }, fields) => expectOk(await call('AD', 'PATCH', `/v1/courses/${id}`, { ...fields, version: (await current(id)).version }), 'editing a course'),
  };
}
