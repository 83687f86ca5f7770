import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { DomainTable } from '../src/platform/security/access-matrix.js';
import { bearer } from './auth.js';

/** The resources the API serves, each with the table whose matrix rules it must follow. */
export interface HttpResource {
  path: string;
  table: DomainTable;
  /** API field → the stored column whose visibility it follows. */
  fields: Record<string, string>;
  updatable: boolean;
  /** A change that leaves the row as it is, for routes that refuse an empty one. */
  unchanged?: (row: Record<string, unknown>) => Record<string, unknown>;
}

export const httpResources: HttpResource[] = [
  { path: '/v1/users', table: 'users', fields: { email: 'email_ciphertext' }, updatable: true, unchanged: (row) => ({ status: row['status'] }) },
  { path: '/v1/providers', table: 'authorized_providers', fields: { contact_email: 'contact_email_ciphertext', contact_phone: 'contact_phone_ciphertext' }, updatable: true },
  { path: '/v1/provider-locations', table: 'provider_locations', fields: {}, updatable: false },
  { path: '/v1/provider-members', table: 'provider_members', fields: {}, updatable: true },
  { path: '/v1/locations', table: 'locations', fields: {}, updatable: true },
  { path: '/v1/rooms', table: 'rooms', fields: {}, updatable: true },
  { path: '/v1/instructor-profiles', table: 'instructor_profiles', fields: {}, updatable: true },
  { path: '/v1/teams', table: 'teams', fields: {}, updatable: true },
  { path: '/v1/team-members', table: 'team_members', fields: {}, updatable: false },
  { path: '/v1/schedules', table: 'course_schedules', fields: {}, updatable: true },
  { path: '/v1/sessions', table: 'training_sessions', fields: {}, updatable: true },
  { path: '/v1/enrollments', table: 'session_enrollments', fields: {}, updatable: true },
  { path: '/v1/courses', table: 'courses', fields: {}, updatable: true },
  { path: '/v1/rosters', table: 'rosters', fields: {}, updatable: true },
  { path: '/v1/roster-members', table: 'student_roster_members', fields: {}, updatable: true },
];

/** Every page of a list, as the holder of `token`. */
export async function listAll(app: FastifyInstance, path: string, token: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const response: LightMyRequestResponse = await app.inject({ method: 'GET', url: `${path}?limit=200${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(token) });
    expect(response.statusCode, response.body).toBe(200);
    const page: { items: Record<string, unknown>[]; next_cursor: string | null } = response.json();
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

