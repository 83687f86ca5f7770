-- 0045: the texts of training-day notifications as templates an administrator edits (issue 16, item 6;
-- decision 0044). One global template per kind and locale, which SA and AD edit; a provider may
-- override it for the sessions at its locations (its AP, or SA and AD). Placeholders are {{name}}s,
-- checked against the kind's list when a template is written (src/domains/notifications/templates.ts),
-- filled in when a mail is sent. `locale` keys the translations: 'en' is always there, and is what a
-- notification falls back to.
CREATE TABLE notification_templates (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind        text NOT NULL,
  locale      text NOT NULL DEFAULT 'en',
  provider_id uuid REFERENCES authorized_providers (id) ON DELETE CASCADE,
  subject     text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     integer NOT NULL DEFAULT 1,
  CONSTRAINT notification_templates_kind_check CHECK (kind IN (
    'enrollment.enrolled', 'enrollment.waitlisted', 'enrollment.promoted', 'enrollment.offered',
    'session.reminder', 'session.changed', 'session.cancelled')),
  CONSTRAINT notification_templates_locale_check CHECK (locale ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
  CONSTRAINT notification_templates_subject_check CHECK (length(subject) BETWEEN 1 AND 300),
  CONSTRAINT notification_templates_body_check CHECK (length(body) BETWEEN 1 AND 20000),
  -- One per kind, locale and provider; the global one's null provider counts as a value.
  CONSTRAINT notification_templates_kind_locale_provider_key UNIQUE NULLS NOT DISTINCT (kind, locale, provider_id)
);
CREATE INDEX notification_templates_provider_id_idx ON notification_templates (provider_id) WHERE provider_id IS NOT NULL;
CREATE TRIGGER notification_templates_set_row_version BEFORE UPDATE ON notification_templates FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE TRIGGER notification_templates_audit AFTER INSERT OR UPDATE OR DELETE ON notification_templates FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off'
        OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();

-- SA and AD: every template; an AP reads the global ones and writes its providers' overrides. A global
-- template is edited, never deleted (a kind without one would have no text).
ALTER TABLE notification_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY notification_templates_owner_all ON notification_templates TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_templates TO unitrain_app;
CREATE POLICY notification_templates_select_admin ON notification_templates FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY notification_templates_select_global ON notification_templates FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND provider_id IS NULL);
CREATE POLICY notification_templates_select_own_providers ON notification_templates FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY notification_templates_insert_admin ON notification_templates FOR INSERT TO unitrain_app WITH CHECK (app_is_admin());
CREATE POLICY notification_templates_insert_own_providers ON notification_templates FOR INSERT TO unitrain_app
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY notification_templates_update_admin ON notification_templates FOR UPDATE TO unitrain_app USING (app_is_admin());
CREATE POLICY notification_templates_update_own_providers ON notification_templates FOR UPDATE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]))
  WITH CHECK (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));
CREATE POLICY notification_templates_delete_admin ON notification_templates FOR DELETE TO unitrain_app
  USING (app_is_admin() AND provider_id IS NOT NULL);
CREATE POLICY notification_templates_delete_own_providers ON notification_templates FOR DELETE TO unitrain_app
  USING (app_role() = 'AP' AND provider_id = ANY ((SELECT app_provider_ids())::uuid[]));

-- The global English texts. {{place}} is the room, location and address; times are the location's
-- wall clock, {{time_zone}} names its zone.
INSERT INTO notification_templates (kind, subject, body) VALUES
  ('enrollment.enrolled', 'Booked: {{session_title}} on {{date}}',
   E'You are booked on "{{session_title}}" ({{course_title}}).\n\nWhen: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}})\nWhere: {{place}}'),
  ('enrollment.waitlisted', 'Waitlisted: {{session_title}} on {{date}}',
   E'"{{session_title}}" ({{course_title}}) is full. You are number {{waitlist_position}} on the waitlist; we will write when a seat is yours or offered to you.\n\nWhen: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}})\nWhere: {{place}}'),
  ('enrollment.promoted', 'A seat is yours: {{session_title}} on {{date}}',
   E'A seat became free and it is yours: you are booked on "{{session_title}}" ({{course_title}}).\n\nWhen: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}})\nWhere: {{place}}'),
  ('enrollment.offered', 'A seat is offered to you: {{session_title}} on {{date}}',
   E'A seat became free on "{{session_title}}" ({{course_title}}) and is offered to you. Accept it before {{offer_expires_at}} ({{time_zone}}); after that it goes to the next in line.\n\nWhen: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}})\nWhere: {{place}}'),
  ('session.reminder', 'Tomorrow: {{session_title}} at {{start_time}}',
   E'A reminder: "{{session_title}}" ({{course_title}}) is tomorrow. The calendar entry is attached.\n\nWhen: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}})\nWhere: {{place}}'),
  ('session.changed', 'Changed: {{session_title}} on {{date}}',
   E'"{{session_title}}" ({{course_title}}) has changed.\n\nNow: {{date}}, {{start_time}}–{{end_time}} ({{time_zone}}) at {{place}}\nBefore: {{previous_date}}, {{previous_start_time}}–{{previous_end_time}} ({{previous_time_zone}}) at {{previous_place}}'),
  ('session.cancelled', 'Cancelled: {{session_title}} on {{date}}',
   E'"{{session_title}}" ({{course_title}}) on {{date}} at {{start_time}} ({{time_zone}}) at {{place}} has been cancelled.\nReason: {{reason}}');
