-- 0044: undoes exactly what 0044_waitlist_offers.up.sql does, in reverse order: the functions as 0012 left them.
DROP FUNCTION set_session_waitlist_offers(uuid, integer);
DROP FUNCTION expire_waitlist_offers(timestamptz, integer);
DROP FUNCTION answer_waitlist_offer(uuid, boolean, timestamptz);

DROP FUNCTION set_session_capacity(uuid, integer, timestamptz);
DROP FUNCTION cancel_enrollment(uuid, timestamptz);
DROP FUNCTION app_withdraw_waitlist_offer(uuid, text, timestamptz);
DROP FUNCTION app_promote_from_waitlist(uuid, timestamptz);

CREATE FUNCTION app_promote_from_waitlist(session uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  free_seats integer;
  promoted session_enrollments;
  promoted_count integer := 0;
BEGIN
  SELECT s.max_capacity - s.current_enrollment INTO free_seats FROM training_sessions s WHERE s.id = session;
  IF free_seats <= 0 THEN
    RETURN 0;
  END IF;
  FOR promoted IN
    UPDATE session_enrollments e SET status = 'ENROLLED', waitlist_position = NULL
     WHERE e.id IN (SELECT w.id FROM session_enrollments w
                     WHERE w.session_id = session AND w.status = 'WAITLISTED'
                     ORDER BY w.waitlist_position LIMIT free_seats)
    RETURNING e.*
  LOOP
    promoted_count := promoted_count + 1;
    PERFORM app_enrollment_event(promoted, 'enrollment.promoted');
  END LOOP;
  IF promoted_count > 0 THEN
    UPDATE training_sessions SET current_enrollment = current_enrollment + promoted_count WHERE id = session;
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN promoted_count;
END;
$$;

CREATE FUNCTION cancel_enrollment(enrollment uuid)
RETURNS TABLE (outcome text, promoted integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  session uuid;
  target session_enrollments;
  was_enrolled boolean;
  promoted_count integer := 0;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such enrollment' USING ERRCODE = 'UT404';
  END IF;
  -- Session first, then the enrollment row: the lock order every function here keeps.
  PERFORM 1 FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.* INTO target FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  IF target.status = 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_CANCELLED'::text, 0;
    RETURN;
  END IF;

  was_enrolled := target.status = 'ENROLLED';
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.cancelled');
  IF was_enrolled THEN
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = session;
    promoted_count := app_promote_from_waitlist(session);
  ELSE
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN QUERY SELECT 'CANCELLED'::text, promoted_count;
END;
$$;

CREATE FUNCTION set_session_capacity(session uuid, capacity integer)
RETURNS TABLE (promoted integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  enrolled_count integer;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may change its capacity' USING ERRCODE = '42501';
  END IF;
  SELECT s.current_enrollment INTO enrolled_count FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF capacity < enrolled_count THEN
    RAISE EXCEPTION 'capacity % is below the % students enrolled', capacity, enrolled_count USING ERRCODE = 'UTCAP';
  END IF;
  UPDATE training_sessions s SET max_capacity = capacity WHERE s.id = session;
  RETURN QUERY SELECT app_promote_from_waitlist(session);
END;
$$;

REVOKE EXECUTE ON FUNCTION app_promote_from_waitlist(uuid), cancel_enrollment(uuid), set_session_capacity(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cancel_enrollment(uuid), set_session_capacity(uuid, integer) TO unitrain_app;

DROP FUNCTION app_waitlist_offer_deadline(uuid, timestamptz);
DROP FUNCTION app_session_offer_hours(uuid);
CREATE OR REPLACE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$$;

DROP TRIGGER session_enrollments_drop_offer ON session_enrollments;
DROP FUNCTION session_enrollments_drop_offer();
DROP INDEX session_enrollments_offer_expires_at_idx;
ALTER TABLE session_enrollments DROP CONSTRAINT session_enrollments_offer_check, DROP COLUMN offer_expires_at;
ALTER TABLE training_sessions DROP CONSTRAINT training_sessions_waitlist_offer_hours_check, DROP COLUMN waitlist_offer_hours;
ALTER TABLE courses DROP CONSTRAINT courses_waitlist_offer_hours_check, DROP COLUMN waitlist_offer_hours;
