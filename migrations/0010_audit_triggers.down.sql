DROP FUNCTION user_activity_summary(uuid, integer);

DROP TRIGGER notifications_audit ON notifications;
DROP TRIGGER compliance_records_audit ON compliance_records;
DROP TRIGGER compliance_requirements_audit ON compliance_requirements;
DROP TRIGGER certificates_audit ON certificates;
DROP TRIGGER certificate_batches_audit ON certificate_batches;
DROP TRIGGER certificate_templates_audit ON certificate_templates;
DROP TRIGGER student_roster_members_audit ON student_roster_members;
DROP TRIGGER rosters_audit ON rosters;
DROP TRIGGER session_enrollments_audit ON session_enrollments;
DROP TRIGGER student_enrollment_profiles_audit ON student_enrollment_profiles;
DROP TRIGGER training_sessions_audit ON training_sessions;
DROP TRIGGER course_schedules_audit ON course_schedules;
DROP TRIGGER course_versions_audit ON course_versions;
DROP TRIGGER courses_audit ON courses;
DROP TRIGGER team_members_audit ON team_members;
DROP TRIGGER teams_audit ON teams;
DROP TRIGGER instructor_profiles_audit ON instructor_profiles;
DROP TRIGGER provider_locations_audit ON provider_locations;
DROP TRIGGER locations_audit ON locations;
DROP TRIGGER provider_members_audit ON provider_members;
DROP TRIGGER authorized_providers_audit ON authorized_providers;
DROP TRIGGER profiles_audit ON profiles;
DROP TRIGGER users_audit ON users;

DROP FUNCTION audit_session_user_is_owner();
DROP FUNCTION audit_row_change();
