-- Decision 0108 undone: verify_certificate_public returns the public facts as migration 0088 made it
-- (the repository's statement of then writes the text around them).
DROP FUNCTION verify_certificate_public(text[], date);
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
         coalesce((SELECT v.verification_count FROM certificate_verifications v WHERE v.certificate_id = c.id), 0)
    FROM certificates c
   WHERE c.verification_code = ANY (codes);
END;
$$;
REVOKE EXECUTE ON FUNCTION verify_certificate_public(text[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_certificate_public(text[], date) TO unitrain_app;
