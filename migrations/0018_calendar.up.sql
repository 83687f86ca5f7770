-- Calendar (issue 4, item 8): what a calendar shows of a session, for the caller's own sessions and for
-- private iCal feeds, and the feed tokens.

-- One private feed per person. Only the SHA-256 of the secret in the feed URL is stored: a leaked table
-- cannot be replayed as feed URLs. Replacing the token keeps the row (created_at then says when the
-- current token was made); revoking deletes it.
CREATE TABLE calendar_feeds (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version    integer NOT NULL DEFAULT 1,
  CONSTRAINT calendar_feeds_user_id_key UNIQUE (user_id),
  CONSTRAINT calendar_feeds_token_hash_key UNIQUE (token_hash),
  -- Lower-case hex of a SHA-256: anything else is a token stored by mistake.
  CONSTRAINT calendar_feeds_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE TRIGGER calendar_feeds_set_row_version BEFORE UPDATE ON calendar_feeds
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Row-level security as on every domain table (0009): forced, the owner keeps full access, and the
-- application manages only the caller's own feed. Not audited (0010): like auth_sessions, these are
-- token rows. The hash is not readable by the application at all; the feed is found by
-- calendar_feed_entries below, which compares it as the owner.
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
CREATE POLICY calendar_feeds_owner_all ON calendar_feeds TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT (id, user_id, created_at, updated_at, version) ON calendar_feeds TO unitrain_app;
GRANT INSERT, UPDATE, DELETE ON calendar_feeds TO unitrain_app;
CREATE POLICY calendar_feeds_select_self ON calendar_feeds FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY calendar_feeds_insert_self ON calendar_feeds FOR INSERT TO unitrain_app WITH CHECK (user_id = app_user_id());
CREATE POLICY calendar_feeds_update_self ON calendar_feeds FOR UPDATE TO unitrain_app
  USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
CREATE POLICY calendar_feeds_delete_self ON calendar_feeds FOR DELETE TO unitrain_app USING (user_id = app_user_id());

-- One calendar line: the session with its course, instructor and location. Dates and times are wall
-- clock in the location's zone; starts_at and ends_at are the same moments as instants.
-- participation is the part the person asked about has in the session: TEACHING, or the status of
-- their enrollment (ENROLLED, WAITLISTED, CANCELLED), or null.
CREATE TYPE calendar_entry AS (
  id                    uuid,
  title                 text,
  status                text,
  session_date          date,
  start_time            time,
  end_time              time,
  starts_at             timestamptz,
  ends_at               timestamptz,
  max_capacity          integer,
  current_enrollment    integer,
  waitlisted            integer,
  enrollment_percentage double precision,
  version               integer,
  updated_at            timestamptz,
  course_id             uuid,
  course_code           text,
  course_title          text,
  instructor_id         uuid,
  instructor_name       text,
  location_id           uuid,
  location_name         text,
  address_line1         text,
  address_line2         text,
  city                  text,
  region                text,
  postal_code           text,
  country               text,
  timezone              text,
  participation         text
);

-- The calendar lines of the given sessions, as `person` takes part in them. Checks nobody: only the
-- two entry points below call it, each after deciding which sessions may be shown. SECURITY DEFINER
-- because a student who sees a session may not read the other enrollments (for the waitlist count) nor
-- the versions of an ARCHIVED course; what it returns is about the session itself, nothing more. The
-- course is named as last published (app_course_as_published, 0014), as everyone but administrators
-- see it, for everyone: a calendar shows what students see. The instructor is named only by the
-- display name of their instructor profile, which the matrix shows every signed-in role (the feed's
-- owner is one); their personal profile (names) is not for students.
CREATE FUNCTION app_calendar_entries(sessions uuid[], person uuid) RETURNS SETOF calendar_entry
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.id, s.title, s.status, s.session_date, s.start_time, s.end_time,
         (s.session_date + s.start_time) AT TIME ZONE l.timezone,
         (s.session_date + s.end_time) AT TIME ZONE l.timezone,
         s.max_capacity, s.current_enrollment,
         (SELECT count(*)::integer FROM session_enrollments w WHERE w.session_id = s.id AND w.status = 'WAITLISTED'),
         round(100.0 * s.current_enrollment / s.max_capacity, 1)::double precision,
         s.version, s.updated_at,
         c.id, c.code, c.title,
         s.instructor_id,
         ip.display_name,
         l.id, l.name, l.address_line1, l.address_line2, l.city, l.region, l.postal_code, l.country, l.timezone,
         CASE WHEN s.instructor_id = person THEN 'TEACHING'
              ELSE (SELECT e.status FROM session_enrollments e WHERE e.session_id = s.id AND e.student_id = person) END
    FROM unnest(sessions) AS chosen (id)
    JOIN training_sessions s ON s.id = chosen.id
    JOIN courses working ON working.id = s.course_id
   CROSS JOIN LATERAL app_course_as_published(working) AS c
    JOIN locations l ON l.id = s.location_id
    LEFT JOIN instructor_profiles ip ON ip.user_id = s.instructor_id
$$;

-- The caller's calendar lines of the given sessions (the API passes the ones row-level security let it
-- select). Keeps only sessions the caller may see, by the rules of the training_sessions select
-- policies (0009), so that a call with other ids shows nothing more than the sessions would.
CREATE FUNCTION calendar_entries(sessions uuid[]) RETURNS SETOF calendar_entry
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM app_calendar_entries(ARRAY(
    SELECT s.id
      FROM unnest(sessions) AS chosen (id)
      JOIN training_sessions s ON s.id = chosen.id
     WHERE app_is_admin()
        OR (app_role() = 'AP' AND s.location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
        OR (app_role() IN ('IC', 'IP') AND s.instructor_id = app_user_id())
        OR s.id = ANY ((SELECT app_enrolled_session_ids())::uuid[])
        OR (app_is_signed_in() AND s.status = 'SCHEDULED' AND s.self_enrollment_allowed)), app_user_id())
$$;

-- A private feed, read by whoever holds its token (the token is the credential; calendar applications
-- fetch it signed out): the sessions between two days that the feed's owner teaches (as IC or IP, as
-- the session policies say) or holds a seat or a waitlist place in. A cancelled session stays in the
-- feed with its enrollment (which cancelling the session cancels too), so that subscribed calendars
-- learn of the cancellation; an enrollment the student cancelled drops out. An unknown token, or an
-- owner who is no longer active: UT404.
CREATE FUNCTION calendar_feed_entries(feed_token_hash text, from_day date, to_day date) RETURNS SETOF calendar_entry
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  owner_id uuid;
  owner_role text;
BEGIN
  SELECT u.id, u.role INTO owner_id, owner_role
    FROM calendar_feeds f JOIN users u ON u.id = f.user_id
   WHERE f.token_hash = feed_token_hash AND u.status = 'ACTIVE';
  IF owner_id IS NULL THEN
    RAISE EXCEPTION 'no such calendar feed' USING ERRCODE = 'UT404';
  END IF;
  RETURN QUERY SELECT * FROM app_calendar_entries(ARRAY(
    SELECT s.id FROM training_sessions s
     WHERE s.session_date BETWEEN from_day AND to_day
       AND ((owner_role IN ('IC', 'IP') AND s.instructor_id = owner_id)
            OR EXISTS (SELECT 1 FROM session_enrollments e
                        WHERE e.session_id = s.id AND e.student_id = owner_id
                          AND (e.status <> 'CANCELLED' OR s.status = 'CANCELLED')))), owner_id);
END;
$$;

REVOKE EXECUTE ON FUNCTION app_calendar_entries(uuid[], uuid), calendar_entries(uuid[]),
  calendar_feed_entries(text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calendar_entries(uuid[]), calendar_feed_entries(text, date, date) TO unitrain_app;
