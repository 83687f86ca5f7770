-- Realtime authorisation without a predicate call per subscriber and change. The stream's query
-- (src/modules/realtime/realtime.repository.ts) used to evaluate realtime_change_visible for every
-- subscriber × change of a batch: 1,000 subscribers × 500 changes was half a million calls a round, and
-- the stream fell seconds behind. It now evaluates the same predicate only on candidate pairs:
--
--   a pair (actor a, change c) is a candidate when a is SA or AD, or c reaches any role
--   (realtime_change_reaches_any_role), or c and a share a uuid (realtime_change_keys ∩ realtime_actor_keys).
--
-- Every rule of realtime_change_visible is of one of these shapes: an admin role; a fact about the row
-- that any role may meet (open for enrollment, listed, visible to every signed-in account, or decided
-- by a per-row helper such as app_provider_sees_user); or one of the change's keys equal to the actor's
-- id or in one of its scope sets. So the candidates hold every visible pair, and the predicate, still
-- the one statement of the rules, decides. A rule of a new shape must be added here too: missing it
-- withholds a change, it never leaks one (the authorisation property test finds it).

CREATE FUNCTION realtime_actor_keys(a realtime_actor) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[a.user_id, a.affiliated_provider_id]
      || coalesce(a.provider_ids, '{}') || coalesce(a.location_ids, '{}')
      || coalesce(a.enrolled_session_ids, '{}') || coalesce(a.instructed_roster_ids, '{}')
$$;

CREATE FUNCTION realtime_change_keys(c realtime_change) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id, c.roster_id]
$$;

CREATE FUNCTION realtime_change_reaches_any_role(c realtime_change) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT c.table_name IN ('locations', 'provider_locations', 'instructor_profiles',
                          'student_enrollment_profiles', 'users', 'profiles', 'compliance_records')
      OR coalesce(c.session_open, false)
      OR coalesce(c.course_listed, false)
$$;

REVOKE EXECUTE ON FUNCTION
  realtime_actor_keys(realtime_actor), realtime_change_keys(realtime_change), realtime_change_reaches_any_role(realtime_change)
FROM PUBLIC;

-- The stream keeps each subscriber's scope (realtime_actor_of) between batches and rebuilds it only when a
-- committed change touches a table that scope is read from. It finds those changes with this index,
-- however far behind the feed is. The list is the one in src/modules/realtime/subscriber-scopes.ts.
CREATE INDEX change_log_scope_changes_idx ON change_log (txid, seq)
  WHERE table_name IN ('users', 'provider_members', 'provider_locations', 'instructor_profiles',
                       'training_sessions', 'session_enrollments', 'rosters');
