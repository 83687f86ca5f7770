-- certificates_visible as 0030 made it (a view's columns cannot be dropped with CREATE OR REPLACE).
DROP VIEW certificate_summaries;
DROP VIEW certificates_visible;
CREATE VIEW certificates_visible WITH (security_invoker = true) AS
SELECT id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
       location_id, provider_id, course_name, recipient_name,
       CASE WHEN app_role() IN ('SA', 'AD', 'AP') OR user_id = app_user_id()
            THEN recipient_email_ciphertext END AS recipient_email_ciphertext,
       issued_by, template_id, batch_id, issue_date, expiry_date, status, revoked_at, revoked_reason,
       verification_code, signature, certificate_url, created_at, updated_at, version,
       snapshot, pdf_sha256, revoked_reason_code, suspended_at, suspended_reason, replaces_certificate_id
  FROM certificates;
GRANT SELECT ON certificates_visible TO unitrain_app;
CREATE VIEW certificate_summaries WITH (security_invoker = true) AS
SELECT c.id, c.user_id, c.student_profile_id, c.enrollment_id, c.roster_member_id, c.roster_id, c.session_id, c.course_id,
       c.location_id, c.provider_id, c.course_name, c.recipient_name, c.issued_by, c.template_id, c.batch_id,
       c.issue_date, c.expiry_date, app_certificate_status(c.status, c.expiry_date) AS status, c.status AS stored_status,
       c.revoked_at, c.revoked_reason_code, c.revoked_reason, c.suspended_at, c.suspended_reason,
       c.replaces_certificate_id, c.verification_code, c.snapshot, c.pdf_sha256,
       coalesce(v.verification_count, 0) AS verification_count, v.last_verified_at,
       c.created_at, c.updated_at, c.version
  FROM certificates_visible c
  LEFT JOIN certificate_verifications v ON v.certificate_id = c.id;
GRANT SELECT ON certificate_summaries TO unitrain_app;
DROP POLICY certificate_template_versions_select_printed ON certificate_template_versions;
DROP INDEX certificates_template_version_id_idx;
ALTER TABLE certificates DROP COLUMN template_version_id;
UPDATE certificates SET template_id = NULL WHERE template_id = '00000000-0000-4000-8000-0000000000c1';
ALTER TABLE certificate_templates DROP CONSTRAINT certificate_templates_published_version_fkey;
DROP TABLE certificate_template_versions;
DROP FUNCTION app_refuse_template_version_change();
-- Kept while a batch made since names it (template_id cannot be null); the up migration then keeps it.
DELETE FROM certificate_templates WHERE id = '00000000-0000-4000-8000-0000000000c1'
   AND NOT EXISTS (SELECT 1 FROM certificate_batches b WHERE b.template_id = '00000000-0000-4000-8000-0000000000c1');

DROP POLICY certificate_templates_select_admin ON certificate_templates;
DROP POLICY certificate_templates_select_global ON certificate_templates;
DROP POLICY certificate_templates_select_own_providers ON certificate_templates;
DROP POLICY certificate_templates_select_affiliated ON certificate_templates;
DROP POLICY certificate_templates_insert_admin ON certificate_templates;
DROP POLICY certificate_templates_insert_own_providers ON certificate_templates;
DROP POLICY certificate_templates_update_admin ON certificate_templates;
DROP POLICY certificate_templates_update_own_providers ON certificate_templates;
DROP POLICY certificate_templates_delete_admin ON certificate_templates;
CREATE POLICY certificate_templates_select_signed_in ON certificate_templates FOR SELECT TO unitrain_app USING (app_is_signed_in());
CREATE POLICY certificate_templates_insert_admin ON certificate_templates FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificate_templates_update_admin ON certificate_templates FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_templates_delete_admin ON certificate_templates FOR DELETE TO unitrain_app USING (app_is_admin());

DROP INDEX certificate_templates_provider_id_idx;
ALTER TABLE certificate_templates
  DROP COLUMN provider_id,
  DROP COLUMN published_version,
  DROP COLUMN published_at,
  ADD CONSTRAINT certificate_templates_name_version_key UNIQUE (name, template_version);
