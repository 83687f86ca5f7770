-- Instructor eligibility (issue 16, item 2; decision 0042): what a course asks of the instructor who
-- teaches it, one rule that says what an instructor lacks for a session, overrides by SA and AD with a
-- recorded reason, and a once-per-instructor-session notice when an instructor stops meeting it.

-- One row per course that asks anything; a course without a row asks nothing (any IC or IP).
CREATE TABLE course_instructor_requirements (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id                   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  -- IC (certified) is above IP (provisional): 'IP' admits both, 'IC' only IC; null admits both.
  minimum_tier                text,
  -- Compliance requirements the instructor holds (MET or WAIVED, not expired) when the session starts.
  compliance_requirement_ids  uuid[] NOT NULL DEFAULT '{}',
  -- Courses whose certificate the instructor holds (ACTIVE, not expired on the session's day).
  certificate_course_ids      uuid[] NOT NULL DEFAULT '{}',
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  version                     integer NOT NULL DEFAULT 1,
  CONSTRAINT course_instructor_requirements_course_id_key UNIQUE (course_id),
  CONSTRAINT course_instructor_requirements_minimum_tier_check CHECK (minimum_tier IN ('IC', 'IP'))
);
CREATE TRIGGER course_instructor_requirements_set_row_version BEFORE UPDATE ON course_instructor_requirements
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Arrays have no foreign keys: every id must name a row, refused like a foreign key (INVALID_REFERENCE)
-- naming the column. Requirements and courses are never deleted while referenced by anything that
-- matters (RESTRICT elsewhere; a requirement is RETIRED, a course ARCHIVED), so checking on write suffices.
CREATE FUNCTION course_instructor_requirements_check_references() RETURNS trigger
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(NEW.compliance_requirement_ids) r(id)
              WHERE NOT EXISTS (SELECT 1 FROM compliance_requirements c WHERE c.id = r.id)) THEN
    RAISE EXCEPTION 'a compliance requirement does not exist'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'course_instructor_requirements',
            CONSTRAINT = 'course_instructor_requirements_compliance_requirement_ids_fkey',
            DETAIL = 'Key (compliance_requirement_ids)=(…) is not present in table "compliance_requirements".';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(NEW.certificate_course_ids) r(id)
              WHERE NOT EXISTS (SELECT 1 FROM courses c WHERE c.id = r.id)) THEN
    RAISE EXCEPTION 'a course does not exist'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'course_instructor_requirements',
            CONSTRAINT = 'course_instructor_requirements_certificate_course_ids_fkey',
            DETAIL = 'Key (certificate_course_ids)=(…) is not present in table "courses".';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER course_instructor_requirements_check_references BEFORE INSERT OR UPDATE ON course_instructor_requirements
  FOR EACH ROW EXECUTE FUNCTION course_instructor_requirements_check_references();

ALTER TABLE course_instructor_requirements ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_instructor_requirements FORCE ROW LEVEL SECURITY;
CREATE POLICY course_instructor_requirements_owner_all ON course_instructor_requirements TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON course_instructor_requirements TO unitrain_app;
-- Who sees the course sees what it asks of instructors; administrators (who write courses) write it.
CREATE POLICY course_instructor_requirements_select_course ON course_instructor_requirements FOR SELECT TO unitrain_app
  USING (app_is_signed_in() AND EXISTS (SELECT 1 FROM courses c WHERE c.id = course_id));
CREATE POLICY course_instructor_requirements_insert_admin ON course_instructor_requirements FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY course_instructor_requirements_update_admin ON course_instructor_requirements FOR UPDATE TO unitrain_app USING (app_is_admin());

CREATE TRIGGER course_instructor_requirements_audit AFTER INSERT OR UPDATE OR DELETE ON course_instructor_requirements FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off'
        OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();

-- The rule, once: what `instructor` lacks to teach `course` in a session on `day` starting at `starts_at`,
-- as a JSON array (empty: eligible). Each gap names its kind and what is missing:
--   {"kind": "TIER", "required": "IC", "held": "IP"}
--   {"kind": "REQUIREMENT", "id", "code", "name", "valid_until"}   valid_until: null when never held
--   {"kind": "CERTIFICATE", "course_id", "course_code", "valid_until"}
-- A requirement is held when its record is MET or WAIVED and not expired at the session's start (a
-- waiver may carry an expiry; a grace period does not count: the session's day is what matters); a
-- certificate when it is ACTIVE and its expiry day is not before the session's day. SECURITY DEFINER:
-- an AP assigning an instructor may not read the instructor's records, and must still be told the rule.
-- The API's check (sessions, schedules), the dashboard, the doctor and the notice job all call this.
CREATE FUNCTION app_instructor_eligibility_gaps(instructor uuid, course uuid, day date, starts_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce((
    SELECT jsonb_agg(gap ORDER BY ord, gap->>'code', gap->>'course_code')
      FROM course_instructor_requirements q,
           LATERAL (
             SELECT 1 AS ord, jsonb_build_object('kind', 'TIER', 'required', q.minimum_tier, 'held', u.role) AS gap
               FROM users u
              WHERE u.id = instructor AND q.minimum_tier = 'IC' AND u.role IS DISTINCT FROM 'IC'
             UNION ALL
             SELECT 2, jsonb_build_object('kind', 'REQUIREMENT', 'id', r.id, 'code', r.code, 'name', r.name,
                                          'valid_until', CASE WHEN c.status IN ('MET', 'WAIVED') THEN c.expires_at END)
               FROM compliance_requirements r
               LEFT JOIN compliance_records c ON c.requirement_id = r.id AND c.user_id = instructor
              WHERE r.id = ANY (q.compliance_requirement_ids)
                AND NOT coalesce(c.status IN ('MET', 'WAIVED') AND (c.expires_at IS NULL OR c.expires_at > starts_at), false)
             UNION ALL
             SELECT 3, jsonb_build_object('kind', 'CERTIFICATE', 'course_id', k.id, 'course_code', k.code,
                                          'valid_until', (SELECT max(x.expiry_date) FROM certificates x
                                                           WHERE x.user_id = instructor AND x.course_id = k.id AND x.status <> 'REVOKED'))
               FROM courses k
              WHERE k.id = ANY (q.certificate_course_ids)
                AND NOT EXISTS (SELECT 1 FROM certificates x
                                 WHERE x.user_id = instructor AND x.course_id = k.id AND x.status = 'ACTIVE'
                                   AND (x.expiry_date IS NULL OR x.expiry_date >= day))
           ) gaps
     WHERE q.course_id = course), '[]'::jsonb)
$$;
REVOKE EXECUTE ON FUNCTION app_instructor_eligibility_gaps(uuid, uuid, date, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_instructor_eligibility_gaps(uuid, uuid, date, timestamptz) TO unitrain_app;

-- An assignment that does not meet the rule stands only with a reason given by an SA or AD: stored on
-- the session (audited with it), and on a schedule, whose generated sessions carry it. Who gave it is a
-- record, like the audit log's actor: no foreign key, so that an AP generating a schedule's sessions may
-- copy an SA's id (a reference to users would fall under the SA-reference guard) and the record outlives
-- the account.
ALTER TABLE training_sessions
  ADD COLUMN eligibility_override_reason text,
  ADD COLUMN eligibility_overridden_by uuid,
  ADD CONSTRAINT training_sessions_eligibility_override_check
    CHECK ((eligibility_override_reason IS NULL) = (eligibility_overridden_by IS NULL));
ALTER TABLE course_schedules
  ADD COLUMN eligibility_override_reason text,
  ADD COLUMN eligibility_overridden_by uuid,
  ADD CONSTRAINT course_schedules_eligibility_override_check
    CHECK ((eligibility_override_reason IS NULL) = (eligibility_overridden_by IS NULL));
-- The schedules' wall-clock view (0015) shows the override too (columns added at the end).
CREATE OR REPLACE VIEW course_schedules_local WITH (security_invoker = true) AS
SELECT s.id, s.course_id, s.instructor_id, s.location_id, s.provider_id, s.rrule, s.timezone,
       (s.dtstart AT TIME ZONE s.timezone)::date AS start_date,
       to_char(s.dtstart AT TIME ZONE s.timezone, 'HH24:MI') AS start_time,
       s.duration_minutes, s.max_capacity, s.self_enrollment_allowed,
       (s.until_at AT TIME ZONE s.timezone)::date AS until,
       ((s.generated_until AT TIME ZONE s.timezone) - interval '1 microsecond')::date AS generated_through,
       s.dtstart, s.until_at, s.generated_until, s.status, s.created_by, s.created_at, s.updated_at, s.version,
       s.eligibility_override_reason, s.eligibility_overridden_by
  FROM course_schedules s;

-- Under the application role only SA and AD set an override, and only in their own name; clearing one
-- is anyone's who may write the row (the service clears it when the assignment no longer needs it).
CREATE FUNCTION app_guard_eligibility_override() RETURNS trigger
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.eligibility_override_reason IS NULL
     OR (app_role() IN ('SA', 'AD') AND NEW.eligibility_overridden_by IS NOT DISTINCT FROM app_user_id()) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.eligibility_override_reason, NEW.eligibility_overridden_by)
       IS NOT DISTINCT FROM (OLD.eligibility_override_reason, OLD.eligibility_overridden_by) THEN
      RETURN NEW;
    END IF;
  END IF;
  -- A schedule's sessions carry the schedule's override, whoever generates them.
  IF TG_TABLE_NAME = 'training_sessions' THEN
    IF EXISTS (SELECT 1 FROM course_schedules s
                WHERE s.id = NEW.schedule_id AND s.instructor_id = NEW.instructor_id
                  AND (s.eligibility_override_reason, s.eligibility_overridden_by)
                      IS NOT DISTINCT FROM (NEW.eligibility_override_reason, NEW.eligibility_overridden_by)) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'only an SA or AD overrides instructor eligibility, in their own name'
    USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'eligibility_override_reason';
END;
$$;
REVOKE EXECUTE ON FUNCTION app_guard_eligibility_override() FROM PUBLIC;
CREATE TRIGGER training_sessions_guard_eligibility_override BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app') EXECUTE FUNCTION app_guard_eligibility_override();
CREATE TRIGGER course_schedules_guard_eligibility_override BEFORE INSERT OR UPDATE ON course_schedules
  FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app') EXECUTE FUNCTION app_guard_eligibility_override();

-- Sessions not yet begun (from `since` on) whose instructor no longer meets the rule and that no SA or
-- AD overrode: the dashboard's INSTRUCTOR_NOT_ELIGIBLE, the doctor's check and the notice job. The
-- instructor's provider is the one whose APs are told.
CREATE FUNCTION instructors_no_longer_eligible(since timestamptz)
RETURNS TABLE (session_id uuid, instructor_id uuid, course_id uuid, provider_id uuid, session_date date, starts_at timestamptz, missing jsonb)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT s.id, s.instructor_id, s.course_id, i.provider_id, s.session_date, lower(s.scheduled_during), g.missing
    FROM training_sessions s
    JOIN course_instructor_requirements q ON q.course_id = s.course_id
    LEFT JOIN instructor_profiles i ON i.user_id = s.instructor_id
    CROSS JOIN LATERAL (SELECT app_instructor_eligibility_gaps(s.instructor_id, s.course_id, s.session_date, lower(s.scheduled_during)) AS missing) g
   WHERE s.status = 'SCHEDULED' AND lower(s.scheduled_during) >= since
     AND s.eligibility_override_reason IS NULL
     AND g.missing <> '[]'::jsonb
$$;
-- Owner only (the job dispatcher and the doctor work as the owner): it reads every session.
REVOKE EXECUTE ON FUNCTION instructors_no_longer_eligible(timestamptz) FROM PUBLIC;

-- One notice per person, session and instructor, however often the job runs: the job inserts with
-- ON CONFLICT DO NOTHING against this index.
CREATE UNIQUE INDEX notifications_instructor_not_eligible_key
  ON notifications ((data ->> 'session_id'), (data ->> 'instructor_id'), user_id)
  WHERE kind = 'instructor.not-eligible';
