DROP FUNCTION recompute_compliance_scores(uuid[]);
DROP FUNCTION compliance_standings(uuid[], timestamptz);
