-- An account's id never changes (decision 0102). change_log names a changed users row by its id after the
-- change, and a caller's cached `/v1/me` is tagged by its own users row alone: an id that changed would
-- be logged under the new id only, and leave cached the answer of the id it had. Nothing in the
-- application changes one.
CREATE FUNCTION users_refuse_id_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an account keeps its id' USING ERRCODE = 'UTTRN';
END;
$$;

CREATE TRIGGER users_keep_id BEFORE UPDATE OF id ON users
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION users_refuse_id_change();

-- The sessions judged by migration 0041's rule are those of courses with instructor requirements, found
-- first, and each is judged once. The planner had put the rule's test (`app_instructor_eligibility_gaps`)
-- on the scan of training_sessions, below the join, so it ran for every scheduled session to come,
-- required or not (`unitrain doctor` on PGlite: 206 calls, about 1 s, on the demo seed, which has no
-- requirement), and once more for each row it kept (the lateral subquery pulled up: its expression both in
-- the filter and in the result). Each MATERIALIZED step is computed once, apart from what follows it.
-- Same rows, same rule.
CREATE OR REPLACE FUNCTION instructors_no_longer_eligible(since timestamptz)
RETURNS TABLE (session_id uuid, instructor_id uuid, course_id uuid, provider_id uuid, session_date date, starts_at timestamptz, missing jsonb)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  WITH required AS MATERIALIZED (
    SELECT s.id, s.instructor_id, s.course_id, i.provider_id, s.session_date, lower(s.scheduled_during) AS starts_at
      FROM training_sessions s
      JOIN course_instructor_requirements q ON q.course_id = s.course_id
      LEFT JOIN instructor_profiles i ON i.user_id = s.instructor_id
     WHERE s.status = 'SCHEDULED' AND lower(s.scheduled_during) >= since
       AND s.eligibility_override_reason IS NULL
  ), judged AS MATERIALIZED (
    SELECT r.*, app_instructor_eligibility_gaps(r.instructor_id, r.course_id, r.session_date, r.starts_at) AS missing
      FROM required r
  )
  SELECT j.id, j.instructor_id, j.course_id, j.provider_id, j.session_date, j.starts_at, j.missing
    FROM judged j
   WHERE j.missing <> '[]'::jsonb
$$;
