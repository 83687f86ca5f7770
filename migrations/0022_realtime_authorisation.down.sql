DROP FUNCTION realtime_change_visible(realtime_change, realtime_actor);
DROP FUNCTION realtime_changes_of(bigint[]);
DROP TYPE realtime_change;
DROP FUNCTION realtime_actor_of(uuid);
DROP TYPE realtime_actor;

-- The policies' scope functions as migration 0009 wrote them.
CREATE OR REPLACE FUNCTION app_provider_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(provider_id), '{}') FROM provider_members WHERE user_id = app_user_id()
$$;
CREATE OR REPLACE FUNCTION app_provider_location_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT location_id), '{}')
    FROM provider_locations WHERE provider_id = ANY (app_provider_ids())
$$;
CREATE OR REPLACE FUNCTION app_taught_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM training_sessions WHERE instructor_id = app_user_id()
$$;
CREATE OR REPLACE FUNCTION app_enrolled_session_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(session_id), '{}') FROM session_enrollments WHERE student_id = app_user_id()
$$;
CREATE OR REPLACE FUNCTION app_instructed_roster_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(id), '{}') FROM rosters
   WHERE instructor_id = app_user_id() OR session_id = ANY (app_taught_session_ids())
$$;
CREATE OR REPLACE FUNCTION app_affiliated_provider_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT provider_id FROM instructor_profiles WHERE user_id = app_user_id()
$$;

DROP FUNCTION app_affiliated_provider_id_of(uuid);
DROP FUNCTION app_instructed_roster_ids_of(uuid);
DROP FUNCTION app_enrolled_session_ids_of(uuid);
DROP FUNCTION app_taught_session_ids_of(uuid);
DROP FUNCTION app_provider_location_ids_of(uuid);
DROP FUNCTION app_provider_ids_of(uuid);
