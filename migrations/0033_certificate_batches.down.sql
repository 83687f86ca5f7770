-- The stream's predicate as migration 0022 made it.
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
DROP TRIGGER certificate_batches_queue ON certificate_batches;
DROP FUNCTION app_queue_certificate_batch();
DROP TRIGGER certificate_batches_capture_insert ON certificate_batches;
DROP TRIGGER certificate_batches_capture_update ON certificate_batches;
DROP TRIGGER certificate_batches_capture_delete ON certificate_batches;
DROP FUNCTION certificate_batches_capture_changes();
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
    ('compliance_records',          'NULL',          'NULL',          'NULL',            'r.user_id', NULL)
$$;
DELETE FROM change_log WHERE table_name = 'certificate_batches';
DROP FUNCTION issue_certificates(uuid[], uuid[], text[], text, uuid, uuid, uuid);
DROP FUNCTION certificate_template_version_for_course(uuid);
DROP TABLE course_certificate_settings;
DROP TABLE certificate_batch_results;
DROP POLICY certificate_batches_select_provider_sessions ON certificate_batches;
DROP POLICY certificate_batches_insert_provider_sessions ON certificate_batches;
DROP POLICY certificate_batches_insert_taught_sessions ON certificate_batches;
DELETE FROM certificate_batches WHERE session_id IS NOT NULL;
DROP INDEX certificate_batches_template_version_id_idx;
DROP INDEX certificate_batches_session_id_idx;
ALTER TABLE certificate_batches
  DROP CONSTRAINT certificate_batches_source_check,
  DROP COLUMN verification_base_url,
  DROP COLUMN template_version_id,
  DROP COLUMN session_id,
  ALTER COLUMN roster_id SET NOT NULL;
