-- The guards name the nine roles again, as migration 0084 wrote them; the function goes.
DROP TRIGGER course_schedules_guard_eligibility_override ON course_schedules;
CREATE TRIGGER course_schedules_guard_eligibility_override BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER course_schedules_guard_instructor ON course_schedules;
CREATE TRIGGER course_schedules_guard_instructor BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER rosters_guard_instructor ON rosters;
CREATE TRIGGER rosters_guard_instructor BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER rosters_guard_placement ON rosters;
CREATE TRIGGER rosters_guard_placement BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_placement();
DROP TRIGGER rosters_guard_write ON rosters;
CREATE TRIGGER rosters_guard_write BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_roster_write();
DROP TRIGGER student_roster_members_guard_archived ON student_roster_members;
CREATE TRIGGER student_roster_members_guard_archived BEFORE INSERT OR DELETE OR UPDATE ON student_roster_members FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_archived_roster_members();
DROP TRIGGER training_sessions_guard_eligibility_override ON training_sessions;
CREATE TRIGGER training_sessions_guard_eligibility_override BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER training_sessions_guard_instructor ON training_sessions;
CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER training_sessions_guard_placement ON training_sessions;
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE ON training_sessions FOR EACH ROW WHEN (CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[])) EXECUTE FUNCTION app_guard_placement();

CREATE OR REPLACE FUNCTION app_guard_self_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  changed text[];
BEGIN
  IF current_user <> ALL ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[]) OR app_is_admin() THEN
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
  IF current_user <> ALL ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[]) OR app_is_admin()
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

DROP FUNCTION app_is_request_role();
