-- A person's compliance score and status (profiles.compliance_score, compliance_status) follow from
-- their records, by one rule (decision 0021):
--   owed:  the ACTIVE requirements whose applies_to_roles holds the person's role and whose tier is
--          'basic', or 'robust' when the profile's compliance_tier is 'robust' (the tier is an input:
--          it says which requirements a person owes, it is not derived from the score);
--   held:  owed requirements with a WAIVED record, or a MET record that has not expired at `as_of`;
--   lapsed: owed requirements with an EXPIRED record, or a MET record whose expiry has passed.
--   score  = 100 · weight held / weight owed, rounded to 2 decimals; 100 when nothing is owed;
--   status = COMPLIANT when everything owed is held (or nothing is owed); otherwise PENDING when
--            nothing is held and nothing has lapsed (not started), NON_COMPLIANT when something has
--            lapsed or the score is under 50, AT_RISK otherwise.

-- The rule alone, for any set of people, without writing: the recompute below applies it, and a
-- consistency check can compare it with what profiles hold. One row per profile among `people`.
CREATE FUNCTION compliance_standings(people uuid[], as_of timestamptz)
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

-- Writes the rule's score and status onto these people's profiles, as of now; returns how many
-- profiles changed. Only a profile whose values differ is updated, so a repeated recompute (a job run
-- twice) leaves version, updated_at, the audit trail and the change log alone.
CREATE FUNCTION recompute_compliance_scores(people uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
  changed integer;
BEGIN
  -- Two transactions recording different requirements of one person would each compute from a
  -- snapshot without the other's record, and the later UPDATE would write a score missing the
  -- earlier one. Locking the profiles first (in one order, so batches never deadlock) makes the
  -- second wait; the next statement's snapshot, taken after the wait, then holds both records.
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

-- SECURITY INVOKER, and only the owner runs them (the job dispatcher works as the owner): a caller
-- under the application role would have profiles' row-level security decide which scores it may
-- write, which is not the rule. A path for administrators under that role needs its own grant.
REVOKE EXECUTE ON FUNCTION compliance_standings(uuid[], timestamptz), recompute_compliance_scores(uuid[]) FROM PUBLIC;
