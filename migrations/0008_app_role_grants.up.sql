-- Table privileges of the application role, kept in this one file on purpose: row-level security
-- will replace these blanket grants table by table, and that change belongs here.

-- Domain tables: the application reads and writes them (RLS will narrow which rows).
GRANT SELECT, INSERT, UPDATE, DELETE ON
  users, profiles, auth_sessions, authorized_providers, provider_members, locations,
  provider_locations, instructor_profiles, teams, team_members,
  courses, course_versions, course_schedules, training_sessions, student_enrollment_profiles,
  session_enrollments, rosters, student_roster_members,
  certificate_templates, certificate_batches, certificates,
  compliance_requirements, compliance_records,
  jobs, notifications
TO unitrain_app;

-- Append-only logs: the application may add and read, never rewrite or erase history.
-- (Pruning old rows is maintenance, done by the owner outside SET ROLE.)
GRANT SELECT, INSERT ON audit_log, domain_events, change_log, user_activities TO unitrain_app;
GRANT USAGE, SELECT ON SEQUENCE audit_log_id_seq, domain_events_seq_seq, change_log_seq_seq TO unitrain_app;

-- Dashboards read the aggregates; refreshing them is the owner's job (REFRESH needs ownership).
GRANT SELECT ON session_fill_by_location_month, certificate_counts_by_location_quarter TO unitrain_app;
