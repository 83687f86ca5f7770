-- Public verification of codes new to the cache in one statement (issue 13, item 9; decision 0064):
-- the codes a process misses at the same moment, read together; exactly the public facts the answer
-- shows, as the answer writes them (timestamps as ISO text in UTC, to the millisecond); the status as of the day the caller's cache key names. verify_certificate
-- (0035) stays for the document check, which counts in the same statement.
-- SECURITY DEFINER because certificates forces row-level security; the answer is the same for everyone.
-- PL/pgSQL, not SQL: a SQL function with SET is planned again on every call (measured: half the rate).
-- Its statement still gets a custom plan per call (the array's length is unknown to a generic plan,
-- which on a small or unanalysed table would keep a sequential scan for the session); a batch of codes
-- shares that planning.
CREATE FUNCTION verify_certificate_public(codes text[], as_of date)
RETURNS TABLE (verification_code text, id uuid, status text, printed jsonb, issue_date text, expiry_date text, revoked_at text,
               revoked_reason_code text, revoked_reason text, suspended_at text, suspended_reason text,
               pdf_sha256 text, replaced_by_code text, verification_count integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT c.verification_code, c.id,
         app_certificate_status(c.status, c.expiry_date, as_of),
         coalesce(c.snapshot -> 'printed', jsonb_build_object('recipient_name', c.recipient_name, 'course_name', c.course_name)),
         c.issue_date::text, c.expiry_date::text,
         to_char(c.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), c.revoked_reason_code, c.revoked_reason,
         to_char(c.suspended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), c.suspended_reason, c.pdf_sha256,
         (SELECT r.verification_code FROM certificates r WHERE r.replaces_certificate_id = c.id),
         coalesce(v.verification_count, 0)
    FROM certificates c
    LEFT JOIN certificate_verifications v ON v.certificate_id = c.id
   WHERE c.verification_code = ANY (codes);
END;
$$;

REVOKE EXECUTE ON FUNCTION verify_certificate_public(text[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_certificate_public(text[], date) TO unitrain_app;
