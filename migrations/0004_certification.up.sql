-- Certification: templates, batch issues and the certificates themselves.

CREATE TABLE certificate_templates (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name             text NOT NULL,
  -- The template's own edition label; "version" is the optimistic-locking counter as everywhere.
  template_version text NOT NULL DEFAULT '1',
  -- A template is a layout description, a file (e.g. a background PDF), or both.
  layout           jsonb,
  file_url         text,
  is_default       boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'ACTIVE',
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  CONSTRAINT certificate_templates_name_version_key UNIQUE (name, template_version),
  CONSTRAINT certificate_templates_content_check CHECK (num_nonnulls(layout, file_url) >= 1),
  CONSTRAINT certificate_templates_status_check CHECK (status IN ('ACTIVE', 'ARCHIVED')),
  CONSTRAINT certificate_templates_default_check CHECK (NOT is_default OR status = 'ACTIVE')
);
-- At most one default template: every row in this index has is_default = true.
CREATE UNIQUE INDEX certificate_templates_single_default_key ON certificate_templates (is_default)
  WHERE is_default;
CREATE TRIGGER certificate_templates_set_row_version BEFORE UPDATE ON certificate_templates
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE certificate_batches (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  roster_id       uuid NOT NULL REFERENCES rosters (id) ON DELETE RESTRICT,
  template_id     uuid NOT NULL REFERENCES certificate_templates (id) ON DELETE RESTRICT,
  requested_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  status          text NOT NULL DEFAULT 'PENDING',
  total_count     integer NOT NULL,
  processed_count integer NOT NULL DEFAULT 0,
  failed_count    integer NOT NULL DEFAULT 0,
  started_at      timestamptz,
  finished_at     timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 1,
  CONSTRAINT certificate_batches_status_check
    CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
  -- Failures are among the processed rows, and nothing is processed twice.
  CONSTRAINT certificate_batches_progress_check
    CHECK (total_count >= 0 AND failed_count >= 0 AND failed_count <= processed_count
           AND processed_count <= total_count)
);
CREATE INDEX certificate_batches_roster_id_idx ON certificate_batches (roster_id);
CREATE INDEX certificate_batches_template_id_idx ON certificate_batches (template_id);
CREATE TRIGGER certificate_batches_set_row_version BEFORE UPDATE ON certificate_batches
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Provenance references RESTRICT: an issued certificate must keep pointing at what it certifies.
CREATE TABLE certificates (
  id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                    uuid REFERENCES users (id) ON DELETE RESTRICT,
  student_profile_id         uuid REFERENCES student_enrollment_profiles (id) ON DELETE RESTRICT,
  -- What the certificate was issued for: a session enrollment or a roster line (at most one).
  enrollment_id              uuid REFERENCES session_enrollments (id) ON DELETE RESTRICT,
  roster_member_id           uuid REFERENCES student_roster_members (id) ON DELETE RESTRICT,
  roster_id                  uuid REFERENCES rosters (id) ON DELETE RESTRICT,
  session_id                 uuid REFERENCES training_sessions (id) ON DELETE RESTRICT,
  course_id                  uuid NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
  location_id                uuid NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  provider_id                uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  -- Names as printed: the certificate does not change when the course or person is renamed.
  course_name                text NOT NULL,
  recipient_name             text NOT NULL,
  recipient_email_ciphertext text,
  issued_by                  uuid REFERENCES users (id) ON DELETE SET NULL,
  template_id                uuid REFERENCES certificate_templates (id) ON DELETE RESTRICT,
  batch_id                   uuid REFERENCES certificate_batches (id) ON DELETE RESTRICT,
  issue_date                 date NOT NULL,
  -- Null: never expires.
  expiry_date                date,
  status                     text NOT NULL DEFAULT 'ACTIVE',
  revoked_at                 timestamptz,
  revoked_reason             text,
  verification_code          text NOT NULL,
  signature                  text,
  certificate_url            text,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  version                    integer NOT NULL DEFAULT 1,
  CONSTRAINT certificates_recipient_check CHECK (num_nonnulls(user_id, student_profile_id) >= 1),
  CONSTRAINT certificates_source_check CHECK (num_nonnulls(enrollment_id, roster_member_id) <= 1),
  CONSTRAINT certificates_expiry_check CHECK (expiry_date >= issue_date),
  CONSTRAINT certificates_status_check CHECK (status IN ('ACTIVE', 'EXPIRED', 'REVOKED')),
  -- A revocation always says when and why; nothing else carries those fields.
  CONSTRAINT certificates_revocation_check CHECK (
    (status = 'REVOKED' AND revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)
    OR (status <> 'REVOKED' AND revoked_at IS NULL AND revoked_reason IS NULL)
  ),
  -- Public verification looks certificates up by this code; the unique index serves that lookup
  -- for every status, since verifying a revoked certificate must say "revoked", not "unknown".
  CONSTRAINT certificates_verification_code_key UNIQUE (verification_code),
  CONSTRAINT certificates_verification_code_check CHECK (verification_code ~ '^[A-Z0-9-]{8,32}$')
);
-- Issuing is retried (at-least-once handlers): a source can hold one live certificate, and a
-- revoked one can be reissued.
CREATE UNIQUE INDEX certificates_enrollment_live_key ON certificates (enrollment_id)
  WHERE status <> 'REVOKED';
CREATE UNIQUE INDEX certificates_roster_member_live_key ON certificates (roster_member_id)
  WHERE status <> 'REVOKED';
CREATE INDEX certificates_location_id_idx ON certificates (location_id);
CREATE INDEX certificates_user_id_idx ON certificates (user_id);
CREATE INDEX certificates_student_profile_id_idx ON certificates (student_profile_id);
CREATE INDEX certificates_roster_id_idx ON certificates (roster_id);
CREATE INDEX certificates_session_id_idx ON certificates (session_id);
CREATE INDEX certificates_course_id_idx ON certificates (course_id);
CREATE INDEX certificates_provider_id_idx ON certificates (provider_id);
CREATE INDEX certificates_batch_id_idx ON certificates (batch_id);
CREATE INDEX certificates_issued_by_idx ON certificates (issued_by);
-- The expiry job's scan: active certificates whose expiry date has passed.
CREATE INDEX certificates_active_expiry_date_idx ON certificates (expiry_date) WHERE status = 'ACTIVE';
CREATE TRIGGER certificates_set_row_version BEFORE UPDATE ON certificates
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
