-- Issue 13, item 9 (decision 0068).
-- 1. A batch chunk's answer (one row per source) without comparing every source with every inserted row:
--    the inserted rows answer for themselves and the rest are told apart by a hashed NOT IN.
-- 2. app_certificate_status(status, expiry_date, as_of) without SET: a SQL function with SET is called
--    through the function manager for every row (its setting saved and restored each time) instead of
--    being inlined. Its body is one CASE over its arguments and built-in operators (pg_catalog comes
--    first whatever the path), so the path changes nothing; public verification calls it per code.
ALTER FUNCTION app_certificate_status(text, date, date) RESET search_path;

CREATE OR REPLACE FUNCTION public.issue_certificates(enrollment_ids uuid[], roster_member_ids uuid[], codes text[], url_base text, template_version uuid, issuer uuid, batch uuid)
 RETURNS TABLE(enrollment_id uuid, roster_member_id uuid, outcome text, reason text, certificate_id uuid)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  tv record;
BEGIN
  SELECT v.id, v.template_id, v.name, v.version_number INTO tv FROM certificate_template_versions v WHERE v.id = template_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no template version %', template_version USING ERRCODE = 'UT404';
  END IF;
  RETURN QUERY
  WITH sources AS (
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id
      FROM unnest(enrollment_ids) AS t(id)
      JOIN session_enrollments e ON e.id = t.id
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
    UNION ALL
    SELECT NULL::uuid, m.id, r.id, r.session_id, m.student_id, m.student_profile_id,
           upper(m.completion_status) = 'COMPLETED',
           'the roster line is ' || m.completion_status,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date),
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), ''),
           coalesce(u.email_ciphertext, sp.email_ciphertext),
           r.instructor_name, r.location_id, r.provider_id, r.course_id
      FROM unnest(roster_member_ids) AS t(id)
      JOIN student_roster_members m ON m.id = t.id
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
  ),
  facts AS (
    SELECT f.*, row_number() OVER () AS n, c.code AS course_code, c.title AS course_name, c.duration_minutes,
           l.name AS location_name, nullif(concat_ws(', ', l.city, l.country), '') AS location_place,
           p.name AS provider_name,
           (now() AT TIME ZONE l.timezone)::date AS issue_date,
           ((now() AT TIME ZONE l.timezone)::date + make_interval(months => c.certificate_validity_months))::date AS expiry_date,
           coalesce(le.id, lr.id) AS live_id,
           CASE WHEN coalesce(le.id, lr.id) IS NOT NULL THEN NULL
                WHEN NOT f.completed THEN f.state || ', not completed'
                WHEN NOT c.certifies THEN 'the course does not award certificates'
                WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
           END AS refusal
      FROM sources f
      JOIN courses c ON c.id = f.course_id
      JOIN locations l ON l.id = f.location_id
      LEFT JOIN authorized_providers p ON p.id = f.provider_id
      LEFT JOIN certificates le ON le.enrollment_id = f.enrollment_id AND le.status <> 'REVOKED'
      LEFT JOIN certificates lr ON lr.roster_member_id = f.roster_member_id AND lr.status <> 'REVOKED'
  ),
  inserted AS (
    INSERT INTO certificates AS ins (id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
                              location_id, provider_id, course_name, recipient_name, recipient_email_ciphertext, issued_by,
                              template_id, template_version_id, batch_id, issue_date, expiry_date, verification_code, snapshot)
    SELECT gen_random_uuid(), f.user_id, f.student_profile_id, f.enrollment_id, f.roster_member_id, f.roster_id, f.session_id, f.course_id,
           f.location_id, f.provider_id, f.course_name, f.recipient_name, f.recipient_email_ciphertext, issuer,
           tv.template_id, tv.id, batch, f.issue_date, f.expiry_date, codes[f.n],
           jsonb_build_object(
             'template', jsonb_build_object('id', tv.template_id, 'name', tv.name, 'version', tv.version_number::text),
             'printed', jsonb_build_object(
               'recipient_name', f.recipient_name, 'course_name', f.course_name, 'course_code', f.course_code,
               'hours', round(f.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
               'practical_score', f.practical_score, 'written_score', f.written_score,
               'instructor_name', f.instructor_name, 'location_name', f.location_name,
               'location_place', f.location_place, 'provider_name', f.provider_name),
             'issue_date', f.issue_date, 'expiry_date', f.expiry_date,
             'verification_code', codes[f.n], 'verification_url', url_base || '/verify/' || codes[f.n], 'renderer', 3)
      FROM facts f
     WHERE f.live_id IS NULL AND f.refusal IS NULL
    ON CONFLICT DO NOTHING
    RETURNING ins.id, ins.enrollment_id, ins.roster_member_id, ins.roster_id, ins.course_id, ins.user_id, ins.expiry_date, ins.version, ins.verification_code
  ),
  events AS (
    INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
    SELECT 'certificate', i.id, i.version, 'certificate.issued',
           jsonb_build_object('enrollment_id', i.enrollment_id, 'roster_member_id', i.roster_member_id, 'roster_id', i.roster_id,
                              'course_id', i.course_id, 'user_id', i.user_id, 'expiry_date', i.expiry_date, 'batch_id', batch),
           issuer, NULLIF(current_setting('unitrain.request_id', true), '')
      FROM inserted i
  )
  -- Each source once: the inserted rows as they are, the others by what stopped them. A row the insert
  -- skipped (a concurrent issuer's certificate came first) is ALREADY_ISSUED, its id left for the caller.
  -- Hashed NOT IN, not a join with inserted: the planner estimates these sets at a row or two and joined
  -- them by nested loop, comparing every source with every inserted row.
  SELECT i.enrollment_id, i.roster_member_id, 'ISSUED', NULL::text, i.id
    FROM inserted i
  UNION ALL
  SELECT f.enrollment_id, f.roster_member_id, CASE WHEN f.refusal IS NOT NULL THEN 'NOT_ELIGIBLE' ELSE 'ALREADY_ISSUED' END, f.refusal, f.live_id
    FROM facts f
   WHERE f.live_id IS NOT NULL OR f.refusal IS NOT NULL OR codes[f.n] NOT IN (SELECT i.verification_code FROM inserted i);
END;
$function$;
REVOKE EXECUTE ON FUNCTION issue_certificates(uuid[],uuid[],text[],text,uuid,uuid,uuid) FROM PUBLIC;
