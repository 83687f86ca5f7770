-- Back to 0008: no views, guards, policies or helpers, RLS off, and 0008's blanket grants.

DROP VIEW users_visible, profiles_visible, authorized_providers_visible,
  student_enrollment_profiles_visible, certificates_visible;

DROP TRIGGER profiles_guard_self_update ON profiles;
DROP TRIGGER instructor_profiles_guard_self_update ON instructor_profiles;
DROP TRIGGER session_enrollments_guard_student_update ON session_enrollments;
DROP FUNCTION app_guard_self_update(), app_guard_student_enrollment_update();

DO $$
DECLARE
  t text;
  p text;
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
    FOR p IN SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = t LOOP
      EXECUTE format('DROP POLICY %I ON %I', p, t);
    END LOOP;
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
END
$$;

DROP FUNCTION
  app_provider_ids(), app_provider_location_ids(), app_taught_session_ids(), app_enrolled_session_ids(),
  app_team_ids(), app_provider_team_ids(), app_instructed_roster_ids(), app_own_roster_ids(),
  app_affiliated_provider_id(), app_published_course_ids(), app_user_role(uuid),
  app_session_in_locations(uuid, uuid[]), app_roster_in_locations(uuid, uuid[]),
  app_session_open_for_self_enrollment(uuid), app_provider_affiliates_user(uuid, uuid[]),
  app_provider_sees_user(uuid, uuid[], uuid[]), app_provider_sees_student_profile(uuid, uuid[], uuid[]),
  app_instructor_sees_user(uuid, uuid[], uuid[]), app_instructor_sees_student_profile(uuid, uuid[], uuid[]),
  app_audit_entry_concerns_sa(text, uuid, jsonb, jsonb),
  app_is_signed_in(), app_is_admin(), app_role(), app_user_id();

-- Revoking a table privilege also revokes the column privileges (users, auth_sessions).
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

GRANT SELECT, INSERT, UPDATE, DELETE ON
  users, profiles, auth_sessions, authorized_providers, provider_members, locations,
  provider_locations, instructor_profiles, teams, team_members,
  courses, course_versions, course_schedules, training_sessions, student_enrollment_profiles,
  session_enrollments, rosters, student_roster_members,
  certificate_templates, certificate_batches, certificates,
  compliance_requirements, compliance_records,
  jobs, notifications
TO unitrain_app;
GRANT SELECT, INSERT ON audit_log, domain_events, change_log, user_activities TO unitrain_app;
GRANT USAGE, SELECT ON SEQUENCE audit_log_id_seq, domain_events_seq_seq, change_log_seq_seq TO unitrain_app;
