-- Training: the course catalogue, recurring schedules, sessions, enrollments and rosters.
-- Sessions, enrollments and rosters are never deleted in normal use (they are cancelled or archived),
-- so their references RESTRICT: history cannot lose its course, location or student.

CREATE TABLE courses (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code                        text NOT NULL,
  title                       text NOT NULL,
  description                 text,
  duration_minutes            integer NOT NULL,
  -- Completing a certifying course issues a certificate (valid for N months, or for life if null).
  certifies                   boolean NOT NULL DEFAULT false,
  certificate_validity_months integer,
  status                      text NOT NULL DEFAULT 'DRAFT',
  published_at                timestamptz,
  -- The course_versions row the public catalogue shows (foreign key added below).
  published_version           integer,
  created_by                  uuid REFERENCES users (id) ON DELETE SET NULL,
  modified_by                 uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  version                     integer NOT NULL DEFAULT 1,
  CONSTRAINT courses_code_key UNIQUE (code),
  CONSTRAINT courses_code_check CHECK (code ~ '^\S+$'),
  CONSTRAINT courses_duration_check CHECK (duration_minutes > 0),
  CONSTRAINT courses_certificate_validity_check
    CHECK (certificate_validity_months IS NULL OR (certifies AND certificate_validity_months > 0)),
  CONSTRAINT courses_status_check CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
  CONSTRAINT courses_published_check
    CHECK (status <> 'PUBLISHED' OR (published_at IS NOT NULL AND published_version IS NOT NULL))
);
CREATE TRIGGER courses_set_row_version BEFORE UPDATE ON courses
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- One immutable snapshot per publication: what a learner saw, whatever the draft says today.
CREATE TABLE course_versions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id      uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  version_number integer NOT NULL,
  snapshot       jsonb NOT NULL,
  published_at   timestamptz NOT NULL DEFAULT now(),
  published_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT course_versions_course_version_key UNIQUE (course_id, version_number),
  CONSTRAINT course_versions_version_number_check CHECK (version_number >= 1),
  CONSTRAINT course_versions_snapshot_check CHECK (jsonb_typeof(snapshot) = 'object')
);
CREATE INDEX course_versions_published_by_idx ON course_versions (published_by);

-- published_version must name an existing snapshot of this very course. NO ACTION (checked at the
-- end of the statement) so that deleting a course can cascade to its versions.
ALTER TABLE courses ADD CONSTRAINT courses_published_version_fkey
  FOREIGN KEY (id, published_version) REFERENCES course_versions (course_id, version_number)
  ON DELETE NO ACTION;

CREATE TABLE course_schedules (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
  instructor_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  location_id      uuid NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  provider_id      uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  -- RFC 5545 recurrence rule without DTSTART (kept in its own column, with the zone).
  rrule            text NOT NULL,
  dtstart          timestamptz NOT NULL,
  until_at         timestamptz,
  -- How far ahead sessions have been materialised; the generator resumes from here.
  generated_until  timestamptz,
  duration_minutes integer NOT NULL,
  max_capacity     integer NOT NULL,
  timezone         text NOT NULL,
  status           text NOT NULL DEFAULT 'ACTIVE',
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  CONSTRAINT course_schedules_rrule_check CHECK (rrule ~* 'FREQ='),
  CONSTRAINT course_schedules_until_check CHECK (until_at >= dtstart),
  -- Sessions end on the day they start (training_sessions_time_check).
  CONSTRAINT course_schedules_duration_check CHECK (duration_minutes > 0 AND duration_minutes < 1440),
  CONSTRAINT course_schedules_max_capacity_check CHECK (max_capacity > 0),
  CONSTRAINT course_schedules_status_check CHECK (status IN ('ACTIVE', 'PAUSED', 'ENDED'))
);
CREATE INDEX course_schedules_location_id_idx ON course_schedules (location_id);
CREATE INDEX course_schedules_course_id_idx ON course_schedules (course_id);
CREATE INDEX course_schedules_instructor_id_idx ON course_schedules (instructor_id);
CREATE INDEX course_schedules_provider_id_idx ON course_schedules (provider_id);
CREATE INDEX course_schedules_active_generated_until_idx ON course_schedules (generated_until)
  WHERE status = 'ACTIVE';
CREATE TRIGGER course_schedules_set_row_version BEFORE UPDATE ON course_schedules
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE training_sessions (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title                   text NOT NULL,
  description             text,
  course_id               uuid NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
  -- A session generated from a schedule stays when the schedule is deleted.
  schedule_id             uuid REFERENCES course_schedules (id) ON DELETE SET NULL,
  instructor_id           uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  location_id             uuid NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  provider_id             uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  -- Wall-clock date and times in the location's time zone.
  session_date            date NOT NULL,
  start_time              time NOT NULL,
  end_time                time NOT NULL,
  max_capacity            integer NOT NULL,
  -- Equals the number of ENROLLED rows; changed only by the guarded atomic UPDATE that enrolls.
  current_enrollment      integer NOT NULL DEFAULT 0,
  self_enrollment_allowed boolean NOT NULL DEFAULT false,
  status                  text NOT NULL DEFAULT 'SCHEDULED',
  cancelled_reason        text,
  created_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  version                 integer NOT NULL DEFAULT 1,
  CONSTRAINT training_sessions_time_check CHECK (end_time > start_time),
  CONSTRAINT training_sessions_max_capacity_check CHECK (max_capacity > 0),
  -- The last line of defence against overbooking: no UPDATE can push the counter past capacity.
  CONSTRAINT training_sessions_capacity_check CHECK (current_enrollment BETWEEN 0 AND max_capacity),
  CONSTRAINT training_sessions_status_check
    CHECK (status IN ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')),
  CONSTRAINT training_sessions_cancelled_reason_check
    CHECK (cancelled_reason IS NULL OR status = 'CANCELLED'),
  -- Makes materialising a schedule idempotent (manual sessions have no schedule: nulls are distinct).
  CONSTRAINT training_sessions_schedule_occurrence_key UNIQUE (schedule_id, session_date, start_time)
);
CREATE INDEX training_sessions_scheduled_date_location_idx ON training_sessions (session_date, location_id)
  WHERE status = 'SCHEDULED';
CREATE INDEX training_sessions_instructor_status_idx ON training_sessions (instructor_id, status);
CREATE INDEX training_sessions_location_date_idx ON training_sessions (location_id, session_date);
CREATE INDEX training_sessions_session_date_idx ON training_sessions (session_date);
CREATE INDEX training_sessions_course_id_idx ON training_sessions (course_id);
CREATE INDEX training_sessions_provider_id_idx ON training_sessions (provider_id);
CREATE TRIGGER training_sessions_set_row_version BEFORE UPDATE ON training_sessions
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Students who have no account (walk-ins, imported class lists).
CREATE TABLE student_enrollment_profiles (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  first_name       text NOT NULL,
  last_name        text NOT NULL,
  email_ciphertext text,
  email_hmac       text,
  phone_ciphertext text,
  company          text,
  provider_id      uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  -- One profile per person and provider, so imports can upsert instead of duplicating.
  CONSTRAINT student_enrollment_profiles_provider_email_key UNIQUE (provider_id, email_hmac),
  CONSTRAINT student_enrollment_profiles_email_check CHECK ((email_ciphertext IS NULL) = (email_hmac IS NULL))
);
CREATE INDEX student_enrollment_profiles_email_hmac_idx ON student_enrollment_profiles (email_hmac);
CREATE TRIGGER student_enrollment_profiles_set_row_version BEFORE UPDATE ON student_enrollment_profiles
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE session_enrollments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id         uuid NOT NULL REFERENCES training_sessions (id) ON DELETE RESTRICT,
  -- The student is either an account or a profile without one, never both, never neither.
  student_id         uuid REFERENCES users (id) ON DELETE RESTRICT,
  student_profile_id uuid REFERENCES student_enrollment_profiles (id) ON DELETE RESTRICT,
  status             text NOT NULL DEFAULT 'ENROLLED',
  -- An ordering key, unique per session while waitlisted; gaps are allowed, so promoting the
  -- lowest never has to renumber the rest (a mass renumber would trip the unique index mid-statement).
  waitlist_position  integer,
  enrollment_date    timestamptz NOT NULL DEFAULT now(),
  attendance_status  text NOT NULL DEFAULT 'REGISTERED',
  completion_status  text NOT NULL DEFAULT 'NOT_STARTED',
  assessment_score   numeric(5, 2),
  practical_score    numeric(5, 2),
  written_score      numeric(5, 2),
  completed_at       timestamptz,
  enrolled_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  CONSTRAINT session_enrollments_student_check CHECK (num_nonnulls(student_id, student_profile_id) = 1),
  -- A student has one row per session; re-enrolling after cancelling reuses it.
  CONSTRAINT session_enrollments_session_student_key UNIQUE (session_id, student_id),
  CONSTRAINT session_enrollments_session_profile_key UNIQUE (session_id, student_profile_id),
  CONSTRAINT session_enrollments_status_check CHECK (status IN ('ENROLLED', 'WAITLISTED', 'CANCELLED')),
  -- IS NOT NULL spelled out: a NULL comparison would make the CHECK pass.
  CONSTRAINT session_enrollments_waitlist_check CHECK (
    (status = 'WAITLISTED' AND waitlist_position IS NOT NULL AND waitlist_position >= 1)
    OR (status <> 'WAITLISTED' AND waitlist_position IS NULL)
  ),
  CONSTRAINT session_enrollments_attendance_status_check
    CHECK (attendance_status IN ('REGISTERED', 'ATTENDED', 'ABSENT', 'PARTIAL')),
  CONSTRAINT session_enrollments_completion_status_check
    CHECK (completion_status IN ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'FAILED')),
  -- The completion event (certificate, compliance) needs to know when; only finished rows have a time.
  CONSTRAINT session_enrollments_completed_at_check
    CHECK ((completion_status IN ('COMPLETED', 'FAILED')) = (completed_at IS NOT NULL)),
  CONSTRAINT session_enrollments_assessment_score_check CHECK (assessment_score BETWEEN 0 AND 100),
  CONSTRAINT session_enrollments_practical_score_check CHECK (practical_score BETWEEN 0 AND 100),
  CONSTRAINT session_enrollments_written_score_check CHECK (written_score BETWEEN 0 AND 100)
);
CREATE UNIQUE INDEX session_enrollments_waitlist_position_key
  ON session_enrollments (session_id, waitlist_position) WHERE status = 'WAITLISTED';
CREATE INDEX session_enrollments_student_completion_idx ON session_enrollments (student_id, completion_status);
CREATE INDEX session_enrollments_student_profile_id_idx ON session_enrollments (student_profile_id);
CREATE TRIGGER session_enrollments_set_row_version BEFORE UPDATE ON session_enrollments
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE rosters (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name              text NOT NULL,
  session_id        uuid REFERENCES training_sessions (id) ON DELETE SET NULL,
  course_id         uuid NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
  location_id       uuid NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  provider_id       uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  instructor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  -- As printed on certificates; also covers instructors without an account.
  instructor_name   text,
  status            text NOT NULL DEFAULT 'ACTIVE',
  roster_type       text NOT NULL DEFAULT 'TRAINING',
  certificate_count integer NOT NULL DEFAULT 0,
  issue_date        date,
  created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 1,
  CONSTRAINT rosters_status_check CHECK (status IN ('ACTIVE', 'ARCHIVED')),
  CONSTRAINT rosters_roster_type_check CHECK (roster_type IN ('CERTIFICATE', 'TRAINING')),
  CONSTRAINT rosters_certificate_count_check CHECK (certificate_count >= 0)
);
CREATE INDEX rosters_location_id_idx ON rosters (location_id);
CREATE INDEX rosters_session_id_idx ON rosters (session_id);
CREATE INDEX rosters_course_id_idx ON rosters (course_id);
CREATE INDEX rosters_provider_id_idx ON rosters (provider_id);
CREATE INDEX rosters_instructor_id_idx ON rosters (instructor_id);
CREATE TRIGGER rosters_set_row_version BEFORE UPDATE ON rosters
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Lower-case enumerations here, as in the source documents' roster import format.
CREATE TABLE student_roster_members (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  roster_id          uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
  student_profile_id uuid NOT NULL REFERENCES student_enrollment_profiles (id) ON DELETE RESTRICT,
  -- Optional link to the student's account; the member stays through the profile.
  student_id         uuid REFERENCES users (id) ON DELETE SET NULL,
  enrollment_status  text NOT NULL DEFAULT 'enrolled',
  attendance_status  text NOT NULL DEFAULT 'pending',
  practical_score    numeric(5, 2),
  written_score      numeric(5, 2),
  completion_status  text NOT NULL DEFAULT 'not_started',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  CONSTRAINT student_roster_members_roster_profile_key UNIQUE (roster_id, student_profile_id),
  CONSTRAINT student_roster_members_enrollment_status_check
    CHECK (enrollment_status IN ('enrolled', 'waitlisted', 'completed')),
  CONSTRAINT student_roster_members_attendance_status_check
    CHECK (attendance_status IN ('pending', 'attended', 'absent')),
  CONSTRAINT student_roster_members_completion_status_check
    CHECK (completion_status IN ('not_started', 'in_progress', 'completed')),
  CONSTRAINT student_roster_members_practical_score_check CHECK (practical_score BETWEEN 0 AND 100),
  CONSTRAINT student_roster_members_written_score_check CHECK (written_score BETWEEN 0 AND 100)
);
CREATE INDEX student_roster_members_student_profile_id_idx ON student_roster_members (student_profile_id);
CREATE INDEX student_roster_members_student_id_idx ON student_roster_members (student_id);
CREATE TRIGGER student_roster_members_set_row_version BEFORE UPDATE ON student_roster_members
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
