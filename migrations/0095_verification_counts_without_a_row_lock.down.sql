DROP TRIGGER certificates_keep_counted ON certificates;
DROP FUNCTION certificates_refuse_delete_counted();
-- Counts a flush wrote while the owner deleted their certificate (the probe took no lock) would break the key.
DELETE FROM certificate_verifications v WHERE NOT EXISTS (SELECT FROM certificates c WHERE c.id = v.certificate_id);
ALTER TABLE certificate_verifications ADD CONSTRAINT certificate_verifications_certificate_id_fkey
  FOREIGN KEY (certificate_id) REFERENCES certificates(id) ON DELETE RESTRICT;
