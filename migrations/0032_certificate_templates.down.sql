DROP INDEX certificates_template_version_id_idx;
ALTER TABLE certificates DROP COLUMN template_version_id;
UPDATE certificates SET template_id = NULL WHERE template_id = '00000000-0000-4000-8000-0000000000c1';
ALTER TABLE certificate_templates DROP CONSTRAINT certificate_templates_published_version_fkey;
DROP TABLE certificate_template_versions;
DROP FUNCTION app_refuse_template_version_change();
DELETE FROM certificate_templates WHERE id = '00000000-0000-4000-8000-0000000000c1';

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
