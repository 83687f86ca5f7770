-- verify_certificate as 0030 defined it.
CREATE OR REPLACE FUNCTION verify_certificate(code text, count_it boolean)
RETURNS TABLE (id uuid, status text, printed jsonb, issue_date date, expiry_date date, revoked_at timestamptz,
               revoked_reason_code text, revoked_reason text, suspended_at timestamptz, suspended_reason text,
               pdf_sha256 text, replaced_by_code text, verification_count integer, last_verified_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  found certificates;
  counted certificate_verifications;
BEGIN
  SELECT c.* INTO found FROM certificates c WHERE c.verification_code = code;
  IF found.id IS NULL THEN
    RETURN;
  END IF;
  IF count_it THEN
    INSERT INTO certificate_verifications AS v (certificate_id, verification_count, last_verified_at)
    VALUES (found.id, 1, now())
    ON CONFLICT (certificate_id) DO UPDATE SET verification_count = v.verification_count + 1, last_verified_at = now()
    RETURNING v.* INTO counted;
  ELSE
    SELECT v.* INTO counted FROM certificate_verifications v WHERE v.certificate_id = found.id;
  END IF;
  RETURN QUERY SELECT found.id,
    app_certificate_status(found.status, found.expiry_date),
    coalesce(found.snapshot -> 'printed', jsonb_build_object('recipient_name', found.recipient_name, 'course_name', found.course_name)),
    found.issue_date, found.expiry_date, found.revoked_at, found.revoked_reason_code, found.revoked_reason,
    found.suspended_at, found.suspended_reason, found.pdf_sha256,
    (SELECT r.verification_code FROM certificates r WHERE r.replaces_certificate_id = found.id),
    coalesce(counted.verification_count, 0), counted.last_verified_at;
END;
$$;
