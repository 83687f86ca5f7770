-- Realtime authorisation: which subscribers may see which change_log rows, decided for all subscribers
-- of a batch of changes in one set-based query (src/modules/realtime/realtime.repository.ts), by the same
-- rules and the same scope functions as the SELECT policies of migration 0009.
--
-- The policies' scope functions read the actor from the transaction's claims, so they can only answer for
-- one actor per statement. Each now delegates to an `_of(actor)` twin that takes the actor as an
-- argument; the policies keep calling the zero-argument functions (unchanged text), and the stream calls
-- the twins for many actors at once. One body per scope, so the two can never disagree.

CREATE FUNCTION app_provider_ids_of(actor uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(provider_id), '{}') FROM provider_members WHERE user_id = actor
$$;

CREATE FUNCTION app_provider_location_ids_of(actor uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT location_id), '{}')
    FROM provider_locations WHERE provider_id = ANY (app_provider_ids_of(actor))
$$;

CREATE FUNCTION app_taught_session_ids_of(actor uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM training_sessions WHERE instructor_id = actor
$$;

CREATE FUNCTION app_enrolled_session_ids_of(actor uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(session_id), '{}') FROM session_enrollments WHERE student_id = actor
$$;

CREATE FUNCTION app_instructed_roster_ids_of(actor uuid) RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM rosters
   WHERE instructor_id = actor OR session_id = ANY (app_taught_session_ids_of(actor))
$$;

CREATE FUNCTION app_affiliated_provider_id_of(actor uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT provider_id FROM instructor_profiles WHERE user_id = actor
$$;

-- The policies' functions, now one line each over their twins (CREATE OR REPLACE keeps their grants).
CREATE OR REPLACE FUNCTION app_provider_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_provider_ids_of(app_user_id()) $$;
CREATE OR REPLACE FUNCTION app_provider_location_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_provider_location_ids_of(app_user_id()) $$;
CREATE OR REPLACE FUNCTION app_taught_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_taught_session_ids_of(app_user_id()) $$;
CREATE OR REPLACE FUNCTION app_enrolled_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_enrolled_session_ids_of(app_user_id()) $$;
CREATE OR REPLACE FUNCTION app_instructed_roster_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_instructed_roster_ids_of(app_user_id()) $$;
CREATE OR REPLACE FUNCTION app_affiliated_provider_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT app_affiliated_provider_id_of(app_user_id()) $$;

-- A subscriber as the policies see it: the account's role as the database says now (NULL when the
-- account is gone or not ACTIVE: it sees nothing) and the scope sets its rules need. Only the sets its
-- role uses are computed, since the stream builds one per subscriber for every batch of changes.
CREATE TYPE realtime_actor AS (
  user_id               uuid,
  role                  text,
  provider_ids          uuid[],
  location_ids          uuid[],
  taught_session_ids    uuid[],
  enrolled_session_ids  uuid[],
  instructed_roster_ids uuid[],
  affiliated_provider_id uuid
);

CREATE FUNCTION realtime_actor_of(account uuid) RETURNS realtime_actor
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT ROW(
    u.id,
    u.role,
    CASE WHEN u.role = 'AP' THEN app_provider_ids_of(u.id) END,
    CASE WHEN u.role = 'AP' THEN app_provider_location_ids_of(u.id) END,
    CASE WHEN u.role IN ('IC', 'IP') THEN app_taught_session_ids_of(u.id) END,
    app_enrolled_session_ids_of(u.id),
    CASE WHEN u.role IN ('IC', 'IP') THEN app_instructed_roster_ids_of(u.id) END,
    CASE WHEN u.role IN ('IC', 'IP', 'IT', 'IN') THEN app_affiliated_provider_id_of(u.id) END
  )::realtime_actor
    FROM users u
   WHERE u.id = account AND u.status = 'ACTIVE'
$$;

-- A change as realtime authorisation reads it: the change_log row's scope keys and, where a rule reads a
-- column the log does not carry, that fact about the row as it is now (NULL once the row is gone, so a
-- deleted row matches only the rules its keys decide). Worked out once per change, not per subscriber.
CREATE TYPE realtime_change AS (
  seq            bigint,
  table_name     text,
  row_id         uuid,
  location_id    uuid,
  provider_id    uuid,
  instructor_id  uuid,
  user_id        uuid,
  -- training_sessions: SCHEDULED and open for self-enrollment (policy _select_open_for_enrollment)
  session_open   boolean,
  -- courses: not DRAFT (policy courses_select_catalogue)
  course_listed  boolean,
  -- users, profiles: the account's role (policies _select_ad)
  account_role   text,
  -- student_roster_members: its roster (policy _select_instructed_rosters)
  roster_id      uuid
);

CREATE FUNCTION realtime_changes_of(seqs bigint[]) RETURNS SETOF realtime_change
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
         CASE WHEN c.table_name = 'student_roster_members' THEN (
           SELECT m.roster_id FROM student_roster_members m WHERE m.id = c.row_id) END
    FROM change_log c
   WHERE c.seq = ANY (seqs)
$$;

-- Whether actor `a` may select the row change `c` is about: the SELECT policies of c's table, rule by
-- rule (policy names in the comments). One expression without sub-queries, and neither SECURITY DEFINER
-- nor SET: PostgreSQL inlines it into the stream's query, which evaluates it for every subscriber and
-- change of a batch (a function call per pair was 30x slower). The per-row helpers the policies call for
-- people (app_provider_sees_user, ...) are called as they are.
CREATE FUNCTION realtime_change_visible(c realtime_change, a realtime_actor) RETURNS boolean
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

-- Only the owner's change feed calls these: they answer for any actor, so no request may.
REVOKE EXECUTE ON FUNCTION
  app_provider_ids_of(uuid), app_provider_location_ids_of(uuid), app_taught_session_ids_of(uuid),
  app_enrolled_session_ids_of(uuid), app_instructed_roster_ids_of(uuid), app_affiliated_provider_id_of(uuid),
  realtime_actor_of(uuid), realtime_changes_of(bigint[]), realtime_change_visible(realtime_change, realtime_actor)
FROM PUBLIC;
