-- One rule, written once (decision 0042): app_instructor_eligibility_gaps (0041) spelled out when a
-- compliance record and a certificate are valid instead of asking the functions that define it for
-- everyone else. It now calls them: a requirement is held when compliance_record_state (0046) with no
-- renewal window and no grace says MET or WAIVED at the session's start (a grace period does not let
-- anyone teach), and a certificate when app_certificate_status says ACTIVE on the session's day. That
-- needs the certificate's status as of a given day: app_certificate_status(status, expiry_date, as_of),
-- of which the two-argument form (as of today, UTC) is now the special case. Same meaning as before.

CREATE FUNCTION app_certificate_status(status text, expiry_date date, as_of date) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN status = 'ACTIVE' AND expiry_date < as_of THEN 'EXPIRED' ELSE status END
$$;
REVOKE EXECUTE ON FUNCTION app_certificate_status(text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_certificate_status(text, date, date) TO unitrain_app;

CREATE OR REPLACE FUNCTION app_certificate_status(status text, expiry_date date) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT app_certificate_status(status, expiry_date, (now() AT TIME ZONE 'UTC')::date)
$$;

CREATE OR REPLACE FUNCTION app_instructor_eligibility_gaps(instructor uuid, course uuid, day date, starts_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce((
    SELECT jsonb_agg(gap ORDER BY ord, gap->>'code', gap->>'course_code')
      FROM course_instructor_requirements q,
           LATERAL (
             SELECT 1 AS ord, jsonb_build_object('kind', 'TIER', 'required', q.minimum_tier, 'held', u.role) AS gap
               FROM users u
              WHERE u.id = instructor AND q.minimum_tier = 'IC' AND u.role IS DISTINCT FROM 'IC'
             UNION ALL
             SELECT 2, jsonb_build_object('kind', 'REQUIREMENT', 'id', r.id, 'code', r.code, 'name', r.name,
                                          'valid_until', CASE WHEN c.status IN ('MET', 'WAIVED') THEN c.expires_at END)
               FROM compliance_requirements r
               LEFT JOIN compliance_records c ON c.requirement_id = r.id AND c.user_id = instructor
              WHERE r.id = ANY (q.compliance_requirement_ids)
                AND compliance_record_state(c.status, c.expires_at, 0, 0, starts_at) NOT IN ('MET', 'WAIVED')
             UNION ALL
             SELECT 3, jsonb_build_object('kind', 'CERTIFICATE', 'course_id', k.id, 'course_code', k.code,
                                          'valid_until', (SELECT max(x.expiry_date) FROM certificates x
                                                           WHERE x.user_id = instructor AND x.course_id = k.id AND x.status <> 'REVOKED'))
               FROM courses k
              WHERE k.id = ANY (q.certificate_course_ids)
                AND NOT EXISTS (SELECT 1 FROM certificates x
                                 WHERE x.user_id = instructor AND x.course_id = k.id
                                   AND app_certificate_status(x.status, x.expiry_date, day) = 'ACTIVE')
           ) gaps
     WHERE q.course_id = course), '[]'::jsonb)
$$;
