-- Compliance: what instructors must hold, and what each person holds.

CREATE TABLE compliance_requirements (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code             text NOT NULL,
  name             text NOT NULL,
  description      text,
  applies_to_roles text[] NOT NULL DEFAULT '{}',
  -- 'basic' requirements apply to every tier, 'robust' ones only to profiles on the robust tier.
  tier             text NOT NULL DEFAULT 'basic',
  -- Months a fulfilment stays valid; null: it never lapses.
  validity_months  integer,
  -- Share of the compliance score this requirement carries.
  weight           numeric(6, 2) NOT NULL DEFAULT 1,
  -- Completing this course fulfils the requirement (training completed -> compliance recompute).
  course_id        uuid REFERENCES courses (id) ON DELETE SET NULL,
  status           text NOT NULL DEFAULT 'ACTIVE',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  CONSTRAINT compliance_requirements_code_key UNIQUE (code),
  CONSTRAINT compliance_requirements_roles_check
    CHECK (applies_to_roles <@ ARRAY['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN']::text[]),
  CONSTRAINT compliance_requirements_tier_check CHECK (tier IN ('basic', 'robust')),
  CONSTRAINT compliance_requirements_validity_check CHECK (validity_months > 0),
  CONSTRAINT compliance_requirements_weight_check CHECK (weight > 0),
  CONSTRAINT compliance_requirements_status_check CHECK (status IN ('ACTIVE', 'RETIRED'))
);
CREATE INDEX compliance_requirements_course_id_idx ON compliance_requirements (course_id);
CREATE TRIGGER compliance_requirements_set_row_version BEFORE UPDATE ON compliance_requirements
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE compliance_records (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id              uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  requirement_id       uuid NOT NULL REFERENCES compliance_requirements (id) ON DELETE RESTRICT,
  status               text NOT NULL DEFAULT 'PENDING',
  completed_at         timestamptz,
  expires_at           timestamptz,
  -- The training that fulfilled it; the record stays if that enrollment is ever removed.
  source_enrollment_id uuid REFERENCES session_enrollments (id) ON DELETE SET NULL,
  evidence             jsonb NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              integer NOT NULL DEFAULT 1,
  -- One current record per person and requirement: recomputing it is an upsert.
  CONSTRAINT compliance_records_user_requirement_key UNIQUE (user_id, requirement_id),
  CONSTRAINT compliance_records_status_check CHECK (status IN ('PENDING', 'MET', 'EXPIRED', 'WAIVED')),
  CONSTRAINT compliance_records_completed_check
    CHECK (status NOT IN ('MET', 'EXPIRED') OR completed_at IS NOT NULL),
  CONSTRAINT compliance_records_expiry_check CHECK (expires_at >= completed_at)
);
CREATE INDEX compliance_records_requirement_id_idx ON compliance_records (requirement_id);
CREATE INDEX compliance_records_source_enrollment_id_idx ON compliance_records (source_enrollment_id);
-- The expiry job's scan: met records whose expiry has passed.
CREATE INDEX compliance_records_met_expires_at_idx ON compliance_records (expires_at) WHERE status = 'MET';
CREATE TRIGGER compliance_records_set_row_version BEFORE UPDATE ON compliance_records
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
