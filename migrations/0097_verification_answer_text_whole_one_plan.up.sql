-- A first-time public verification reads its answer's text whole from one function, with one generic plan
-- (decision 0108). The text is what the repository's statement wrote around this function's columns
-- (decision 0077): exactly VerificationSchema's fields, in its order and as compactly as its serializer
-- writes them, the printed facts from the snapshot (never an e-mail, never a score the certificate does not
-- print; a row without a snapshot shows its name and course), up to `"verification_count":` (the process
-- adds the count and `}`), with the stored count and the certificate's id; the status as of the caller's
-- day, timestamps as ISO text in UTC to the millisecond (as Date#toISOString writes them).
-- `coalesce(..., 'null')`: to_json of NULL is NULL, which would void the whole text; a printed number is
-- written only if the snapshot holds a JSON number (issuing stores numbers).
-- One generic plan per connection (plan_cache_mode): PostgreSQL planned a batch of a few codes again on
-- every call (a custom plan, cheaper by its estimate than the generic one's ten codes), which cost more
-- than reading them. The generic plan probes the code's unique index; an ANALYZE of certificates (as
-- autovacuum makes while the table grows) ends it, so a plan made while the table was small is not kept.
DROP FUNCTION verify_certificate_public(text[], date);
CREATE FUNCTION verify_certificate_public(codes text[], as_of date)
RETURNS TABLE (verification_code text, id uuid, verification_count integer, before_count text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT c.verification_code, c.id,
         coalesce((SELECT v.verification_count FROM certificate_verifications v WHERE v.certificate_id = c.id), 0),
         '{"verification_code":' || to_json(c.verification_code)::text
      || ',"status":' || to_json(app_certificate_status(c.status, c.expiry_date, as_of))::text
      || ',"printed":{"recipient_name":' || coalesce(to_json(p.facts ->> 'recipient_name')::text, 'null')
      || ',"course_name":' || coalesce(to_json(p.facts ->> 'course_name')::text, 'null')
      || ',"course_code":' || coalesce(to_json(p.facts ->> 'course_code')::text, 'null')
      || ',"hours":' || CASE jsonb_typeof(p.facts -> 'hours') WHEN 'number' THEN p.facts ->> 'hours' ELSE 'null' END
      || ',"completed_on":' || coalesce(to_json(p.facts ->> 'completed_on')::text, 'null')
      || ',"practical_score":' || CASE jsonb_typeof(p.facts -> 'practical_score') WHEN 'number' THEN p.facts ->> 'practical_score' ELSE 'null' END
      || ',"written_score":' || CASE jsonb_typeof(p.facts -> 'written_score') WHEN 'number' THEN p.facts ->> 'written_score' ELSE 'null' END
      || ',"instructor_name":' || coalesce(to_json(p.facts ->> 'instructor_name')::text, 'null')
      || ',"location_name":' || coalesce(to_json(p.facts ->> 'location_name')::text, 'null')
      || ',"location_place":' || coalesce(to_json(p.facts ->> 'location_place')::text, 'null')
      || ',"provider_name":' || coalesce(to_json(p.facts ->> 'provider_name')::text, 'null')
      || '},"issue_date":' || coalesce(to_json(c.issue_date::text)::text, 'null')
      || ',"expiry_date":' || coalesce(to_json(c.expiry_date::text)::text, 'null')
      || ',"revoked_at":' || coalesce(to_json(to_char(c.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null')
      || ',"revoked_reason_code":' || coalesce(to_json(c.revoked_reason_code)::text, 'null')
      || ',"revoked_reason":' || coalesce(to_json(c.revoked_reason)::text, 'null')
      || ',"suspended_at":' || coalesce(to_json(to_char(c.suspended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null')
      || ',"suspended_reason":' || coalesce(to_json(c.suspended_reason)::text, 'null')
      || ',"pdf_sha256":' || coalesce(to_json(c.pdf_sha256)::text, 'null')
      || ',"replaced_by_code":' || coalesce(to_json((SELECT r.verification_code FROM certificates r WHERE r.replaces_certificate_id = c.id))::text, 'null')
      || ',"verification_count":'
    FROM certificates c
   CROSS JOIN LATERAL (SELECT coalesce(c.snapshot -> 'printed', jsonb_build_object('recipient_name', c.recipient_name, 'course_name', c.course_name)) AS facts) p
   WHERE c.verification_code = ANY (codes);
END;
$$;

REVOKE EXECUTE ON FUNCTION verify_certificate_public(text[], date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_certificate_public(text[], date) TO unitrain_app;
