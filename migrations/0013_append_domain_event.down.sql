COMMENT ON COLUMN session_enrollments.waitlist_position IS NULL;
CREATE OR REPLACE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$$;
DROP FUNCTION append_domain_event(text, uuid, integer, text, jsonb);
