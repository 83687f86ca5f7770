-- The one way a domain event enters the outbox (issue 5, item 1): inside the writing transaction,
-- stamped with the actor and request of that transaction. SECURITY INVOKER: the caller's own INSERT
-- grant on domain_events applies; nothing is returned, because most writers may not read events.
CREATE FUNCTION append_domain_event(
  aggregate_type text, aggregate_id uuid, aggregate_version integer, event_type text, payload jsonb
) RETURNS void
LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES (aggregate_type, aggregate_id, aggregate_version, event_type, coalesce(payload, '{}'::jsonb),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$$;
REVOKE EXECUTE ON FUNCTION append_domain_event(text, uuid, integer, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_domain_event(text, uuid, integer, text, jsonb) TO unitrain_app;

-- The enrollment functions now append through it too.
CREATE OR REPLACE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT append_domain_event('enrollment', enrollment.id, enrollment.version, event_type,
    jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                       'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                       'waitlist_position', enrollment.waitlist_position))
$$;

-- Migration 0003 allowed gaps; since 0012 the enrollment functions renumber after every change.
COMMENT ON COLUMN session_enrollments.waitlist_position IS
  'Place on the waitlist, 1..n without gaps per session while WAITLISTED (kept by the functions of 0012); NULL otherwise.';
