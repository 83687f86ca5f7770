-- Certificate batches, automatic issue on completion, and the set-based issue both use (issue 13,
-- items 2b and 2c). Reasons and figures: docs/decisions/0034-certificate-batches.md.

-- A batch certifies a roster or a completed session. It pins the template version its certificates
-- print with, and the base URL their verification links use (the requester's, or PUBLIC_URL).
ALTER TABLE certificate_batches
  ALTER COLUMN roster_id DROP NOT NULL,
  ADD COLUMN session_id uuid REFERENCES training_sessions (id) ON DELETE RESTRICT,
  ADD COLUMN template_version_id uuid REFERENCES certificate_template_versions (id) ON DELETE RESTRICT,
  ADD COLUMN verification_base_url text,
  ADD CONSTRAINT certificate_batches_source_check CHECK (num_nonnulls(roster_id, session_id) = 1);
CREATE INDEX certificate_batches_session_id_idx ON certificate_batches (session_id);
CREATE INDEX certificate_batches_template_version_id_idx ON certificate_batches (template_version_id);

CREATE POLICY certificate_batches_select_provider_sessions ON certificate_batches FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())));
CREATE POLICY certificate_batches_insert_provider_sessions ON certificate_batches FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())));
CREATE POLICY certificate_batches_insert_taught_sessions ON certificate_batches FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND requested_by = app_user_id()
              AND session_id = ANY ((SELECT app_taught_session_ids())::uuid[]));

-- One row per learner of a batch, made when its first chunk runs: the result (NULL while pending).
-- Written only by the batch job (the owner); read by who sees the batch.
CREATE TABLE certificate_batch_results (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  batch_id         uuid NOT NULL REFERENCES certificate_batches (id) ON DELETE RESTRICT,
  position         integer NOT NULL,
  enrollment_id    uuid REFERENCES session_enrollments (id) ON DELETE RESTRICT,
  roster_member_id uuid REFERENCES student_roster_members (id) ON DELETE RESTRICT,
  outcome          text,
  reason           text,
  certificate_id   uuid REFERENCES certificates (id) ON DELETE RESTRICT,
  processed_at     timestamptz,
  CONSTRAINT certificate_batch_results_batch_position_key UNIQUE (batch_id, position),
  CONSTRAINT certificate_batch_results_source_check CHECK (num_nonnulls(enrollment_id, roster_member_id) = 1),
  CONSTRAINT certificate_batch_results_outcome_check CHECK (outcome IN ('ISSUED', 'ALREADY_ISSUED', 'NOT_ELIGIBLE')),
  CONSTRAINT certificate_batch_results_reason_check CHECK ((outcome = 'NOT_ELIGIBLE') = (reason IS NOT NULL)),
  CONSTRAINT certificate_batch_results_processed_check CHECK ((outcome IS NULL) = (processed_at IS NULL))
);
-- The next pending rows of a batch, in order.
CREATE INDEX certificate_batch_results_pending_idx ON certificate_batch_results (batch_id, position) WHERE outcome IS NULL;
CREATE INDEX certificate_batch_results_certificate_id_idx ON certificate_batch_results (certificate_id);
ALTER TABLE certificate_batch_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_batch_results FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_batch_results_owner_all ON certificate_batch_results TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON certificate_batch_results TO unitrain_app;
CREATE POLICY certificate_batch_results_select_batch ON certificate_batch_results FOR SELECT TO unitrain_app
  USING (EXISTS (SELECT 1 FROM certificate_batches b WHERE b.id = batch_id));

-- What a course asks of certificates beyond certifies and certificate_validity_months (courses): the
-- template they print with, and whether completing an enrollment issues one by itself.
CREATE TABLE course_certificate_settings (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  course_id           uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
  template_id         uuid REFERENCES certificate_templates (id) ON DELETE RESTRICT,
  issue_on_completion boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  version             integer NOT NULL DEFAULT 1,
  CONSTRAINT course_certificate_settings_course_id_key UNIQUE (course_id)
);
CREATE INDEX course_certificate_settings_template_id_idx ON course_certificate_settings (template_id);
CREATE TRIGGER course_certificate_settings_set_row_version BEFORE UPDATE ON course_certificate_settings
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
ALTER TABLE course_certificate_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_certificate_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY course_certificate_settings_owner_all ON course_certificate_settings TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON course_certificate_settings TO unitrain_app;
-- Who sees the course sees its settings; administrators (who write courses) write them.
CREATE POLICY course_certificate_settings_select_course ON course_certificate_settings FOR SELECT TO unitrain_app
  USING (app_is_signed_in() AND EXISTS (SELECT 1 FROM courses c WHERE c.id = course_id));
CREATE POLICY course_certificate_settings_insert_admin ON course_certificate_settings FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY course_certificate_settings_update_admin ON course_certificate_settings FOR UPDATE TO unitrain_app USING (app_is_admin());

DO $$
DECLARE
  audited text;
BEGIN
  -- Not certificate_batch_results: a job's record of what it did (the certificates it issued and the
  -- batch's progress are audited), and 10,000 audit rows per batch would double the cost of issuing.
  FOREACH audited IN ARRAY ARRAY['course_certificate_settings'] LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW '
      'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
      'OR current_setting(''role'') <> ''none'' '
      'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
      'EXECUTE FUNCTION audit_row_change()',
      audited || '_audit', audited);
  END LOOP;
END
$$;

-- The template version a certificate of this course prints with now: the course's template's newest
-- version, or the built-in one (migration 0032). The owner's answer (an instructor issuing may not read a
-- provider's template): the issuer passed the source's checks first. Nothing for the signed out; the jobs
-- (the owner, role 'none') ask too.
CREATE FUNCTION certificate_template_version_for_course(course uuid) RETURNS SETOF certificate_template_versions
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT v.* FROM certificate_template_versions v
   WHERE (app_is_signed_in() OR current_setting('role') = 'none')
     AND v.id = coalesce(
     (SELECT tv.id FROM course_certificate_settings s
        JOIN certificate_templates t ON t.id = s.template_id
        JOIN certificate_template_versions tv ON tv.template_id = t.id AND tv.version_number = t.published_version
       WHERE s.course_id = course),
     '00000000-0000-4000-8000-0000000000c2'::uuid)
$$;
REVOKE EXECUTE ON FUNCTION certificate_template_version_for_course(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION certificate_template_version_for_course(uuid) TO unitrain_app;

-- ---------------------------------------------------------------------------------------------------
-- Issuing many certificates in one statement: the same facts and rules as certificate_source_facts
-- (migration 0030) for a set of sources (roster-line statuses compared in upper case, as 0038 stores them), the insert with ON CONFLICT DO NOTHING against the partial
-- unique indexes (a source that got its live certificate meanwhile is skipped), and one
-- certificate.issued event per row. No PDF is rendered here: pdf_sha256 stays NULL until the holder's
-- notice job renders the PDF (decision 0034). Run by the owner (the batch and completion jobs), whose
-- callers checked who may issue; issuer is recorded as the certificates' issued_by and the events' actor.
-- Returns one row per source: ISSUED, ALREADY_ISSUED or NOT_ELIGIBLE with the reason.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION issue_certificates(
  enrollment_ids uuid[], roster_member_ids uuid[], codes text[], url_base text, template_version uuid, issuer uuid, batch uuid
) RETURNS TABLE (enrollment_id uuid, roster_member_id uuid, outcome text, reason text, certificate_id uuid)
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  tv record;
BEGIN
  SELECT v.id, v.template_id, v.name, v.version_number INTO tv FROM certificate_template_versions v WHERE v.id = template_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no template version %', template_version USING ERRCODE = 'UT404';
  END IF;
  RETURN QUERY
  WITH sources AS (
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id
      FROM unnest(enrollment_ids) AS t(id)
      JOIN session_enrollments e ON e.id = t.id
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
    UNION ALL
    SELECT NULL::uuid, m.id, r.id, r.session_id, m.student_id, m.student_profile_id,
           upper(m.completion_status) = 'COMPLETED',
           'the roster line is ' || m.completion_status,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date),
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), ''),
           coalesce(u.email_ciphertext, sp.email_ciphertext),
           r.instructor_name, r.location_id, r.provider_id, r.course_id
      FROM unnest(roster_member_ids) AS t(id)
      JOIN student_roster_members m ON m.id = t.id
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
  ),
  facts AS (
    SELECT f.*, row_number() OVER () AS n, c.code AS course_code, c.title AS course_name, c.duration_minutes,
           l.name AS location_name, nullif(concat_ws(', ', l.city, l.country), '') AS location_place,
           p.name AS provider_name,
           (now() AT TIME ZONE l.timezone)::date AS issue_date,
           ((now() AT TIME ZONE l.timezone)::date + make_interval(months => c.certificate_validity_months))::date AS expiry_date,
           coalesce(le.id, lr.id) AS live_id,
           CASE WHEN coalesce(le.id, lr.id) IS NOT NULL THEN NULL
                WHEN NOT f.completed THEN f.state || ', not completed'
                WHEN NOT c.certifies THEN 'the course does not award certificates'
                WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
           END AS refusal
      FROM sources f
      JOIN courses c ON c.id = f.course_id
      JOIN locations l ON l.id = f.location_id
      LEFT JOIN authorized_providers p ON p.id = f.provider_id
      LEFT JOIN certificates le ON le.enrollment_id = f.enrollment_id AND le.status <> 'REVOKED'
      LEFT JOIN certificates lr ON lr.roster_member_id = f.roster_member_id AND lr.status <> 'REVOKED'
  ),
  inserted AS (
    INSERT INTO certificates AS ins (id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
                              location_id, provider_id, course_name, recipient_name, recipient_email_ciphertext, issued_by,
                              template_id, template_version_id, batch_id, issue_date, expiry_date, verification_code, snapshot)
    SELECT gen_random_uuid(), f.user_id, f.student_profile_id, f.enrollment_id, f.roster_member_id, f.roster_id, f.session_id, f.course_id,
           f.location_id, f.provider_id, f.course_name, f.recipient_name, f.recipient_email_ciphertext, issuer,
           tv.template_id, tv.id, batch, f.issue_date, f.expiry_date, codes[f.n],
           jsonb_build_object(
             'template', jsonb_build_object('id', tv.template_id, 'name', tv.name, 'version', tv.version_number::text),
             'printed', jsonb_build_object(
               'recipient_name', f.recipient_name, 'course_name', f.course_name, 'course_code', f.course_code,
               'hours', round(f.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
               'practical_score', f.practical_score, 'written_score', f.written_score,
               'instructor_name', f.instructor_name, 'location_name', f.location_name,
               'location_place', f.location_place, 'provider_name', f.provider_name),
             'issue_date', f.issue_date, 'expiry_date', f.expiry_date,
             'verification_code', codes[f.n], 'verification_url', url_base || '/verify/' || codes[f.n])
      FROM facts f
     WHERE f.live_id IS NULL AND f.refusal IS NULL
    ON CONFLICT DO NOTHING
    RETURNING ins.id, ins.enrollment_id, ins.roster_member_id, ins.roster_id, ins.course_id, ins.user_id, ins.expiry_date, ins.version
  ),
  events AS (
    INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
    SELECT 'certificate', i.id, i.version, 'certificate.issued',
           jsonb_build_object('enrollment_id', i.enrollment_id, 'roster_member_id', i.roster_member_id, 'roster_id', i.roster_id,
                              'course_id', i.course_id, 'user_id', i.user_id, 'expiry_date', i.expiry_date, 'batch_id', batch),
           issuer, NULLIF(current_setting('unitrain.request_id', true), '')
      FROM inserted i
  )
  SELECT f.enrollment_id, f.roster_member_id,
         CASE WHEN i.id IS NOT NULL THEN 'ISSUED' WHEN f.refusal IS NOT NULL THEN 'NOT_ELIGIBLE' ELSE 'ALREADY_ISSUED' END,
         CASE WHEN i.id IS NULL THEN f.refusal END,
         coalesce(i.id, f.live_id)
    FROM facts f
    LEFT JOIN inserted i ON coalesce(i.enrollment_id, i.roster_member_id) = coalesce(f.enrollment_id, f.roster_member_id);
END;
$$;
REVOKE EXECUTE ON FUNCTION issue_certificates(uuid[], uuid[], text[], text, uuid, uuid, uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- Change capture (migration 0021's shape) for batches, so their progress reaches the stream: the
-- roster's or session's location and provider, and the requester as the user key.
-- ---------------------------------------------------------------------------------------------------
-- The list of captured tables (0021) names it too.
CREATE OR REPLACE FUNCTION change_capture_tables()
RETURNS TABLE (table_name text, location_key text, provider_key text, instructor_key text, user_key text, parent text)
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
  -- Each key is an expression over the changed row r and, for child rows, its parent p.
  VALUES
    ('training_sessions',           'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('course_schedules',            'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('rosters',                     'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    -- A child row carries its parent's scope: who sees the session or roster sees its students.
    ('session_enrollments',         'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'training_sessions p ON p.id = r.session_id'),
    ('student_roster_members',      'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'rosters p ON p.id = r.roster_id'),
    -- The issuer is the certificate's instructor (policy certificates_select_issuer).
    ('certificates',                'r.location_id', 'r.provider_id', 'r.issued_by',     'r.user_id', NULL),
    ('courses',                     'NULL',          'NULL',          'NULL',            'NULL', NULL),
    ('locations',                   'r.id',          'NULL',          'NULL',            'NULL', NULL),
    ('authorized_providers',        'NULL',          'r.id',          'NULL',            'NULL', NULL),
    ('provider_locations',          'r.location_id', 'r.provider_id', 'NULL',            'NULL', NULL),
    ('provider_members',            'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('student_enrollment_profiles', 'NULL',          'r.provider_id', 'NULL',            'NULL', NULL),
    ('users',                       'NULL',          'NULL',          'NULL',            'r.id', NULL),
    ('profiles',                    'NULL',          'NULL',          'NULL',            'r.user_id', NULL),
    ('instructor_profiles',         'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('compliance_records',          'NULL',          'NULL',          'NULL',            'r.user_id', NULL),
    -- Migration 0033: its trigger function joins the roster or the session (two parents), written by hand.
    ('certificate_batches',         'coalesce(ro.location_id, s.location_id)', 'coalesce(ro.provider_id, s.provider_id)', 'NULL', 'r.requested_by',
     'rosters ro ON ro.id = r.roster_id LEFT JOIN training_sessions s ON s.id = r.session_id')
$$;

CREATE FUNCTION certificate_batches_capture_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, coalesce(ro.location_id, s.location_id), coalesce(ro.provider_id, s.provider_id), NULL, r.requested_by
    FROM changed_rows r
    LEFT JOIN rosters ro ON ro.id = r.roster_id
    LEFT JOIN training_sessions s ON s.id = r.session_id;
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION certificate_batches_capture_changes() FROM PUBLIC;
DO $$
DECLARE
  event text;
BEGIN
  FOREACH event IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER %s ON certificate_batches REFERENCING %s TABLE AS changed_rows FOR EACH STATEMENT '
      'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
      'OR current_setting(''role'') <> ''none'' '
      'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
      'EXECUTE FUNCTION certificate_batches_capture_changes()',
      'certificate_batches_capture_' || lower(event), event, CASE event WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
  END LOOP;
END
$$;

-- A new batch queues its first chunk in the same transaction (the requester may not write jobs).
CREATE FUNCTION app_queue_certificate_batch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO jobs (handler, payload, max_attempts, idempotency_key)
  VALUES ('certificates.batch-chunk', jsonb_build_object('batch_id', NEW.id), 10, 'certificate-batch:' || NEW.id || ':1');
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION app_queue_certificate_batch() FROM PUBLIC;
CREATE TRIGGER certificate_batches_queue AFTER INSERT ON certificate_batches
  FOR EACH ROW WHEN (NEW.status = 'PENDING' AND NEW.template_version_id IS NOT NULL) EXECUTE FUNCTION app_queue_certificate_batch();

-- The stream shows a batch to who may select it (the policies above and of 0009): the same predicate as
-- 0022's with certificate_batches added; the candidate keys of 0025 (location, user) already cover it.
CREATE OR REPLACE FUNCTION realtime_change_visible(c realtime_change, a realtime_actor) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT a.user_id IS NOT NULL AND a.role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') AND CASE c.table_name
    WHEN 'training_sessions' THEN
         a.role IN ('SA', 'AD')                                                        -- _select_admin
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_own_locations
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)                      -- _select_taught
      OR c.row_id = ANY (a.enrolled_session_ids)                                       -- _select_enrolled
      OR coalesce(c.session_open, false)                                               -- _select_open_for_enrollment
    WHEN 'course_schedules' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)                      -- _select_instructor
    WHEN 'rosters' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.row_id = ANY (a.instructed_roster_ids))         -- _select_instructed
    WHEN 'session_enrollments' THEN
         a.role IN ('SA', 'AD')
      -- _select_provider_sessions and _select_taught: the log carries the session's location and instructor.
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'student_roster_members' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_provider_rosters
      OR (a.role IN ('IC', 'IP') AND CASE WHEN c.roster_id IS NULL                     -- _select_instructed_rosters
            THEN c.instructor_id = a.user_id ELSE c.roster_id = ANY (a.instructed_roster_ids) END)
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'certificates' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)                      -- _select_issuer
      OR c.user_id = a.user_id                                                         -- _select_recipient
    WHEN 'certificate_batches' THEN
         a.role IN ('SA', 'AD')                                                        -- _select_admin
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_provider_rosters, _select_provider_sessions
      OR (a.role IN ('IC', 'IP') AND c.user_id = a.user_id)                            -- _select_requester
    WHEN 'courses' THEN
         a.role IN ('SA', 'AD')
      OR coalesce(c.course_listed, false)                                              -- _select_catalogue
    WHEN 'locations' THEN true                                                         -- _select_signed_in
    WHEN 'provider_locations' THEN true                                                -- _select_signed_in
    WHEN 'instructor_profiles' THEN true                                               -- _select_signed_in
    WHEN 'authorized_providers' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.provider_id = ANY (a.provider_ids))                      -- _select_own
      OR (a.role IN ('IC', 'IP', 'IT', 'IN') AND c.provider_id = a.affiliated_provider_id) -- _select_affiliated
    WHEN 'provider_members' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.provider_id = ANY (a.provider_ids))                      -- _select_own_providers
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'student_enrollment_profiles' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND app_provider_sees_student_profile(c.row_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP')
          AND app_instructor_sees_student_profile(c.row_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'users' THEN
         a.role = 'SA'                                                                 -- _select_sa
      OR (a.role = 'AD' AND coalesce(c.account_role <> 'SA', false))                   -- _select_ad
      OR c.row_id = a.user_id                                                          -- _select_self
      OR (a.role = 'AP' AND app_provider_sees_user(c.row_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP') AND app_instructor_sees_user(c.row_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'profiles' THEN
         a.role = 'SA'
      OR (a.role = 'AD' AND coalesce(c.account_role <> 'SA', false))
      OR c.user_id = a.user_id
      OR (a.role = 'AP' AND app_provider_sees_user(c.user_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP') AND app_instructor_sees_user(c.user_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'compliance_records' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND app_provider_affiliates_user(c.user_id, a.provider_ids))  -- _select_affiliated_users
      OR c.user_id = a.user_id                                                         -- _select_self
    ELSE false
  END
$$;
