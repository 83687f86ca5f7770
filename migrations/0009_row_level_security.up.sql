-- Row-level security: the access matrix (docs/access-matrix.md, generated from
-- src/security/access-matrix.ts) enforced by PostgreSQL. Every policy is named after the matrix rule it
-- implements (rule users.select.ad -> policy users_select_ad); a test keeps the two sets equal.
--
-- Requests run as unitrain_app (SET LOCAL ROLE by withActor) with the actor in transaction-local
-- settings. The owner (migrations, seed, jobs, the auth bootstrap) connects as itself: FORCE makes RLS
-- apply to it too, so each table gets one <table>_owner_all policy that keeps the owner's full access.

-- ---------------------------------------------------------------------------------------------------
-- The actor, read from the claims withActor sets. Plain SQL, so the planner inlines them.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('unitrain.user_id', true), '')::uuid $$;

CREATE FUNCTION app_role() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('unitrain.role', true), '') $$;

CREATE FUNCTION app_is_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(app_role() IN ('SA', 'AD'), false) $$;

CREATE FUNCTION app_is_signed_in() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT app_user_id() IS NOT NULL AND coalesce(app_role() IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'), false)
$$;

-- ---------------------------------------------------------------------------------------------------
-- Scope helpers. A policy that needs another table asks one of these instead of querying it: a
-- sub-query would apply that table's policies too (slow, and recursive where two tables refer to each
-- other). SECURITY DEFINER runs them as the owner, whose owner_all policy shows it every row.
-- Arrays for sets bounded by one person's own activity; policies wrap them in a sub-select,
-- `col = ANY ((SELECT app_x())::uuid[])`, so they run once per statement. Booleans, called per row
-- with those arrays, for sets that grow with a whole provider's business (sessions, rosters, students
-- at its locations), which would make arrays too long to scan for every row.
-- These trust the claims, as every policy does: the claims are the application's word for who acts.
-- Row-level security guards against mistakes in the application's queries, not against arbitrary SQL
-- run as the application role, which could set claims of its own.
-- ---------------------------------------------------------------------------------------------------

-- Providers the actor is a member of (provider_members): "own providers".
CREATE FUNCTION app_provider_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(provider_id), '{}') FROM provider_members WHERE user_id = app_user_id()
$$;

-- Locations of the own providers: "own locations".
CREATE FUNCTION app_provider_location_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT location_id), '{}')
    FROM provider_locations WHERE provider_id = ANY (app_provider_ids())
$$;

-- Sessions the actor teaches: "taught sessions" (policies add the IC/IP role check).
CREATE FUNCTION app_taught_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM training_sessions WHERE instructor_id = app_user_id()
$$;

-- Sessions with an enrollment row of the actor, whatever its status: "enrolled sessions".
CREATE FUNCTION app_enrolled_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(session_id), '{}') FROM session_enrollments WHERE student_id = app_user_id()
$$;

-- Teams the actor leads or belongs to.
CREATE FUNCTION app_team_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM (
    SELECT id FROM teams WHERE lead_id = app_user_id()
    UNION
    SELECT team_id FROM team_members WHERE user_id = app_user_id()
  ) AS mine
$$;

-- Teams of the own providers.
CREATE FUNCTION app_provider_team_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM teams WHERE provider_id = ANY (app_provider_ids())
$$;

-- Rosters the actor instructs, or that belong to a session the actor teaches.
CREATE FUNCTION app_instructed_roster_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM rosters
   WHERE instructor_id = app_user_id() OR session_id = ANY (app_taught_session_ids())
$$;

-- Rosters the actor is the instructor of: the ones an IC/IP may change.
CREATE FUNCTION app_own_roster_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM rosters WHERE instructor_id = app_user_id()
$$;

-- The provider an instructor is affiliated with (instructor_profiles.provider_id), if any.
CREATE FUNCTION app_affiliated_provider_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT provider_id FROM instructor_profiles WHERE user_id = app_user_id()
$$;

CREATE FUNCTION app_published_course_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM courses WHERE status = 'PUBLISHED'
$$;

-- The role of an account, for rules about SA accounts on tables that do not copy the role.
CREATE FUNCTION app_user_role(account uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT role FROM users WHERE id = account
$$;

-- Per-row checks. The policy passes in the actor's scope arrays, wrapped in sub-selects, so the
-- scope is computed once per statement and each row costs only a few index lookups.

CREATE FUNCTION app_session_in_locations(session uuid, locations uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM training_sessions WHERE id = session AND location_id = ANY (locations))
$$;

CREATE FUNCTION app_roster_in_locations(roster uuid, locations uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM rosters WHERE id = roster AND location_id = ANY (locations))
$$;

-- Whether a session takes self-enrollment now (an INSERT check: the session row is not the one inserted).
CREATE FUNCTION app_session_open_for_self_enrollment(session uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM training_sessions
     WHERE id = session AND status = 'SCHEDULED' AND self_enrollment_allowed)
$$;

-- People an AP works with: members and affiliated instructors of its providers.
CREATE FUNCTION app_provider_affiliates_user(account uuid, providers uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers))
$$;

-- Accounts an AP may see: the people it works with, and students enrolled in sessions or listed on
-- rosters at its locations.
CREATE FUNCTION app_provider_sees_user(account uuid, providers uuid[], locations uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (
           SELECT 1 FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
            WHERE e.student_id = account AND s.location_id = ANY (locations))
      OR EXISTS (
           SELECT 1 FROM student_roster_members m JOIN rosters r ON r.id = m.roster_id
            WHERE m.student_id = account AND r.location_id = ANY (locations))
$$;

CREATE FUNCTION app_provider_sees_student_profile(profile uuid, providers uuid[], locations uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM student_enrollment_profiles WHERE id = profile AND provider_id = ANY (providers))
      OR EXISTS (
           SELECT 1 FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
            WHERE e.student_profile_id = profile AND s.location_id = ANY (locations))
      OR EXISTS (
           SELECT 1 FROM student_roster_members m JOIN rosters r ON r.id = m.roster_id
            WHERE m.student_profile_id = profile AND r.location_id = ANY (locations))
$$;

-- Accounts an IC/IP may see besides their own: students of the sessions and rosters they instruct.
CREATE FUNCTION app_instructor_sees_user(account uuid, sessions uuid[], rosters uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM session_enrollments WHERE student_id = account AND session_id = ANY (sessions))
      OR EXISTS (SELECT 1 FROM student_roster_members WHERE student_id = account AND roster_id = ANY (rosters))
$$;

CREATE FUNCTION app_instructor_sees_student_profile(profile uuid, sessions uuid[], rosters uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM session_enrollments WHERE student_profile_id = profile AND session_id = ANY (sessions))
      OR EXISTS (SELECT 1 FROM student_roster_members WHERE student_profile_id = profile AND roster_id = ANY (rosters))
$$;

-- Whether an audit entry is about an SA account (its users or profiles row), which AD may not read.
-- The entry's own values say so when they carry the role (inserts, deletes, role changes); otherwise
-- the account as it is now does.
CREATE FUNCTION app_audit_entry_concerns_sa(entry_table text, entry_row uuid, old_values jsonb, new_values jsonb)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT entry_table IN ('users', 'profiles') AND (
           coalesce('SA' IN (old_values ->> 'role', new_values ->> 'role'), false)
        OR (entry_table = 'users' AND EXISTS (SELECT 1 FROM users WHERE id = entry_row AND role = 'SA'))
        OR (entry_table = 'profiles' AND EXISTS (SELECT 1 FROM profiles WHERE id = entry_row AND role = 'SA')))
$$;

-- Only the application role calls these (the owner owns them); nobody else in the cluster needs them.
REVOKE EXECUTE ON FUNCTION
  app_provider_ids(), app_provider_location_ids(), app_taught_session_ids(), app_enrolled_session_ids(),
  app_team_ids(), app_provider_team_ids(), app_instructed_roster_ids(), app_own_roster_ids(),
  app_affiliated_provider_id(), app_published_course_ids(), app_user_role(uuid),
  app_session_in_locations(uuid, uuid[]), app_roster_in_locations(uuid, uuid[]),
  app_session_open_for_self_enrollment(uuid), app_provider_affiliates_user(uuid, uuid[]),
  app_provider_sees_user(uuid, uuid[], uuid[]), app_provider_sees_student_profile(uuid, uuid[], uuid[]),
  app_instructor_sees_user(uuid, uuid[], uuid[]), app_instructor_sees_student_profile(uuid, uuid[], uuid[]),
  app_audit_entry_concerns_sa(text, uuid, jsonb, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  app_provider_ids(), app_provider_location_ids(), app_taught_session_ids(), app_enrolled_session_ids(),
  app_team_ids(), app_provider_team_ids(), app_instructed_roster_ids(), app_own_roster_ids(),
  app_affiliated_provider_id(), app_published_course_ids(), app_user_role(uuid),
  app_session_in_locations(uuid, uuid[]), app_roster_in_locations(uuid, uuid[]),
  app_session_open_for_self_enrollment(uuid), app_provider_affiliates_user(uuid, uuid[]),
  app_provider_sees_user(uuid, uuid[], uuid[]), app_provider_sees_student_profile(uuid, uuid[], uuid[]),
  app_instructor_sees_user(uuid, uuid[], uuid[]), app_instructor_sees_student_profile(uuid, uuid[], uuid[]),
  app_audit_entry_concerns_sa(text, uuid, jsonb, jsonb)
TO unitrain_app;

-- ---------------------------------------------------------------------------------------------------
-- Every domain table: RLS on and forced, and the owner keeps full access.
-- ---------------------------------------------------------------------------------------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'users', 'profiles', 'auth_sessions', 'authorized_providers', 'provider_members', 'locations',
    'provider_locations', 'instructor_profiles', 'teams', 'team_members',
    'courses', 'course_versions', 'course_schedules', 'training_sessions', 'student_enrollment_profiles',
    'session_enrollments', 'rosters', 'student_roster_members',
    'certificate_templates', 'certificate_batches', 'certificates',
    'compliance_requirements', 'compliance_records',
    'audit_log', 'domain_events', 'change_log', 'jobs', 'notifications', 'user_activities']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I TO CURRENT_USER USING (true) WITH CHECK (true)', t || '_owner_all', t);
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Privileges: exactly what the matrix lets the application do, table by table (replacing 0008's).
-- ---------------------------------------------------------------------------------------------------
REVOKE ALL ON
  users, profiles, auth_sessions, authorized_providers, provider_members, locations,
  provider_locations, instructor_profiles, teams, team_members,
  courses, course_versions, course_schedules, training_sessions, student_enrollment_profiles,
  session_enrollments, rosters, student_roster_members,
  certificate_templates, certificate_batches, certificates,
  compliance_requirements, compliance_records,
  audit_log, domain_events, change_log, jobs, notifications, user_activities
FROM unitrain_app;
REVOKE ALL ON SEQUENCE audit_log_id_seq, domain_events_seq_seq, change_log_seq_seq FROM unitrain_app;

-- Secrets are never readable by the application: password and refresh-token hashes are compared by
-- the auth code, which runs as the owner. A column added to these tables must be granted here.
GRANT SELECT (id, email_ciphertext, email_hmac, role, status, last_login_at, created_at, updated_at, version)
  ON users TO unitrain_app;
GRANT INSERT, UPDATE, DELETE ON users TO unitrain_app;
GRANT SELECT (id, user_id, family_id, expires_at, revoked_at, replaced_by, user_agent, ip, created_at, updated_at, version)
  ON auth_sessions TO unitrain_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON
  profiles, authorized_providers, provider_members, locations, provider_locations, instructor_profiles,
  teams, courses, course_schedules, training_sessions, student_enrollment_profiles, session_enrollments,
  rosters, student_roster_members, certificate_templates, compliance_requirements, compliance_records,
  jobs, notifications
TO unitrain_app;
-- Link rows and history: inserted and removed, or only added, never rewritten.
GRANT SELECT, INSERT, DELETE ON team_members TO unitrain_app;
GRANT SELECT, INSERT ON course_versions, user_activities TO unitrain_app;
-- Issued certificates and batch records are revoked or finished, never deleted.
GRANT SELECT, INSERT, UPDATE ON certificate_batches, certificates TO unitrain_app;
-- The audit trail is written by SECURITY DEFINER triggers only: the application can read it, never
-- add, change or erase a row.
GRANT SELECT ON audit_log TO unitrain_app;
-- The outbox and the change feed are appended inside the writing transaction.
GRANT SELECT, INSERT ON domain_events, change_log TO unitrain_app;
GRANT USAGE ON SEQUENCE domain_events_seq_seq, change_log_seq_seq TO unitrain_app;

-- ---------------------------------------------------------------------------------------------------
-- Policies, table by table, one per matrix rule. Rules for several roles name them; "signed in" is
-- every role but ANON. USING and WITH CHECK are the same rule unless a comment says otherwise.
-- ---------------------------------------------------------------------------------------------------

-- users
CREATE POLICY users_select_sa ON users FOR SELECT TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY users_select_ad ON users FOR SELECT TO unitrain_app USING (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY users_select_self ON users FOR SELECT TO unitrain_app USING (id = app_user_id());
CREATE POLICY users_select_provider_scope ON users FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_provider_sees_user(id, (SELECT app_provider_ids()), (SELECT app_provider_location_ids())));
CREATE POLICY users_select_instructed_students ON users FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND app_instructor_sees_user(id, (SELECT app_taught_session_ids()), (SELECT app_instructed_roster_ids())));
CREATE POLICY users_insert_sa ON users FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'SA');
CREATE POLICY users_insert_ad ON users FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY users_update_sa ON users FOR UPDATE TO unitrain_app USING (app_role() = 'SA');
-- WITH CHECK too: AD can never turn an account into an SA.
CREATE POLICY users_update_ad ON users FOR UPDATE TO unitrain_app
  USING (app_role() = 'AD' AND role <> 'SA') WITH CHECK (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY users_delete_sa ON users FOR DELETE TO unitrain_app USING (app_role() = 'SA');

-- profiles (role is users.role, copied and kept equal by the composite foreign key)
CREATE POLICY profiles_select_sa ON profiles FOR SELECT TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY profiles_select_ad ON profiles FOR SELECT TO unitrain_app USING (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY profiles_select_self ON profiles FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY profiles_select_provider_scope ON profiles FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_provider_sees_user(user_id, (SELECT app_provider_ids()), (SELECT app_provider_location_ids())));
CREATE POLICY profiles_select_instructed_students ON profiles FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND app_instructor_sees_user(user_id, (SELECT app_taught_session_ids()), (SELECT app_instructed_roster_ids())));
CREATE POLICY profiles_insert_sa ON profiles FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'SA');
CREATE POLICY profiles_insert_ad ON profiles FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY profiles_update_sa ON profiles FOR UPDATE TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY profiles_update_ad ON profiles FOR UPDATE TO unitrain_app
  USING (app_role() = 'AD' AND role <> 'SA') WITH CHECK (app_role() = 'AD' AND role <> 'SA');
-- Which columns a person may change on their own profile: profiles_guard_self_update below.
CREATE POLICY profiles_update_self ON profiles FOR UPDATE TO unitrain_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY profiles_delete_sa ON profiles FOR DELETE TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY profiles_delete_ad ON profiles FOR DELETE TO unitrain_app USING (app_role() = 'AD' AND role <> 'SA');

-- auth_sessions (written by the auth code as the owner only)
CREATE POLICY auth_sessions_select_sa ON auth_sessions FOR SELECT TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY auth_sessions_select_ad ON auth_sessions FOR SELECT TO unitrain_app
  USING (app_role() = 'AD' AND app_user_role(user_id) <> 'SA');
CREATE POLICY auth_sessions_select_self ON auth_sessions FOR SELECT TO unitrain_app USING (user_id = app_user_id());

-- authorized_providers
CREATE POLICY authorized_providers_select_admin ON authorized_providers FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY authorized_providers_select_own ON authorized_providers FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY authorized_providers_select_affiliated ON authorized_providers FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP', 'IT', 'IN') AND id = (SELECT app_affiliated_provider_id()));
CREATE POLICY authorized_providers_insert_admin ON authorized_providers FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY authorized_providers_update_admin ON authorized_providers FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY authorized_providers_update_own ON authorized_providers FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY authorized_providers_delete_admin ON authorized_providers FOR DELETE TO unitrain_app USING (app_is_admin());

-- provider_members
CREATE POLICY provider_members_select_admin ON provider_members FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY provider_members_select_own_providers ON provider_members FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY provider_members_select_self ON provider_members FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY provider_members_insert_admin ON provider_members FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
-- An AP manages the AP accounts of its own providers, nobody else.
CREATE POLICY provider_members_insert_own_providers ON provider_members FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]) AND app_user_role(user_id) = 'AP');
CREATE POLICY provider_members_update_admin ON provider_members FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY provider_members_update_own_providers ON provider_members FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]) AND app_user_role(user_id) = 'AP')
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]) AND app_user_role(user_id) = 'AP');
CREATE POLICY provider_members_delete_admin ON provider_members FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY provider_members_delete_own_providers ON provider_members FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]) AND app_user_role(user_id) = 'AP');

-- locations
CREATE POLICY locations_select_signed_in ON locations FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY locations_insert_admin ON locations FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY locations_update_admin ON locations FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY locations_update_own ON locations FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY locations_delete_admin ON locations FOR DELETE TO unitrain_app USING (app_is_admin());

-- provider_locations
CREATE POLICY provider_locations_select_signed_in ON provider_locations FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY provider_locations_insert_admin ON provider_locations FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY provider_locations_update_admin ON provider_locations FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY provider_locations_delete_admin ON provider_locations FOR DELETE TO unitrain_app USING (app_is_admin());

-- instructor_profiles (the public professional profile)
CREATE POLICY instructor_profiles_select_signed_in ON instructor_profiles FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY instructor_profiles_insert_admin ON instructor_profiles FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY instructor_profiles_update_admin ON instructor_profiles FOR UPDATE TO unitrain_app USING (app_is_admin());
-- Which columns an AP or the instructor may change: instructor_profiles_guard_self_update below.
CREATE POLICY instructor_profiles_update_affiliated ON instructor_profiles FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY instructor_profiles_update_self ON instructor_profiles FOR UPDATE TO unitrain_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY instructor_profiles_delete_admin ON instructor_profiles FOR DELETE TO unitrain_app USING (app_is_admin());

-- teams
CREATE POLICY teams_select_admin ON teams FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY teams_select_own_providers ON teams FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY teams_select_led_or_joined ON teams FOR SELECT TO unitrain_app
  USING (id = ANY ((SELECT app_team_ids())::uuid[]));
CREATE POLICY teams_insert_admin ON teams FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY teams_insert_own_providers ON teams FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY teams_update_admin ON teams FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY teams_update_own_providers ON teams FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY teams_delete_admin ON teams FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY teams_delete_own_providers ON teams FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));

-- team_members
CREATE POLICY team_members_select_admin ON team_members FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY team_members_select_own_providers ON team_members FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND team_id = ANY ((SELECT app_provider_team_ids())::uuid[]));
CREATE POLICY team_members_select_led_or_joined ON team_members FOR SELECT TO unitrain_app
  USING (team_id = ANY ((SELECT app_team_ids())::uuid[]));
CREATE POLICY team_members_insert_admin ON team_members FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY team_members_insert_own_providers ON team_members FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND team_id = ANY ((SELECT app_provider_team_ids())::uuid[]));
CREATE POLICY team_members_delete_admin ON team_members FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY team_members_delete_own_providers ON team_members FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND team_id = ANY ((SELECT app_provider_team_ids())::uuid[]));

-- courses
CREATE POLICY courses_select_admin ON courses FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY courses_select_catalogue ON courses FOR SELECT TO unitrain_app
  USING (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN') AND status <> 'DRAFT');
CREATE POLICY courses_select_published ON courses FOR SELECT TO unitrain_app
  USING (app_role() = 'ANON' AND status = 'PUBLISHED');
CREATE POLICY courses_insert_admin ON courses FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY courses_update_admin ON courses FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY courses_delete_admin ON courses FOR DELETE TO unitrain_app USING (app_is_admin());

-- course_versions (immutable snapshots)
CREATE POLICY course_versions_select_admin ON course_versions FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY course_versions_select_published ON course_versions FOR SELECT TO unitrain_app
  USING (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN', 'ANON')
         AND course_id = ANY ((SELECT app_published_course_ids())::uuid[]));
CREATE POLICY course_versions_insert_admin ON course_versions FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());

-- course_schedules
CREATE POLICY course_schedules_select_admin ON course_schedules FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY course_schedules_select_own_locations ON course_schedules FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY course_schedules_select_instructor ON course_schedules FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id());
CREATE POLICY course_schedules_insert_admin ON course_schedules FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY course_schedules_insert_own_locations ON course_schedules FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY course_schedules_update_admin ON course_schedules FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY course_schedules_update_own_locations ON course_schedules FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY course_schedules_delete_admin ON course_schedules FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY course_schedules_delete_own_locations ON course_schedules FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));

-- training_sessions
CREATE POLICY training_sessions_select_admin ON training_sessions FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY training_sessions_select_own_locations ON training_sessions FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY training_sessions_select_taught ON training_sessions FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id());
CREATE POLICY training_sessions_select_enrolled ON training_sessions FOR SELECT TO unitrain_app
  USING (id = ANY ((SELECT app_enrolled_session_ids())::uuid[]));
CREATE POLICY training_sessions_select_open_for_enrollment ON training_sessions FOR SELECT TO unitrain_app
  USING (app_is_signed_in() AND status = 'SCHEDULED' AND self_enrollment_allowed);
CREATE POLICY training_sessions_insert_admin ON training_sessions FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY training_sessions_insert_own_locations ON training_sessions FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY training_sessions_update_admin ON training_sessions FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY training_sessions_update_own_locations ON training_sessions FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY training_sessions_update_taught ON training_sessions FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id())
  WITH CHECK (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id());
CREATE POLICY training_sessions_delete_admin ON training_sessions FOR DELETE TO unitrain_app USING (app_is_admin());

-- student_enrollment_profiles (students without accounts)
CREATE POLICY student_enrollment_profiles_select_admin ON student_enrollment_profiles FOR SELECT TO unitrain_app
  USING (app_is_admin());
CREATE POLICY student_enrollment_profiles_select_provider_scope ON student_enrollment_profiles FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_provider_sees_student_profile(id, (SELECT app_provider_ids()), (SELECT app_provider_location_ids())));
CREATE POLICY student_enrollment_profiles_select_instructed_students ON student_enrollment_profiles FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND app_instructor_sees_student_profile(id, (SELECT app_taught_session_ids()), (SELECT app_instructed_roster_ids())));
CREATE POLICY student_enrollment_profiles_insert_admin ON student_enrollment_profiles FOR INSERT TO unitrain_app
  WITH CHECK (app_is_admin());
CREATE POLICY student_enrollment_profiles_insert_own_providers ON student_enrollment_profiles FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY student_enrollment_profiles_update_admin ON student_enrollment_profiles FOR UPDATE TO unitrain_app
  USING (app_is_admin());
CREATE POLICY student_enrollment_profiles_update_own_providers ON student_enrollment_profiles FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY student_enrollment_profiles_delete_admin ON student_enrollment_profiles FOR DELETE TO unitrain_app
  USING (app_is_admin());

-- session_enrollments
CREATE POLICY session_enrollments_select_admin ON session_enrollments FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY session_enrollments_select_provider_sessions ON session_enrollments FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())));
CREATE POLICY session_enrollments_select_taught ON session_enrollments FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND session_id = ANY ((SELECT app_taught_session_ids())::uuid[]));
CREATE POLICY session_enrollments_select_self ON session_enrollments FOR SELECT TO unitrain_app
  USING (student_id = app_user_id());
CREATE POLICY session_enrollments_insert_admin ON session_enrollments FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY session_enrollments_insert_provider_sessions ON session_enrollments FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())));
CREATE POLICY session_enrollments_insert_taught ON session_enrollments FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND session_id = ANY ((SELECT app_taught_session_ids())::uuid[]));
CREATE POLICY session_enrollments_insert_self_enrollment ON session_enrollments FOR INSERT TO unitrain_app
  WITH CHECK (student_id = app_user_id() AND app_is_signed_in() AND app_session_open_for_self_enrollment(session_id));
CREATE POLICY session_enrollments_update_admin ON session_enrollments FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY session_enrollments_update_provider_sessions ON session_enrollments FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())))
  WITH CHECK (app_role() = 'AP' AND app_session_in_locations(session_id, (SELECT app_provider_location_ids())));
CREATE POLICY session_enrollments_update_taught ON session_enrollments FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND session_id = ANY ((SELECT app_taught_session_ids())::uuid[]))
  WITH CHECK (app_role() IN ('IC', 'IP') AND session_id = ANY ((SELECT app_taught_session_ids())::uuid[]));
-- What a student may change on their own row: session_enrollments_guard_student_update below.
CREATE POLICY session_enrollments_update_self ON session_enrollments FOR UPDATE TO unitrain_app
  USING (student_id = app_user_id()) WITH CHECK (student_id = app_user_id());
CREATE POLICY session_enrollments_delete_admin ON session_enrollments FOR DELETE TO unitrain_app USING (app_is_admin());

-- rosters
CREATE POLICY rosters_select_admin ON rosters FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY rosters_select_own_locations ON rosters FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY rosters_select_instructed ON rosters FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND id = ANY ((SELECT app_instructed_roster_ids())::uuid[]));
CREATE POLICY rosters_insert_admin ON rosters FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY rosters_insert_own_locations ON rosters FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY rosters_insert_own ON rosters FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id());
CREATE POLICY rosters_update_admin ON rosters FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY rosters_update_own_locations ON rosters FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY rosters_update_own ON rosters FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id())
  WITH CHECK (app_role() IN ('IC', 'IP') AND instructor_id = app_user_id());
CREATE POLICY rosters_delete_admin ON rosters FOR DELETE TO unitrain_app USING (app_is_admin());

-- student_roster_members
CREATE POLICY student_roster_members_select_admin ON student_roster_members FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY student_roster_members_select_provider_rosters ON student_roster_members FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY student_roster_members_select_instructed_rosters ON student_roster_members FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND roster_id = ANY ((SELECT app_instructed_roster_ids())::uuid[]));
CREATE POLICY student_roster_members_select_self ON student_roster_members FOR SELECT TO unitrain_app
  USING (student_id = app_user_id());
CREATE POLICY student_roster_members_insert_admin ON student_roster_members FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY student_roster_members_insert_provider_rosters ON student_roster_members FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY student_roster_members_insert_own_rosters ON student_roster_members FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]));
CREATE POLICY student_roster_members_update_admin ON student_roster_members FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY student_roster_members_update_provider_rosters ON student_roster_members FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())))
  WITH CHECK (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY student_roster_members_update_own_rosters ON student_roster_members FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]))
  WITH CHECK (app_role() IN ('IC', 'IP') AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]));
CREATE POLICY student_roster_members_delete_admin ON student_roster_members FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY student_roster_members_delete_provider_rosters ON student_roster_members FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY student_roster_members_delete_own_rosters ON student_roster_members FOR DELETE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]));

-- certificate_templates
CREATE POLICY certificate_templates_select_signed_in ON certificate_templates FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY certificate_templates_insert_admin ON certificate_templates FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificate_templates_update_admin ON certificate_templates FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_templates_delete_admin ON certificate_templates FOR DELETE TO unitrain_app USING (app_is_admin());

-- certificate_batches
CREATE POLICY certificate_batches_select_admin ON certificate_batches FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_batches_select_provider_rosters ON certificate_batches FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY certificate_batches_select_requester ON certificate_batches FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND requested_by = app_user_id());
CREATE POLICY certificate_batches_insert_admin ON certificate_batches FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificate_batches_insert_provider_rosters ON certificate_batches FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY certificate_batches_insert_own_rosters ON certificate_batches FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND requested_by = app_user_id()
              AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]));
CREATE POLICY certificate_batches_update_admin ON certificate_batches FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_batches_update_provider_rosters ON certificate_batches FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())))
  WITH CHECK (app_role() = 'AP' AND app_roster_in_locations(roster_id, (SELECT app_provider_location_ids())));
CREATE POLICY certificate_batches_update_own_rosters ON certificate_batches FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND requested_by = app_user_id()
         AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]))
  WITH CHECK (app_role() IN ('IC', 'IP') AND requested_by = app_user_id()
              AND roster_id = ANY ((SELECT app_own_roster_ids())::uuid[]));

-- certificates (public verification will go through a SECURITY DEFINER function, not a policy)
CREATE POLICY certificates_select_admin ON certificates FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY certificates_select_own_locations ON certificates FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY certificates_select_issuer ON certificates FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND issued_by = app_user_id());
CREATE POLICY certificates_select_recipient ON certificates FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY certificates_insert_admin ON certificates FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificates_insert_own_locations ON certificates FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY certificates_insert_issuer ON certificates FOR INSERT TO unitrain_app
  WITH CHECK (app_role() IN ('IC', 'IP') AND issued_by = app_user_id());
CREATE POLICY certificates_update_admin ON certificates FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY certificates_update_own_locations ON certificates FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY certificates_update_issuer ON certificates FOR UPDATE TO unitrain_app
  USING (app_role() IN ('IC', 'IP') AND issued_by = app_user_id())
  WITH CHECK (app_role() IN ('IC', 'IP') AND issued_by = app_user_id());

-- compliance_requirements
CREATE POLICY compliance_requirements_select_signed_in ON compliance_requirements FOR SELECT TO unitrain_app
  USING (app_is_signed_in());
CREATE POLICY compliance_requirements_insert_admin ON compliance_requirements FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY compliance_requirements_update_admin ON compliance_requirements FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY compliance_requirements_delete_admin ON compliance_requirements FOR DELETE TO unitrain_app USING (app_is_admin());

-- compliance_records
CREATE POLICY compliance_records_select_admin ON compliance_records FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY compliance_records_select_affiliated_users ON compliance_records FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_provider_affiliates_user(user_id, (SELECT app_provider_ids())));
CREATE POLICY compliance_records_select_self ON compliance_records FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY compliance_records_insert_admin ON compliance_records FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY compliance_records_update_admin ON compliance_records FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY compliance_records_delete_admin ON compliance_records FOR DELETE TO unitrain_app USING (app_is_admin());

-- notifications (the jobs that send them insert as the owner)
CREATE POLICY notifications_select_self ON notifications FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY notifications_insert_admin ON notifications FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY notifications_update_self ON notifications FOR UPDATE TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY notifications_delete_self ON notifications FOR DELETE TO unitrain_app USING (user_id = app_user_id());

-- user_activities
CREATE POLICY user_activities_select_admin ON user_activities FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY user_activities_select_self ON user_activities FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY user_activities_insert_admin ON user_activities FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY user_activities_insert_self ON user_activities FOR INSERT TO unitrain_app WITH CHECK (user_id = app_user_id());

-- audit_log (read-only for the application)
CREATE POLICY audit_log_select_sa ON audit_log FOR SELECT TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY audit_log_select_ad ON audit_log FOR SELECT TO unitrain_app
  USING (app_role() = 'AD' AND NOT app_audit_entry_concerns_sa(table_name, row_id, old_values, new_values));

-- domain_events, change_log: appended by whoever writes; read by administrators (and by the owner's
-- relay and dispatcher). An insert must not ask for RETURNING: the writer cannot read the row back.
CREATE POLICY domain_events_select_admin ON domain_events FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY domain_events_insert_signed_in ON domain_events FOR INSERT TO unitrain_app WITH CHECK (app_is_signed_in());
CREATE POLICY change_log_select_admin ON change_log FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY change_log_insert_signed_in ON change_log FOR INSERT TO unitrain_app WITH CHECK (app_is_signed_in());

-- jobs
CREATE POLICY jobs_select_admin ON jobs FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY jobs_insert_admin ON jobs FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY jobs_update_admin ON jobs FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY jobs_delete_admin ON jobs FOR DELETE TO unitrain_app USING (app_is_admin());

-- ---------------------------------------------------------------------------------------------------
-- Column guards: where a non-administrator may update a row but only some of its columns. Policies
-- choose rows, not columns; these triggers refuse the rest with insufficient_privilege (42501).
-- They apply only to the application role: the owner (jobs, SECURITY DEFINER functions) is the system.
-- ---------------------------------------------------------------------------------------------------

-- TG_ARGV: the columns a non-administrator may change (version and updated_at move by themselves).
CREATE FUNCTION app_guard_self_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed text[];
BEGIN
  IF current_user <> 'unitrain_app' OR app_is_admin() THEN
    RETURN NEW;
  END IF;
  SELECT array_agg(n.key ORDER BY n.key) INTO changed
    FROM jsonb_each(to_jsonb(NEW)) AS n
   WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key)
     AND n.key <> ALL (TG_ARGV || ARRAY['version', 'updated_at']);
  IF changed IS NOT NULL THEN
    RAISE EXCEPTION 'only SA or AD may change % of %', array_to_string(changed, ', '), TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER profiles_guard_self_update BEFORE UPDATE ON profiles
  FOR EACH ROW EXECUTE FUNCTION app_guard_self_update(
    'first_name', 'last_name', 'display_name', 'phone_ciphertext', 'email_ciphertext', 'organization');

CREATE TRIGGER instructor_profiles_guard_self_update BEFORE UPDATE ON instructor_profiles
  FOR EACH ROW EXECUTE FUNCTION app_guard_self_update('display_name', 'bio', 'specialties');

-- Staff of the session (its provider's AP, its instructor) may change anything; a student on their
-- own row may only cancel it (which also clears a waitlist position).
CREATE FUNCTION app_guard_student_enrollment_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed text[];
BEGIN
  IF current_user <> 'unitrain_app' OR app_is_admin()
     OR (app_role() = 'AP' AND app_session_in_locations(OLD.session_id, app_provider_location_ids()))
     OR (app_role() IN ('IC', 'IP') AND OLD.session_id = ANY (app_taught_session_ids())) THEN
    RETURN NEW;
  END IF;
  SELECT array_agg(n.key ORDER BY n.key) INTO changed
    FROM jsonb_each(to_jsonb(NEW)) AS n
   WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key)
     AND n.key <> ALL (ARRAY['status', 'waitlist_position', 'version', 'updated_at']);
  IF changed IS NOT NULL
     OR (NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'CANCELLED')
     OR (NEW.waitlist_position IS DISTINCT FROM OLD.waitlist_position AND NEW.waitlist_position IS NOT NULL) THEN
    RAISE EXCEPTION 'a student may only cancel their own enrollment'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER session_enrollments_guard_student_update BEFORE UPDATE ON session_enrollments
  FOR EACH ROW EXECUTE FUNCTION app_guard_student_enrollment_update();

-- ---------------------------------------------------------------------------------------------------
-- Hidden fields: the API reads these views instead of the tables. security_invoker, so the table's
-- policies decide the rows; the CASEs decide the fields. A missing role claim hides every field.
-- ---------------------------------------------------------------------------------------------------

-- password_hash is absent, not hidden: the application may not read it at all.
CREATE VIEW users_visible WITH (security_invoker = true) AS
SELECT id,
       CASE WHEN app_is_admin() OR id = app_user_id() THEN email_ciphertext END AS email_ciphertext,
       CASE WHEN app_is_admin() OR id = app_user_id() THEN email_hmac END AS email_hmac,
       role, status, last_login_at, created_at, updated_at, version
  FROM users;

CREATE VIEW profiles_visible WITH (security_invoker = true) AS
SELECT id, user_id, first_name, last_name, display_name,
       CASE WHEN app_is_admin() OR user_id = app_user_id() THEN phone_ciphertext END AS phone_ciphertext,
       CASE WHEN app_is_admin() OR user_id = app_user_id() THEN email_ciphertext END AS email_ciphertext,
       CASE WHEN app_role() <> 'IC' OR user_id = app_user_id() THEN organization END AS organization,
       CASE WHEN app_role() NOT IN ('IT', 'IN') THEN department END AS department,
       CASE WHEN app_role() NOT IN ('IT', 'IN') THEN supervisor_id END AS supervisor_id,
       compliance_tier, compliance_score, compliance_status, role, status, created_at, updated_at, version
  FROM profiles;

CREATE VIEW authorized_providers_visible WITH (security_invoker = true) AS
SELECT id, name, description,
       CASE WHEN app_is_admin() OR (app_role() = 'AP' AND id = ANY ((SELECT app_provider_ids())::uuid[]))
            THEN contact_email_ciphertext END AS contact_email_ciphertext,
       CASE WHEN app_is_admin() OR (app_role() = 'AP' AND id = ANY ((SELECT app_provider_ids())::uuid[]))
            THEN contact_phone_ciphertext END AS contact_phone_ciphertext,
       website, status, created_at, updated_at, version
  FROM authorized_providers;

CREATE VIEW student_enrollment_profiles_visible WITH (security_invoker = true) AS
SELECT id, first_name, last_name,
       CASE WHEN app_is_admin() THEN email_ciphertext END AS email_ciphertext,
       CASE WHEN app_is_admin() THEN email_hmac END AS email_hmac,
       CASE WHEN app_is_admin() THEN phone_ciphertext END AS phone_ciphertext,
       company, provider_id, created_by, created_at, updated_at, version
  FROM student_enrollment_profiles;

CREATE VIEW certificates_visible WITH (security_invoker = true) AS
SELECT id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
       location_id, provider_id, course_name, recipient_name,
       CASE WHEN app_role() IN ('SA', 'AD', 'AP') OR user_id = app_user_id()
            THEN recipient_email_ciphertext END AS recipient_email_ciphertext,
       issued_by, template_id, batch_id, issue_date, expiry_date, status, revoked_at, revoked_reason,
       verification_code, signature, certificate_url, created_at, updated_at, version
  FROM certificates;

GRANT SELECT ON users_visible, profiles_visible, authorized_providers_visible,
  student_enrollment_profiles_visible, certificates_visible TO unitrain_app;
