DROP TRIGGER student_roster_members_guard_student_reference ON student_roster_members;
DROP TRIGGER session_enrollments_guard_student_reference ON session_enrollments;

CREATE OR REPLACE FUNCTION enroll_students(session uuid, students jsonb)
RETURNS TABLE (ord integer, outcome text, enrollment_id uuid, waitlist_position integer, student_id uuid,
               student_profile_id uuid, duplicate_of integer, reason text, profile_created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  target training_sessions;
  profile_provider uuid;
  may_create_profiles boolean;
  free_seats integer;
  last_position integer;
  seated integer;
BEGIN
  IF jsonb_typeof(students) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'students must be a JSON array' USING ERRCODE = '22023';
  END IF;
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may enroll students in bulk' USING ERRCODE = '42501';
  END IF;
  -- The session lock first and for the whole batch, as every function of 0012 takes it: batches and
  -- single enrollments into one session take turns, so seats and waitlist numbers are counted once.
  SELECT s.* INTO target FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF target.status <> 'SCHEDULED' THEN
    RAISE EXCEPTION 'the session is % and takes no enrollments', target.status USING ERRCODE = 'UT409';
  END IF;

  -- New students without accounts belong to a provider: the session's for administrators (and for
  -- matching by instructors); for an AP, its own provider at the session's location, the session's first.
  IF app_role() = 'AP' THEN
    SELECT pl.provider_id INTO profile_provider FROM provider_locations pl
     WHERE pl.location_id = target.location_id AND pl.provider_id = ANY (app_provider_ids())
     ORDER BY pl.provider_id IS NOT DISTINCT FROM target.provider_id DESC, pl.provider_id
     LIMIT 1;
  ELSE
    profile_provider := target.provider_id;
  END IF;
  -- The insert rules of student_enrollment_profiles: administrators, and an AP for its own providers.
  may_create_profiles := app_is_admin() OR (app_role() = 'AP' AND profile_provider IS NOT NULL);

  -- A second batch in one transaction starts afresh (ON COMMIT DROP has not dropped the first one yet).
  IF to_regclass('pg_temp.enroll_batch') IS NOT NULL THEN
    DROP TABLE pg_temp.enroll_batch;
  END IF;
  CREATE TEMPORARY TABLE enroll_batch ON COMMIT DROP AS
  SELECT r.ord, r.student_id AS given_student_id, r.email_hmac, r.email_ciphertext, r.first_name, r.last_name,
         r.company, NULL::uuid AS account_id, NULL::uuid AS profile_id, NULL::text AS reason,
         NULL::integer AS duplicate_of, NULL::uuid AS existing_id, NULL::text AS existing_status,
         NULL::text AS outcome, NULL::integer AS new_position, NULL::uuid AS enrollment_id,
         false AS profile_created
    FROM jsonb_to_recordset(students) AS r(ord integer, student_id uuid, email_hmac text, email_ciphertext text,
                                           first_name text, last_name text, company text);
  ALTER TABLE pg_temp.enroll_batch ADD PRIMARY KEY (ord);
  ANALYZE pg_temp.enroll_batch;

  -- Who each row is: an account by id, else an account by e-mail, else a profile of profile_provider
  -- by e-mail, made here when nobody has the e-mail yet and the caller may (with the names it needs).
  UPDATE pg_temp.enroll_batch b SET account_id = u.id FROM users u WHERE u.id = b.given_student_id;
  UPDATE pg_temp.enroll_batch b SET reason = 'no account has this student_id'
   WHERE b.given_student_id IS NOT NULL AND b.account_id IS NULL;
  UPDATE pg_temp.enroll_batch b SET account_id = u.id FROM users u
   WHERE b.given_student_id IS NULL AND u.email_hmac = b.email_hmac AND app_may_match_account_by_email(u.role, u.status);
  -- One new profile per e-mail, with its first row's names. The lock per e-mail (in e-mail order, so
  -- two batches never wait for each other crosswise) lets a concurrent batch or roster import that
  -- makes the same profile finish first; the NOT EXISTS below then sees it, also without a provider.
  IF may_create_profiles THEN
    PERFORM app_lock_student_email(profile_provider, h.email_hmac)
       FROM (SELECT DISTINCT b.email_hmac FROM pg_temp.enroll_batch b
              WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL ORDER BY b.email_hmac) h;
  END IF;
  WITH created AS (
    INSERT INTO student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, company, provider_id, created_by)
    SELECT DISTINCT ON (b.email_hmac) b.first_name, b.last_name, b.email_ciphertext, b.email_hmac, b.company,
           profile_provider, app_user_id()
      FROM pg_temp.enroll_batch b
     WHERE may_create_profiles AND b.email_hmac IS NOT NULL AND b.account_id IS NULL
       AND b.first_name IS NOT NULL AND b.last_name IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM student_enrollment_profiles p
                        WHERE p.email_hmac = b.email_hmac AND p.provider_id IS NOT DISTINCT FROM profile_provider)
     ORDER BY b.email_hmac, b.ord
    ON CONFLICT (provider_id, email_hmac) DO NOTHING
    RETURNING email_hmac)
  UPDATE pg_temp.enroll_batch b SET profile_created = true
    FROM created c WHERE b.email_hmac = c.email_hmac AND b.account_id IS NULL;
  -- A profile the caller may not see reads as unknown (an AP sees all of its providers' profiles, so
  -- only an instructor, who makes none, meets one).
  UPDATE pg_temp.enroll_batch b SET profile_id = p.id FROM student_enrollment_profiles p
   WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL
     AND p.email_hmac = b.email_hmac AND p.provider_id IS NOT DISTINCT FROM profile_provider
     AND app_sees_student_profile(p.id);
  UPDATE pg_temp.enroll_batch b
     SET reason = CASE
           WHEN NOT may_create_profiles
             THEN 'no account or student profile has this e-mail, and only administrators and providers may create student profiles'
           ELSE 'no account or student profile has this e-mail: first_name and last_name are needed to create one' END
   WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL AND b.profile_id IS NULL;

  -- The same student twice in the batch: the later rows point at the first.
  UPDATE pg_temp.enroll_batch b SET duplicate_of = f.first_ord
    FROM (SELECT d.ord, min(d.ord) OVER (PARTITION BY d.account_id, d.profile_id) AS first_ord
            FROM pg_temp.enroll_batch d WHERE d.reason IS NULL) f
   WHERE b.ord = f.ord AND f.first_ord <> b.ord;

  -- Rows the session already has for these students (two statements: each uses its unique index).
  UPDATE pg_temp.enroll_batch b SET existing_id = e.id, existing_status = e.status FROM session_enrollments e
   WHERE e.session_id = session AND e.student_id = b.account_id AND b.reason IS NULL AND b.duplicate_of IS NULL;
  UPDATE pg_temp.enroll_batch b SET existing_id = e.id, existing_status = e.status FROM session_enrollments e
   WHERE e.session_id = session AND e.student_profile_id = b.profile_id AND b.reason IS NULL AND b.duplicate_of IS NULL;

  -- Seats to the first rows in batch order, the rest to the end of the waitlist, numbered on from it.
  free_seats := greatest(target.max_capacity - target.current_enrollment, 0);
  SELECT coalesce(max(e.waitlist_position), 0) INTO last_position
    FROM session_enrollments e WHERE e.session_id = session AND e.status = 'WAITLISTED';
  UPDATE pg_temp.enroll_batch b
     SET outcome = CASE WHEN p.place <= free_seats THEN 'ENROLLED' ELSE 'WAITLISTED' END,
         new_position = CASE WHEN p.place > free_seats THEN last_position + p.place - free_seats END,
         enrollment_id = coalesce(b.existing_id, gen_random_uuid())
    FROM (SELECT d.ord, row_number() OVER (ORDER BY d.ord)::integer AS place
            FROM pg_temp.enroll_batch d
           WHERE d.reason IS NULL AND d.duplicate_of IS NULL
             AND (d.existing_id IS NULL OR d.existing_status = 'CANCELLED')) p
   WHERE b.ord = p.ord;

  -- A cancelled row is reused, as by enroll_student: one row per student and session.
  UPDATE session_enrollments e
     SET status = b.outcome, waitlist_position = b.new_position, enrollment_date = now(), enrolled_by = app_user_id()
    FROM pg_temp.enroll_batch b
   WHERE e.id = b.existing_id AND b.outcome IS NOT NULL;
  INSERT INTO session_enrollments (id, session_id, student_id, student_profile_id, status, waitlist_position, enrolled_by)
  SELECT b.enrollment_id, session, b.account_id, b.profile_id, b.outcome, b.new_position, app_user_id()
    FROM pg_temp.enroll_batch b
   WHERE b.outcome IS NOT NULL AND b.existing_id IS NULL
   ORDER BY b.ord;

  SELECT count(*)::integer INTO seated FROM pg_temp.enroll_batch b WHERE b.outcome = 'ENROLLED';
  IF seated > 0 THEN
    -- training_sessions_capacity_check stays the last line of defence against overbooking.
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment + seated WHERE s.id = session;
  END IF;
  PERFORM app_enrollment_event(e, CASE e.status WHEN 'ENROLLED' THEN 'enrollment.enrolled' ELSE 'enrollment.waitlisted' END)
     FROM pg_temp.enroll_batch b JOIN session_enrollments e ON e.id = b.enrollment_id
    WHERE b.outcome IS NOT NULL
    ORDER BY b.ord;

  -- Rows already in the session, or repeated in the batch, answer with the enrollment they point at.
  UPDATE pg_temp.enroll_batch b SET enrollment_id = b.existing_id
   WHERE b.outcome IS NULL AND b.reason IS NULL AND b.duplicate_of IS NULL;
  UPDATE pg_temp.enroll_batch b SET enrollment_id = f.enrollment_id
    FROM pg_temp.enroll_batch f WHERE b.duplicate_of = f.ord;

  RETURN QUERY
  SELECT b.ord,
         CASE WHEN b.reason IS NOT NULL THEN 'INVALID' WHEN b.outcome IS NOT NULL THEN b.outcome ELSE 'ALREADY_ENROLLED' END,
         b.enrollment_id, b.new_position, b.account_id, b.profile_id, b.duplicate_of, b.reason,
         b.profile_created AND b.duplicate_of IS NULL
    FROM pg_temp.enroll_batch b
   ORDER BY b.ord;
END;
$$;

DROP FUNCTION app_guard_student_reference();
DROP FUNCTION app_may_name_student(uuid);
