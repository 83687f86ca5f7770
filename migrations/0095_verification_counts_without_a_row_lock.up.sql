-- Public verification counts are written once a second, one row a certificate first verified (decision 0105):
-- at thousands of first-time verifications a second, the foreign key's check was most of that write. It
-- runs per row (SELECT … FOR KEY SHARE of the certificate: a row lock that dirties the certificate's page
-- and writes WAL), 6–8 µs of PostgreSQL's CPU of the 12–14 a new count cost. Its two halves stay, cheaper:
-- the flush inserts a count only for an id that certificates holds (an index probe in the same statement,
-- no lock), and deleting a certificate that has a count is refused, as ON DELETE RESTRICT did, by one
-- statement trigger (the application cannot delete certificates at all; the owner can). Unlike the key, the probe takes no
-- lock: a flush racing the owner's delete of the same certificate can leave a count of no certificate.
ALTER TABLE certificate_verifications DROP CONSTRAINT certificate_verifications_certificate_id_fkey;

-- As the owner: a deleting role's row-level security must not hide the counts (the foreign key's check saw them all).
CREATE FUNCTION certificates_refuse_delete_counted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT FROM old_certificates o JOIN certificate_verifications v ON v.certificate_id = o.id) THEN
    RAISE EXCEPTION 'a certificate that has been verified is not deleted'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'certificate_verifications',
            DETAIL = 'Key (id) is still referenced from table "certificate_verifications".',
            CONSTRAINT = 'certificate_verifications_certificate_id_fkey';
  END IF;
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION certificates_refuse_delete_counted() FROM PUBLIC;

CREATE TRIGGER certificates_keep_counted AFTER DELETE ON certificates
  REFERENCING OLD TABLE AS old_certificates FOR EACH STATEMENT EXECUTE FUNCTION certificates_refuse_delete_counted();
