import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, createUser, mintAccessToken, testKeyring, type TestUser } from './auth.js';
import { createEnrollmentWorld, createSession, type EnrollmentWorld, type SessionOptions } from './enrollment-world.js';
import type { Role } from '../src/platform/db/actor.js';
import type { Db } from '../src/platform/db/database.js';
import type { RosterRow } from '../src/domains/rosters/rosters.repository.js';

/** Who calls in the roster tests: one account of every role (AP2: the AP of another provider), or nobody. */
export type Caller = Role | 'AP2' | 'anon';
export const everyCaller: readonly Caller[] = ['SA', 'AD', 'AP', 'AP2', 'IC', 'IP', 'IT', 'IN', 'anon'];

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A roster as the API sends it (timestamps as text). */
export type RosterJson = Omit<RosterRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

export interface MemberJson {
  id: string;
  roster_id: string;
  student_profile_id: string;
  student_id: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  company: string | null;
  enrollment_status: string;
  attendance_status: string;
  completion_status: string;
  practical_score: number | null;
  written_score: number | null;
  version: number;
}

/**
 * The enrollment world (a provider at its location, an IC teaching its sessions, an IP who does not)
 * plus an AD, an IT and an IN with names, and a second provider (AP2) at the other location. Every
 * world has its own course, so lists filtered by it hold only this world's rosters.
 */
export interface RosterWorld extends EnrollmentWorld {
  users: Record<Exclude<Caller, 'anon'>, TestUser>;
  otherProviderId: string;
  /** A real request through the application, as `caller`. */
  call(caller: Caller, method: Method, url: string, payload?: object | string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A roster made by SA through the API: at the world's location, taught by its IC, unless fields say otherwise. */
  roster(fields?: Record<string, unknown>): Promise<RosterJson>;
  session(options?: Partial<SessionOptions>): Promise<string>;
}

export async function createRosterWorld(db: Db, app: () => FastifyInstance): Promise<RosterWorld> {
  const base = await createEnrollmentWorld(db);
  const { rows: [provider] } = await db.query<{ id: string }>('insert into authorized_providers (name) values ($1) returning id', [`Other provider ${randomUUID()}`]);
  const otherProviderId = provider!.id;
  await db.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [otherProviderId, base.otherLocationId]);
  const users: RosterWorld['users'] = {
    SA: base.sa,
    AD: await createUser(db, testKeyring, { role: 'AD' }),
    AP: base.ap,
    AP2: await createUser(db, testKeyring, { role: 'AP', providerId: otherProviderId }),
    IC: base.instructor,
    IP: base.otherInstructor,
    IT: await createUser(db, testKeyring, { role: 'IT', firstName: 'Tess', lastName: 'Trainee' }),
    IN: await createUser(db, testKeyring, { role: 'IN', firstName: 'Ian', lastName: 'Newcomer' }),
  };
  // The IC works for the world's provider: its AP may make it a roster's instructor, and it may hold rosters at its
  // locations (decision 0023).
  await db.query(`insert into instructor_profiles (user_id, display_name, provider_id) values ($1, 'Test IC', $2)`, [base.instructor.id, base.providerId]);
  const tokens = new Map<Caller, string>();
  for (const [caller, user] of Object.entries(users) as [Exclude<Caller, 'anon'>, TestUser][]) {
    tokens.set(caller, await mintAccessToken(testKeyring, { userId: user.id, role: user.role }));
  }
  const call: RosterWorld['call'] = (caller, method, url, payload, headers = {}) => {
    const token = tokens.get(caller);
    return app().inject({ method, url, headers: { ...(token ? bearer(token) : {}), ...headers }, ...(payload !== undefined ? { payload } : {}) });
  };
  return {
    ...base,
    users,
    otherProviderId,
    call,
    roster: async (fields = {}) => {
      const response = await call('SA', 'POST', '/v1/rosters', {
        name: `Roster ${randomUUID().slice(0, 8)}`, course_id: base.courseId, location_id: base.locationId, provider_id: base.providerId,
        instructor_id: base.instructor.id, ...fields,
      });
      if (response.statusCode !== 201) throw new Error(`creating a roster failed with ${response.statusCode}: ${response.body}`);
      return response.json<RosterJson>();
    },
    session: (options = {}) => createSession(db, base, { capacity: 10, ...options }),
  };
}
