import { createHash } from 'node:crypto';
import type { Actor } from '../src/platform/db/actor.js';
import type { Db, Queryable, Row } from '../src/platform/db/database.js';
import { domainTables, type DomainTable, type Snapshot } from '../src/platform/security/access-matrix.js';
import { createFieldCipher, normaliseEmail, type FieldCipher } from '../src/platform/security/field-cipher.js';
import { decodeSingleKey, parseEncryptionKeys } from '../src/platform/security/keyring.js';
import { testKeysEnv } from './engine.js';

/**
 * A small world with every role and every kind of relation the access matrix cares about, inserted
 * as the owner. Two providers (North, South), four locations (one each, one shared by both, one
 * with no provider), accounts of every role, students with and without accounts, courses of every
 * status, sessions at every location (some open for self-enrollment), enrollments in every status,
 * rosters, certificates, compliance, notifications, activities, teams and audit entries.
 * Ids are derived from names, so they are the same in every run and on both engines.
 */

const namesById = new Map<string, string>();

/** A stable UUID for a fixture name. */
export function fixtureId(name: string): string {
  const hex = createHash('sha256').update(`unitrain-fixture:${name}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  namesById.set(uuid, name);
  return uuid;
}

/** The fixture name of an id, for readable test failures (`#<key>` for keys that are not fixture ids). */
export function fixtureNameOf(key: string): string {
  return namesById.get(key) ?? `#${key}`;
}

/** The cipher the fixture encrypts with: the same keys as `testKeysEnv`, so server processes can read it. */
export const fixtureCipher: FieldCipher = createFieldCipher({
  encryptionKeys: parseEncryptionKeys(testKeysEnv.ENCRYPTION_KEYS),
  blindIndexKey: decodeSingleKey(testKeysEnv.BLIND_INDEX_KEY, 'BLIND_INDEX_KEY'),
});

export const fixtureUsers = {
  sa: 'SA', ad: 'AD', ap1: 'AP', ap2: 'AP', ap3: 'AP', ic1: 'IC', ic2: 'IC', ip1: 'IP', it1: 'IT', it2: 'IT', in1: 'IN', in2: 'IN',
} as const;
export type FixtureUser = keyof typeof fixtureUsers;

export const fixtureEmail = (user: FixtureUser) => `${user}@fixture.unitrain.test`;

export interface FixtureActor extends Actor {
  /** The fixture user's name, or `anon`. */
  name: FixtureUser | 'anon';
}

/** Provider memberships: also each AP's providerId claim (the first one). */
const memberships: [FixtureUser, 'p1' | 'p2', 'ADMIN' | 'STAFF' | 'INSTRUCTOR'][] = [
  ['ap1', 'p1', 'ADMIN'], ['ap2', 'p2', 'ADMIN'], ['ap3', 'p1', 'STAFF'], ['ap3', 'p2', 'STAFF'], ['ic1', 'p1', 'INSTRUCTOR'],
];

/** Every fixture account as an actor, then the signed-out actor. */
export const fixtureActors: readonly FixtureActor[] = [
  ...(Object.entries(fixtureUsers) as [FixtureUser, Actor['role']][]).map(([name, role]) => {
    const membership = role === 'AP' ? memberships.find(([user]) => user === name) : undefined;
    return { name, role, userId: fixtureId(name), providerId: membership ? fixtureId(membership[1]) : null };
  }),
  { name: 'anon', role: 'ANON', userId: null, providerId: null },
];

export function fixtureActor(name: FixtureActor['name']): FixtureActor {
  const actor = fixtureActors.find((candidate) => candidate.name === name);
  if (!actor) throw new Error(`no fixture actor ${name}`);
  return actor;
}

const id = fixtureId;
const at = (day: string, time = '09:00:00') => `${day}T${time}Z`;

function fixtureRows(cipher: FieldCipher, passwordHash: string | null): [DomainTable, Row[]][] {
  const supervisors: Partial<Record<FixtureUser, FixtureUser>> = {
    sa: 'ad', ad: 'sa', ap1: 'ad', ap2: 'ad', ap3: 'ap1', ic1: 'ap1', ic2: 'ap2', ip1: 'ic1', it1: 'ic1', it2: 'ip1', in1: 'ic2',
  };
  const users = Object.entries(fixtureUsers) as [FixtureUser, string][];
  const status = (user: FixtureUser) => (user === 'in2' ? 'INACTIVE' : 'ACTIVE');
  const email = (value: string) => ({ email_ciphertext: cipher.encrypt(value), email_hmac: cipher.blindIndex(normaliseEmail(value)) });
  const session = (name: string, fields: Row): Row => ({
    id: id(name), title: `Session ${name}`, start_time: '09:00', end_time: '12:00', max_capacity: 10, current_enrollment: 0,
    self_enrollment_allowed: false, status: 'SCHEDULED', ...fields,
  });
  const enrollment = (name: string, session: string, student: Row, fields: Row = {}): Row => ({
    id: id(name), session_id: id(session), ...student, status: 'ENROLLED', ...fields,
  });
  const certificate = (name: string, fields: Row): Row => ({
    id: id(name), course_name: 'First aid', recipient_name: `Recipient ${name}`, issue_date: '2030-03-10',
    verification_code: `UT-${name.toUpperCase()}-0001`, template_id: id('tpl1'), ...fields,
  });
  return [
    ['users', users.map(([user, role]) => ({ id: id(user), ...email(fixtureEmail(user)), password_hash: passwordHash, role, status: status(user) }))],
    ['profiles', users.map(([user, role]) => ({
      id: id(`profile-${user}`), user_id: id(user), first_name: user.toUpperCase(), last_name: 'Fixture', display_name: `${user} fixture`,
      phone_ciphertext: cipher.encrypt(`+44 7700 900${users.findIndex(([other]) => other === user).toString().padStart(3, '0')}`),
      email_ciphertext: cipher.encrypt(fixtureEmail(user)), organization: `${user} organisation`, department: `${user} department`,
      supervisor_id: supervisors[user] ? id(supervisors[user]) : null, role, status: status(user),
    }))],
    ['auth_sessions', (['sa', 'ad', 'it1', 'ic1'] as const).map((user) => ({
      id: id(`auth-${user}`), user_id: id(user), family_id: id(`family-${user}`), refresh_token_hash: `fixture-hash-${user}`,
      expires_at: at('2099-01-01'),
    }))],
    ['authorized_providers', [
      { id: id('p1'), name: 'North Academy', contact_email_ciphertext: cipher.encrypt('office@north.example'), contact_phone_ciphertext: cipher.encrypt('+44 113 496 0000'), website: 'https://north.example' },
      { id: id('p2'), name: 'South Institute', contact_email_ciphertext: cipher.encrypt('desk@south.example'), contact_phone_ciphertext: null },
    ]],
    ['provider_members', memberships.map(([user, provider, memberRole]) => ({ id: id(`member-${user}-${provider}`), provider_id: id(provider), user_id: id(user), member_role: memberRole }))],
    ['locations', [
      { id: id('l1'), name: 'Leeds centre', city: 'Leeds', country: 'GB', timezone: 'Europe/London' },
      { id: id('l2'), name: 'York hall (shared)', city: 'York', country: 'GB', timezone: 'Europe/London' },
      { id: id('l3'), name: 'Bristol rooms', city: 'Bristol', country: 'GB', timezone: 'Europe/London' },
      { id: id('l4'), name: 'Online classroom', timezone: 'UTC' },
    ]],
    ['rooms', [
      { id: id('room-l1-a'), location_id: id('l1'), name: 'Room A', capacity: 20 },
      { id: id('room-l3-b'), location_id: id('l3'), name: 'Room B', capacity: 8 },
    ]],
    ['provider_locations', [['p1', 'l1'], ['p1', 'l2'], ['p2', 'l2'], ['p2', 'l3']].map(([provider, location]) => ({
      id: id(`pl-${provider}-${location}`), provider_id: id(provider!), location_id: id(location!),
    }))],
    ['instructor_profiles', ([['ic1', 'p1', 'CERTIFIED'], ['ic2', 'p2', 'CERTIFIED'], ['ip1', 'p1', 'PROVISIONAL'], ['it1', 'p1', 'TRAINEE'], ['in1', 'p2', 'NEW'], ['it2', null, 'TRAINEE']] as const).map(
      ([user, provider, level]) => ({
        id: id(`instructor-${user}`), user_id: id(user), display_name: `${user} instructor`, bio: `About ${user}`, specialties: ['first aid'],
        certification_level: level, certification_status: 'ACTIVE', provider_id: provider ? id(provider) : null,
      }),
    )],
    ['teams', [
      { id: id('team1'), name: 'North instructors', provider_id: id('p1'), lead_id: id('ap1'), created_by: id('ap1') },
      { id: id('team2'), name: 'South instructors', provider_id: id('p2'), lead_id: id('ic2') },
      { id: id('team3'), name: 'Head office', provider_id: null, lead_id: id('ad'), created_by: id('ad') },
    ]],
    ['team_members', [['team1', 'ic1'], ['team1', 'it1'], ['team2', 'in1'], ['team3', 'ip1'], ['team3', 'it2']].map(([team, user]) => ({
      id: id(`${team}-${user}`), team_id: id(team!), user_id: id(user!),
    }))],
    // Inserted as drafts: a published course needs its version first (see publishCourses).
    ['courses', [
      { id: id('c-draft'), code: 'DRAFT-1', title: 'Unfinished course', duration_minutes: 60 },
      { id: id('c-first-aid'), code: 'FA-1', title: 'First aid', duration_minutes: 180, certifies: true, certificate_validity_months: 24 },
      { id: id('c-safety'), code: 'SAFE-1', title: 'Site safety', duration_minutes: 120 },
      { id: id('c-legacy'), code: 'OLD-1', title: 'Legacy course', duration_minutes: 90 },
    ]],
    ['course_versions', [['c-first-aid', 1], ['c-first-aid', 2], ['c-safety', 1], ['c-legacy', 1]].map(([course, version]) => ({
      id: id(`${course}-v${version}`), course_id: id(course as string), version_number: version, snapshot: { title: course }, published_by: id('ad'),
    }))],
    ['course_schedules', [
      { id: id('sch1'), course_id: id('c-first-aid'), instructor_id: id('ic1'), location_id: id('l1'), provider_id: id('p1') },
      { id: id('sch2'), course_id: id('c-safety'), instructor_id: id('ip1'), location_id: id('l3'), provider_id: id('p2') },
      { id: id('sch3'), course_id: id('c-first-aid'), instructor_id: id('ic2'), location_id: id('l4'), provider_id: null },
    ].map((schedule) => ({ ...schedule, rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: at('2030-03-04'), duration_minutes: 180, max_capacity: 10, timezone: 'Europe/London' }))],
    ['training_sessions', [
      session('s1', { course_id: id('c-first-aid'), schedule_id: id('sch1'), instructor_id: id('ic1'), location_id: id('l1'), provider_id: id('p1'), session_date: '2030-03-04', max_capacity: 2, current_enrollment: 2, self_enrollment_allowed: true }),
      session('s2', { course_id: id('c-first-aid'), instructor_id: id('ic2'), location_id: id('l2'), provider_id: id('p2'), session_date: '2030-03-05', current_enrollment: 2 }),
      session('s3', { course_id: id('c-safety'), schedule_id: id('sch2'), instructor_id: id('ip1'), location_id: id('l3'), provider_id: id('p2'), session_date: '2030-01-07', current_enrollment: 1, status: 'COMPLETED' }),
      session('s4', { course_id: id('c-legacy'), instructor_id: id('ic1'), location_id: id('l4'), session_date: '2030-03-06', current_enrollment: 1, self_enrollment_allowed: true }),
      session('s5', { course_id: id('c-first-aid'), instructor_id: id('ip1'), location_id: id('l2'), provider_id: id('p1'), session_date: '2030-03-07', self_enrollment_allowed: true, status: 'CANCELLED', cancelled_reason: 'instructor unavailable' }),
      session('s6', { course_id: id('c-safety'), instructor_id: id('ic2'), location_id: id('l1'), provider_id: id('p1'), session_date: '2030-03-08', current_enrollment: 1, status: 'IN_PROGRESS' }),
      session('s7', { course_id: id('c-safety'), instructor_id: id('ic1'), location_id: id('l3'), provider_id: id('p2'), session_date: '2030-03-09', max_capacity: 5, self_enrollment_allowed: true }),
    ]],
    ['student_enrollment_profiles', [
      { id: id('sp1'), first_name: 'Ada', last_name: 'Walk-in', ...email('ada@students.example'), phone_ciphertext: cipher.encrypt('+44 7700 900101'), provider_id: id('p1') },
      { id: id('sp2'), first_name: 'Ben', last_name: 'Import', ...email('ben@students.example'), company: 'Ben Ltd', provider_id: id('p2') },
      { id: id('sp3'), first_name: 'Cy', last_name: 'Nobody', phone_ciphertext: cipher.encrypt('+44 7700 900103'), provider_id: null },
      { id: id('sp4'), first_name: 'Dee', last_name: 'Linked', ...email('dee@students.example'), phone_ciphertext: cipher.encrypt('+44 7700 900104'), company: 'Dee plc', provider_id: id('p1'), created_by: id('ap1') },
      { id: id('sp5'), first_name: 'Eve', last_name: 'Unplaced', ...email('eve@students.example'), provider_id: id('p2') },
    ]],
    ['session_enrollments', [
      enrollment('e1', 's1', { student_id: id('it1') }),
      enrollment('e2', 's1', { student_profile_id: id('sp1') }, { enrolled_by: id('ap1') }),
      enrollment('e3', 's1', { student_id: id('in1') }, { status: 'WAITLISTED', waitlist_position: 1 }),
      enrollment('e4', 's2', { student_id: id('it2') }),
      enrollment('e5', 's2', { student_profile_id: id('sp2') }),
      enrollment('e6', 's3', { student_id: id('in1') }, { completion_status: 'COMPLETED', completed_at: at('2030-01-07', '12:00:00'), attendance_status: 'ATTENDED', assessment_score: 88 }),
      enrollment('e7', 's3', { student_id: id('ic2') }, { status: 'CANCELLED' }),
      enrollment('e8', 's4', { student_profile_id: id('sp3') }),
      enrollment('e9', 's6', { student_id: id('in2') }),
      enrollment('e10', 's5', { student_id: id('it1') }, { status: 'CANCELLED' }),
    ]],
    ['rosters', [
      { id: id('r1'), name: 'North first aid, March', session_id: id('s1'), course_id: id('c-first-aid'), location_id: id('l1'), provider_id: id('p1'), instructor_id: id('ic1'), roster_type: 'CERTIFICATE' },
      { id: id('r2'), name: 'Bristol safety', session_id: id('s3'), course_id: id('c-safety'), location_id: id('l3'), provider_id: id('p2'), instructor_name: 'Guest trainer' },
      { id: id('r3'), name: 'York first aid', course_id: id('c-first-aid'), location_id: id('l2'), provider_id: id('p2'), instructor_id: id('ic2') },
      { id: id('r4'), name: 'Online legacy', session_id: id('s4'), course_id: id('c-legacy'), location_id: id('l4'), instructor_id: id('ip1') },
    ]],
    ['student_roster_members', [['m1', 'r1', 'sp1', null], ['m2', 'r1', 'sp4', 'it1'], ['m3', 'r2', 'sp3', 'in1'], ['m4', 'r3', 'sp2', null], ['m5', 'r4', 'sp4', null]].map(
      ([name, roster, profile, student]) => ({ id: id(name!), roster_id: id(roster!), student_profile_id: id(profile!), student_id: student ? id(student) : null }),
    )],
    ['certificate_templates', [
      { id: id('tpl1'), name: 'Standard', layout: { size: 'A4' }, is_default: true },
      { id: id('tpl2'), name: 'Old style', file_url: 'https://files.example/old.pdf', status: 'ARCHIVED' },
      { id: id('tpl3'), name: 'North layout', layout: { page: { size: 'A4', orientation: 'portrait' }, elements: [] }, provider_id: id('p1'), created_by: id('ap1') },
    ]],
    ['certificate_template_versions', [
      { id: id('tplv1'), template_id: id('tpl1'), version_number: 1, name: 'Standard', layout: { size: 'A4' }, published_by: id('ad') },
      { id: id('tplv3'), template_id: id('tpl3'), version_number: 1, name: 'North layout', layout: { page: { size: 'A4', orientation: 'portrait' }, elements: [] }, published_by: id('ap1') },
    ]],
    ['certificate_batches', [
      { id: id('b1'), roster_id: id('r1'), template_id: id('tpl1'), requested_by: id('ic1'), status: 'COMPLETED', total_count: 2, processed_count: 2 },
      { id: id('b2'), roster_id: id('r3'), template_id: id('tpl1'), requested_by: id('ad'), total_count: 1 },
      { id: id('b3'), roster_id: id('r2'), template_id: id('tpl1'), requested_by: id('ip1'), total_count: 1 },
      { id: id('b4'), roster_id: id('r4'), template_id: id('tpl1'), requested_by: id('ip1'), total_count: 1 },
      { id: id('b5'), session_id: id('s3'), template_id: id('tpl1'), requested_by: id('ip1'), status: 'COMPLETED', total_count: 1, processed_count: 1 },
    ]],
    ['certificates', [
      certificate('cert1', { user_id: id('it1'), student_profile_id: id('sp4'), roster_member_id: id('m2'), roster_id: id('r1'), session_id: id('s1'), course_id: id('c-first-aid'), location_id: id('l1'), provider_id: id('p1'), recipient_email_ciphertext: cipher.encrypt(fixtureEmail('it1')), issued_by: id('ic1'), batch_id: id('b1') }),
      certificate('cert2', { student_profile_id: id('sp2'), roster_member_id: id('m4'), roster_id: id('r3'), course_id: id('c-first-aid'), location_id: id('l2'), provider_id: id('p2'), recipient_email_ciphertext: cipher.encrypt('ben@students.example'), issued_by: id('ic2'), batch_id: id('b2') }),
      certificate('cert3', { user_id: id('in1'), enrollment_id: id('e6'), session_id: id('s3'), template_id: id('tpl3'), template_version_id: id('tplv3'), batch_id: id('b5'), course_id: id('c-safety'), course_name: 'Site safety', location_id: id('l3'), provider_id: id('p2'), recipient_email_ciphertext: cipher.encrypt(fixtureEmail('in1')), issued_by: id('ip1') }),
      certificate('cert4', { user_id: id('ic2'), course_id: id('c-first-aid'), location_id: id('l4'), recipient_email_ciphertext: cipher.encrypt(fixtureEmail('ic2')), issued_by: id('ad'), status: 'REVOKED', revoked_at: at('2030-03-11'), revoked_reason: 'issued in error' }),
      certificate('cert5', { student_profile_id: id('sp3'), course_id: id('c-legacy'), course_name: 'Legacy course', location_id: id('l4'), issued_by: id('ic1'), issue_date: '2028-01-01', expiry_date: '2029-01-01', status: 'EXPIRED' }),
    ]],
    ['certificate_batch_results', [
      { id: id('br1'), batch_id: id('b1'), position: 1, roster_member_id: id('m1') },
      { id: id('br2'), batch_id: id('b5'), position: 1, enrollment_id: id('e6'), outcome: 'ISSUED', certificate_id: id('cert3'), processed_at: at('2030-01-08') },
    ]],
    ['course_certificate_settings', [
      { id: id('ccs1'), course_id: id('c-first-aid'), template_id: id('tpl1'), issue_on_completion: true },
      { id: id('ccs2'), course_id: id('c-draft') },
    ]],
    ['compliance_requirements', [
      { id: id('cr1'), code: 'ID-CHECK', name: 'Identity check', applies_to_roles: ['IC', 'IP', 'IT', 'IN'] },
      { id: id('cr2'), code: 'FA-CURRENT', name: 'Current first aid', tier: 'robust', validity_months: 24, course_id: id('c-first-aid') },
    ]],
    ['compliance_records', [['it1', 'cr1', 'MET'], ['ic1', 'cr1', 'MET'], ['in1', 'cr2', 'PENDING'], ['ap3', 'cr1', 'WAIVED'], ['ip1', 'cr2', 'EXPIRED'], ['in2', 'cr1', 'PENDING'], ['ic2', 'cr2', 'MET']].map(
      ([user, requirement, state]) => ({
        id: id(`record-${user}-${requirement}`), user_id: id(user!), requirement_id: id(requirement!), status: state,
        completed_at: state === 'MET' || state === 'EXPIRED' ? at('2029-06-01') : null, expires_at: state === 'EXPIRED' ? at('2029-12-01') : null,
      }),
    )],
    ['compliance_tier_changes', [
      { id: id('tier-ic1'), user_id: id('ic1'), from_role: 'IC', to_role: 'IP', requirement_ids: [id('cr2')] },
      { id: id('tier-ic2'), user_id: id('ic2'), from_role: 'IC', to_role: 'IP', requirement_ids: [id('cr2')], status: 'DISMISSED', decided_at: at('2030-01-05'), decision_note: 'renewal booked' },
    ]],
    ['course_instructor_requirements', [
      { id: id('cir1'), course_id: id('c-first-aid'), minimum_tier: 'IP' },
      { id: id('cir2'), course_id: id('c-draft'), minimum_tier: 'IC', compliance_requirement_ids: [id('cr1')] },
    ]],
    ['calendar_feeds', (['it1', 'ic1'] as const).map((user) => ({
      id: id(`feed-${user}`), user_id: id(user), token_hash: createHash('sha256').update(`fixture-feed-${user}`).digest('hex'),
    }))],
    ['invitations', [
      { id: id('inv-trainee'), ...email('new.trainee@fixture.unitrain.test'), role: 'IT', expires_at: at('2030-04-01'), invited_by: id('ad') },
      { id: id('inv-ap'), ...email('new.ap@fixture.unitrain.test'), role: 'AP', provider_id: id('p1'), expires_at: at('2030-04-01'), invited_by: id('sa'), status: 'REVOKED', revoked_at: at('2030-03-02'), revoked_by: id('sa') },
      { id: id('inv-admin'), ...email('new.admin@fixture.unitrain.test'), role: 'SA', expires_at: at('2030-04-01'), invited_by: id('sa') },
    ]],
    ['notifications', (['it1', 'ic1', 'ad', 'sa', 'ap2'] as const).map((user) => ({ id: id(`note-${user}`), user_id: id(user), kind: 'REMINDER', title: `Hello ${user}` }))],
    // Beside the global English ones of migration 0045: a global translation and two providers' overrides.
    ['notification_templates', ([['nt-global-de', null, 'de'], ['nt-p1', 'p1', 'en'], ['nt-p2', 'p2', 'de']] as const).map(
      ([template, provider, locale]) => ({ id: id(template), kind: 'session.cancelled', locale, provider_id: provider === null ? null : id(provider), subject: 'About {{session_title}}', body: 'On {{date}} at {{place}}' }),
    )],
    ['user_activities', (['it1', 'ic1', 'ap1', 'sa'] as const).map((user) => ({ id: id(`activity-${user}`), user_id: id(user), activity_type: 'LOGIN', entity_type: 'user', entity_id: id(user) }))],
    ['audit_log', [
      { actor_id: id('sa'), actor_role: 'SA', table_name: 'users', operation: 'INSERT', row_id: id('sa'), new_values: { role: 'SA', status: 'ACTIVE' } },
      { actor_id: id('sa'), actor_role: 'SA', table_name: 'users', operation: 'UPDATE', row_id: id('ad'), old_values: { status: 'INACTIVE' }, new_values: { status: 'ACTIVE' } },
      { actor_id: id('ad'), actor_role: 'AD', table_name: 'profiles', operation: 'UPDATE', row_id: id('profile-sa'), old_values: { display_name: 'a' }, new_values: { display_name: 'b' } },
      { actor_id: id('sa'), actor_role: 'SA', table_name: 'users', operation: 'UPDATE', row_id: id('ap1'), old_values: { role: 'SA' }, new_values: { role: 'AP' } },
      { actor_id: id('ic1'), actor_role: 'IC', table_name: 'training_sessions', operation: 'UPDATE', row_id: id('s1'), old_values: { title: 'a' }, new_values: { title: 'b' }, request_id: 'req-1', ip: '192.0.2.1', user_agent: 'fixture' },
      { table_name: 'certificates', operation: 'INSERT', row_id: id('cert1'), new_values: { status: 'ACTIVE' } },
      { actor_id: id('ad'), actor_role: 'AD', table_name: 'users', operation: 'DELETE', row_id: id('gone-trainee'), old_values: { role: 'IT', status: 'ACTIVE' } },
      { actor_id: id('sa'), actor_role: 'SA', table_name: 'users', operation: 'DELETE', row_id: id('gone-admin'), old_values: { role: 'SA', status: 'ACTIVE' } },
    ]],
    ['domain_events', [
      { aggregate_type: 'enrollment', aggregate_id: id('e6'), event_type: 'enrollment.completed', payload: { session: id('s3') }, actor_id: id('ip1') },
      { aggregate_type: 'certificate', aggregate_id: id('cert1'), event_type: 'certificate.issued', actor_id: id('ic1') },
      { aggregate_type: 'user', aggregate_id: id('it1'), event_type: 'user.created', actor_id: id('ad') },
    ]],
    ['change_log', [
      { table_name: 'training_sessions', operation: 'UPDATE', row_id: id('s1'), location_id: id('l1'), provider_id: id('p1'), instructor_id: id('ic1') },
      { table_name: 'session_enrollments', operation: 'INSERT', row_id: id('e1'), user_id: id('it1') },
      { table_name: 'certificates', operation: 'INSERT', row_id: id('cert3'), location_id: id('l3'), user_id: id('in1') },
    ]],
    ['jobs', [
      { id: id('job1'), handler: 'certificate.issue', payload: { enrollment: id('e6') }, idempotency_key: 'fixture-job-1' },
      { id: id('job2'), handler: 'email.send', status: 'DEAD', attempts: 5, last_error: 'mailbox unavailable' },
    ]],
  ];
}

/** The published and archived courses, once their versions exist. */
async function publishCourses(db: Queryable): Promise<void> {
  for (const [course, status, version] of [['c-first-aid', 'PUBLISHED', 2], ['c-safety', 'PUBLISHED', 1], ['c-legacy', 'ARCHIVED', 1]] as const) {
    await db.query(`update courses set status = $2, published_at = '2030-01-01T00:00:00Z', published_version = $3 where id = $1`, [id(course), status, version]);
  }
}

const logs = [
  ['audit_log', 'id'],
  ['domain_events', 'seq'],
  ['change_log', 'seq'],
] as const;

/** Every row of every domain table, read as the owner, ordered by primary key. */
export async function readSnapshot(db: Queryable): Promise<Snapshot> {
  const entries = await Promise.all(
    domainTables.map(async (table) => {
      const key = logs.find(([log]) => log === table)?.[1] ?? 'id';
      const { rows } = await db.query(`select * from ${table} order by ${key}`);
      return [table, rows] as const;
    }),
  );
  return Object.fromEntries(entries) as unknown as Snapshot;
}

export interface FixtureWorld {
  snapshot: Snapshot;
  actors: readonly FixtureActor[];
}

/**
 * Inserts the fixture world as the owner, in one transaction, and reads it back. Whatever trail
 * loading it leaves in the logs (audit triggers, change capture) is removed, so the logs hold only
 * the fixture's own entries. `passwordHash` is every account's hash (null: invited, no password).
 */
export async function buildFixtureWorld(db: Db, options: { passwordHash?: string | null } = {}): Promise<FixtureWorld> {
  const rows = fixtureRows(fixtureCipher, options.passwordHash ?? null);
  const isLog = (table: DomainTable) => logs.some(([log]) => log === table);
  await db.transaction(async (tx) => {
    const trailStarts: number[] = [];
    for (const [table, key] of logs) {
      trailStarts.push((await tx.query<{ last: number }>(`select coalesce(max(${key}), 0)::bigint as last from ${table}`)).rows[0]!.last);
    }
    for (const [table, tableRows] of rows.filter(([table]) => !isLog(table))) {
      await insertRows(tx, table, tableRows);
      if (table === 'course_versions') await publishCourses(tx);
    }
    for (const [index, [table, key]] of logs.entries()) {
      await tx.query(`delete from ${table} where ${key} > $1`, [trailStarts[index]]);
    }
    for (const [table, tableRows] of rows.filter(([table]) => isLog(table))) await insertRows(tx, table, tableRows);
  });
  return { snapshot: await readSnapshot(db), actors: fixtureActors };
}

/** One INSERT per row with only the columns it names, so the others take their defaults. */
async function insertRows(db: Queryable, table: string, rows: Row[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row).join(', ');
    await db.query(`insert into ${table} (${columns}) select ${columns} from json_populate_record(null::${table}, $1)`, [JSON.stringify(row)]);
  }
}
