-- 0044: waitlist offers (issue 16, item 4; decision 0044). A session, or its course for every session
-- of it, may offer a freed seat instead of assigning it: the first waitlisted student without an offer
-- gets one with a deadline (the setting's hours on, never past the session's start); accepting seats
-- them, declining or letting it expire passes the seat to the next in line.
--
-- An offer is a WAITLISTED enrollment with offer_expires_at set: it keeps its place in line, so
-- positions stay 1..n, and the seat it is offered is held in current_enrollment, so nobody enrolling
-- meanwhile takes it (current_enrollment = ENROLLED rows + open offers; the doctor's rule says so).
--
-- Time comes in as `at` (the application's clock, which tests move); the defaults keep the callers
-- that do not pass it on the database's clock.

-- Hours an offer stays open; NULL on a session: as its course says; NULL or 0 on a course, or 0 on a
-- session: seats are assigned at once, as before.
ALTER TABLE courses ADD COLUMN waitlist_offer_hours integer,
  ADD CONSTRAINT courses_waitlist_offer_hours_check CHECK (waitlist_offer_hours BETWEEN 0 AND 720);
ALTER TABLE training_sessions ADD COLUMN waitlist_offer_hours integer,
  ADD CONSTRAINT training_sessions_waitlist_offer_hours_check CHECK (waitlist_offer_hours BETWEEN 0 AND 720);

ALTER TABLE session_enrollments ADD COLUMN offer_expires_at timestamptz,
  ADD CONSTRAINT session_enrollments_offer_check CHECK (offer_expires_at IS NULL OR status = 'WAITLISTED');
-- What the expiry job looks for.
CREATE INDEX session_enrollments_offer_expires_at_idx ON session_enrollments (offer_expires_at) WHERE offer_expires_at IS NOT NULL;

-- An enrollment leaving the waitlist any other way (cancel_session of 0015 cancels every one and
-- zeroes the counter) drops its offer with it.
CREATE FUNCTION session_enrollments_drop_offer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.offer_expires_at := NULL;
  RETURN NEW;
END;
$$;
CREATE TRIGGER session_enrollments_drop_offer BEFORE UPDATE OF status ON session_enrollments
  FOR EACH ROW WHEN (NEW.status <> 'WAITLISTED' AND NEW.offer_expires_at IS NOT NULL) EXECUTE FUNCTION session_enrollments_drop_offer();

-- Events carry the offer's deadline (null when there is none).
CREATE OR REPLACE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position, 'offer_expires_at', enrollment.offer_expires_at),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$$;

-- The hours a session's offers stay open: its own, else its course's; 0: seats are assigned at once.
-- SECURITY DEFINER: staff of a session may not read its course while it is a draft.
CREATE FUNCTION app_session_offer_hours(session uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(s.waitlist_offer_hours, c.waitlist_offer_hours, 0)
    FROM training_sessions s LEFT JOIN courses c ON c.id = s.course_id
   WHERE s.id = session
$$;

-- The deadline of an offer made at `at` in this session; NULL when its seats are assigned at once (no
-- offers configured, or the session starts before an offer could be answered).
CREATE FUNCTION app_waitlist_offer_deadline(session uuid, at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT offer.deadline FROM (
    SELECT least(at + make_interval(hours => app_session_offer_hours(s.id)), lower(s.scheduled_during)) AS deadline
      FROM training_sessions s WHERE s.id = session) offer
   WHERE app_session_offer_hours(session) > 0 AND offer.deadline > at
$$;

-- Fills free seats from the head of the waitlist: seats them, or, where the session offers seats,
-- offers each free seat to the next student in line without an offer, holding the seat. Rows with an
-- open offer are never seated here (their seat is already held). The caller holds the session lock.
DROP FUNCTION app_promote_from_waitlist(uuid);
CREATE FUNCTION app_promote_from_waitlist(session uuid, at timestamptz) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  free_seats integer;
  deadline timestamptz;
  moved session_enrollments;
  moved_count integer := 0;
BEGIN
  SELECT s.max_capacity - s.current_enrollment INTO free_seats FROM training_sessions s WHERE s.id = session;
  IF free_seats <= 0 THEN
    RETURN 0;
  END IF;
  deadline := app_waitlist_offer_deadline(session, at);
  FOR moved IN
    UPDATE session_enrollments e
       SET status = CASE WHEN deadline IS NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
           waitlist_position = CASE WHEN deadline IS NULL THEN NULL ELSE e.waitlist_position END,
           offer_expires_at = deadline
     WHERE e.id IN (SELECT w.id FROM session_enrollments w
                     WHERE w.session_id = session AND w.status = 'WAITLISTED' AND w.offer_expires_at IS NULL
                     ORDER BY w.waitlist_position LIMIT free_seats)
    RETURNING e.*
  LOOP
    moved_count := moved_count + 1;
    PERFORM app_enrollment_event(moved, CASE WHEN deadline IS NULL THEN 'enrollment.promoted' ELSE 'enrollment.offered' END);
  END LOOP;
  IF moved_count > 0 THEN
    UPDATE training_sessions SET current_enrollment = current_enrollment + moved_count WHERE id = session;
    IF deadline IS NULL THEN
      PERFORM app_renumber_waitlist(session);
    END IF;
  END IF;
  RETURN moved_count;
END;
$$;

-- Takes an open offer back (declined or expired): the enrollment is cancelled, its held seat freed,
-- the waitlist closed up, and the seat offered (or given) to the next in line. The caller holds the
-- session lock and the enrollment's.
CREATE FUNCTION app_withdraw_waitlist_offer(enrollment uuid, event_type text, at timestamptz) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  withdrawn session_enrollments;
BEGIN
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL, offer_expires_at = NULL
   WHERE e.id = enrollment RETURNING e.* INTO withdrawn;
  PERFORM app_enrollment_event(withdrawn, event_type);
  UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = withdrawn.session_id;
  PERFORM app_renumber_waitlist(withdrawn.session_id);
  PERFORM app_promote_from_waitlist(withdrawn.session_id, at);
END;
$$;

-- As in 0012, and a waitlisted student holding an offer who cancels declines it: the held seat goes on.
DROP FUNCTION cancel_enrollment(uuid);
CREATE FUNCTION cancel_enrollment(enrollment uuid, at timestamptz DEFAULT now())
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
  IF target.offer_expires_at IS NOT NULL THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_declined', at);
    RETURN QUERY SELECT 'CANCELLED'::text, 0;
    RETURN;
  END IF;

  was_enrolled := target.status = 'ENROLLED';
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.cancelled');
  IF was_enrolled THEN
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = session;
    promoted_count := app_promote_from_waitlist(session, at);
  ELSE
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN QUERY SELECT 'CANCELLED'::text, promoted_count;
END;
$$;

-- As in 0012, with the clock passed on to the offers a raise makes.
DROP FUNCTION set_session_capacity(uuid, integer);
CREATE FUNCTION set_session_capacity(session uuid, capacity integer, at timestamptz DEFAULT now())
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
    RAISE EXCEPTION 'capacity % is below the % seats taken or on offer', capacity, enrolled_count USING ERRCODE = 'UTCAP';
  END IF;
  UPDATE training_sessions s SET max_capacity = capacity WHERE s.id = session;
  RETURN QUERY SELECT app_promote_from_waitlist(session, at);
END;
$$;

-- The student (or staff of the session) answers an offer. The deadline is judged here, against `at`,
-- whatever the expiry job has done: an offer past it is withdrawn now (the next in line gets the
-- seat) and answered EXPIRED, never accepted. outcome: ACCEPTED, DECLINED, EXPIRED, or NO_OFFER (the
-- enrollment holds no open offer: never made, already answered, or the session no longer scheduled).
CREATE FUNCTION answer_waitlist_offer(enrollment uuid, accept boolean, at timestamptz)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  session uuid;
  session_status text;
  target session_enrollments;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such enrollment' USING ERRCODE = 'UT404';
  END IF;
  SELECT s.status INTO session_status FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.* INTO target FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  IF target.offer_expires_at IS NULL OR session_status <> 'SCHEDULED' THEN
    RETURN QUERY SELECT 'NO_OFFER'::text;
    RETURN;
  END IF;
  IF target.offer_expires_at <= at THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_expired', at);
    RETURN QUERY SELECT 'EXPIRED'::text;
    RETURN;
  END IF;
  IF NOT accept THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_declined', at);
    RETURN QUERY SELECT 'DECLINED'::text;
    RETURN;
  END IF;
  -- The seat is already held in current_enrollment: only the row moves.
  UPDATE session_enrollments e SET status = 'ENROLLED', waitlist_position = NULL, offer_expires_at = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.promoted');
  PERFORM app_renumber_waitlist(session);
  RETURN QUERY SELECT 'ACCEPTED'::text;
END;
$$;

-- The expiry job (as the owner): withdraws up to `batch` offers whose deadline is at or before `at`,
-- each under its session's lock, checked again there (an answer may have come first). Catching up
-- after downtime needs nothing more: every offer past its deadline is due, however long ago. Returns
-- how many it withdrew.
CREATE FUNCTION expire_waitlist_offers(at timestamptz, batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  due record;
  expired integer := 0;
BEGIN
  FOR due IN
    SELECT e.id, e.session_id FROM session_enrollments e
     WHERE e.offer_expires_at <= at
     ORDER BY e.offer_expires_at, e.id LIMIT batch
  LOOP
    PERFORM 1 FROM training_sessions s WHERE s.id = due.session_id FOR UPDATE;
    PERFORM 1 FROM session_enrollments e WHERE e.id = due.id AND e.offer_expires_at <= at FOR UPDATE;
    IF FOUND THEN
      PERFORM app_withdraw_waitlist_offer(due.id, 'enrollment.offer_expired', at);
      expired := expired + 1;
    END IF;
  END LOOP;
  RETURN expired;
END;
$$;

-- Sets a session's offer hours (its staff, like its capacity). NULL: as the course says. Returns the
-- setting and what applies.
CREATE FUNCTION set_session_waitlist_offers(session uuid, hours integer)
RETURNS TABLE (id uuid, offer_hours integer, effective_offer_hours integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may change how it fills freed seats' USING ERRCODE = '42501';
  END IF;
  UPDATE training_sessions s SET waitlist_offer_hours = hours WHERE s.id = session;
  RETURN QUERY SELECT session, hours, app_session_offer_hours(session);
END;
$$;

REVOKE EXECUTE ON FUNCTION
  app_session_offer_hours(uuid), app_waitlist_offer_deadline(uuid, timestamptz), app_promote_from_waitlist(uuid, timestamptz),
  app_withdraw_waitlist_offer(uuid, text, timestamptz), cancel_enrollment(uuid, timestamptz),
  set_session_capacity(uuid, integer, timestamptz), answer_waitlist_offer(uuid, boolean, timestamptz),
  expire_waitlist_offers(timestamptz, integer), set_session_waitlist_offers(uuid, integer), session_enrollments_drop_offer()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  cancel_enrollment(uuid, timestamptz), set_session_capacity(uuid, integer, timestamptz),
  answer_waitlist_offer(uuid, boolean, timestamptz), set_session_waitlist_offers(uuid, integer)
TO unitrain_app;
