DROP TRIGGER certificates_keep_counted ON certificates;
DROP FUNCTION certificates_refuse_delete_counted();
ALTER TABLE certificate_verifications ADD CONSTRAINT certificate_verifications_certificate_id_fkey
  FOREIGN KEY (certificate_id) REFERENCES certificates(id) ON DELETE RESTRICT;
