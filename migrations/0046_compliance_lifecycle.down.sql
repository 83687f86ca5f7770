-- 0046: undoes exactly what 0046_compliance_lifecycle.up.sql does, in reverse order.
DROP TABLE compliance_tier_changes;
DROP TABLE compliance_reminders;
DROP FUNCTION app_recompute_compliance_scores(uuid[], timestamptz);
-- Back to 0024's one-argument recompute and rule.
CREATE OR REPLACE FUNCTION recompute_compliance_scores(people uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
  changed integer;
BEGIN
  PERFORM 1 FROM profiles WHERE profiles.user_id = ANY (people) ORDER BY profiles.user_id FOR UPDATE;
  UPDATE profiles p
     SET compliance_score = s.score, compliance_status = s.status
    FROM compliance_standings(people, now()) s
   WHERE p.user_id = s.user_id
     AND (p.compliance_score, p.compliance_status) IS DISTINCT FROM (s.score, s.status);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END;
$$;
DROP FUNCTION recompute_compliance_scores(uuid[], timestamptz);
CREATE OR REPLACE FUNCTION compliance_standings(people uuid[], as_of timestamptz)
RETURNS TABLE (user_id uuid, score numeric(5, 2), status text)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT t.user_id, s.score,
         CASE WHEN t.owed IS NULL OR t.held = t.owed THEN 'COMPLIANT'
              WHEN t.held = 0 THEN CASE WHEN t.lapsed THEN 'NON_COMPLIANT' ELSE 'PENDING' END
              WHEN t.lapsed OR s.score < 50 THEN 'NON_COMPLIANT'
              ELSE 'AT_RISK' END
    FROM (SELECT p.user_id,
                 sum(r.weight) AS owed,
                 coalesce(sum(r.weight) FILTER (
                   WHERE c.status = 'WAIVED' OR (c.status = 'MET' AND (c.expires_at IS NULL OR c.expires_at > as_of))), 0) AS held,
                 coalesce(bool_or(c.status = 'EXPIRED' OR (c.status = 'MET' AND c.expires_at <= as_of)), false) AS lapsed
            FROM profiles p
            LEFT JOIN compliance_requirements r
                   ON r.status = 'ACTIVE' AND p.role = ANY (r.applies_to_roles)
                  AND (r.tier = 'basic' OR p.compliance_tier = 'robust')
            LEFT JOIN compliance_records c ON c.user_id = p.user_id AND c.requirement_id = r.id
           WHERE p.user_id = ANY (people)
           GROUP BY p.user_id) t
   CROSS JOIN LATERAL (SELECT CASE WHEN t.owed IS NULL THEN 100.00 ELSE round(100 * t.held / t.owed, 2) END::numeric(5, 2) AS score) s
$$;
DROP FUNCTION compliance_record_state(text, timestamptz, integer, integer, timestamptz);
ALTER TABLE compliance_records DROP COLUMN waiver_reason;
ALTER TABLE compliance_requirements
  DROP CONSTRAINT compliance_requirements_reminder_offsets_check,
  DROP CONSTRAINT compliance_requirements_grace_check,
  DROP CONSTRAINT compliance_requirements_window_check,
  DROP COLUMN demotes_on_lapse,
  DROP COLUMN reminder_offsets_days,
  DROP COLUMN grace_days,
  DROP COLUMN renewal_window_days;
