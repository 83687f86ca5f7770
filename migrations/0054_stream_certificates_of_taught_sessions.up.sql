-- The stream shows instructors the certificates migration 0053 lets them select: those of the sessions
-- they teach and of the rosters they instruct, not only those they issued. A certificate's session and
-- roster never change and a certificate is never deleted, so they are read from the row when the change
-- is authorised, like a roster line's roster (0027). The change's session is a new candidate key (0025),
-- matched against the instructor's taught sessions.
ALTER TYPE realtime_change ADD ATTRIBUTE session_id uuid;

CREATE OR REPLACE FUNCTION realtime_changes_of(seqs bigint[]) RETURNS SETOF realtime_change
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.seq, c.table_name, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id,
         CASE WHEN c.table_name = 'training_sessions' THEN EXISTS (
           SELECT 1 FROM training_sessions s WHERE s.id = c.row_id AND s.status = 'SCHEDULED' AND s.self_enrollment_allowed) END,
         CASE WHEN c.table_name = 'courses' THEN EXISTS (
           SELECT 1 FROM courses k WHERE k.id = c.row_id AND k.status <> 'DRAFT') END,
         CASE c.table_name
           WHEN 'users' THEN app_user_role(c.row_id)
           WHEN 'profiles' THEN (SELECT p.role FROM profiles p WHERE p.id = c.row_id)
         END,
         CASE c.table_name
           WHEN 'student_roster_members' THEN coalesce(c.parent_id, (
             SELECT m.roster_id FROM student_roster_members m WHERE m.id = c.row_id))
           WHEN 'certificates' THEN (SELECT k.roster_id FROM certificates k WHERE k.id = c.row_id)
         END,
         CASE WHEN c.table_name = 'certificates' THEN (SELECT k.session_id FROM certificates k WHERE k.id = c.row_id) END
    FROM change_log c
   WHERE c.seq = ANY (seqs)
$$;

CREATE OR REPLACE FUNCTION realtime_actor_keys(a realtime_actor) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[a.user_id, a.affiliated_provider_id]
      || coalesce(a.provider_ids, '{}') || coalesce(a.location_ids, '{}')
      || coalesce(a.enrolled_session_ids, '{}') || coalesce(a.instructed_roster_ids, '{}')
      || coalesce(a.taught_session_ids, '{}')
$$;

CREATE OR REPLACE FUNCTION realtime_change_keys(c realtime_change) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id, c.roster_id, c.session_id]
$$;

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
      OR (a.role IN ('IC', 'IP') AND (c.instructor_id = a.user_id                     -- _select_issuer
            OR c.session_id = ANY (a.taught_session_ids)                               -- _select_taught (0053)
            OR c.roster_id = ANY (a.instructed_roster_ids)))
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

