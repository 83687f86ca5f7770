REVOKE ALL ON session_fill_by_location_month, certificate_counts_by_location_quarter FROM unitrain_app;

REVOKE ALL ON SEQUENCE audit_log_id_seq, domain_events_seq_seq, change_log_seq_seq FROM unitrain_app;
REVOKE ALL ON audit_log, domain_events, change_log, user_activities FROM unitrain_app;

REVOKE ALL ON
  users, profiles, auth_sessions, authorized_providers, provider_members, locations,
  provider_locations, instructor_profiles, teams, team_members,
  courses, course_versions, course_schedules, training_sessions, student_enrollment_profiles,
  session_enrollments, rosters, student_roster_members,
  certificate_templates, certificate_batches, certificates,
  compliance_requirements, compliance_records,
  jobs, notifications
FROM unitrain_app;
