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
                AND NOT coalesce(c.status IN ('MET', 'WAIVED') AND (c.expires_at IS NULL OR c.expires_at > starts_at), false)
             UNION ALL
             SELECT 3, jsonb_build_object('kind', 'CERTIFICATE', 'course_id', k.id, 'course_code', k.code,
                                          'valid_until', (SELECT max(x.expiry_date) FROM certificates x
                                                           WHERE x.user_id = instructor AND x.course_id = k.id AND x.status <> 'REVOKED'))
               FROM courses k
              WHERE k.id = ANY (q.certificate_course_ids)
                AND NOT EXISTS (SELECT 1 FROM certificates x
                                 WHERE x.user_id = instructor AND x.course_id = k.id AND x.status = 'ACTIVE'
                                   AND (x.expiry_date IS NULL OR x.expiry_date >= day))
           ) gaps
     WHERE q.course_id = course), '[]'::jsonb)
$$;

CREATE OR REPLACE FUNCTION app_certificate_status(status text, expiry_date date) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN status = 'ACTIVE' AND expiry_date < (now() AT TIME ZONE 'UTC')::date THEN 'EXPIRED' ELSE status END
$$;

DROP FUNCTION app_certificate_status(text, date, date);
