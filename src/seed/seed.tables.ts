/**
 * The columns the seed writes, per table, in the types it sends them as. Each column is one array
 * parameter of the table's bulk INSERT (seed.repository.ts), so this list is also the statement.
 * A `?` marks a nullable column. Values travel as text the engines parse identically:
 * timestamps as UTC ISO text, dates as 'YYYY-MM-DD', times as 'HH:MM:SS', jsonb as JSON text and
 * text[] as an array literal (arrays of arrays cannot be unnested into rows).
 */
export const seedTables = {
  authorized_providers: {
    id: 'uuid', name: 'text', description: 'text?', contact_email_ciphertext: 'text?', contact_phone_ciphertext: 'text?',
    website: 'text?', status: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  locations: {
    id: 'uuid', name: 'text', address_line1: 'text?', address_line2: 'text?', city: 'text?', region: 'text?',
    postal_code: 'text?', country: 'text?', timezone: 'text', status: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  provider_locations: { id: 'uuid', provider_id: 'uuid', location_id: 'uuid', created_at: 'timestamptz' },
  users: {
    id: 'uuid', email_ciphertext: 'text', email_hmac: 'text', role: 'text', status: 'text', last_login_at: 'timestamptz?',
    created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  profiles: {
    id: 'uuid', user_id: 'uuid', first_name: 'text', last_name: 'text', display_name: 'text?', phone_ciphertext: 'text?',
    email_ciphertext: 'text?', organization: 'text?', department: 'text?', supervisor_id: 'uuid?', compliance_tier: 'text',
    compliance_score: 'numeric', compliance_status: 'text', role: 'text', status: 'text', created_at: 'timestamptz',
    updated_at: 'timestamptz', version: 'integer',
  },
  instructor_profiles: {
    id: 'uuid', user_id: 'uuid', display_name: 'text', bio: 'text?', specialties: 'text[]', certification_level: 'text',
    certification_status: 'text', provider_id: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  provider_members: {
    id: 'uuid', provider_id: 'uuid', user_id: 'uuid', member_role: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  teams: {
    id: 'uuid', name: 'text', description: 'text?', provider_id: 'uuid?', lead_id: 'uuid?', status: 'text', created_by: 'uuid?',
    created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  team_members: { id: 'uuid', team_id: 'uuid', user_id: 'uuid', created_at: 'timestamptz' },
  courses: {
    id: 'uuid', code: 'text', title: 'text', description: 'text?', duration_minutes: 'integer', certifies: 'boolean',
    certificate_validity_months: 'integer?', status: 'text', published_at: 'timestamptz?', published_version: 'integer?',
    created_by: 'uuid?', modified_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  course_versions: {
    id: 'uuid', course_id: 'uuid', version_number: 'integer', snapshot: 'jsonb', published_at: 'timestamptz',
    published_by: 'uuid?', created_at: 'timestamptz',
  },
  course_schedules: {
    id: 'uuid', course_id: 'uuid', instructor_id: 'uuid', location_id: 'uuid', provider_id: 'uuid?', rrule: 'text',
    dtstart: 'timestamptz', until_at: 'timestamptz?', generated_until: 'timestamptz?', duration_minutes: 'integer',
    max_capacity: 'integer', timezone: 'text', status: 'text', created_by: 'uuid?', created_at: 'timestamptz',
    updated_at: 'timestamptz', version: 'integer',
  },
  training_sessions: {
    id: 'uuid', title: 'text', description: 'text?', course_id: 'uuid', schedule_id: 'uuid?', instructor_id: 'uuid',
    location_id: 'uuid', provider_id: 'uuid?', session_date: 'date', start_time: 'time', end_time: 'time',
    max_capacity: 'integer', current_enrollment: 'integer', self_enrollment_allowed: 'boolean', status: 'text',
    cancelled_reason: 'text?', created_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  student_enrollment_profiles: {
    id: 'uuid', first_name: 'text', last_name: 'text', email_ciphertext: 'text?', email_hmac: 'text?', phone_ciphertext: 'text?',
    company: 'text?', provider_id: 'uuid?', created_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  session_enrollments: {
    id: 'uuid', session_id: 'uuid', student_id: 'uuid?', student_profile_id: 'uuid?', status: 'text',
    waitlist_position: 'integer?', enrollment_date: 'timestamptz', attendance_status: 'text', completion_status: 'text',
    assessment_score: 'numeric?', practical_score: 'numeric?', written_score: 'numeric?', completed_at: 'timestamptz?',
    enrolled_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  rosters: {
    id: 'uuid', name: 'text', session_id: 'uuid?', course_id: 'uuid', location_id: 'uuid', provider_id: 'uuid?',
    instructor_id: 'uuid?', instructor_name: 'text?', status: 'text', roster_type: 'text', certificate_count: 'integer',
    issue_date: 'date?', created_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  student_roster_members: {
    id: 'uuid', roster_id: 'uuid', student_profile_id: 'uuid', student_id: 'uuid?', enrollment_status: 'text',
    attendance_status: 'text', practical_score: 'numeric?', written_score: 'numeric?', completion_status: 'text',
    created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  certificate_templates: {
    id: 'uuid', name: 'text', template_version: 'text', layout: 'jsonb?', file_url: 'text?', is_default: 'boolean',
    status: 'text', created_by: 'uuid?', created_at: 'timestamptz', updated_at: 'timestamptz',
  },
  certificate_batches: {
    id: 'uuid', roster_id: 'uuid', template_id: 'uuid', requested_by: 'uuid?', status: 'text', total_count: 'integer',
    processed_count: 'integer', failed_count: 'integer', started_at: 'timestamptz?', finished_at: 'timestamptz?',
    created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer',
  },
  certificates: {
    id: 'uuid', user_id: 'uuid?', student_profile_id: 'uuid?', enrollment_id: 'uuid?', roster_member_id: 'uuid?',
    roster_id: 'uuid?', session_id: 'uuid?', course_id: 'uuid', location_id: 'uuid', provider_id: 'uuid?',
    course_name: 'text', recipient_name: 'text', recipient_email_ciphertext: 'text?', issued_by: 'uuid?',
    template_id: 'uuid?', batch_id: 'uuid?', issue_date: 'date', expiry_date: 'date?', status: 'text',
    revoked_at: 'timestamptz?', revoked_reason: 'text?', verification_code: 'text', created_at: 'timestamptz',
    updated_at: 'timestamptz', version: 'integer',
  },
  compliance_requirements: {
    id: 'uuid', code: 'text', name: 'text', description: 'text?', applies_to_roles: 'text[]', tier: 'text',
    validity_months: 'integer?', weight: 'numeric', course_id: 'uuid?', status: 'text', created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  compliance_records: {
    id: 'uuid', user_id: 'uuid', requirement_id: 'uuid', status: 'text', completed_at: 'timestamptz?',
    expires_at: 'timestamptz?', source_enrollment_id: 'uuid?', evidence: 'jsonb', created_at: 'timestamptz',
    updated_at: 'timestamptz', version: 'integer',
  },
} as const satisfies Record<string, Record<string, ColumnType>>;

type BaseType = 'uuid' | 'text' | 'integer' | 'numeric' | 'boolean' | 'date' | 'time' | 'timestamptz' | 'jsonb' | 'text[]';
export type ColumnType = BaseType | `${BaseType}?`;

type ValueOf<T extends BaseType> = T extends 'integer' | 'numeric' ? number : T extends 'boolean' ? boolean : string;
type ColumnValue<T> = T extends `${infer B extends BaseType}?` ? ValueOf<B> | null : T extends BaseType ? ValueOf<T> : never;

export type SeedTable = keyof typeof seedTables;
/** A row exactly as the table's INSERT takes it. */
export type Row<T extends SeedTable> = { -readonly [C in keyof (typeof seedTables)[T]]: ColumnValue<(typeof seedTables)[T][C]> };

/** Load order: every table after the tables it references. */
export const seedTableOrder = Object.keys(seedTables) as SeedTable[];

/** A text[] value as an array literal, each element quoted. */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}
