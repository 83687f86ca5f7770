-- Certificate templates (issue 13, item 1): a template is a working copy (certificate_templates.layout,
-- edited freely) and its published versions (certificate_template_versions, immutable). A certificate
-- pins the version it was rendered with, and its PDF is always rendered from that version, so editing or
-- republishing a template changes no certificate. Reasons: docs/decisions/0033-certificate-templates.md.

-- A template is global (provider_id NULL, administrators') or one provider's. published_version names the
-- newest version; template_version (0004's edition label) and the (name, edition) key served the seed's
-- one-row-per-edition design: versions now live in their own table, and two providers may use one name.
ALTER TABLE certificate_templates
  ADD COLUMN provider_id uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  ADD COLUMN published_version integer,
  ADD COLUMN published_at timestamptz,
  DROP CONSTRAINT certificate_templates_name_version_key;
CREATE INDEX certificate_templates_provider_id_idx ON certificate_templates (provider_id);

CREATE TABLE certificate_template_versions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id    uuid NOT NULL REFERENCES certificate_templates (id) ON DELETE RESTRICT,
  version_number integer NOT NULL,
  -- The template's name when it was published (a certificate names the version it printed with).
  name           text NOT NULL,
  -- {page: {size, orientation}, elements: [...]}: validated by the application before it is stored.
  layout         jsonb NOT NULL,
  published_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  published_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certificate_template_versions_template_version_key UNIQUE (template_id, version_number),
  CONSTRAINT certificate_template_versions_version_number_check CHECK (version_number >= 1),
  CONSTRAINT certificate_template_versions_layout_check CHECK (jsonb_typeof(layout) = 'object')
);
CREATE INDEX certificate_template_versions_published_by_idx ON certificate_template_versions (published_by);
ALTER TABLE certificate_templates ADD CONSTRAINT certificate_templates_published_version_fkey
  FOREIGN KEY (id, published_version) REFERENCES certificate_template_versions (template_id, version_number);

-- A published version never changes, whoever asks (the owner included): certificates were printed from it.
CREATE FUNCTION app_refuse_template_version_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'a published template version is immutable' USING ERRCODE = 'UTTRN';
END;
$$;
CREATE TRIGGER certificate_template_versions_immutable BEFORE UPDATE ON certificate_template_versions
  FOR EACH ROW EXECUTE FUNCTION app_refuse_template_version_change();

-- The layout every certificate printed before templates existed: a global template of its own, published
-- once, with fixed ids (src/modules/certificates/built-in-template.ts holds the same layout; a test
-- compares them). Certificates that pin no version render with it.
INSERT INTO certificate_templates (id, name, template_version, layout, status)
VALUES ('00000000-0000-4000-8000-0000000000c1', 'Unitrain standard', 'built-in-1', '{"page":{"size":"A4","orientation":"landscape"},"elements":[{"type":"box","x":24,"y":24,"width":793.89,"height":547.28,"border_color":"#1a528c","border_width":3},{"type":"box","x":32,"y":32,"width":777.89,"height":531.28,"border_color":"#1a528c","border_width":0.75},{"type":"text","text":"CERTIFICATE OF COMPLETION","x":420.945,"y":485.28,"size":30,"font":"bold","color":"#1a528c","align":"center","max_width":701.89},{"type":"text","text":"This certifies that","x":420.945,"y":435.28,"size":14,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"{{recipient_name}}","x":420.945,"y":390.28,"size":32,"font":"bold","color":"#1f2938","align":"center","max_width":701.89},{"type":"line","x1":200,"y1":377.28,"x2":641.89,"y2":377.28,"thickness":0.75,"color":"#596373"},{"type":"text","text":"has successfully completed","x":420.945,"y":347.28,"size":14,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"{{course_name}}","x":420.945,"y":310.28,"size":22,"font":"bold","color":"#1f2938","align":"center","max_width":701.89},{"type":"text","text":"{{course_code}} · {{hours}} hours","x":420.945,"y":287.28,"size":12,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"Completed on {{completed_on}}","x":70,"y":200,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"{{location}}","x":70,"y":182,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Instructor: {{instructor_name}}","x":70,"y":164,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Provider: {{provider_name}}","x":70,"y":146,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Practical {{practical_score}} · Written {{written_score}}","x":70,"y":128,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Issued {{issue_date}}","x":70,"y":90,"size":11,"font":"bold","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"{{validity}}","x":70,"y":72,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"qr","x":661.89,"y":92,"size":110},{"type":"text","text":"{{verification_code}}","x":716.89,"y":76,"size":10,"font":"bold","color":"#1f2938","align":"center","max_width":200},{"type":"text","text":"{{verification_url}}","x":771.89,"y":62,"size":8,"font":"regular","color":"#596373","align":"right","max_width":300}]}'::jsonb, 'ACTIVE')
ON CONFLICT (id) DO NOTHING;
INSERT INTO certificate_template_versions (id, template_id, version_number, name, layout, published_at)
VALUES ('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-8000-0000000000c1', 1, 'Unitrain standard', '{"page":{"size":"A4","orientation":"landscape"},"elements":[{"type":"box","x":24,"y":24,"width":793.89,"height":547.28,"border_color":"#1a528c","border_width":3},{"type":"box","x":32,"y":32,"width":777.89,"height":531.28,"border_color":"#1a528c","border_width":0.75},{"type":"text","text":"CERTIFICATE OF COMPLETION","x":420.945,"y":485.28,"size":30,"font":"bold","color":"#1a528c","align":"center","max_width":701.89},{"type":"text","text":"This certifies that","x":420.945,"y":435.28,"size":14,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"{{recipient_name}}","x":420.945,"y":390.28,"size":32,"font":"bold","color":"#1f2938","align":"center","max_width":701.89},{"type":"line","x1":200,"y1":377.28,"x2":641.89,"y2":377.28,"thickness":0.75,"color":"#596373"},{"type":"text","text":"has successfully completed","x":420.945,"y":347.28,"size":14,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"{{course_name}}","x":420.945,"y":310.28,"size":22,"font":"bold","color":"#1f2938","align":"center","max_width":701.89},{"type":"text","text":"{{course_code}} · {{hours}} hours","x":420.945,"y":287.28,"size":12,"font":"regular","color":"#596373","align":"center","max_width":701.89},{"type":"text","text":"Completed on {{completed_on}}","x":70,"y":200,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"{{location}}","x":70,"y":182,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Instructor: {{instructor_name}}","x":70,"y":164,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Provider: {{provider_name}}","x":70,"y":146,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Practical {{practical_score}} · Written {{written_score}}","x":70,"y":128,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"Issued {{issue_date}}","x":70,"y":90,"size":11,"font":"bold","color":"#1f2938","align":"left","max_width":520},{"type":"text","text":"{{validity}}","x":70,"y":72,"size":11,"font":"regular","color":"#1f2938","align":"left","max_width":520},{"type":"qr","x":661.89,"y":92,"size":110},{"type":"text","text":"{{verification_code}}","x":716.89,"y":76,"size":10,"font":"bold","color":"#1f2938","align":"center","max_width":200},{"type":"text","text":"{{verification_url}}","x":771.89,"y":62,"size":8,"font":"regular","color":"#596373","align":"right","max_width":300}]}'::jsonb, '2026-01-01T00:00:00Z');
UPDATE certificate_templates SET published_version = 1, published_at = '2026-01-01T00:00:00Z' WHERE id = '00000000-0000-4000-8000-0000000000c1';

-- The version a certificate was rendered with. Certificates issued before (0030's, which said
-- 'built-in-1') pin the built-in version; the seed's rows (no snapshot) render with it too.
ALTER TABLE certificates ADD COLUMN template_version_id uuid REFERENCES certificate_template_versions (id) ON DELETE RESTRICT;
CREATE INDEX certificates_template_version_id_idx ON certificates (template_version_id);
UPDATE certificates SET template_version_id = '00000000-0000-4000-8000-0000000000c2', template_id = '00000000-0000-4000-8000-0000000000c1'
 WHERE snapshot IS NOT NULL;

-- Row-level security. Templates: administrators all; an AP the global ones and its providers' (and
-- writes its providers'); everyone else signed in reads the global ones and their provider's.
DROP POLICY certificate_templates_select_signed_in ON certificate_templates;
DROP POLICY certificate_templates_insert_admin ON certificate_templates;
DROP POLICY certificate_templates_update_admin ON certificate_templates;
DROP POLICY certificate_templates_delete_admin ON certificate_templates;
CREATE POLICY certificate_templates_select_admin ON certificate_templates FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_templates_select_global ON certificate_templates FOR SELECT TO unitrain_app
  USING (app_is_signed_in() AND provider_id IS NULL);
CREATE POLICY certificate_templates_select_own_providers ON certificate_templates FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY certificate_templates_select_affiliated ON certificate_templates FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP', 'IT', 'IN') AND provider_id = (SELECT app_affiliated_provider_id()));
CREATE POLICY certificate_templates_insert_admin ON certificate_templates FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificate_templates_insert_own_providers ON certificate_templates FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY certificate_templates_update_admin ON certificate_templates FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY certificate_templates_update_own_providers ON certificate_templates FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY certificate_templates_delete_admin ON certificate_templates FOR DELETE TO unitrain_app USING (app_is_admin());

-- Versions: who sees the template sees its versions, and who sees a certificate sees the version it
-- printed with (a holder's PDF renders from it). Published by who may change the template. Never updated.
ALTER TABLE certificate_template_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_template_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_template_versions_owner_all ON certificate_template_versions TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON certificate_template_versions TO unitrain_app;
CREATE POLICY certificate_template_versions_select_template ON certificate_template_versions FOR SELECT TO unitrain_app
  USING (EXISTS (SELECT 1 FROM certificate_templates t WHERE t.id = template_id));
CREATE POLICY certificate_template_versions_select_printed ON certificate_template_versions FOR SELECT TO unitrain_app
  USING (EXISTS (SELECT 1 FROM certificates c WHERE c.template_version_id = certificate_template_versions.id));
CREATE POLICY certificate_template_versions_insert_admin ON certificate_template_versions FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY certificate_template_versions_insert_own_providers ON certificate_template_versions FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND EXISTS (
    SELECT 1 FROM certificate_templates t WHERE t.id = template_id AND t.provider_id = ANY ((SELECT app_provider_ids())::uuid[])));

-- No role but SA points a row at an SA account (migration 0028): published_by is the publisher.
CREATE TRIGGER certificate_template_versions_guard_sa_reference BEFORE INSERT OR UPDATE ON certificate_template_versions FOR EACH ROW
  WHEN (app_role() IN ('AD', 'AP', 'IC', 'IP', 'IT', 'IN'))
  EXECUTE FUNCTION app_guard_sa_reference('published_by');

CREATE TRIGGER certificate_template_versions_audit AFTER INSERT OR UPDATE OR DELETE ON certificate_template_versions FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off' OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();

-- The view that hides the recipient's e-mail shows every other column: the pinned version appended (as
-- CREATE OR REPLACE needs).
CREATE OR REPLACE VIEW certificates_visible WITH (security_invoker = true) AS
SELECT id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
       location_id, provider_id, course_name, recipient_name,
       CASE WHEN app_role() IN ('SA', 'AD', 'AP') OR user_id = app_user_id()
            THEN recipient_email_ciphertext END AS recipient_email_ciphertext,
       issued_by, template_id, batch_id, issue_date, expiry_date, status, revoked_at, revoked_reason,
       verification_code, signature, certificate_url, created_at, updated_at, version,
       snapshot, pdf_sha256, revoked_reason_code, suspended_at, suspended_reason, replaces_certificate_id,
       template_version_id
  FROM certificates;
