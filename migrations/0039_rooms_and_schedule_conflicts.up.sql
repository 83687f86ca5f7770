-- 0039: scheduling integrity in the database (issue 16, item 1; decision 0039). Locations have rooms;
-- a session may name one of its location's rooms and seats no more than it holds. Every session keeps
-- the instants it runs (`scheduled_during`, built in the location's zone), and two exclusion
-- constraints over the non-cancelled sessions refuse an instructor teaching two overlapping sessions and
-- a room holding two. btree_gist lets a GiST index compare uuids with `=` beside a range's `&&`.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE rooms (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  location_id uuid NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  name        text NOT NULL,
  capacity    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     integer NOT NULL DEFAULT 1,
  CONSTRAINT rooms_capacity_check CHECK (capacity > 0),
  CONSTRAINT rooms_location_name_key UNIQUE (location_id, name),
  -- The target of training_sessions' (room_id, location_id) reference: a session's room is at its location.
  CONSTRAINT rooms_id_location_key UNIQUE (id, location_id)
);
CREATE TRIGGER rooms_set_row_version BEFORE UPDATE ON rooms FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE TRIGGER rooms_audit AFTER INSERT OR UPDATE OR DELETE ON rooms FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off'
        OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();

-- Rooms follow their location: every signed-in person reads them; SA and AD manage all, an AP those
-- of its own locations (the locations it may update).
ALTER TABLE rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY rooms_owner_all ON rooms TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON rooms TO unitrain_app;
CREATE POLICY rooms_select_signed_in ON rooms FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY rooms_insert_admin ON rooms FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY rooms_insert_own ON rooms FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY rooms_update_admin ON rooms FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY rooms_update_own ON rooms FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));
CREATE POLICY rooms_delete_admin ON rooms FOR DELETE TO unitrain_app USING (app_is_admin());
CREATE POLICY rooms_delete_own ON rooms FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND location_id = ANY ((SELECT app_provider_location_ids())::uuid[]));

-- The instants a session at `location` runs on `day` from `starts` to `ends` (wall-clock times there).
-- STABLE, not IMMUTABLE: it reads the location's zone, so no expression index or generated column can
-- use it; the range is stored instead and kept by the trigger below (decision 0039).
-- Times that do not make a session (an end not after the start) and an unknown location give the empty
-- range, which overlaps nothing: training_sessions_time_check and the location's foreign key then
-- refuse the row with their own names.
CREATE FUNCTION app_session_time_range(location uuid, day date, starts time, ends time) RETURNS tstzrange
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(
    (SELECT tstzrange((day + starts) AT TIME ZONE l.timezone, (day + ends) AT TIME ZONE l.timezone, '[)')
       FROM locations l WHERE l.id = location AND ends > starts),
    'empty'::tstzrange)
$$;

ALTER TABLE training_sessions
  ADD COLUMN room_id uuid,
  ADD COLUMN scheduled_during tstzrange,
  ADD CONSTRAINT training_sessions_room_fkey FOREIGN KEY (room_id, location_id) REFERENCES rooms (id, location_id) ON DELETE RESTRICT;
CREATE INDEX training_sessions_room_id_idx ON training_sessions (room_id) WHERE room_id IS NOT NULL;

-- One statement, so a session's version moves once.
UPDATE training_sessions SET scheduled_during = app_session_time_range(location_id, session_date, start_time, end_time);
ALTER TABLE training_sessions ALTER COLUMN scheduled_during SET NOT NULL;

-- Keeps scheduled_during true to the day, times and location, and a session within its room's seats.
-- Raised as check violations named like constraints, so the API answers them as one (422).
CREATE FUNCTION training_sessions_keep_schedule() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  room_capacity integer;
BEGIN
  NEW.scheduled_during := app_session_time_range(NEW.location_id, NEW.session_date, NEW.start_time, NEW.end_time);
  IF NEW.room_id IS NOT NULL THEN
    SELECT capacity INTO room_capacity FROM rooms WHERE id = NEW.room_id;
    IF NEW.max_capacity > room_capacity THEN
      RAISE EXCEPTION 'the session seats % but its room holds %', NEW.max_capacity, room_capacity
        USING ERRCODE = 'check_violation', TABLE = 'training_sessions', CONSTRAINT = 'training_sessions_room_capacity_check';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER training_sessions_keep_schedule BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW EXECUTE FUNCTION training_sessions_keep_schedule();

-- A room keeps at least the seats of the sessions it holds that have not ended or been cancelled.
CREATE FUNCTION rooms_keep_session_seats() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM training_sessions
              WHERE room_id = NEW.id AND status IN ('SCHEDULED', 'IN_PROGRESS') AND max_capacity > NEW.capacity) THEN
    RAISE EXCEPTION 'a session in the room seats more than %', NEW.capacity
      USING ERRCODE = 'check_violation', TABLE = 'rooms', CONSTRAINT = 'rooms_session_seats_check';
  END IF;
  RETURN NEW;
END;
$$;
-- A capacity below 1 is left to rooms_capacity_check, which names it.
CREATE TRIGGER rooms_keep_session_seats BEFORE UPDATE OF capacity ON rooms
  FOR EACH ROW WHEN (NEW.capacity < OLD.capacity AND NEW.capacity > 0) EXECUTE FUNCTION rooms_keep_session_seats();

-- A location whose zone changes moves the instants of its sessions (the trigger above recomputes them).
CREATE FUNCTION locations_move_session_ranges() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE training_sessions SET scheduled_during = NULL WHERE location_id = NEW.id;
  RETURN NEW;
END;
$$;
CREATE TRIGGER locations_move_session_ranges AFTER UPDATE OF timezone ON locations
  FOR EACH ROW WHEN (NEW.timezone IS DISTINCT FROM OLD.timezone) EXECUTE FUNCTION locations_move_session_ranges();

-- The rule itself. Cancelled sessions free their instructor and room; completed ones stay (they happened).
ALTER TABLE training_sessions
  ADD CONSTRAINT training_sessions_instructor_overlap_excl
    EXCLUDE USING gist (instructor_id WITH =, scheduled_during WITH &&) WHERE (status <> 'CANCELLED'),
  ADD CONSTRAINT training_sessions_room_overlap_excl
    EXCLUDE USING gist (room_id WITH =, scheduled_during WITH &&) WHERE (status <> 'CANCELLED' AND room_id IS NOT NULL);

-- The non-cancelled sessions that overlap `during` for this instructor or room (the other session of a
-- refusal, or an occurrence a schedule cannot have), leaving out one session and one schedule's own.
-- SECURITY DEFINER: the other session may be one the actor cannot read; only its id and the shared
-- resource are told.
CREATE FUNCTION app_schedule_conflicts(exclude_session uuid, exclude_schedule uuid, instructor uuid, room uuid, during tstzrange)
RETURNS TABLE (session_id uuid, resource text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.id, CASE WHEN s.instructor_id = instructor THEN 'instructor' ELSE 'room' END
    FROM training_sessions s
   WHERE s.status <> 'CANCELLED' AND s.scheduled_during && during
     AND (s.instructor_id = instructor OR (room IS NOT NULL AND s.room_id = room))
     AND s.id IS DISTINCT FROM exclude_session
     AND (exclude_schedule IS NULL OR s.schedule_id IS DISTINCT FROM exclude_schedule)
   ORDER BY lower(s.scheduled_during), s.id
$$;

-- The non-cancelled sessions overlapping `session` in which this student (an account or a profile)
-- holds a seat or a waitlist place: what enrolling would double-book.
CREATE FUNCTION app_student_overlapping_sessions(session uuid, student uuid, student_profile uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT other.id
    FROM training_sessions target
    JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
    JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
   WHERE target.id = session
     AND (e.student_id = student OR e.student_profile_id = student_profile)
   ORDER BY lower(other.scheduled_during), other.id
$$;

REVOKE EXECUTE ON FUNCTION app_session_time_range(uuid, date, time, time), training_sessions_keep_schedule(), rooms_keep_session_seats(),
  locations_move_session_ranges(), app_schedule_conflicts(uuid, uuid, uuid, uuid, tstzrange), app_student_overlapping_sessions(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_session_time_range(uuid, date, time, time), app_schedule_conflicts(uuid, uuid, uuid, uuid, tstzrange),
  app_student_overlapping_sessions(uuid, uuid, uuid) TO unitrain_app;
