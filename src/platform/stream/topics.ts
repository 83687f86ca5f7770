import { AppError } from '../../errors.js';

/** What a client subscribes to, and the captured tables (migration 0021) each topic streams. */
export const topicTables = {
  sessions: ['training_sessions'],
  schedules: ['course_schedules'],
  enrollments: ['session_enrollments'],
  rosters: ['rosters', 'student_roster_members'],
  certificates: ['certificates', 'certificate_batches'],
  courses: ['courses'],
  locations: ['locations'],
  providers: ['authorized_providers', 'provider_locations', 'provider_members'],
  students: ['student_enrollment_profiles'],
  users: ['users', 'profiles'],
  instructors: ['instructor_profiles'],
  compliance: ['compliance_records'],
} as const satisfies Record<string, readonly string[]>;

export type Topic = keyof typeof topicTables;
export const topics = Object.keys(topicTables) as Topic[];

const topicOfTable = new Map<string, Topic>(topics.flatMap((topic) => topicTables[topic].map((table) => [table, topic] as const)));

export function topicOf(table: string): Topic | undefined {
  return topicOfTable.get(table);
}

/** `sessions,enrollments` → the tables to stream; absent or empty → every topic. 400 for an unknown topic. */
export function tablesOfTopics(list: string | undefined): ReadonlySet<string> {
  const asked = (list ?? '').split(',').map((topic) => topic.trim()).filter((topic) => topic !== '');
  const unknown = asked.filter((topic) => !(topic in topicTables));
  if (unknown.length > 0) {
    throw new AppError('VALIDATION_FAILED', `unknown topic(s) ${unknown.join(', ')}; topics are ${topics.join(', ')}`, { field: 'querystring.topics' });
  }
  const chosen = asked.length > 0 ? (asked as Topic[]) : topics;
  return new Set(chosen.flatMap((topic) => topicTables[topic]));
}
