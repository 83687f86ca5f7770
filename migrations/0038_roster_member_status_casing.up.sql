-- 0038: roster lines speak the API's one casing. Their three statuses were the only lower-case
-- enumerations left (`attended` beside enrollments' `ATTENDED`); upper case now, like every other status.
-- CSV imports still accept either case (the source documents' files are lower case).

ALTER TABLE student_roster_members
  DROP CONSTRAINT student_roster_members_enrollment_status_check,
  DROP CONSTRAINT student_roster_members_attendance_status_check,
  DROP CONSTRAINT student_roster_members_completion_status_check;

-- One statement, so a roster line's version moves once; the row-version trigger counts it as a change.
UPDATE student_roster_members
   SET enrollment_status = upper(enrollment_status),
       attendance_status = upper(attendance_status),
       completion_status = upper(completion_status);

ALTER TABLE student_roster_members
  ALTER COLUMN enrollment_status SET DEFAULT 'ENROLLED',
  ALTER COLUMN attendance_status SET DEFAULT 'PENDING',
  ALTER COLUMN completion_status SET DEFAULT 'NOT_STARTED',
  ADD CONSTRAINT student_roster_members_enrollment_status_check
    CHECK (enrollment_status IN ('ENROLLED', 'WAITLISTED', 'COMPLETED')),
  ADD CONSTRAINT student_roster_members_attendance_status_check
    CHECK (attendance_status IN ('PENDING', 'ATTENDED', 'ABSENT')),
  ADD CONSTRAINT student_roster_members_completion_status_check
    CHECK (completion_status IN ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED'));

-- The two functions that write or read those values, as 0030 and 0017 left them but for the casing.
CREATE OR REPLACE FUNCTION public.certificate_source_facts(source_enrollment uuid, source_roster_member uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  f record;
  g record;
  seen boolean;
  live uuid;
  refusal text;
BEGIN
  IF num_nonnulls(source_enrollment, source_roster_member) <> 1 THEN
    RAISE EXCEPTION 'name one source: an enrollment or a roster line' USING ERRCODE = '22023';
  END IF;
  IF source_enrollment IS NOT NULL THEN
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id,
           app_sees_session(s.id) AS sees, app_is_session_staff(s.id) AS staff
      INTO f
      FROM session_enrollments e
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
     WHERE e.id = source_enrollment;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.enrollment_id = source_enrollment AND c.status <> 'REVOKED';
  ELSE
    SELECT NULL::uuid AS enrollment_id, m.id AS roster_member_id, r.id AS roster_id, r.session_id,
           m.student_id AS user_id, m.student_profile_id,
           m.completion_status = 'COMPLETED' AS completed,
           'the roster line is ' || m.completion_status AS state,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date) AS completed_on,
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), '') AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           r.instructor_name, r.location_id, r.provider_id, r.course_id,
           app_sees_roster(r.id) AS sees, app_may_change_roster_members(r.id) AS staff
      INTO f
      FROM student_roster_members m
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
     WHERE m.id = source_roster_member;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.roster_member_id = source_roster_member AND c.status <> 'REVOKED';
  END IF;
  IF NOT seen THEN
    RAISE EXCEPTION 'no such %', CASE WHEN source_enrollment IS NULL THEN 'roster line' ELSE 'enrollment' END USING ERRCODE = 'UT404';
  END IF;
  IF NOT f.staff THEN
    RAISE EXCEPTION 'only the staff of its session or roster may issue a certificate' USING ERRCODE = '42501';
  END IF;
  IF live IS NOT NULL THEN
    RETURN jsonb_build_object('live_certificate_id', live);
  END IF;

  SELECT c.code AS course_code, c.title AS course_name, c.certifies, c.certificate_validity_months, c.duration_minutes,
         l.name AS location_name, l.city AS location_city, l.country AS location_country, l.timezone, p.name AS provider_name
    INTO g
    FROM courses c
    JOIN locations l ON l.id = f.location_id
    LEFT JOIN authorized_providers p ON p.id = f.provider_id
   WHERE c.id = f.course_id;
  refusal := CASE
    WHEN NOT f.completed THEN f.state || ', not completed'
    WHEN NOT g.certifies THEN 'the course does not award certificates'
    WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
  END;
  IF refusal IS NOT NULL THEN
    RETURN jsonb_build_object('eligible', false, 'reason', refusal);
  END IF;
  RETURN jsonb_build_object(
    'eligible', true,
    'enrollment_id', f.enrollment_id, 'roster_member_id', f.roster_member_id, 'roster_id', f.roster_id, 'session_id', f.session_id,
    'user_id', f.user_id, 'student_profile_id', f.student_profile_id, 'course_id', f.course_id, 'location_id', f.location_id,
    'provider_id', f.provider_id, 'recipient_email_ciphertext', f.recipient_email_ciphertext,
    'issue_date', (now() AT TIME ZONE g.timezone)::date,
    'expiry_date', ((now() AT TIME ZONE g.timezone)::date + make_interval(months => g.certificate_validity_months))::date,
    'printed', jsonb_build_object(
      'recipient_name', f.recipient_name, 'course_name', g.course_name, 'course_code', g.course_code,
      'hours', round(g.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
      'practical_score', f.practical_score, 'written_score', f.written_score,
      'instructor_name', f.instructor_name, 'location_name', g.location_name,
      'location_place', nullif(concat_ws(', ', g.location_city, g.location_country), ''),
      'provider_name', g.provider_name));
END;
$function$;

CREATE OR REPLACE FUNCTION public.create_roster_from_session(session uuid, roster_name text, kind text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  source record;
  created rosters;
  student record;
  profile uuid;
  member_count integer := 0;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may make its roster' USING ERRCODE = '42501';
  END IF;
  SELECT s.title, s.session_date, s.status, s.course_id, s.location_id, s.provider_id, s.instructor_id, c.certifies,
         nullif(trim(coalesce(p.display_name, p.first_name || ' ' || p.last_name)), '') AS instructor_name
    INTO source
    FROM training_sessions s
    JOIN courses c ON c.id = s.course_id
    LEFT JOIN profiles p ON p.user_id = s.instructor_id
   WHERE s.id = session;
  IF source.status = 'CANCELLED' THEN
    RAISE EXCEPTION 'the session is cancelled and has no students to list' USING ERRCODE = 'UTTRN';
  END IF;

  INSERT INTO rosters (name, session_id, course_id, location_id, provider_id, instructor_id, instructor_name, roster_type, created_by)
  VALUES (coalesce(roster_name, source.title || ', ' || to_char(source.session_date, 'YYYY-MM-DD')), session,
          source.course_id, source.location_id, source.provider_id, source.instructor_id, source.instructor_name,
          coalesce(kind, CASE WHEN source.certifies THEN 'CERTIFICATE' ELSE 'TRAINING' END), app_user_id())
  RETURNING * INTO created;

  FOR student IN
    SELECT e.student_id, e.student_profile_id, e.attendance_status, e.completion_status, e.practical_score, e.written_score,
           u.email_ciphertext, u.email_hmac, a.first_name, a.last_name, a.organization
      FROM session_enrollments e
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
     WHERE e.session_id = session AND e.status = 'ENROLLED'
     ORDER BY e.enrollment_date, e.id
  LOOP
    IF student.student_profile_id IS NOT NULL THEN
      profile := student.student_profile_id;
    ELSE
      profile := app_student_profile_for(source.provider_id, coalesce(student.first_name, ''), coalesce(student.last_name, ''),
                                         student.email_ciphertext, student.email_hmac, student.organization);
    END IF;
    -- The same mapping as the seed's: PARTIAL attendance counts as attended, and the roster has no
    -- "failed", so a FAILED enrollment is in progress (its scores say why).
    INSERT INTO student_roster_members (roster_id, student_profile_id, student_id, enrollment_status, attendance_status,
                                        practical_score, written_score, completion_status)
    VALUES (created.id, profile, student.student_id,
            CASE WHEN student.completion_status = 'COMPLETED' THEN 'COMPLETED' ELSE 'ENROLLED' END,
            CASE student.attendance_status WHEN 'REGISTERED' THEN 'PENDING' WHEN 'ABSENT' THEN 'ABSENT' ELSE 'ATTENDED' END,
            student.practical_score, student.written_score,
            CASE student.completion_status WHEN 'COMPLETED' THEN 'COMPLETED' WHEN 'NOT_STARTED' THEN 'NOT_STARTED'
                                           ELSE 'IN_PROGRESS' END)
    -- An account's profile may already be on the roster through an enrollment of that very profile.
    ON CONFLICT (roster_id, student_profile_id) DO NOTHING;
    IF FOUND THEN
      member_count := member_count + 1;
    END IF;
  END LOOP;

  PERFORM append_domain_event('roster', created.id, created.version, 'roster.created',
    jsonb_build_object('source', 'session', 'session_id', session, 'course_id', created.course_id,
                       'location_id', created.location_id, 'roster_type', created.roster_type, 'member_count', member_count));
  RETURN created.id;
END;
$function$;
