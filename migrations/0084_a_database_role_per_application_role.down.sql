-- The roles stay: they are cluster-global and other databases on the cluster may still use them.

DROP TRIGGER course_schedules_guard_eligibility_override ON course_schedules;
CREATE TRIGGER course_schedules_guard_eligibility_override BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER course_schedules_guard_instructor ON course_schedules;
CREATE TRIGGER course_schedules_guard_instructor BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER rosters_guard_instructor ON rosters;
CREATE TRIGGER rosters_guard_instructor BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER rosters_guard_placement ON rosters;
CREATE TRIGGER rosters_guard_placement BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_placement();
DROP TRIGGER rosters_guard_write ON rosters;
CREATE TRIGGER rosters_guard_write BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_roster_write();
DROP TRIGGER student_roster_members_guard_archived ON student_roster_members;
CREATE TRIGGER student_roster_members_guard_archived BEFORE INSERT OR DELETE OR UPDATE ON student_roster_members FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_archived_roster_members();
DROP TRIGGER training_sessions_guard_eligibility_override ON training_sessions;
CREATE TRIGGER training_sessions_guard_eligibility_override BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER training_sessions_guard_instructor ON training_sessions;
CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER training_sessions_guard_placement ON training_sessions;
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = 'unitrain_app'::name) EXECUTE FUNCTION app_guard_placement();

CREATE OR REPLACE FUNCTION app_guard_self_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$
;

CREATE OR REPLACE FUNCTION app_guard_student_enrollment_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$
;

ALTER POLICY users_select_sa ON users TO unitrain_app;
ALTER POLICY users_select_ad ON users TO unitrain_app;
ALTER POLICY users_select_self ON users TO unitrain_app;
ALTER POLICY users_select_provider_scope ON users TO unitrain_app;
ALTER POLICY users_select_instructed_students ON users TO unitrain_app;
ALTER POLICY users_insert_sa ON users TO unitrain_app;
ALTER POLICY users_insert_ad ON users TO unitrain_app;
ALTER POLICY users_update_sa ON users TO unitrain_app;
ALTER POLICY users_update_ad ON users TO unitrain_app;
ALTER POLICY users_delete_sa ON users TO unitrain_app;
ALTER POLICY profiles_select_sa ON profiles TO unitrain_app;
ALTER POLICY profiles_select_ad ON profiles TO unitrain_app;
ALTER POLICY profiles_select_self ON profiles TO unitrain_app;
ALTER POLICY profiles_select_provider_scope ON profiles TO unitrain_app;
ALTER POLICY profiles_select_instructed_students ON profiles TO unitrain_app;
ALTER POLICY profiles_insert_sa ON profiles TO unitrain_app;
ALTER POLICY profiles_insert_ad ON profiles TO unitrain_app;
ALTER POLICY profiles_update_sa ON profiles TO unitrain_app;
ALTER POLICY profiles_update_ad ON profiles TO unitrain_app;
ALTER POLICY profiles_update_self ON profiles TO unitrain_app;
ALTER POLICY profiles_delete_sa ON profiles TO unitrain_app;
ALTER POLICY profiles_delete_ad ON profiles TO unitrain_app;
ALTER POLICY auth_sessions_select_sa ON auth_sessions TO unitrain_app;
ALTER POLICY auth_sessions_select_ad ON auth_sessions TO unitrain_app;
ALTER POLICY auth_sessions_select_self ON auth_sessions TO unitrain_app;
ALTER POLICY authorized_providers_select_admin ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_select_own ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_select_affiliated ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_insert_admin ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_update_admin ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_update_own ON authorized_providers TO unitrain_app;
ALTER POLICY authorized_providers_delete_admin ON authorized_providers TO unitrain_app;
ALTER POLICY provider_members_select_admin ON provider_members TO unitrain_app;
ALTER POLICY provider_members_select_own_providers ON provider_members TO unitrain_app;
ALTER POLICY provider_members_select_self ON provider_members TO unitrain_app;
ALTER POLICY provider_members_insert_admin ON provider_members TO unitrain_app;
ALTER POLICY provider_members_insert_own_providers ON provider_members TO unitrain_app;
ALTER POLICY provider_members_update_admin ON provider_members TO unitrain_app;
ALTER POLICY provider_members_update_own_providers ON provider_members TO unitrain_app;
ALTER POLICY provider_members_delete_admin ON provider_members TO unitrain_app;
ALTER POLICY provider_members_delete_own_providers ON provider_members TO unitrain_app;
ALTER POLICY locations_select_signed_in ON locations TO unitrain_app;
ALTER POLICY locations_insert_admin ON locations TO unitrain_app;
ALTER POLICY locations_update_admin ON locations TO unitrain_app;
ALTER POLICY locations_update_own ON locations TO unitrain_app;
ALTER POLICY locations_delete_admin ON locations TO unitrain_app;
ALTER POLICY rooms_select_signed_in ON rooms TO unitrain_app;
ALTER POLICY rooms_insert_admin ON rooms TO unitrain_app;
ALTER POLICY rooms_insert_own ON rooms TO unitrain_app;
ALTER POLICY rooms_update_admin ON rooms TO unitrain_app;
ALTER POLICY rooms_update_own ON rooms TO unitrain_app;
ALTER POLICY rooms_delete_admin ON rooms TO unitrain_app;
ALTER POLICY rooms_delete_own ON rooms TO unitrain_app;
ALTER POLICY provider_locations_select_signed_in ON provider_locations TO unitrain_app;
ALTER POLICY provider_locations_insert_admin ON provider_locations TO unitrain_app;
ALTER POLICY provider_locations_update_admin ON provider_locations TO unitrain_app;
ALTER POLICY provider_locations_delete_admin ON provider_locations TO unitrain_app;
ALTER POLICY instructor_profiles_select_signed_in ON instructor_profiles TO unitrain_app;
ALTER POLICY instructor_profiles_insert_admin ON instructor_profiles TO unitrain_app;
ALTER POLICY instructor_profiles_update_admin ON instructor_profiles TO unitrain_app;
ALTER POLICY instructor_profiles_update_affiliated ON instructor_profiles TO unitrain_app;
ALTER POLICY instructor_profiles_update_self ON instructor_profiles TO unitrain_app;
ALTER POLICY instructor_profiles_delete_admin ON instructor_profiles TO unitrain_app;
ALTER POLICY teams_select_admin ON teams TO unitrain_app;
ALTER POLICY teams_select_own_providers ON teams TO unitrain_app;
ALTER POLICY teams_select_led_or_joined ON teams TO unitrain_app;
ALTER POLICY teams_insert_admin ON teams TO unitrain_app;
ALTER POLICY teams_insert_own_providers ON teams TO unitrain_app;
ALTER POLICY teams_update_admin ON teams TO unitrain_app;
ALTER POLICY teams_update_own_providers ON teams TO unitrain_app;
ALTER POLICY teams_delete_admin ON teams TO unitrain_app;
ALTER POLICY teams_delete_own_providers ON teams TO unitrain_app;
ALTER POLICY team_members_select_admin ON team_members TO unitrain_app;
ALTER POLICY team_members_select_own_providers ON team_members TO unitrain_app;
ALTER POLICY team_members_select_led_or_joined ON team_members TO unitrain_app;
ALTER POLICY team_members_insert_admin ON team_members TO unitrain_app;
ALTER POLICY team_members_insert_own_providers ON team_members TO unitrain_app;
ALTER POLICY team_members_delete_admin ON team_members TO unitrain_app;
ALTER POLICY team_members_delete_own_providers ON team_members TO unitrain_app;
ALTER POLICY courses_select_admin ON courses TO unitrain_app;
ALTER POLICY courses_select_catalogue ON courses TO unitrain_app;
ALTER POLICY courses_select_published ON courses TO unitrain_app;
ALTER POLICY courses_insert_admin ON courses TO unitrain_app;
ALTER POLICY courses_update_admin ON courses TO unitrain_app;
ALTER POLICY courses_delete_admin ON courses TO unitrain_app;
ALTER POLICY course_versions_select_admin ON course_versions TO unitrain_app;
ALTER POLICY course_versions_select_published ON course_versions TO unitrain_app;
ALTER POLICY course_versions_insert_admin ON course_versions TO unitrain_app;
ALTER POLICY course_schedules_select_admin ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_select_own_locations ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_select_instructor ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_insert_admin ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_insert_own_locations ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_update_admin ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_update_own_locations ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_delete_admin ON course_schedules TO unitrain_app;
ALTER POLICY course_schedules_delete_own_locations ON course_schedules TO unitrain_app;
ALTER POLICY training_sessions_select_admin ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_select_own_locations ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_select_taught ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_select_enrolled ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_select_open_for_enrollment ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_insert_admin ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_insert_own_locations ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_update_admin ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_update_own_locations ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_update_taught ON training_sessions TO unitrain_app;
ALTER POLICY training_sessions_delete_admin ON training_sessions TO unitrain_app;
ALTER POLICY student_enrollment_profiles_select_admin ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_select_provider_scope ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_select_instructed_students ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_insert_admin ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_insert_own_providers ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_update_admin ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_update_own_providers ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY student_enrollment_profiles_delete_admin ON student_enrollment_profiles TO unitrain_app;
ALTER POLICY session_enrollments_select_admin ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_select_provider_sessions ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_select_taught ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_select_self ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_insert_admin ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_insert_provider_sessions ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_insert_taught ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_insert_self_enrollment ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_update_admin ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_update_provider_sessions ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_update_taught ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_update_self ON session_enrollments TO unitrain_app;
ALTER POLICY session_enrollments_delete_admin ON session_enrollments TO unitrain_app;
ALTER POLICY rosters_select_admin ON rosters TO unitrain_app;
ALTER POLICY rosters_select_own_locations ON rosters TO unitrain_app;
ALTER POLICY rosters_select_instructed ON rosters TO unitrain_app;
ALTER POLICY rosters_insert_admin ON rosters TO unitrain_app;
ALTER POLICY rosters_insert_own_locations ON rosters TO unitrain_app;
ALTER POLICY rosters_insert_own ON rosters TO unitrain_app;
ALTER POLICY rosters_update_admin ON rosters TO unitrain_app;
ALTER POLICY rosters_update_own_locations ON rosters TO unitrain_app;
ALTER POLICY rosters_update_own ON rosters TO unitrain_app;
ALTER POLICY rosters_delete_admin ON rosters TO unitrain_app;
ALTER POLICY student_roster_members_select_admin ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_select_provider_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_select_instructed_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_select_self ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_insert_admin ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_insert_provider_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_insert_own_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_update_admin ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_update_provider_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_update_own_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_delete_admin ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_delete_provider_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY student_roster_members_delete_own_rosters ON student_roster_members TO unitrain_app;
ALTER POLICY certificate_templates_select_admin ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_select_global ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_select_own_providers ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_select_affiliated ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_insert_admin ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_insert_own_providers ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_update_admin ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_update_own_providers ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_templates_delete_admin ON certificate_templates TO unitrain_app;
ALTER POLICY certificate_template_versions_select_template ON certificate_template_versions TO unitrain_app;
ALTER POLICY certificate_template_versions_select_printed ON certificate_template_versions TO unitrain_app;
ALTER POLICY certificate_template_versions_insert_admin ON certificate_template_versions TO unitrain_app;
ALTER POLICY certificate_template_versions_insert_own_providers ON certificate_template_versions TO unitrain_app;
ALTER POLICY certificate_batches_select_admin ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_select_provider_rosters ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_select_provider_sessions ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_select_requester ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_insert_admin ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_insert_provider_rosters ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_insert_own_rosters ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_insert_provider_sessions ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_insert_taught_sessions ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_update_admin ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_update_provider_rosters ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batches_update_own_rosters ON certificate_batches TO unitrain_app;
ALTER POLICY certificate_batch_results_select_batch ON certificate_batch_results TO unitrain_app;
ALTER POLICY course_certificate_settings_select_course ON course_certificate_settings TO unitrain_app;
ALTER POLICY course_certificate_settings_insert_admin ON course_certificate_settings TO unitrain_app;
ALTER POLICY course_certificate_settings_update_admin ON course_certificate_settings TO unitrain_app;
ALTER POLICY course_instructor_requirements_select_course ON course_instructor_requirements TO unitrain_app;
ALTER POLICY course_instructor_requirements_insert_admin ON course_instructor_requirements TO unitrain_app;
ALTER POLICY course_instructor_requirements_update_admin ON course_instructor_requirements TO unitrain_app;
ALTER POLICY certificates_select_admin ON certificates TO unitrain_app;
ALTER POLICY certificates_select_own_locations ON certificates TO unitrain_app;
ALTER POLICY certificates_select_issuer ON certificates TO unitrain_app;
ALTER POLICY certificates_select_taught ON certificates TO unitrain_app;
ALTER POLICY certificates_select_recipient ON certificates TO unitrain_app;
ALTER POLICY certificates_insert_admin ON certificates TO unitrain_app;
ALTER POLICY certificates_insert_own_locations ON certificates TO unitrain_app;
ALTER POLICY certificates_insert_issuer ON certificates TO unitrain_app;
ALTER POLICY certificates_update_admin ON certificates TO unitrain_app;
ALTER POLICY certificates_update_own_locations ON certificates TO unitrain_app;
ALTER POLICY certificates_update_issuer ON certificates TO unitrain_app;
ALTER POLICY compliance_requirements_select_signed_in ON compliance_requirements TO unitrain_app;
ALTER POLICY compliance_requirements_insert_admin ON compliance_requirements TO unitrain_app;
ALTER POLICY compliance_requirements_update_admin ON compliance_requirements TO unitrain_app;
ALTER POLICY compliance_requirements_delete_admin ON compliance_requirements TO unitrain_app;
ALTER POLICY compliance_records_select_admin ON compliance_records TO unitrain_app;
ALTER POLICY compliance_records_select_affiliated_users ON compliance_records TO unitrain_app;
ALTER POLICY compliance_records_select_self ON compliance_records TO unitrain_app;
ALTER POLICY compliance_records_insert_admin ON compliance_records TO unitrain_app;
ALTER POLICY compliance_records_update_admin ON compliance_records TO unitrain_app;
ALTER POLICY compliance_records_delete_admin ON compliance_records TO unitrain_app;
ALTER POLICY compliance_tier_changes_select_admin ON compliance_tier_changes TO unitrain_app;
ALTER POLICY compliance_tier_changes_select_affiliated_users ON compliance_tier_changes TO unitrain_app;
ALTER POLICY compliance_tier_changes_select_self ON compliance_tier_changes TO unitrain_app;
ALTER POLICY compliance_tier_changes_update_admin ON compliance_tier_changes TO unitrain_app;
ALTER POLICY notifications_select_self ON notifications TO unitrain_app;
ALTER POLICY notifications_insert_admin ON notifications TO unitrain_app;
ALTER POLICY notifications_update_self ON notifications TO unitrain_app;
ALTER POLICY notifications_delete_self ON notifications TO unitrain_app;
ALTER POLICY notification_templates_select_admin ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_select_global ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_select_own_providers ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_insert_admin ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_insert_own_providers ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_update_admin ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_update_own_providers ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_delete_admin ON notification_templates TO unitrain_app;
ALTER POLICY notification_templates_delete_own_providers ON notification_templates TO unitrain_app;
ALTER POLICY user_activities_select_admin ON user_activities TO unitrain_app;
ALTER POLICY user_activities_select_self ON user_activities TO unitrain_app;
ALTER POLICY user_activities_insert_admin ON user_activities TO unitrain_app;
ALTER POLICY user_activities_insert_self ON user_activities TO unitrain_app;
ALTER POLICY audit_log_select_sa ON audit_log TO unitrain_app;
ALTER POLICY audit_log_select_ad ON audit_log TO unitrain_app;
ALTER POLICY domain_events_select_admin ON domain_events TO unitrain_app;
ALTER POLICY domain_events_insert_signed_in ON domain_events TO unitrain_app;
ALTER POLICY change_log_select_admin ON change_log TO unitrain_app;
ALTER POLICY change_log_insert_signed_in ON change_log TO unitrain_app;
ALTER POLICY jobs_select_admin ON jobs TO unitrain_app;
ALTER POLICY jobs_insert_admin ON jobs TO unitrain_app;
ALTER POLICY jobs_update_admin ON jobs TO unitrain_app;
ALTER POLICY jobs_delete_admin ON jobs TO unitrain_app;
ALTER POLICY calendar_feeds_select_self ON calendar_feeds TO unitrain_app;
ALTER POLICY calendar_feeds_insert_self ON calendar_feeds TO unitrain_app;
ALTER POLICY calendar_feeds_update_self ON calendar_feeds TO unitrain_app;
ALTER POLICY calendar_feeds_delete_self ON calendar_feeds TO unitrain_app;
ALTER POLICY invitations_select_sa ON invitations TO unitrain_app;
ALTER POLICY invitations_select_ad ON invitations TO unitrain_app;
ALTER POLICY invitations_insert_sa ON invitations TO unitrain_app;
ALTER POLICY invitations_insert_ad ON invitations TO unitrain_app;
ALTER POLICY invitations_update_sa ON invitations TO unitrain_app;
ALTER POLICY invitations_update_ad ON invitations TO unitrain_app;
