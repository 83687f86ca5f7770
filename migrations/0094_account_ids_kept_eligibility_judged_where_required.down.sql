-- Decision 0102's guard undone: an account's id may change again.
DROP TRIGGER users_keep_id ON users;
DROP FUNCTION users_refuse_id_change();

-- instructors_no_longer_eligible as migration 0041 made it.
CREATE OR REPLACE FUNCTION instructors_no_longer_eligible(since timestamptz)
RETURNS TABLE (session_id uuid, instructor_id uuid, course_id uuid, provider_id uuid, session_date date, starts_at timestamptz, missing jsonb)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT s.id, s.instructor_id, s.course_id, i.provider_id, s.session_date, lower(s.scheduled_during), g.missing
    FROM training_sessions s
    JOIN course_instructor_requirements q ON q.course_id = s.course_id
    LEFT JOIN instructor_profiles i ON i.user_id = s.instructor_id
    CROSS JOIN LATERAL (SELECT app_instructor_eligibility_gaps(s.instructor_id, s.course_id, s.session_date, lower(s.scheduled_during)) AS missing) g
   WHERE s.status = 'SCHEDULED' AND lower(s.scheduled_during) >= since
     AND s.eligibility_override_reason IS NULL
     AND g.missing <> '[]'::jsonb
$$;
