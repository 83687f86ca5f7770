-- The schema after every migration in migrations/, read from the catalogue of a migrated embedded
-- database (PostgreSQL 18) by src/platform/db/schema-dump.ts. Generated: never edit it; add a migration, then
-- run `npm run db:schema` (a test checks that the migrations make exactly this). For reading, not for
-- loading: objects are in name order, not in the order they can be created. Types and sequences come
-- first; each table stands with its row-level security, indexes, triggers, policies and grants; then
-- the views and the functions. CURRENT_USER is the role that ran the migrations (it owns the schema).

-- Schema

GRANT USAGE ON SCHEMA public TO PUBLIC;
GRANT USAGE ON SCHEMA public TO unitrain_app;

-- Extensions

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Types

CREATE TYPE calendar_entry AS (
  id uuid,
  title text,
  status text,
  session_date date,
  start_time time without time zone,
  end_time time without time zone,
  starts_at timestamp with time zone,
  ends_at timestamp with time zone,
  max_capacity integer,
  current_enrollment integer,
  waitlisted integer,
  enrollment_percentage double precision,
  version integer,
  updated_at timestamp with time zone,
  course_id uuid,
  course_code text,
  course_title text,
  instructor_id uuid,
  instructor_name text,
  location_id uuid,
  location_name text,
  address_line1 text,
  address_line2 text,
  city text,
  region text,
  postal_code text,
  country text,
  timezone text,
  participation text
);

CREATE TYPE realtime_actor AS (
  user_id uuid,
  role text,
  provider_ids uuid[],
  location_ids uuid[],
  taught_session_ids uuid[],
  enrolled_session_ids uuid[],
  instructed_roster_ids uuid[],
  affiliated_provider_id uuid
);

CREATE TYPE realtime_change AS (
  seq bigint,
  table_name text,
  row_id uuid,
  location_id uuid,
  provider_id uuid,
  instructor_id uuid,
  user_id uuid,
  session_open boolean,
  course_listed boolean,
  account_role text,
  roster_id uuid,
  session_id uuid
);

-- Sequences

CREATE SEQUENCE audit_log_id_seq AS bigint OWNED BY audit_log.id;

CREATE SEQUENCE certificate_status_list_index_seq AS bigint OWNED BY certificate_status_entries.status_list_index;

CREATE SEQUENCE change_log_seq_seq AS bigint OWNED BY change_log.seq;
GRANT USAGE ON SEQUENCE change_log_seq_seq TO unitrain_app;

CREATE SEQUENCE domain_events_seq_seq AS bigint OWNED BY domain_events.seq;
GRANT USAGE ON SEQUENCE domain_events_seq_seq TO unitrain_app;

-- Tables

CREATE TABLE account_tokens (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  purpose text NOT NULL,
  invitation_id uuid,
  mail_generation integer,
  user_id uuid,
  token_hash text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  used_at timestamp with time zone,
  revoked_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT account_tokens_pkey PRIMARY KEY (id),
  CONSTRAINT account_tokens_invitation_id_fkey FOREIGN KEY (invitation_id) REFERENCES invitations(id) ON DELETE CASCADE,
  CONSTRAINT account_tokens_purpose_check CHECK (purpose = 'INVITATION'::text AND invitation_id IS NOT NULL AND mail_generation IS NOT NULL AND user_id IS NULL OR purpose = 'PASSWORD_RESET'::text AND user_id IS NOT NULL AND invitation_id IS NULL AND mail_generation IS NULL),
  CONSTRAINT account_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text),
  CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY;
CREATE INDEX account_tokens_invitation_id_idx ON public.account_tokens USING btree (invitation_id);
CREATE INDEX account_tokens_user_id_idx ON public.account_tokens USING btree (user_id);
CREATE POLICY account_tokens_owner_all ON account_tokens FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE analytics_refreshes (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  view_name text NOT NULL,
  refreshed_at timestamp with time zone NOT NULL,
  duration_ms integer DEFAULT 0 NOT NULL,
  CONSTRAINT analytics_refreshes_pkey PRIMARY KEY (id),
  CONSTRAINT analytics_refreshes_duration_check CHECK (duration_ms >= 0),
  CONSTRAINT analytics_refreshes_view_name_key UNIQUE (view_name)
);
ALTER TABLE analytics_refreshes ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_refreshes FORCE ROW LEVEL SECURITY;
CREATE TRIGGER analytics_refreshes_capture_delete AFTER DELETE ON analytics_refreshes REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION analytics_refreshes_capture_changes();
CREATE TRIGGER analytics_refreshes_capture_insert AFTER INSERT ON analytics_refreshes REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION analytics_refreshes_capture_changes();
CREATE TRIGGER analytics_refreshes_capture_update AFTER UPDATE ON analytics_refreshes REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION analytics_refreshes_capture_changes();
CREATE POLICY analytics_refreshes_owner_all ON analytics_refreshes FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE audit_log (
  id bigint DEFAULT nextval('audit_log_id_seq'::regclass) NOT NULL,
  occurred_at timestamp with time zone DEFAULT now() NOT NULL,
  actor_id uuid,
  actor_role text,
  table_name text NOT NULL,
  operation text NOT NULL,
  row_id uuid NOT NULL,
  old_values jsonb,
  new_values jsonb,
  request_id text,
  ip inet,
  user_agent text,
  CONSTRAINT audit_log_pkey PRIMARY KEY (id),
  CONSTRAINT audit_log_actor_role_check CHECK (actor_role = ANY ('{SA,AD,AP,IC,IP,IT,IN}'::text[])),
  CONSTRAINT audit_log_operation_check CHECK (operation = ANY ('{INSERT,UPDATE,DELETE}'::text[])),
  CONSTRAINT audit_log_values_check CHECK ((old_values IS NULL) = (operation = 'INSERT'::text) AND (new_values IS NULL) = (operation = 'DELETE'::text))
);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE INDEX audit_log_actor_occurred_idx ON public.audit_log USING btree (actor_id, occurred_at);
CREATE INDEX audit_log_table_row_idx ON public.audit_log USING btree (table_name, row_id);
CREATE POLICY audit_log_owner_all ON audit_log FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY audit_log_select_ad ON audit_log FOR SELECT TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (NOT app_audit_entry_concerns_sa(table_name, row_id, old_values, new_values))));
CREATE POLICY audit_log_select_sa ON audit_log FOR SELECT TO unitrain_sa
  USING ((app_role() = 'SA'::text));
GRANT SELECT ON audit_log TO unitrain_app;

CREATE TABLE auth_sessions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  family_id uuid NOT NULL,
  refresh_token_hash text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  revoked_at timestamp with time zone,
  replaced_by uuid,
  user_agent text,
  ip inet,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT auth_sessions_pkey PRIMARY KEY (id),
  CONSTRAINT auth_sessions_refresh_token_hash_key UNIQUE (refresh_token_hash),
  CONSTRAINT auth_sessions_replaced_by_fkey FOREIGN KEY (replaced_by) REFERENCES auth_sessions(id) ON DELETE SET NULL,
  CONSTRAINT auth_sessions_replaced_check CHECK (replaced_by IS NULL OR revoked_at IS NOT NULL),
  CONSTRAINT auth_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE auth_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_sessions FORCE ROW LEVEL SECURITY;
CREATE INDEX auth_sessions_family_id_idx ON public.auth_sessions USING btree (family_id);
CREATE INDEX auth_sessions_replaced_by_idx ON public.auth_sessions USING btree (replaced_by);
CREATE INDEX auth_sessions_user_id_idx ON public.auth_sessions USING btree (user_id);
CREATE TRIGGER auth_sessions_set_row_version BEFORE UPDATE ON auth_sessions FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY auth_sessions_owner_all ON auth_sessions FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY auth_sessions_select_ad ON auth_sessions FOR SELECT TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (app_user_role(user_id) <> 'SA'::text)));
CREATE POLICY auth_sessions_select_sa ON auth_sessions FOR SELECT TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY auth_sessions_select_self ON auth_sessions FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
GRANT SELECT (id, user_id, family_id, expires_at, revoked_at, replaced_by, user_agent, ip, created_at, updated_at, version) ON auth_sessions TO unitrain_app;

CREATE TABLE authorized_providers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  description text,
  contact_email_ciphertext text,
  contact_phone_ciphertext text,
  website text,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT authorized_providers_pkey PRIMARY KEY (id),
  CONSTRAINT authorized_providers_name_key UNIQUE (name),
  CONSTRAINT authorized_providers_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'SUSPENDED'::text, 'INACTIVE'::text]))
);
ALTER TABLE authorized_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE authorized_providers FORCE ROW LEVEL SECURITY;
CREATE INDEX authorized_providers_created_at_id_idx ON public.authorized_providers USING btree (created_at, id);
CREATE INDEX authorized_providers_name_id_idx ON public.authorized_providers USING btree (name, id);
CREATE TRIGGER authorized_providers_audit_delete AFTER DELETE ON authorized_providers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER authorized_providers_audit_insert AFTER INSERT ON authorized_providers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER authorized_providers_audit_update AFTER UPDATE ON authorized_providers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER authorized_providers_capture_delete AFTER DELETE ON authorized_providers REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION authorized_providers_capture_changes();
CREATE TRIGGER authorized_providers_capture_insert AFTER INSERT ON authorized_providers REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION authorized_providers_capture_changes();
CREATE TRIGGER authorized_providers_capture_update AFTER UPDATE ON authorized_providers REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION authorized_providers_capture_changes();
CREATE TRIGGER authorized_providers_set_row_version BEFORE UPDATE ON authorized_providers FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY authorized_providers_delete_admin ON authorized_providers FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY authorized_providers_insert_admin ON authorized_providers FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY authorized_providers_owner_all ON authorized_providers FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY authorized_providers_select_admin ON authorized_providers FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY authorized_providers_select_affiliated ON authorized_providers FOR SELECT TO unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text, 'IT'::text, 'IN'::text])) AND (id = ( SELECT app_affiliated_provider_id() AS app_affiliated_provider_id))));
CREATE POLICY authorized_providers_select_own ON authorized_providers FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY authorized_providers_update_admin ON authorized_providers FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY authorized_providers_update_own ON authorized_providers FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON authorized_providers TO unitrain_app;

CREATE TABLE calendar_feeds (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  token_hash text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT calendar_feeds_pkey PRIMARY KEY (id),
  CONSTRAINT calendar_feeds_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'::text),
  CONSTRAINT calendar_feeds_token_hash_key UNIQUE (token_hash),
  CONSTRAINT calendar_feeds_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT calendar_feeds_user_id_key UNIQUE (user_id)
);
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds FORCE ROW LEVEL SECURITY;
CREATE TRIGGER calendar_feeds_guard_sa_reference BEFORE INSERT OR UPDATE ON calendar_feeds FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE TRIGGER calendar_feeds_set_row_version BEFORE UPDATE ON calendar_feeds FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY calendar_feeds_delete_self ON calendar_feeds FOR DELETE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY calendar_feeds_insert_self ON calendar_feeds FOR INSERT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  WITH CHECK ((user_id = app_user_id()));
CREATE POLICY calendar_feeds_owner_all ON calendar_feeds FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY calendar_feeds_select_self ON calendar_feeds FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY calendar_feeds_update_self ON calendar_feeds FOR UPDATE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()))
  WITH CHECK ((user_id = app_user_id()));
GRANT DELETE, INSERT, UPDATE ON calendar_feeds TO unitrain_app;
GRANT SELECT (id, user_id, created_at, updated_at, version) ON calendar_feeds TO unitrain_app;

CREATE TABLE certificate_batch_results (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  batch_id uuid NOT NULL,
  "position" integer NOT NULL,
  enrollment_id uuid,
  roster_member_id uuid,
  outcome text,
  reason text,
  certificate_id uuid,
  processed_at timestamp with time zone,
  CONSTRAINT certificate_batch_results_pkey PRIMARY KEY (id),
  CONSTRAINT certificate_batch_results_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES certificate_batches(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batch_results_batch_position_key UNIQUE (batch_id, "position"),
  CONSTRAINT certificate_batch_results_certificate_id_fkey FOREIGN KEY (certificate_id) REFERENCES certificates(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batch_results_enrollment_id_fkey FOREIGN KEY (enrollment_id) REFERENCES session_enrollments(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batch_results_outcome_check CHECK (outcome = ANY (ARRAY['ISSUED'::text, 'ALREADY_ISSUED'::text, 'NOT_ELIGIBLE'::text])),
  CONSTRAINT certificate_batch_results_processed_check CHECK ((outcome IS NULL) = (processed_at IS NULL)),
  CONSTRAINT certificate_batch_results_reason_check CHECK ((outcome = 'NOT_ELIGIBLE'::text) = (reason IS NOT NULL)),
  CONSTRAINT certificate_batch_results_roster_member_id_fkey FOREIGN KEY (roster_member_id) REFERENCES student_roster_members(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batch_results_source_check CHECK (num_nonnulls(enrollment_id, roster_member_id) = 1)
);
ALTER TABLE certificate_batch_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_batch_results FORCE ROW LEVEL SECURITY;
CREATE INDEX certificate_batch_results_certificate_id_idx ON public.certificate_batch_results USING btree (certificate_id);
CREATE INDEX certificate_batch_results_pending_idx ON public.certificate_batch_results USING btree (batch_id, "position") WHERE (outcome IS NULL);
CREATE POLICY certificate_batch_results_owner_all ON certificate_batch_results FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificate_batch_results_select_batch ON certificate_batch_results FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((EXISTS ( SELECT 1
   FROM certificate_batches b
  WHERE (b.id = certificate_batch_results.batch_id))));
GRANT SELECT ON certificate_batch_results TO unitrain_app;

CREATE TABLE certificate_batches (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  roster_id uuid,
  template_id uuid NOT NULL,
  requested_by uuid,
  status text DEFAULT 'PENDING'::text NOT NULL,
  total_count integer NOT NULL,
  processed_count integer DEFAULT 0 NOT NULL,
  failed_count integer DEFAULT 0 NOT NULL,
  started_at timestamp with time zone,
  finished_at timestamp with time zone,
  last_error text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  session_id uuid,
  template_version_id uuid,
  verification_base_url text,
  CONSTRAINT certificate_batches_pkey PRIMARY KEY (id),
  CONSTRAINT certificate_batches_progress_check CHECK (total_count >= 0 AND failed_count >= 0 AND failed_count <= processed_count AND processed_count <= total_count),
  CONSTRAINT certificate_batches_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT certificate_batches_roster_id_fkey FOREIGN KEY (roster_id) REFERENCES rosters(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batches_session_id_fkey FOREIGN KEY (session_id) REFERENCES training_sessions(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batches_source_check CHECK (num_nonnulls(roster_id, session_id) = 1),
  CONSTRAINT certificate_batches_status_check CHECK (status = ANY (ARRAY['PENDING'::text, 'RUNNING'::text, 'COMPLETED'::text, 'FAILED'::text])),
  CONSTRAINT certificate_batches_template_id_fkey FOREIGN KEY (template_id) REFERENCES certificate_templates(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_batches_template_version_id_fkey FOREIGN KEY (template_version_id) REFERENCES certificate_template_versions(id) ON DELETE RESTRICT
);
ALTER TABLE certificate_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_batches FORCE ROW LEVEL SECURITY;
CREATE INDEX certificate_batches_roster_id_idx ON public.certificate_batches USING btree (roster_id);
CREATE INDEX certificate_batches_session_id_idx ON public.certificate_batches USING btree (session_id);
CREATE INDEX certificate_batches_template_id_idx ON public.certificate_batches USING btree (template_id);
CREATE INDEX certificate_batches_template_version_id_idx ON public.certificate_batches USING btree (template_version_id);
CREATE TRIGGER certificate_batches_audit_delete AFTER DELETE ON certificate_batches REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_batches_audit_insert AFTER INSERT ON certificate_batches REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_batches_audit_update AFTER UPDATE ON certificate_batches REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_batches_capture_delete AFTER DELETE ON certificate_batches REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificate_batches_capture_changes();
CREATE TRIGGER certificate_batches_capture_insert AFTER INSERT ON certificate_batches REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificate_batches_capture_changes();
CREATE TRIGGER certificate_batches_capture_update AFTER UPDATE ON certificate_batches REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificate_batches_capture_changes();
CREATE TRIGGER certificate_batches_guard_sa_reference BEFORE INSERT OR UPDATE ON certificate_batches FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.requested_by])) EXECUTE FUNCTION app_guard_sa_reference('requested_by');
CREATE TRIGGER certificate_batches_queue AFTER INSERT ON certificate_batches FOR EACH ROW WHEN (new.status = 'PENDING'::text AND new.template_version_id IS NOT NULL) EXECUTE FUNCTION app_queue_certificate_batch();
CREATE TRIGGER certificate_batches_set_row_version BEFORE UPDATE ON certificate_batches FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY certificate_batches_insert_admin ON certificate_batches FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_batches_insert_own_rosters ON certificate_batches FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (requested_by = app_user_id()) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))));
CREATE POLICY certificate_batches_insert_provider_rosters ON certificate_batches FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY certificate_batches_insert_provider_sessions ON certificate_batches FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY certificate_batches_insert_taught_sessions ON certificate_batches FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (requested_by = app_user_id()) AND (session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[]))));
CREATE POLICY certificate_batches_owner_all ON certificate_batches FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificate_batches_select_admin ON certificate_batches FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_batches_select_provider_rosters ON certificate_batches FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY certificate_batches_select_provider_sessions ON certificate_batches FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY certificate_batches_select_requester ON certificate_batches FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (requested_by = app_user_id())));
CREATE POLICY certificate_batches_update_admin ON certificate_batches FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_batches_update_own_rosters ON certificate_batches FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (requested_by = app_user_id()) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (requested_by = app_user_id()) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))));
CREATE POLICY certificate_batches_update_provider_rosters ON certificate_batches FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))))
  WITH CHECK (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
GRANT INSERT, SELECT, UPDATE ON certificate_batches TO unitrain_app;

CREATE TABLE certificate_status_entries (
  certificate_id uuid NOT NULL,
  status_list_index bigint DEFAULT nextval('certificate_status_list_index_seq'::regclass) NOT NULL,
  CONSTRAINT certificate_status_entries_pkey PRIMARY KEY (certificate_id),
  CONSTRAINT certificate_status_entries_certificate_id_fkey FOREIGN KEY (certificate_id) REFERENCES certificates(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_status_entries_status_list_index_check CHECK (status_list_index >= 0),
  CONSTRAINT certificate_status_entries_status_list_index_key UNIQUE (status_list_index)
);
ALTER TABLE certificate_status_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_status_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_status_entries_owner_all ON certificate_status_entries FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE certificate_status_lists (
  purpose text NOT NULL,
  list_number integer NOT NULL,
  bits bytea NOT NULL,
  changed_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT certificate_status_lists_pkey PRIMARY KEY (purpose, list_number),
  CONSTRAINT certificate_status_lists_bits_check CHECK (length(bits) = 16384),
  CONSTRAINT certificate_status_lists_list_number_check CHECK (list_number >= 0),
  CONSTRAINT certificate_status_lists_purpose_check CHECK (purpose = ANY (ARRAY['revocation'::text, 'suspension'::text]))
);
ALTER TABLE certificate_status_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_status_lists FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_status_lists_owner_all ON certificate_status_lists FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE certificate_template_versions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  template_id uuid NOT NULL,
  version_number integer NOT NULL,
  name text NOT NULL,
  layout jsonb NOT NULL,
  published_by uuid,
  published_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT certificate_template_versions_pkey PRIMARY KEY (id),
  CONSTRAINT certificate_template_versions_layout_check CHECK (jsonb_typeof(layout) = 'object'::text),
  CONSTRAINT certificate_template_versions_published_by_fkey FOREIGN KEY (published_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT certificate_template_versions_template_id_fkey FOREIGN KEY (template_id) REFERENCES certificate_templates(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_template_versions_template_version_key UNIQUE (template_id, version_number),
  CONSTRAINT certificate_template_versions_version_number_check CHECK (version_number >= 1)
);
ALTER TABLE certificate_template_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_template_versions FORCE ROW LEVEL SECURITY;
CREATE INDEX certificate_template_versions_published_by_idx ON public.certificate_template_versions USING btree (published_by);
CREATE TRIGGER certificate_template_versions_audit_delete AFTER DELETE ON certificate_template_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_template_versions_audit_insert AFTER INSERT ON certificate_template_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_template_versions_audit_update AFTER UPDATE ON certificate_template_versions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_template_versions_guard_sa_reference BEFORE INSERT OR UPDATE ON certificate_template_versions FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.published_by])) EXECUTE FUNCTION app_guard_sa_reference('published_by');
CREATE TRIGGER certificate_template_versions_immutable BEFORE UPDATE ON certificate_template_versions FOR EACH ROW EXECUTE FUNCTION app_refuse_template_version_change();
CREATE POLICY certificate_template_versions_insert_admin ON certificate_template_versions FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_template_versions_insert_own_providers ON certificate_template_versions FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (EXISTS ( SELECT 1
   FROM certificate_templates t
  WHERE ((t.id = certificate_template_versions.template_id) AND (t.provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[])))))));
CREATE POLICY certificate_template_versions_owner_all ON certificate_template_versions FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificate_template_versions_select_printed ON certificate_template_versions FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((EXISTS ( SELECT 1
   FROM certificates c
  WHERE (c.template_version_id = certificate_template_versions.id))));
CREATE POLICY certificate_template_versions_select_template ON certificate_template_versions FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((EXISTS ( SELECT 1
   FROM certificate_templates t
  WHERE (t.id = certificate_template_versions.template_id))));
GRANT INSERT, SELECT ON certificate_template_versions TO unitrain_app;

CREATE TABLE certificate_templates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  template_version text DEFAULT '1'::text NOT NULL,
  layout jsonb,
  file_url text,
  is_default boolean DEFAULT false NOT NULL,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  provider_id uuid,
  published_version integer,
  published_at timestamp with time zone,
  CONSTRAINT certificate_templates_pkey PRIMARY KEY (id),
  CONSTRAINT certificate_templates_content_check CHECK (num_nonnulls(layout, file_url) >= 1),
  CONSTRAINT certificate_templates_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT certificate_templates_default_check CHECK (NOT is_default OR status = 'ACTIVE'::text),
  CONSTRAINT certificate_templates_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT certificate_templates_published_version_fkey FOREIGN KEY (id, published_version) REFERENCES certificate_template_versions(template_id, version_number),
  CONSTRAINT certificate_templates_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'ARCHIVED'::text]))
);
ALTER TABLE certificate_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_templates FORCE ROW LEVEL SECURITY;
CREATE INDEX certificate_templates_provider_id_idx ON public.certificate_templates USING btree (provider_id);
CREATE UNIQUE INDEX certificate_templates_single_default_key ON public.certificate_templates USING btree (is_default) WHERE is_default;
CREATE TRIGGER certificate_templates_audit_delete AFTER DELETE ON certificate_templates REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_templates_audit_insert AFTER INSERT ON certificate_templates REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_templates_audit_update AFTER UPDATE ON certificate_templates REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificate_templates_guard_sa_reference BEFORE INSERT OR UPDATE ON certificate_templates FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('created_by');
CREATE TRIGGER certificate_templates_set_row_version BEFORE UPDATE ON certificate_templates FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY certificate_templates_delete_admin ON certificate_templates FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_templates_insert_admin ON certificate_templates FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_templates_insert_own_providers ON certificate_templates FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY certificate_templates_owner_all ON certificate_templates FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificate_templates_select_admin ON certificate_templates FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_templates_select_affiliated ON certificate_templates FOR SELECT TO unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text, 'IT'::text, 'IN'::text])) AND (provider_id = ( SELECT app_affiliated_provider_id() AS app_affiliated_provider_id))));
CREATE POLICY certificate_templates_select_global ON certificate_templates FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((app_is_signed_in() AND (provider_id IS NULL)));
CREATE POLICY certificate_templates_select_own_providers ON certificate_templates FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY certificate_templates_update_admin ON certificate_templates FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificate_templates_update_own_providers ON certificate_templates FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON certificate_templates TO unitrain_app;

CREATE TABLE certificate_verifications (
  certificate_id uuid NOT NULL,
  verification_count integer NOT NULL,
  last_verified_at timestamp with time zone NOT NULL,
  CONSTRAINT certificate_verifications_pkey PRIMARY KEY (certificate_id),
  CONSTRAINT certificate_verifications_count_check CHECK (verification_count > 0)
);
ALTER TABLE certificate_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_verifications_owner_all ON certificate_verifications FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificate_verifications_select_visible ON certificate_verifications FOR SELECT TO unitrain_app
  USING ((EXISTS ( SELECT 1
   FROM certificates c
  WHERE (c.id = certificate_verifications.certificate_id))));
GRANT SELECT ON certificate_verifications TO unitrain_app;

CREATE TABLE certificates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid,
  student_profile_id uuid,
  enrollment_id uuid,
  roster_member_id uuid,
  roster_id uuid,
  session_id uuid,
  course_id uuid NOT NULL,
  location_id uuid NOT NULL,
  provider_id uuid,
  course_name text NOT NULL,
  recipient_name text NOT NULL,
  recipient_email_ciphertext text,
  issued_by uuid,
  template_id uuid,
  batch_id uuid,
  issue_date date NOT NULL,
  expiry_date date,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  revoked_at timestamp with time zone,
  revoked_reason text,
  verification_code text NOT NULL,
  signature text,
  certificate_url text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  snapshot jsonb,
  pdf_sha256 text,
  revoked_reason_code text,
  suspended_at timestamp with time zone,
  suspended_reason text,
  replaces_certificate_id uuid,
  template_version_id uuid,
  CONSTRAINT certificates_pkey PRIMARY KEY (id),
  CONSTRAINT certificates_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES certificate_batches(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_enrollment_id_fkey FOREIGN KEY (enrollment_id) REFERENCES session_enrollments(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_expiry_check CHECK (expiry_date >= issue_date),
  CONSTRAINT certificates_issued_by_fkey FOREIGN KEY (issued_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT certificates_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_pdf_sha256_check CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'::text),
  CONSTRAINT certificates_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_recipient_check CHECK (num_nonnulls(user_id, student_profile_id) >= 1),
  CONSTRAINT certificates_replaces_certificate_id_fkey FOREIGN KEY (replaces_certificate_id) REFERENCES certificates(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_replaces_check CHECK (replaces_certificate_id <> id),
  CONSTRAINT certificates_revocation_check CHECK (status = 'REVOKED'::text AND revoked_at IS NOT NULL AND revoked_reason IS NOT NULL OR status <> 'REVOKED'::text AND revoked_at IS NULL AND revoked_reason IS NULL),
  CONSTRAINT certificates_revoked_reason_code_check CHECK (revoked_reason_code IS NULL OR (revoked_reason_code = ANY (ARRAY['ISSUED_IN_ERROR'::text, 'SUPERSEDED'::text, 'MISCONDUCT'::text, 'FRAUD'::text, 'HOLDER_REQUEST'::text, 'OTHER'::text])) AND status = 'REVOKED'::text),
  CONSTRAINT certificates_roster_id_fkey FOREIGN KEY (roster_id) REFERENCES rosters(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_roster_member_id_fkey FOREIGN KEY (roster_member_id) REFERENCES student_roster_members(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_session_id_fkey FOREIGN KEY (session_id) REFERENCES training_sessions(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_snapshot_check CHECK (snapshot IS NULL OR jsonb_typeof(snapshot) = 'object'::text),
  CONSTRAINT certificates_source_check CHECK (num_nonnulls(enrollment_id, roster_member_id) <= 1),
  CONSTRAINT certificates_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'SUSPENDED'::text, 'EXPIRED'::text, 'REVOKED'::text])),
  CONSTRAINT certificates_student_profile_id_fkey FOREIGN KEY (student_profile_id) REFERENCES student_enrollment_profiles(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_suspension_check CHECK (status = 'SUSPENDED'::text AND suspended_at IS NOT NULL AND suspended_reason IS NOT NULL OR status <> 'SUSPENDED'::text AND suspended_at IS NULL AND suspended_reason IS NULL),
  CONSTRAINT certificates_template_id_fkey FOREIGN KEY (template_id) REFERENCES certificate_templates(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_template_version_id_fkey FOREIGN KEY (template_version_id) REFERENCES certificate_template_versions(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE RESTRICT,
  CONSTRAINT certificates_verification_code_check CHECK (verification_code ~ '^[A-Z0-9-]{8,32}$'::text),
  CONSTRAINT certificates_verification_code_key UNIQUE (verification_code)
);
ALTER TABLE certificates ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificates FORCE ROW LEVEL SECURITY;
CREATE INDEX certificates_active_expiry_date_idx ON public.certificates USING btree (expiry_date) WHERE (status = 'ACTIVE'::text);
CREATE INDEX certificates_batch_id_idx ON public.certificates USING btree (batch_id);
CREATE INDEX certificates_course_id_idx ON public.certificates USING btree (course_id);
CREATE INDEX certificates_created_at_idx ON public.certificates USING btree (created_at, id);
CREATE UNIQUE INDEX certificates_enrollment_live_key ON public.certificates USING btree (enrollment_id) WHERE (status <> 'REVOKED'::text);
CREATE INDEX certificates_expiry_date_idx ON public.certificates USING btree (expiry_date, id);
CREATE INDEX certificates_issued_by_idx ON public.certificates USING btree (issued_by);
CREATE INDEX certificates_location_id_idx ON public.certificates USING btree (location_id);
CREATE INDEX certificates_provider_id_idx ON public.certificates USING btree (provider_id);
CREATE UNIQUE INDEX certificates_replaces_certificate_id_key ON public.certificates USING btree (replaces_certificate_id);
CREATE INDEX certificates_roster_id_idx ON public.certificates USING btree (roster_id);
CREATE UNIQUE INDEX certificates_roster_member_live_key ON public.certificates USING btree (roster_member_id) WHERE (status <> 'REVOKED'::text);
CREATE INDEX certificates_session_id_idx ON public.certificates USING btree (session_id);
CREATE INDEX certificates_student_profile_id_idx ON public.certificates USING btree (student_profile_id);
CREATE INDEX certificates_template_version_id_idx ON public.certificates USING btree (template_version_id);
CREATE INDEX certificates_user_id_idx ON public.certificates USING btree (user_id);
CREATE TRIGGER certificates_audit_delete AFTER DELETE ON certificates REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificates_audit_insert AFTER INSERT ON certificates REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificates_audit_update AFTER UPDATE ON certificates REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER certificates_capture_delete AFTER DELETE ON certificates REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificates_capture_changes();
CREATE TRIGGER certificates_capture_insert AFTER INSERT ON certificates REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificates_capture_changes();
CREATE TRIGGER certificates_capture_update AFTER UPDATE ON certificates REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION certificates_capture_changes();
CREATE TRIGGER certificates_guard_sa_reference BEFORE INSERT OR UPDATE ON certificates FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id, new.issued_by])) EXECUTE FUNCTION app_guard_sa_reference('user_id', 'issued_by');
CREATE TRIGGER certificates_keep_counted AFTER DELETE ON certificates REFERENCING OLD TABLE AS old_certificates FOR EACH STATEMENT EXECUTE FUNCTION certificates_refuse_delete_counted();
CREATE TRIGGER certificates_recount_rosters_on_delete AFTER DELETE ON certificates REFERENCING OLD TABLE AS old_certificates FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();
CREATE TRIGGER certificates_recount_rosters_on_insert AFTER INSERT ON certificates REFERENCING NEW TABLE AS new_certificates FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();
CREATE TRIGGER certificates_recount_rosters_on_update AFTER UPDATE ON certificates REFERENCING OLD TABLE AS old_certificates NEW TABLE AS new_certificates FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();
CREATE TRIGGER certificates_set_row_version BEFORE UPDATE ON certificates FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE TRIGGER certificates_status_list_on_insert AFTER INSERT ON certificates REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION certificates_enter_status_lists();
CREATE CONSTRAINT TRIGGER certificates_status_list_on_update AFTER UPDATE OF status ON certificates DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION certificates_publish_status();
CREATE POLICY certificates_insert_admin ON certificates FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificates_insert_issuer ON certificates FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (issued_by = app_user_id())));
CREATE POLICY certificates_insert_own_locations ON certificates FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY certificates_owner_all ON certificates FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY certificates_select_admin ON certificates FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificates_select_issuer ON certificates FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (issued_by = app_user_id())));
CREATE POLICY certificates_select_own_locations ON certificates FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY certificates_select_recipient ON certificates FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY certificates_select_taught ON certificates FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND ((session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[])) OR (roster_id = ANY (( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids)::uuid[])))));
CREATE POLICY certificates_update_admin ON certificates FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY certificates_update_issuer ON certificates FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (issued_by = app_user_id())))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (issued_by = app_user_id())));
CREATE POLICY certificates_update_own_locations ON certificates FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
GRANT INSERT, SELECT, UPDATE ON certificates TO unitrain_app;

CREATE TABLE change_log (
  seq bigint DEFAULT nextval('change_log_seq_seq'::regclass) NOT NULL,
  txid xid8 DEFAULT pg_current_xact_id() NOT NULL,
  table_name text NOT NULL,
  operation text NOT NULL,
  row_id uuid NOT NULL,
  location_id uuid,
  provider_id uuid,
  instructor_id uuid,
  user_id uuid,
  changed_at timestamp with time zone DEFAULT now() NOT NULL,
  parent_id uuid,
  CONSTRAINT change_log_pkey PRIMARY KEY (seq),
  CONSTRAINT change_log_operation_check CHECK (operation = ANY ('{INSERT,UPDATE,DELETE}'::text[]))
);
ALTER TABLE change_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE change_log FORCE ROW LEVEL SECURITY;
CREATE INDEX change_log_changed_at_idx ON public.change_log USING btree (changed_at);
CREATE INDEX change_log_scope_changes_idx ON public.change_log USING btree (txid, seq) WHERE (table_name = ANY (ARRAY['users'::text, 'provider_members'::text, 'provider_locations'::text, 'instructor_profiles'::text, 'training_sessions'::text, 'session_enrollments'::text, 'rosters'::text]));
CREATE INDEX change_log_txid_seq_idx ON public.change_log USING btree (txid, seq);
CREATE POLICY change_log_insert_signed_in ON change_log FOR INSERT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  WITH CHECK (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY change_log_owner_all ON change_log FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY change_log_select_admin ON change_log FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT INSERT, SELECT ON change_log TO unitrain_app;
COMMENT ON COLUMN change_log.parent_id IS 'student_roster_members: the roster of the line (NULL for other tables)';

CREATE TABLE compliance_records (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  requirement_id uuid NOT NULL,
  status text DEFAULT 'PENDING'::text NOT NULL,
  completed_at timestamp with time zone,
  expires_at timestamp with time zone,
  source_enrollment_id uuid,
  evidence jsonb DEFAULT '{}'::jsonb NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  waiver_reason text,
  CONSTRAINT compliance_records_pkey PRIMARY KEY (id),
  CONSTRAINT compliance_records_completed_check CHECK ((status <> ALL (ARRAY['MET'::text, 'EXPIRED'::text])) OR completed_at IS NOT NULL),
  CONSTRAINT compliance_records_expiry_check CHECK (expires_at >= completed_at),
  CONSTRAINT compliance_records_requirement_id_fkey FOREIGN KEY (requirement_id) REFERENCES compliance_requirements(id) ON DELETE RESTRICT,
  CONSTRAINT compliance_records_source_enrollment_id_fkey FOREIGN KEY (source_enrollment_id) REFERENCES session_enrollments(id) ON DELETE SET NULL,
  CONSTRAINT compliance_records_status_check CHECK (status = ANY (ARRAY['PENDING'::text, 'MET'::text, 'EXPIRED'::text, 'WAIVED'::text])),
  CONSTRAINT compliance_records_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE RESTRICT,
  CONSTRAINT compliance_records_user_requirement_key UNIQUE (user_id, requirement_id)
);
ALTER TABLE compliance_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_records FORCE ROW LEVEL SECURITY;
CREATE INDEX compliance_records_met_expires_at_idx ON public.compliance_records USING btree (expires_at) WHERE (status = 'MET'::text);
CREATE INDEX compliance_records_requirement_id_idx ON public.compliance_records USING btree (requirement_id);
CREATE INDEX compliance_records_source_enrollment_id_idx ON public.compliance_records USING btree (source_enrollment_id);
CREATE TRIGGER compliance_records_audit_delete AFTER DELETE ON compliance_records REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_records_audit_insert AFTER INSERT ON compliance_records REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_records_audit_update AFTER UPDATE ON compliance_records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_records_capture_delete AFTER DELETE ON compliance_records REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION compliance_records_capture_changes();
CREATE TRIGGER compliance_records_capture_insert AFTER INSERT ON compliance_records REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION compliance_records_capture_changes();
CREATE TRIGGER compliance_records_capture_update AFTER UPDATE ON compliance_records REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION compliance_records_capture_changes();
CREATE TRIGGER compliance_records_guard_sa_reference BEFORE INSERT OR UPDATE ON compliance_records FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE TRIGGER compliance_records_set_row_version BEFORE UPDATE ON compliance_records FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY compliance_records_delete_admin ON compliance_records FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_records_insert_admin ON compliance_records FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_records_owner_all ON compliance_records FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY compliance_records_select_admin ON compliance_records FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_records_select_affiliated_users ON compliance_records FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_provider_affiliates_user(user_id, ( SELECT app_provider_ids() AS app_provider_ids))));
CREATE POLICY compliance_records_select_self ON compliance_records FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY compliance_records_update_admin ON compliance_records FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT DELETE, INSERT, SELECT, UPDATE ON compliance_records TO unitrain_app;

CREATE TABLE compliance_reminders (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  record_id uuid NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  offset_days integer NOT NULL,
  sent_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT compliance_reminders_pkey PRIMARY KEY (id),
  CONSTRAINT compliance_reminders_offset_check CHECK (offset_days > 0),
  CONSTRAINT compliance_reminders_record_expiry_offset_key UNIQUE (record_id, expires_at, offset_days),
  CONSTRAINT compliance_reminders_record_id_fkey FOREIGN KEY (record_id) REFERENCES compliance_records(id) ON DELETE CASCADE
);
ALTER TABLE compliance_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY compliance_reminders_owner_all ON compliance_reminders FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE compliance_requirements (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  code text NOT NULL,
  name text NOT NULL,
  description text,
  applies_to_roles text[] DEFAULT '{}'::text[] NOT NULL,
  tier text DEFAULT 'basic'::text NOT NULL,
  validity_months integer,
  weight numeric(6,2) DEFAULT 1 NOT NULL,
  course_id uuid,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  renewal_window_days integer DEFAULT 90 NOT NULL,
  grace_days integer DEFAULT 0 NOT NULL,
  reminder_offsets_days integer[] DEFAULT '{90,60,30,7}'::integer[] NOT NULL,
  demotes_on_lapse boolean DEFAULT false NOT NULL,
  CONSTRAINT compliance_requirements_pkey PRIMARY KEY (id),
  CONSTRAINT compliance_requirements_code_key UNIQUE (code),
  CONSTRAINT compliance_requirements_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE SET NULL,
  CONSTRAINT compliance_requirements_grace_check CHECK (grace_days >= 0 AND grace_days <= 3660),
  CONSTRAINT compliance_requirements_reminder_offsets_check CHECK (array_position(reminder_offsets_days, NULL::integer) IS NULL AND (0 < ALL (reminder_offsets_days)) AND (3660 >= ALL (reminder_offsets_days)) AND cardinality(reminder_offsets_days) <= 12),
  CONSTRAINT compliance_requirements_roles_check CHECK (applies_to_roles <@ ARRAY['SA'::text, 'AD'::text, 'AP'::text, 'IC'::text, 'IP'::text, 'IT'::text, 'IN'::text]),
  CONSTRAINT compliance_requirements_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'RETIRED'::text])),
  CONSTRAINT compliance_requirements_tier_check CHECK (tier = ANY (ARRAY['basic'::text, 'robust'::text])),
  CONSTRAINT compliance_requirements_validity_check CHECK (validity_months > 0),
  CONSTRAINT compliance_requirements_weight_check CHECK (weight > 0::numeric),
  CONSTRAINT compliance_requirements_window_check CHECK (renewal_window_days >= 0 AND renewal_window_days <= 3660)
);
ALTER TABLE compliance_requirements ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_requirements FORCE ROW LEVEL SECURITY;
CREATE INDEX compliance_requirements_course_id_idx ON public.compliance_requirements USING btree (course_id);
CREATE TRIGGER compliance_requirements_audit_delete AFTER DELETE ON compliance_requirements REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_requirements_audit_insert AFTER INSERT ON compliance_requirements REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_requirements_audit_update AFTER UPDATE ON compliance_requirements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_requirements_set_row_version BEFORE UPDATE ON compliance_requirements FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY compliance_requirements_delete_admin ON compliance_requirements FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_requirements_insert_admin ON compliance_requirements FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_requirements_owner_all ON compliance_requirements FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY compliance_requirements_select_signed_in ON compliance_requirements FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY compliance_requirements_update_admin ON compliance_requirements FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT DELETE, INSERT, SELECT, UPDATE ON compliance_requirements TO unitrain_app;

CREATE TABLE compliance_tier_changes (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  from_role text NOT NULL,
  to_role text NOT NULL,
  requirement_ids uuid[] NOT NULL,
  status text DEFAULT 'PROPOSED'::text NOT NULL,
  decided_at timestamp with time zone,
  decision_note text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT compliance_tier_changes_pkey PRIMARY KEY (id),
  CONSTRAINT compliance_tier_changes_decision_check CHECK ((status = 'PROPOSED'::text) = (decided_at IS NULL)),
  CONSTRAINT compliance_tier_changes_requirements_check CHECK (cardinality(requirement_ids) > 0),
  CONSTRAINT compliance_tier_changes_roles_check CHECK ((from_role = ANY (ARRAY['IC'::text, 'IP'::text])) AND (to_role = ANY (ARRAY['IC'::text, 'IP'::text])) AND from_role <> to_role),
  CONSTRAINT compliance_tier_changes_status_check CHECK (status = ANY (ARRAY['PROPOSED'::text, 'CONFIRMED'::text, 'DISMISSED'::text])),
  CONSTRAINT compliance_tier_changes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE compliance_tier_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_tier_changes FORCE ROW LEVEL SECURITY;
CREATE UNIQUE INDEX compliance_tier_changes_open_key ON public.compliance_tier_changes USING btree (user_id) WHERE (status = 'PROPOSED'::text);
CREATE INDEX compliance_tier_changes_user_id_idx ON public.compliance_tier_changes USING btree (user_id);
CREATE TRIGGER compliance_tier_changes_audit_delete AFTER DELETE ON compliance_tier_changes REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_tier_changes_audit_insert AFTER INSERT ON compliance_tier_changes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_tier_changes_audit_update AFTER UPDATE ON compliance_tier_changes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER compliance_tier_changes_guard_sa_reference BEFORE INSERT OR UPDATE ON compliance_tier_changes FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE TRIGGER compliance_tier_changes_set_row_version BEFORE UPDATE ON compliance_tier_changes FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY compliance_tier_changes_owner_all ON compliance_tier_changes FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY compliance_tier_changes_select_admin ON compliance_tier_changes FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY compliance_tier_changes_select_affiliated_users ON compliance_tier_changes FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_provider_affiliates_user(user_id, ( SELECT app_provider_ids() AS app_provider_ids))));
CREATE POLICY compliance_tier_changes_select_self ON compliance_tier_changes FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY compliance_tier_changes_update_admin ON compliance_tier_changes FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT SELECT, UPDATE ON compliance_tier_changes TO unitrain_app;

CREATE TABLE course_certificate_settings (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  course_id uuid NOT NULL,
  template_id uuid,
  issue_on_completion boolean DEFAULT false NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT course_certificate_settings_pkey PRIMARY KEY (id),
  CONSTRAINT course_certificate_settings_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
  CONSTRAINT course_certificate_settings_course_id_key UNIQUE (course_id),
  CONSTRAINT course_certificate_settings_template_id_fkey FOREIGN KEY (template_id) REFERENCES certificate_templates(id) ON DELETE RESTRICT
);
ALTER TABLE course_certificate_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_certificate_settings FORCE ROW LEVEL SECURITY;
CREATE INDEX course_certificate_settings_template_id_idx ON public.course_certificate_settings USING btree (template_id);
CREATE TRIGGER course_certificate_settings_audit_delete AFTER DELETE ON course_certificate_settings REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_certificate_settings_audit_insert AFTER INSERT ON course_certificate_settings REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_certificate_settings_audit_update AFTER UPDATE ON course_certificate_settings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_certificate_settings_set_row_version BEFORE UPDATE ON course_certificate_settings FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY course_certificate_settings_insert_admin ON course_certificate_settings FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_certificate_settings_owner_all ON course_certificate_settings FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY course_certificate_settings_select_course ON course_certificate_settings FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((app_is_signed_in() AND (EXISTS ( SELECT 1
   FROM courses c
  WHERE (c.id = course_certificate_settings.course_id)))));
CREATE POLICY course_certificate_settings_update_admin ON course_certificate_settings FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT INSERT, SELECT, UPDATE ON course_certificate_settings TO unitrain_app;

CREATE TABLE course_instructor_requirements (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  course_id uuid NOT NULL,
  minimum_tier text,
  compliance_requirement_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
  certificate_course_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT course_instructor_requirements_pkey PRIMARY KEY (id),
  CONSTRAINT course_instructor_requirements_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
  CONSTRAINT course_instructor_requirements_course_id_key UNIQUE (course_id),
  CONSTRAINT course_instructor_requirements_minimum_tier_check CHECK (minimum_tier = ANY (ARRAY['IC'::text, 'IP'::text]))
);
ALTER TABLE course_instructor_requirements ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_instructor_requirements FORCE ROW LEVEL SECURITY;
CREATE TRIGGER course_instructor_requirements_audit_delete AFTER DELETE ON course_instructor_requirements REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_instructor_requirements_audit_insert AFTER INSERT ON course_instructor_requirements REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_instructor_requirements_audit_update AFTER UPDATE ON course_instructor_requirements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_instructor_requirements_check_references BEFORE INSERT OR UPDATE ON course_instructor_requirements FOR EACH ROW EXECUTE FUNCTION course_instructor_requirements_check_references();
CREATE TRIGGER course_instructor_requirements_set_row_version BEFORE UPDATE ON course_instructor_requirements FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY course_instructor_requirements_insert_admin ON course_instructor_requirements FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_instructor_requirements_owner_all ON course_instructor_requirements FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY course_instructor_requirements_select_course ON course_instructor_requirements FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((app_is_signed_in() AND (EXISTS ( SELECT 1
   FROM courses c
  WHERE (c.id = course_instructor_requirements.course_id)))));
CREATE POLICY course_instructor_requirements_update_admin ON course_instructor_requirements FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT INSERT, SELECT, UPDATE ON course_instructor_requirements TO unitrain_app;

CREATE TABLE course_schedules (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  course_id uuid NOT NULL,
  instructor_id uuid NOT NULL,
  location_id uuid NOT NULL,
  provider_id uuid,
  rrule text NOT NULL,
  dtstart timestamp with time zone NOT NULL,
  until_at timestamp with time zone,
  generated_until timestamp with time zone,
  duration_minutes integer NOT NULL,
  max_capacity integer NOT NULL,
  timezone text NOT NULL,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  self_enrollment_allowed boolean DEFAULT false NOT NULL,
  eligibility_override_reason text,
  eligibility_overridden_by uuid,
  CONSTRAINT course_schedules_pkey PRIMARY KEY (id),
  CONSTRAINT course_schedules_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE RESTRICT,
  CONSTRAINT course_schedules_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT course_schedules_duration_check CHECK (duration_minutes > 0 AND duration_minutes < 1440),
  CONSTRAINT course_schedules_eligibility_override_check CHECK ((eligibility_override_reason IS NULL) = (eligibility_overridden_by IS NULL)),
  CONSTRAINT course_schedules_instructor_id_fkey FOREIGN KEY (instructor_id) REFERENCES users(id) ON DELETE RESTRICT,
  CONSTRAINT course_schedules_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE RESTRICT,
  CONSTRAINT course_schedules_max_capacity_check CHECK (max_capacity > 0),
  CONSTRAINT course_schedules_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT course_schedules_rrule_check CHECK (rrule ~* 'FREQ='::text),
  CONSTRAINT course_schedules_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'PAUSED'::text, 'ENDED'::text])),
  CONSTRAINT course_schedules_until_check CHECK (until_at >= dtstart)
);
ALTER TABLE course_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_schedules FORCE ROW LEVEL SECURITY;
CREATE INDEX course_schedules_active_generated_until_idx ON public.course_schedules USING btree (generated_until) WHERE (status = 'ACTIVE'::text);
CREATE INDEX course_schedules_course_id_idx ON public.course_schedules USING btree (course_id);
CREATE INDEX course_schedules_created_at_id_idx ON public.course_schedules USING btree (created_at, id);
CREATE INDEX course_schedules_dtstart_id_idx ON public.course_schedules USING btree (dtstart, id);
CREATE INDEX course_schedules_instructor_id_idx ON public.course_schedules USING btree (instructor_id);
CREATE INDEX course_schedules_location_id_idx ON public.course_schedules USING btree (location_id);
CREATE INDEX course_schedules_provider_id_idx ON public.course_schedules USING btree (provider_id);
CREATE TRIGGER course_schedules_audit_delete AFTER DELETE ON course_schedules REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_schedules_audit_insert AFTER INSERT ON course_schedules REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_schedules_audit_update AFTER UPDATE ON course_schedules REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_schedules_capture_delete AFTER DELETE ON course_schedules REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION course_schedules_capture_changes();
CREATE TRIGGER course_schedules_capture_insert AFTER INSERT ON course_schedules REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION course_schedules_capture_changes();
CREATE TRIGGER course_schedules_capture_update AFTER UPDATE ON course_schedules REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION course_schedules_capture_changes();
CREATE TRIGGER course_schedules_guard_eligibility_override BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_eligibility_override();
CREATE TRIGGER course_schedules_guard_instructor BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_instructor_assignment();
CREATE TRIGGER course_schedules_guard_sa_reference BEFORE INSERT OR UPDATE ON course_schedules FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.instructor_id, new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('instructor_id', 'created_by');
CREATE TRIGGER course_schedules_set_row_version BEFORE UPDATE ON course_schedules FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY course_schedules_delete_admin ON course_schedules FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_schedules_delete_own_locations ON course_schedules FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY course_schedules_insert_admin ON course_schedules FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_schedules_insert_own_locations ON course_schedules FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY course_schedules_owner_all ON course_schedules FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY course_schedules_select_admin ON course_schedules FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_schedules_select_instructor ON course_schedules FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())));
CREATE POLICY course_schedules_select_own_locations ON course_schedules FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY course_schedules_update_admin ON course_schedules FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_schedules_update_own_locations ON course_schedules FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON course_schedules TO unitrain_app;

CREATE TABLE course_versions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  course_id uuid NOT NULL,
  version_number integer NOT NULL,
  snapshot jsonb NOT NULL,
  published_at timestamp with time zone DEFAULT now() NOT NULL,
  published_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT course_versions_pkey PRIMARY KEY (id),
  CONSTRAINT course_versions_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
  CONSTRAINT course_versions_course_version_key UNIQUE (course_id, version_number),
  CONSTRAINT course_versions_published_by_fkey FOREIGN KEY (published_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT course_versions_snapshot_check CHECK (jsonb_typeof(snapshot) = 'object'::text),
  CONSTRAINT course_versions_version_number_check CHECK (version_number >= 1)
);
ALTER TABLE course_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE course_versions FORCE ROW LEVEL SECURITY;
CREATE INDEX course_versions_published_by_idx ON public.course_versions USING btree (published_by);
CREATE TRIGGER course_versions_audit_delete AFTER DELETE ON course_versions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_versions_audit_insert AFTER INSERT ON course_versions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_versions_audit_update AFTER UPDATE ON course_versions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER course_versions_guard_sa_reference BEFORE INSERT OR UPDATE ON course_versions FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.published_by])) EXECUTE FUNCTION app_guard_sa_reference('published_by');
CREATE POLICY course_versions_insert_admin ON course_versions FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_versions_owner_all ON course_versions FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY course_versions_select_admin ON course_versions FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY course_versions_select_published ON course_versions FOR SELECT TO unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in, unitrain_anon
  USING (((app_role() = ANY (ARRAY['AP'::text, 'IC'::text, 'IP'::text, 'IT'::text, 'IN'::text, 'ANON'::text])) AND (course_id = ANY (( SELECT app_published_course_ids() AS app_published_course_ids)::uuid[]))));
GRANT INSERT, SELECT ON course_versions TO unitrain_app;

CREATE TABLE courses (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  code text NOT NULL,
  title text NOT NULL,
  description text,
  duration_minutes integer NOT NULL,
  certifies boolean DEFAULT false NOT NULL,
  certificate_validity_months integer,
  status text DEFAULT 'DRAFT'::text NOT NULL,
  published_at timestamp with time zone,
  published_version integer,
  created_by uuid,
  modified_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  waitlist_offer_hours integer,
  CONSTRAINT courses_pkey PRIMARY KEY (id),
  CONSTRAINT courses_certificate_validity_check CHECK (certificate_validity_months IS NULL OR certifies AND certificate_validity_months > 0),
  CONSTRAINT courses_code_check CHECK (code ~ '^\S+$'::text),
  CONSTRAINT courses_code_key UNIQUE (code),
  CONSTRAINT courses_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT courses_duration_check CHECK (duration_minutes > 0),
  CONSTRAINT courses_modified_by_fkey FOREIGN KEY (modified_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT courses_published_check CHECK (status <> 'PUBLISHED'::text OR published_at IS NOT NULL AND published_version IS NOT NULL),
  CONSTRAINT courses_published_version_fkey FOREIGN KEY (id, published_version) REFERENCES course_versions(course_id, version_number),
  CONSTRAINT courses_status_check CHECK (status = ANY (ARRAY['DRAFT'::text, 'PUBLISHED'::text, 'ARCHIVED'::text])),
  CONSTRAINT courses_waitlist_offer_hours_check CHECK (waitlist_offer_hours >= 0 AND waitlist_offer_hours <= 720)
);
ALTER TABLE courses ENABLE ROW LEVEL SECURITY;
ALTER TABLE courses FORCE ROW LEVEL SECURITY;
CREATE INDEX courses_created_at_id_idx ON public.courses USING btree (created_at, id);
CREATE INDEX courses_title_id_idx ON public.courses USING btree (title, id);
CREATE TRIGGER courses_audit_delete AFTER DELETE ON courses REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER courses_audit_insert AFTER INSERT ON courses REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER courses_audit_update AFTER UPDATE ON courses REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER courses_capture_delete AFTER DELETE ON courses REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION courses_capture_changes();
CREATE TRIGGER courses_capture_insert AFTER INSERT ON courses REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION courses_capture_changes();
CREATE TRIGGER courses_capture_update AFTER UPDATE ON courses REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION courses_capture_changes();
CREATE TRIGGER courses_guard_sa_reference BEFORE INSERT OR UPDATE ON courses FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.created_by, new.modified_by])) EXECUTE FUNCTION app_guard_sa_reference('created_by', 'modified_by');
CREATE TRIGGER courses_set_row_version BEFORE UPDATE ON courses FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY courses_delete_admin ON courses FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY courses_insert_admin ON courses FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY courses_owner_all ON courses FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY courses_select_admin ON courses FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY courses_select_catalogue ON courses FOR SELECT TO unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (((app_role() = ANY (ARRAY['AP'::text, 'IC'::text, 'IP'::text, 'IT'::text, 'IN'::text])) AND (status <> 'DRAFT'::text)));
CREATE POLICY courses_select_published ON courses FOR SELECT TO unitrain_anon
  USING (((app_role() = 'ANON'::text) AND (status = 'PUBLISHED'::text)));
CREATE POLICY courses_update_admin ON courses FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT DELETE, INSERT, SELECT, UPDATE ON courses TO unitrain_app;

CREATE TABLE domain_events (
  seq bigint DEFAULT nextval('domain_events_seq_seq'::regclass) NOT NULL,
  txid xid8 DEFAULT pg_current_xact_id() NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id uuid NOT NULL,
  aggregate_version integer,
  event_type text NOT NULL,
  payload jsonb DEFAULT '{}'::jsonb NOT NULL,
  actor_id uuid,
  request_id text,
  occurred_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT domain_events_pkey PRIMARY KEY (seq),
  CONSTRAINT domain_events_payload_check CHECK (jsonb_typeof(payload) = 'object'::text)
);
ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE domain_events FORCE ROW LEVEL SECURITY;
CREATE INDEX domain_events_aggregate_idx ON public.domain_events USING btree (aggregate_type, aggregate_id, seq);
CREATE INDEX domain_events_event_type_idx ON public.domain_events USING btree (event_type, seq);
CREATE INDEX domain_events_txid_seq_idx ON public.domain_events USING btree (txid, seq);
CREATE POLICY domain_events_insert_signed_in ON domain_events FOR INSERT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  WITH CHECK (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY domain_events_owner_all ON domain_events FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY domain_events_select_admin ON domain_events FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT INSERT, SELECT ON domain_events TO unitrain_app;

CREATE TABLE instructor_profiles (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  display_name text NOT NULL,
  bio text,
  specialties text[] DEFAULT '{}'::text[] NOT NULL,
  certification_level text DEFAULT 'NEW'::text NOT NULL,
  certification_status text DEFAULT 'PENDING'::text NOT NULL,
  provider_id uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT instructor_profiles_pkey PRIMARY KEY (id),
  CONSTRAINT instructor_profiles_certification_level_check CHECK (certification_level = ANY (ARRAY['NEW'::text, 'TRAINEE'::text, 'PROVISIONAL'::text, 'CERTIFIED'::text])),
  CONSTRAINT instructor_profiles_certification_status_check CHECK (certification_status = ANY (ARRAY['PENDING'::text, 'ACTIVE'::text, 'SUSPENDED'::text, 'EXPIRED'::text, 'REVOKED'::text])),
  CONSTRAINT instructor_profiles_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE SET NULL,
  CONSTRAINT instructor_profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT instructor_profiles_user_id_key UNIQUE (user_id)
);
ALTER TABLE instructor_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE instructor_profiles FORCE ROW LEVEL SECURITY;
CREATE INDEX instructor_profiles_created_at_id_idx ON public.instructor_profiles USING btree (created_at, id);
CREATE INDEX instructor_profiles_display_name_id_idx ON public.instructor_profiles USING btree (display_name, id);
CREATE INDEX instructor_profiles_provider_id_idx ON public.instructor_profiles USING btree (provider_id);
CREATE TRIGGER instructor_profiles_audit_delete AFTER DELETE ON instructor_profiles REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER instructor_profiles_audit_insert AFTER INSERT ON instructor_profiles REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER instructor_profiles_audit_update AFTER UPDATE ON instructor_profiles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER instructor_profiles_capture_delete AFTER DELETE ON instructor_profiles REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION instructor_profiles_capture_changes();
CREATE TRIGGER instructor_profiles_capture_insert AFTER INSERT ON instructor_profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION instructor_profiles_capture_changes();
CREATE TRIGGER instructor_profiles_capture_update AFTER UPDATE ON instructor_profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION instructor_profiles_capture_changes();
CREATE TRIGGER instructor_profiles_guard_sa_reference BEFORE INSERT OR UPDATE ON instructor_profiles FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE TRIGGER instructor_profiles_guard_self_update BEFORE UPDATE ON instructor_profiles FOR EACH ROW EXECUTE FUNCTION app_guard_self_update('display_name', 'bio', 'specialties');
CREATE TRIGGER instructor_profiles_set_row_version BEFORE UPDATE ON instructor_profiles FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY instructor_profiles_delete_admin ON instructor_profiles FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY instructor_profiles_insert_admin ON instructor_profiles FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY instructor_profiles_owner_all ON instructor_profiles FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY instructor_profiles_select_signed_in ON instructor_profiles FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY instructor_profiles_update_admin ON instructor_profiles FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY instructor_profiles_update_affiliated ON instructor_profiles FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY instructor_profiles_update_self ON instructor_profiles FOR UPDATE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()))
  WITH CHECK ((user_id = app_user_id()));
GRANT DELETE, INSERT, SELECT, UPDATE ON instructor_profiles TO unitrain_app;

CREATE TABLE invitations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  email_ciphertext text NOT NULL,
  email_hmac text NOT NULL,
  role text NOT NULL,
  provider_id uuid,
  status text DEFAULT 'PENDING'::text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  mail_generation integer DEFAULT 1 NOT NULL,
  mailed_at timestamp with time zone,
  invited_by uuid,
  accepted_user_id uuid,
  accepted_at timestamp with time zone,
  revoked_by uuid,
  revoked_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT invitations_pkey PRIMARY KEY (id),
  CONSTRAINT invitations_accepted_check CHECK ((status = 'ACCEPTED'::text) = (accepted_at IS NOT NULL)),
  CONSTRAINT invitations_accepted_user_id_fkey FOREIGN KEY (accepted_user_id) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT invitations_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT invitations_mail_generation_check CHECK (mail_generation >= 1),
  CONSTRAINT invitations_provider_check CHECK ((role = 'AP'::text) = (provider_id IS NOT NULL)),
  CONSTRAINT invitations_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE CASCADE,
  CONSTRAINT invitations_revoked_by_fkey FOREIGN KEY (revoked_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT invitations_revoked_check CHECK ((status = 'REVOKED'::text) = (revoked_at IS NOT NULL)),
  CONSTRAINT invitations_role_check CHECK (role = ANY (ARRAY['SA'::text, 'AD'::text, 'AP'::text, 'IC'::text, 'IP'::text, 'IT'::text, 'IN'::text])),
  CONSTRAINT invitations_status_check CHECK (status = ANY (ARRAY['PENDING'::text, 'ACCEPTED'::text, 'REVOKED'::text]))
);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE INDEX invitations_accepted_user_id_idx ON public.invitations USING btree (accepted_user_id);
CREATE INDEX invitations_created_at_idx ON public.invitations USING btree (created_at DESC, id DESC);
CREATE INDEX invitations_invited_by_idx ON public.invitations USING btree (invited_by);
CREATE UNIQUE INDEX invitations_pending_email_key ON public.invitations USING btree (email_hmac) WHERE (status = 'PENDING'::text);
CREATE INDEX invitations_provider_id_idx ON public.invitations USING btree (provider_id);
CREATE INDEX invitations_revoked_by_idx ON public.invitations USING btree (revoked_by);
CREATE TRIGGER invitations_audit_delete AFTER DELETE ON invitations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER invitations_audit_insert AFTER INSERT ON invitations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER invitations_audit_update AFTER UPDATE ON invitations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER invitations_guard_sa_reference BEFORE INSERT OR UPDATE ON invitations FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.invited_by, new.accepted_user_id, new.revoked_by])) EXECUTE FUNCTION app_guard_sa_reference('invited_by', 'accepted_user_id', 'revoked_by');
CREATE TRIGGER invitations_set_row_version BEFORE UPDATE ON invitations FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY invitations_insert_ad ON invitations FOR INSERT TO unitrain_ad
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY invitations_insert_sa ON invitations FOR INSERT TO unitrain_sa
  WITH CHECK ((app_role() = 'SA'::text));
CREATE POLICY invitations_owner_all ON invitations FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY invitations_select_ad ON invitations FOR SELECT TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY invitations_select_sa ON invitations FOR SELECT TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY invitations_update_ad ON invitations FOR UPDATE TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)))
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY invitations_update_sa ON invitations FOR UPDATE TO unitrain_sa
  USING ((app_role() = 'SA'::text));
GRANT INSERT, SELECT, UPDATE ON invitations TO unitrain_app;

CREATE TABLE job_schedules (
  name text NOT NULL,
  last_slot timestamp with time zone NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT job_schedules_pkey PRIMARY KEY (name)
);
ALTER TABLE job_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY job_schedules_owner_all ON job_schedules FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE jobs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  queue text DEFAULT 'default'::text NOT NULL,
  handler text NOT NULL,
  event_seq bigint,
  payload jsonb DEFAULT '{}'::jsonb NOT NULL,
  status text DEFAULT 'PENDING'::text NOT NULL,
  attempts integer DEFAULT 0 NOT NULL,
  max_attempts integer DEFAULT 5 NOT NULL,
  run_after timestamp with time zone DEFAULT now() NOT NULL,
  locked_by text,
  locked_until timestamp with time zone,
  last_error text,
  idempotency_key text,
  finished_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  queued_seq bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL,
  CONSTRAINT jobs_pkey PRIMARY KEY (id),
  CONSTRAINT jobs_attempts_check CHECK (attempts >= 0 AND attempts <= max_attempts),
  CONSTRAINT jobs_event_seq_fkey FOREIGN KEY (event_seq) REFERENCES domain_events(seq) ON DELETE SET NULL,
  CONSTRAINT jobs_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT jobs_lease_check CHECK (status <> 'RUNNING'::text OR locked_by IS NOT NULL AND locked_until IS NOT NULL),
  CONSTRAINT jobs_max_attempts_check CHECK (max_attempts >= 1),
  CONSTRAINT jobs_status_check CHECK (status = ANY (ARRAY['PENDING'::text, 'RUNNING'::text, 'SUCCEEDED'::text, 'FAILED'::text, 'DEAD'::text]))
);
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE INDEX jobs_event_seq_idx ON public.jobs USING btree (event_seq);
CREATE INDEX jobs_running_locked_until_idx ON public.jobs USING btree (locked_until) WHERE (status = 'RUNNING'::text);
CREATE INDEX jobs_status_run_after_idx ON public.jobs USING btree (status, run_after);
CREATE INDEX jobs_succeeded_finished_at_idx ON public.jobs USING btree (finished_at) WHERE (status = 'SUCCEEDED'::text);
CREATE INDEX jobs_waiting_run_after_idx ON public.jobs USING btree (run_after, queued_seq) WHERE (status = ANY (ARRAY['PENDING'::text, 'FAILED'::text]));
CREATE TRIGGER jobs_set_row_version BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY jobs_delete_admin ON jobs FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY jobs_insert_admin ON jobs FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY jobs_owner_all ON jobs FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY jobs_select_admin ON jobs FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY jobs_update_admin ON jobs FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT DELETE, INSERT, SELECT, UPDATE ON jobs TO unitrain_app;

CREATE TABLE locations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  address_line1 text,
  address_line2 text,
  city text,
  region text,
  postal_code text,
  country text,
  timezone text DEFAULT 'UTC'::text NOT NULL,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT locations_pkey PRIMARY KEY (id),
  CONSTRAINT locations_country_check CHECK (country ~ '^[A-Z]{2}$'::text),
  CONSTRAINT locations_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'INACTIVE'::text]))
);
ALTER TABLE locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE locations FORCE ROW LEVEL SECURITY;
CREATE INDEX locations_created_at_id_idx ON public.locations USING btree (created_at, id);
CREATE INDEX locations_name_id_idx ON public.locations USING btree (name, id);
CREATE TRIGGER locations_audit_delete AFTER DELETE ON locations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER locations_audit_insert AFTER INSERT ON locations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER locations_audit_update AFTER UPDATE ON locations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER locations_capture_delete AFTER DELETE ON locations REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION locations_capture_changes();
CREATE TRIGGER locations_capture_insert AFTER INSERT ON locations REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION locations_capture_changes();
CREATE TRIGGER locations_capture_update AFTER UPDATE ON locations REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION locations_capture_changes();
CREATE TRIGGER locations_move_session_ranges AFTER UPDATE OF timezone ON locations FOR EACH ROW WHEN (new.timezone IS DISTINCT FROM old.timezone) EXECUTE FUNCTION locations_move_session_ranges();
CREATE TRIGGER locations_set_row_version BEFORE UPDATE ON locations FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY locations_delete_admin ON locations FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY locations_insert_admin ON locations FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY locations_owner_all ON locations FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY locations_select_signed_in ON locations FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY locations_update_admin ON locations FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY locations_update_own ON locations FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON locations TO unitrain_app;

CREATE TABLE login_failures (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  scope text NOT NULL,
  key text NOT NULL,
  failures integer NOT NULL,
  last_failed_at timestamp with time zone NOT NULL,
  locked_until timestamp with time zone,
  forget_after timestamp with time zone NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT login_failures_pkey PRIMARY KEY (id),
  CONSTRAINT login_failures_failures_check CHECK (failures >= 1),
  CONSTRAINT login_failures_scope_check CHECK (scope = ANY (ARRAY['ACCOUNT'::text, 'ADDRESS'::text])),
  CONSTRAINT login_failures_scope_key_key UNIQUE (scope, key)
);
ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_failures FORCE ROW LEVEL SECURITY;
CREATE INDEX login_failures_forget_after_idx ON public.login_failures USING btree (forget_after);
CREATE POLICY login_failures_owner_all ON login_failures FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);

CREATE TABLE notification_templates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  kind text NOT NULL,
  locale text DEFAULT 'en'::text NOT NULL,
  provider_id uuid,
  subject text NOT NULL,
  body text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT notification_templates_pkey PRIMARY KEY (id),
  CONSTRAINT notification_templates_body_check CHECK (length(body) >= 1 AND length(body) <= 20000),
  CONSTRAINT notification_templates_kind_check CHECK (kind = ANY (ARRAY['enrollment.enrolled'::text, 'enrollment.waitlisted'::text, 'enrollment.promoted'::text, 'enrollment.offered'::text, 'session.reminder'::text, 'session.changed'::text, 'session.cancelled'::text])),
  CONSTRAINT notification_templates_kind_locale_provider_key UNIQUE NULLS NOT DISTINCT (kind, locale, provider_id),
  CONSTRAINT notification_templates_locale_check CHECK (locale ~ '^[a-z]{2,3}(-[A-Z]{2})?$'::text),
  CONSTRAINT notification_templates_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE CASCADE,
  CONSTRAINT notification_templates_subject_check CHECK (length(subject) >= 1 AND length(subject) <= 300)
);
ALTER TABLE notification_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_templates FORCE ROW LEVEL SECURITY;
CREATE INDEX notification_templates_provider_id_idx ON public.notification_templates USING btree (provider_id) WHERE (provider_id IS NOT NULL);
CREATE TRIGGER notification_templates_audit_delete AFTER DELETE ON notification_templates REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notification_templates_audit_insert AFTER INSERT ON notification_templates REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notification_templates_audit_update AFTER UPDATE ON notification_templates REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notification_templates_set_row_version BEFORE UPDATE ON notification_templates FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY notification_templates_delete_admin ON notification_templates FOR DELETE TO unitrain_sa, unitrain_ad
  USING ((app_is_admin() AND (provider_id IS NOT NULL)));
CREATE POLICY notification_templates_delete_own_providers ON notification_templates FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY notification_templates_insert_admin ON notification_templates FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY notification_templates_insert_own_providers ON notification_templates FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY notification_templates_owner_all ON notification_templates FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY notification_templates_select_admin ON notification_templates FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY notification_templates_select_global ON notification_templates FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id IS NULL)));
CREATE POLICY notification_templates_select_own_providers ON notification_templates FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY notification_templates_update_admin ON notification_templates FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY notification_templates_update_own_providers ON notification_templates FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON notification_templates TO unitrain_app;

CREATE TABLE notifications (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  body text,
  data jsonb DEFAULT '{}'::jsonb NOT NULL,
  read_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT notifications_pkey PRIMARY KEY (id),
  CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE UNIQUE INDEX notifications_event_user_key ON public.notifications USING btree ((((data ->> 'event_seq'::text))::bigint), user_id);
CREATE UNIQUE INDEX notifications_instructor_not_eligible_key ON public.notifications USING btree (((data ->> 'session_id'::text)), ((data ->> 'instructor_id'::text)), user_id) WHERE (kind = 'instructor.not-eligible'::text);
CREATE INDEX notifications_user_read_idx ON public.notifications USING btree (user_id, read_at, created_at);
CREATE TRIGGER notifications_audit_delete AFTER DELETE ON notifications REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notifications_audit_insert AFTER INSERT ON notifications REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notifications_audit_update AFTER UPDATE ON notifications REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER notifications_capture_delete AFTER DELETE ON notifications REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION notifications_capture_changes();
CREATE TRIGGER notifications_capture_insert AFTER INSERT ON notifications REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION notifications_capture_changes();
CREATE TRIGGER notifications_capture_update AFTER UPDATE ON notifications REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION notifications_capture_changes();
CREATE TRIGGER notifications_guard_sa_reference BEFORE INSERT OR UPDATE ON notifications FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE POLICY notifications_delete_self ON notifications FOR DELETE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY notifications_insert_admin ON notifications FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY notifications_owner_all ON notifications FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY notifications_select_self ON notifications FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY notifications_update_self ON notifications FOR UPDATE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
GRANT DELETE, INSERT, SELECT, UPDATE ON notifications TO unitrain_app;

CREATE TABLE profiles (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  display_name text,
  phone_ciphertext text,
  email_ciphertext text,
  organization text,
  department text,
  supervisor_id uuid,
  compliance_tier text DEFAULT 'basic'::text NOT NULL,
  compliance_score numeric(5,2) DEFAULT 0 NOT NULL,
  compliance_status text DEFAULT 'PENDING'::text NOT NULL,
  role text NOT NULL,
  status text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT profiles_pkey PRIMARY KEY (id),
  CONSTRAINT profiles_compliance_score_check CHECK (compliance_score >= 0::numeric AND compliance_score <= 100::numeric),
  CONSTRAINT profiles_compliance_status_check CHECK (compliance_status = ANY (ARRAY['COMPLIANT'::text, 'AT_RISK'::text, 'NON_COMPLIANT'::text, 'PENDING'::text])),
  CONSTRAINT profiles_compliance_tier_check CHECK (compliance_tier = ANY (ARRAY['basic'::text, 'robust'::text])),
  CONSTRAINT profiles_supervisor_check CHECK (supervisor_id IS DISTINCT FROM user_id),
  CONSTRAINT profiles_supervisor_id_fkey FOREIGN KEY (supervisor_id) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT profiles_user_fkey FOREIGN KEY (user_id, role, status) REFERENCES users(id, role, status) ON UPDATE CASCADE ON DELETE CASCADE,
  CONSTRAINT profiles_user_id_key UNIQUE (user_id)
);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles FORCE ROW LEVEL SECURITY;
CREATE INDEX profiles_compliance_idx ON public.profiles USING btree (compliance_tier, role, compliance_status);
CREATE INDEX profiles_supervisor_id_idx ON public.profiles USING btree (supervisor_id);
CREATE TRIGGER profiles_audit_delete AFTER DELETE ON profiles REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER profiles_audit_insert AFTER INSERT ON profiles REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER profiles_audit_update AFTER UPDATE ON profiles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER profiles_capture_delete AFTER DELETE ON profiles REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION profiles_capture_changes();
CREATE TRIGGER profiles_capture_insert AFTER INSERT ON profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION profiles_capture_changes();
CREATE TRIGGER profiles_capture_update AFTER UPDATE ON profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION profiles_capture_changes();
CREATE TRIGGER profiles_guard_sa_reference BEFORE INSERT OR UPDATE ON profiles FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id, new.supervisor_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id', 'supervisor_id');
CREATE TRIGGER profiles_guard_self_update BEFORE UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION app_guard_self_update('first_name', 'last_name', 'display_name', 'phone_ciphertext', 'email_ciphertext', 'organization');
CREATE TRIGGER profiles_set_row_version BEFORE UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY profiles_delete_ad ON profiles FOR DELETE TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY profiles_delete_sa ON profiles FOR DELETE TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY profiles_insert_ad ON profiles FOR INSERT TO unitrain_ad
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY profiles_insert_sa ON profiles FOR INSERT TO unitrain_sa
  WITH CHECK ((app_role() = 'SA'::text));
CREATE POLICY profiles_owner_all ON profiles FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY profiles_select_ad ON profiles FOR SELECT TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY profiles_select_instructed_students ON profiles FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND app_instructor_sees_user(user_id, ( SELECT app_taught_session_ids() AS app_taught_session_ids), ( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids))));
CREATE POLICY profiles_select_provider_scope ON profiles FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_provider_sees_user(user_id, ( SELECT app_provider_ids() AS app_provider_ids), ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY profiles_select_sa ON profiles FOR SELECT TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY profiles_select_self ON profiles FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY profiles_update_ad ON profiles FOR UPDATE TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)))
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY profiles_update_sa ON profiles FOR UPDATE TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY profiles_update_self ON profiles FOR UPDATE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()))
  WITH CHECK ((user_id = app_user_id()));
GRANT DELETE, INSERT, SELECT, UPDATE ON profiles TO unitrain_app;

CREATE TABLE provider_locations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  provider_id uuid NOT NULL,
  location_id uuid NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT provider_locations_pkey PRIMARY KEY (id),
  CONSTRAINT provider_locations_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE CASCADE,
  CONSTRAINT provider_locations_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE CASCADE,
  CONSTRAINT provider_locations_provider_location_key UNIQUE (provider_id, location_id)
);
ALTER TABLE provider_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_locations FORCE ROW LEVEL SECURITY;
CREATE INDEX provider_locations_created_at_id_idx ON public.provider_locations USING btree (created_at, id);
CREATE INDEX provider_locations_location_id_idx ON public.provider_locations USING btree (location_id);
CREATE TRIGGER provider_locations_audit_delete AFTER DELETE ON provider_locations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_locations_audit_insert AFTER INSERT ON provider_locations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_locations_audit_update AFTER UPDATE ON provider_locations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_locations_capture_delete AFTER DELETE ON provider_locations REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_locations_capture_changes();
CREATE TRIGGER provider_locations_capture_insert AFTER INSERT ON provider_locations REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_locations_capture_changes();
CREATE TRIGGER provider_locations_capture_update AFTER UPDATE ON provider_locations REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_locations_capture_changes();
CREATE POLICY provider_locations_delete_admin ON provider_locations FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_locations_insert_admin ON provider_locations FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_locations_owner_all ON provider_locations FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY provider_locations_select_signed_in ON provider_locations FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY provider_locations_update_admin ON provider_locations FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
GRANT DELETE, INSERT, SELECT, UPDATE ON provider_locations TO unitrain_app;

CREATE TABLE provider_members (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  provider_id uuid NOT NULL,
  user_id uuid NOT NULL,
  member_role text DEFAULT 'STAFF'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT provider_members_pkey PRIMARY KEY (id),
  CONSTRAINT provider_members_member_role_check CHECK (member_role = ANY (ARRAY['ADMIN'::text, 'STAFF'::text, 'INSTRUCTOR'::text])),
  CONSTRAINT provider_members_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE CASCADE,
  CONSTRAINT provider_members_provider_user_key UNIQUE (provider_id, user_id),
  CONSTRAINT provider_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE provider_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_members FORCE ROW LEVEL SECURITY;
CREATE INDEX provider_members_created_at_id_idx ON public.provider_members USING btree (created_at, id);
CREATE INDEX provider_members_user_id_created_at_provider_id_idx ON public.provider_members USING btree (user_id, created_at, provider_id);
CREATE TRIGGER provider_members_audit_delete AFTER DELETE ON provider_members REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_members_audit_insert AFTER INSERT ON provider_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_members_audit_update AFTER UPDATE ON provider_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER provider_members_capture_delete AFTER DELETE ON provider_members REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_members_capture_changes();
CREATE TRIGGER provider_members_capture_insert AFTER INSERT ON provider_members REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_members_capture_changes();
CREATE TRIGGER provider_members_capture_update AFTER UPDATE ON provider_members REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION provider_members_capture_changes();
CREATE TRIGGER provider_members_guard_sa_reference BEFORE INSERT OR UPDATE ON provider_members FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE TRIGGER provider_members_note_account_change AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON provider_members FOR EACH STATEMENT EXECUTE FUNCTION app_note_account_change();
CREATE TRIGGER provider_members_set_row_version BEFORE UPDATE ON provider_members FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY provider_members_delete_admin ON provider_members FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_members_delete_own_providers ON provider_members FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[])) AND (app_user_role(user_id) = 'AP'::text)));
CREATE POLICY provider_members_insert_admin ON provider_members FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_members_insert_own_providers ON provider_members FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[])) AND (app_user_role(user_id) = 'AP'::text)));
CREATE POLICY provider_members_owner_all ON provider_members FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY provider_members_select_admin ON provider_members FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_members_select_own_providers ON provider_members FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY provider_members_select_self ON provider_members FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
CREATE POLICY provider_members_update_admin ON provider_members FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY provider_members_update_own_providers ON provider_members FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[])) AND (app_user_role(user_id) = 'AP'::text)))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[])) AND (app_user_role(user_id) = 'AP'::text)));
GRANT DELETE, INSERT, SELECT, UPDATE ON provider_members TO unitrain_app;

CREATE TABLE rooms (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  location_id uuid NOT NULL,
  name text NOT NULL,
  capacity integer NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT rooms_pkey PRIMARY KEY (id),
  CONSTRAINT rooms_capacity_check CHECK (capacity > 0),
  CONSTRAINT rooms_id_location_key UNIQUE (id, location_id),
  CONSTRAINT rooms_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE RESTRICT,
  CONSTRAINT rooms_location_name_key UNIQUE (location_id, name)
);
ALTER TABLE rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE rooms FORCE ROW LEVEL SECURITY;
CREATE TRIGGER rooms_audit_delete AFTER DELETE ON rooms REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rooms_audit_insert AFTER INSERT ON rooms REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rooms_audit_update AFTER UPDATE ON rooms REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rooms_keep_session_seats BEFORE UPDATE OF capacity ON rooms FOR EACH ROW WHEN (new.capacity < old.capacity AND new.capacity > 0) EXECUTE FUNCTION rooms_keep_session_seats();
CREATE TRIGGER rooms_set_row_version BEFORE UPDATE ON rooms FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY rooms_delete_admin ON rooms FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rooms_delete_own ON rooms FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY rooms_insert_admin ON rooms FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rooms_insert_own ON rooms FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY rooms_owner_all ON rooms FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY rooms_select_signed_in ON rooms FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING (( SELECT app_is_signed_in() AS app_is_signed_in));
CREATE POLICY rooms_update_admin ON rooms FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rooms_update_own ON rooms FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON rooms TO unitrain_app;

CREATE TABLE rosters (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  session_id uuid,
  course_id uuid NOT NULL,
  location_id uuid NOT NULL,
  provider_id uuid,
  instructor_id uuid,
  instructor_name text,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  roster_type text DEFAULT 'TRAINING'::text NOT NULL,
  certificate_count integer DEFAULT 0 NOT NULL,
  issue_date date,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT rosters_pkey PRIMARY KEY (id),
  CONSTRAINT rosters_certificate_count_check CHECK (certificate_count >= 0),
  CONSTRAINT rosters_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE RESTRICT,
  CONSTRAINT rosters_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT rosters_instructor_id_fkey FOREIGN KEY (instructor_id) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT rosters_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE RESTRICT,
  CONSTRAINT rosters_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT rosters_roster_type_check CHECK (roster_type = ANY (ARRAY['CERTIFICATE'::text, 'TRAINING'::text])),
  CONSTRAINT rosters_session_id_fkey FOREIGN KEY (session_id) REFERENCES training_sessions(id) ON DELETE SET NULL,
  CONSTRAINT rosters_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'ARCHIVED'::text]))
);
ALTER TABLE rosters ENABLE ROW LEVEL SECURITY;
ALTER TABLE rosters FORCE ROW LEVEL SECURITY;
CREATE INDEX rosters_course_id_idx ON public.rosters USING btree (course_id);
CREATE INDEX rosters_created_at_idx ON public.rosters USING btree (created_at, id);
CREATE INDEX rosters_instructor_id_idx ON public.rosters USING btree (instructor_id);
CREATE INDEX rosters_issue_date_key_idx ON public.rosters USING btree (COALESCE(issue_date, 'infinity'::date), id);
CREATE INDEX rosters_location_id_idx ON public.rosters USING btree (location_id);
CREATE INDEX rosters_name_idx ON public.rosters USING btree (name, id);
CREATE INDEX rosters_provider_id_idx ON public.rosters USING btree (provider_id);
CREATE INDEX rosters_session_id_idx ON public.rosters USING btree (session_id);
CREATE TRIGGER rosters_audit_delete AFTER DELETE ON rosters REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rosters_audit_insert AFTER INSERT ON rosters REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rosters_audit_update AFTER UPDATE ON rosters REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER rosters_capture_delete AFTER DELETE ON rosters REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION rosters_capture_changes();
CREATE TRIGGER rosters_capture_insert AFTER INSERT ON rosters REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION rosters_capture_changes();
CREATE TRIGGER rosters_capture_update AFTER UPDATE ON rosters REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION rosters_capture_changes();
CREATE TRIGGER rosters_guard_instructor BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_instructor_assignment();
CREATE TRIGGER rosters_guard_placement BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_placement();
CREATE TRIGGER rosters_guard_sa_reference BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.instructor_id, new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('instructor_id', 'created_by');
CREATE TRIGGER rosters_guard_write BEFORE INSERT OR UPDATE ON rosters FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_roster_write();
CREATE TRIGGER rosters_set_row_version BEFORE UPDATE ON rosters FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY rosters_delete_admin ON rosters FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rosters_insert_admin ON rosters FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rosters_insert_own ON rosters FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())));
CREATE POLICY rosters_insert_own_locations ON rosters FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY rosters_owner_all ON rosters FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY rosters_select_admin ON rosters FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rosters_select_instructed ON rosters FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (id = ANY (( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids)::uuid[]))));
CREATE POLICY rosters_select_own_locations ON rosters FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY rosters_update_admin ON rosters FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY rosters_update_own ON rosters FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())));
CREATE POLICY rosters_update_own_locations ON rosters FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON rosters TO unitrain_app;

CREATE TABLE schema_migrations (
  version integer NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamp with time zone DEFAULT now() NOT NULL,
  duration_ms integer NOT NULL,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

CREATE TABLE session_enrollments (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  session_id uuid NOT NULL,
  student_id uuid,
  student_profile_id uuid,
  status text DEFAULT 'ENROLLED'::text NOT NULL,
  waitlist_position integer,
  enrollment_date timestamp with time zone DEFAULT now() NOT NULL,
  attendance_status text DEFAULT 'REGISTERED'::text NOT NULL,
  completion_status text DEFAULT 'NOT_STARTED'::text NOT NULL,
  assessment_score numeric(5,2),
  practical_score numeric(5,2),
  written_score numeric(5,2),
  completed_at timestamp with time zone,
  enrolled_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  offer_expires_at timestamp with time zone,
  CONSTRAINT session_enrollments_pkey PRIMARY KEY (id),
  CONSTRAINT session_enrollments_assessment_score_check CHECK (assessment_score <@ '[0,100]'::numrange),
  CONSTRAINT session_enrollments_attendance_status_check CHECK (attendance_status = ANY ('{REGISTERED,ATTENDED,ABSENT,PARTIAL}'::text[])),
  CONSTRAINT session_enrollments_completed_at_check CHECK ((completion_status = ANY ('{COMPLETED,FAILED}'::text[])) = (completed_at IS NOT NULL)),
  CONSTRAINT session_enrollments_completion_status_check CHECK (completion_status = ANY ('{NOT_STARTED,IN_PROGRESS,COMPLETED,FAILED}'::text[])),
  CONSTRAINT session_enrollments_enrolled_by_fkey FOREIGN KEY (enrolled_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT session_enrollments_offer_check CHECK (offer_expires_at IS NULL OR status = 'WAITLISTED'::text),
  CONSTRAINT session_enrollments_practical_score_check CHECK (practical_score <@ '[0,100]'::numrange),
  CONSTRAINT session_enrollments_session_id_fkey FOREIGN KEY (session_id) REFERENCES training_sessions(id) ON DELETE RESTRICT,
  CONSTRAINT session_enrollments_session_profile_key UNIQUE (session_id, student_profile_id),
  CONSTRAINT session_enrollments_session_student_key UNIQUE (session_id, student_id),
  CONSTRAINT session_enrollments_status_check CHECK (status = ANY ('{ENROLLED,WAITLISTED,CANCELLED}'::text[])),
  CONSTRAINT session_enrollments_student_check CHECK (num_nonnulls(student_id, student_profile_id) = 1),
  CONSTRAINT session_enrollments_student_id_fkey FOREIGN KEY (student_id) REFERENCES users(id) ON DELETE RESTRICT,
  CONSTRAINT session_enrollments_student_profile_id_fkey FOREIGN KEY (student_profile_id) REFERENCES student_enrollment_profiles(id) ON DELETE RESTRICT,
  CONSTRAINT session_enrollments_waitlist_check CHECK ((status = 'WAITLISTED'::text) = (waitlist_position IS NOT NULL) AND waitlist_position >= 1),
  CONSTRAINT session_enrollments_written_score_check CHECK (written_score <@ '[0,100]'::numrange)
);
ALTER TABLE session_enrollments ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_enrollments FORCE ROW LEVEL SECURITY;
CREATE INDEX session_enrollments_created_at_idx ON public.session_enrollments USING btree (created_at, id);
CREATE INDEX session_enrollments_enrollment_date_idx ON public.session_enrollments USING btree (enrollment_date, id);
CREATE INDEX session_enrollments_offer_expires_at_idx ON public.session_enrollments USING btree (offer_expires_at) WHERE (offer_expires_at IS NOT NULL);
CREATE INDEX session_enrollments_student_completion_idx ON public.session_enrollments USING btree (student_id, completion_status);
CREATE INDEX session_enrollments_student_profile_id_idx ON public.session_enrollments USING btree (student_profile_id);
CREATE UNIQUE INDEX session_enrollments_waitlist_position_key ON public.session_enrollments USING btree (session_id, waitlist_position) WHERE (status = 'WAITLISTED'::text);
CREATE TRIGGER session_enrollments_audit_delete AFTER DELETE ON session_enrollments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER session_enrollments_audit_insert AFTER INSERT ON session_enrollments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER session_enrollments_audit_update AFTER UPDATE ON session_enrollments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER session_enrollments_capture_delete AFTER DELETE ON session_enrollments REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION session_enrollments_capture_changes();
CREATE TRIGGER session_enrollments_capture_insert AFTER INSERT ON session_enrollments REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION session_enrollments_capture_changes();
CREATE TRIGGER session_enrollments_capture_update AFTER UPDATE ON session_enrollments REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION session_enrollments_capture_changes();
CREATE TRIGGER session_enrollments_drop_offer BEFORE UPDATE OF status ON session_enrollments FOR EACH ROW WHEN (new.status <> 'WAITLISTED'::text AND new.offer_expires_at IS NOT NULL) EXECUTE FUNCTION session_enrollments_drop_offer();
CREATE TRIGGER session_enrollments_guard_sa_reference BEFORE INSERT OR UPDATE ON session_enrollments FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.student_id, new.enrolled_by])) EXECUTE FUNCTION app_guard_sa_reference('student_id', 'enrolled_by');
CREATE TRIGGER session_enrollments_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON session_enrollments FOR EACH ROW WHEN (current_setting('unitrain.role'::text, true) = ANY ('{AP,IC,IP,IT,IN}'::text[])) EXECUTE FUNCTION app_guard_student_reference();
CREATE TRIGGER session_enrollments_guard_student_update BEFORE UPDATE ON session_enrollments FOR EACH ROW EXECUTE FUNCTION app_guard_student_enrollment_update();
CREATE TRIGGER session_enrollments_set_row_version BEFORE UPDATE ON session_enrollments FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE TRIGGER session_enrollments_student_fixed BEFORE UPDATE OF student_id ON session_enrollments FOR EACH ROW EXECUTE FUNCTION session_enrollments_keep_student();
CREATE POLICY session_enrollments_delete_admin ON session_enrollments FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY session_enrollments_insert_admin ON session_enrollments FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY session_enrollments_insert_provider_sessions ON session_enrollments FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY session_enrollments_insert_self_enrollment ON session_enrollments FOR INSERT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  WITH CHECK (((student_id = app_user_id()) AND app_is_signed_in() AND app_session_open_for_self_enrollment(session_id)));
CREATE POLICY session_enrollments_insert_taught ON session_enrollments FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[]))));
CREATE POLICY session_enrollments_owner_all ON session_enrollments FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY session_enrollments_select_admin ON session_enrollments FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY session_enrollments_select_provider_sessions ON session_enrollments FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY session_enrollments_select_self ON session_enrollments FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((student_id = app_user_id()));
CREATE POLICY session_enrollments_select_taught ON session_enrollments FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[]))));
CREATE POLICY session_enrollments_update_admin ON session_enrollments FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY session_enrollments_update_provider_sessions ON session_enrollments FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))))
  WITH CHECK (((app_role() = 'AP'::text) AND app_session_in_locations(session_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY session_enrollments_update_self ON session_enrollments FOR UPDATE TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((student_id = app_user_id()))
  WITH CHECK ((student_id = app_user_id()));
CREATE POLICY session_enrollments_update_taught ON session_enrollments FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[]))))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (session_id = ANY (( SELECT app_taught_session_ids() AS app_taught_session_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON session_enrollments TO unitrain_app;
COMMENT ON COLUMN session_enrollments.waitlist_position IS 'Place on the waitlist, 1..n without gaps per session while WAITLISTED (kept by the functions of 0012); NULL otherwise.';

CREATE TABLE student_enrollment_profiles (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email_ciphertext text,
  email_hmac text,
  phone_ciphertext text,
  company text,
  provider_id uuid,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT student_enrollment_profiles_pkey PRIMARY KEY (id),
  CONSTRAINT student_enrollment_profiles_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT student_enrollment_profiles_email_check CHECK ((email_ciphertext IS NULL) = (email_hmac IS NULL)),
  CONSTRAINT student_enrollment_profiles_provider_email_key UNIQUE (provider_id, email_hmac),
  CONSTRAINT student_enrollment_profiles_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT
);
ALTER TABLE student_enrollment_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE student_enrollment_profiles FORCE ROW LEVEL SECURITY;
CREATE INDEX student_enrollment_profiles_email_hmac_idx ON public.student_enrollment_profiles USING btree (email_hmac);
CREATE TRIGGER student_enrollment_profiles_audit_delete AFTER DELETE ON student_enrollment_profiles REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_enrollment_profiles_audit_insert AFTER INSERT ON student_enrollment_profiles REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_enrollment_profiles_audit_update AFTER UPDATE ON student_enrollment_profiles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_enrollment_profiles_capture_delete AFTER DELETE ON student_enrollment_profiles REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_enrollment_profiles_capture_changes();
CREATE TRIGGER student_enrollment_profiles_capture_insert AFTER INSERT ON student_enrollment_profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_enrollment_profiles_capture_changes();
CREATE TRIGGER student_enrollment_profiles_capture_update AFTER UPDATE ON student_enrollment_profiles REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_enrollment_profiles_capture_changes();
CREATE TRIGGER student_enrollment_profiles_guard_sa_reference BEFORE INSERT OR UPDATE ON student_enrollment_profiles FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('created_by');
CREATE TRIGGER student_enrollment_profiles_set_row_version BEFORE UPDATE ON student_enrollment_profiles FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY student_enrollment_profiles_delete_admin ON student_enrollment_profiles FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_enrollment_profiles_insert_admin ON student_enrollment_profiles FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_enrollment_profiles_insert_own_providers ON student_enrollment_profiles FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY student_enrollment_profiles_owner_all ON student_enrollment_profiles FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY student_enrollment_profiles_select_admin ON student_enrollment_profiles FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_enrollment_profiles_select_instructed_students ON student_enrollment_profiles FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND app_instructor_sees_student_profile(id, ( SELECT app_taught_session_ids() AS app_taught_session_ids), ( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids))));
CREATE POLICY student_enrollment_profiles_select_provider_scope ON student_enrollment_profiles FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_provider_sees_student_profile(id, ( SELECT app_provider_ids() AS app_provider_ids), ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY student_enrollment_profiles_update_admin ON student_enrollment_profiles FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_enrollment_profiles_update_own_providers ON student_enrollment_profiles FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON student_enrollment_profiles TO unitrain_app;

CREATE TABLE student_roster_members (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  roster_id uuid NOT NULL,
  student_profile_id uuid NOT NULL,
  student_id uuid,
  enrollment_status text DEFAULT 'ENROLLED'::text NOT NULL,
  attendance_status text DEFAULT 'PENDING'::text NOT NULL,
  practical_score numeric(5,2),
  written_score numeric(5,2),
  completion_status text DEFAULT 'NOT_STARTED'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT student_roster_members_pkey PRIMARY KEY (id),
  CONSTRAINT student_roster_members_attendance_status_check CHECK (attendance_status = ANY (ARRAY['PENDING'::text, 'ATTENDED'::text, 'ABSENT'::text])),
  CONSTRAINT student_roster_members_completion_status_check CHECK (completion_status = ANY (ARRAY['NOT_STARTED'::text, 'IN_PROGRESS'::text, 'COMPLETED'::text])),
  CONSTRAINT student_roster_members_enrollment_status_check CHECK (enrollment_status = ANY (ARRAY['ENROLLED'::text, 'WAITLISTED'::text, 'COMPLETED'::text])),
  CONSTRAINT student_roster_members_practical_score_check CHECK (practical_score >= 0::numeric AND practical_score <= 100::numeric),
  CONSTRAINT student_roster_members_roster_id_fkey FOREIGN KEY (roster_id) REFERENCES rosters(id) ON DELETE CASCADE,
  CONSTRAINT student_roster_members_roster_profile_key UNIQUE (roster_id, student_profile_id),
  CONSTRAINT student_roster_members_student_id_fkey FOREIGN KEY (student_id) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT student_roster_members_student_profile_id_fkey FOREIGN KEY (student_profile_id) REFERENCES student_enrollment_profiles(id) ON DELETE RESTRICT,
  CONSTRAINT student_roster_members_written_score_check CHECK (written_score >= 0::numeric AND written_score <= 100::numeric)
);
ALTER TABLE student_roster_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE student_roster_members FORCE ROW LEVEL SECURITY;
CREATE INDEX student_roster_members_roster_created_at_idx ON public.student_roster_members USING btree (roster_id, created_at, id);
CREATE INDEX student_roster_members_student_id_idx ON public.student_roster_members USING btree (student_id);
CREATE INDEX student_roster_members_student_profile_id_idx ON public.student_roster_members USING btree (student_profile_id);
CREATE TRIGGER student_roster_members_audit_delete AFTER DELETE ON student_roster_members REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_roster_members_audit_insert AFTER INSERT ON student_roster_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_roster_members_audit_update AFTER UPDATE ON student_roster_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER student_roster_members_capture_delete AFTER DELETE ON student_roster_members REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_roster_members_capture_changes();
CREATE TRIGGER student_roster_members_capture_insert AFTER INSERT ON student_roster_members REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_roster_members_capture_changes();
CREATE TRIGGER student_roster_members_capture_update AFTER UPDATE ON student_roster_members REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION student_roster_members_capture_changes();
CREATE TRIGGER student_roster_members_guard_archived BEFORE INSERT OR DELETE OR UPDATE ON student_roster_members FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_archived_roster_members();
CREATE TRIGGER student_roster_members_guard_sa_reference BEFORE INSERT OR UPDATE ON student_roster_members FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.student_id])) EXECUTE FUNCTION app_guard_sa_reference('student_id');
CREATE TRIGGER student_roster_members_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON student_roster_members FOR EACH ROW WHEN (current_setting('unitrain.role'::text, true) = ANY ('{AP,IC,IP,IT,IN}'::text[])) EXECUTE FUNCTION app_guard_student_reference();
CREATE TRIGGER student_roster_members_set_row_version BEFORE UPDATE ON student_roster_members FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY student_roster_members_delete_admin ON student_roster_members FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_roster_members_delete_own_rosters ON student_roster_members FOR DELETE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))));
CREATE POLICY student_roster_members_delete_provider_rosters ON student_roster_members FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY student_roster_members_insert_admin ON student_roster_members FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_roster_members_insert_own_rosters ON student_roster_members FOR INSERT TO unitrain_ic, unitrain_ip
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))));
CREATE POLICY student_roster_members_insert_provider_rosters ON student_roster_members FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY student_roster_members_owner_all ON student_roster_members FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY student_roster_members_select_admin ON student_roster_members FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_roster_members_select_instructed_rosters ON student_roster_members FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (roster_id = ANY (( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids)::uuid[]))));
CREATE POLICY student_roster_members_select_provider_rosters ON student_roster_members FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY student_roster_members_select_self ON student_roster_members FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((student_id = app_user_id()));
CREATE POLICY student_roster_members_update_admin ON student_roster_members FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY student_roster_members_update_own_rosters ON student_roster_members FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (roster_id = ANY (( SELECT app_own_roster_ids() AS app_own_roster_ids)::uuid[]))));
CREATE POLICY student_roster_members_update_provider_rosters ON student_roster_members FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))))
  WITH CHECK (((app_role() = 'AP'::text) AND app_roster_in_locations(roster_id, ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
GRANT DELETE, INSERT, SELECT, UPDATE ON student_roster_members TO unitrain_app;

CREATE TABLE team_members (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  team_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT team_members_pkey PRIMARY KEY (id),
  CONSTRAINT team_members_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE,
  CONSTRAINT team_members_team_user_key UNIQUE (team_id, user_id),
  CONSTRAINT team_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_members FORCE ROW LEVEL SECURITY;
CREATE INDEX team_members_created_at_id_idx ON public.team_members USING btree (created_at, id);
CREATE INDEX team_members_user_id_idx ON public.team_members USING btree (user_id);
CREATE TRIGGER team_members_audit_delete AFTER DELETE ON team_members REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER team_members_audit_insert AFTER INSERT ON team_members REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER team_members_audit_update AFTER UPDATE ON team_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER team_members_guard_sa_reference BEFORE INSERT OR UPDATE ON team_members FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE POLICY team_members_delete_admin ON team_members FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY team_members_delete_own_providers ON team_members FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (team_id = ANY (( SELECT app_provider_team_ids() AS app_provider_team_ids)::uuid[]))));
CREATE POLICY team_members_insert_admin ON team_members FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY team_members_insert_own_providers ON team_members FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (team_id = ANY (( SELECT app_provider_team_ids() AS app_provider_team_ids)::uuid[]))));
CREATE POLICY team_members_owner_all ON team_members FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY team_members_select_admin ON team_members FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY team_members_select_led_or_joined ON team_members FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((team_id = ANY (( SELECT app_team_ids() AS app_team_ids)::uuid[])));
CREATE POLICY team_members_select_own_providers ON team_members FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (team_id = ANY (( SELECT app_provider_team_ids() AS app_provider_team_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT ON team_members TO unitrain_app;

CREATE TABLE teams (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  description text,
  provider_id uuid,
  lead_id uuid,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT teams_pkey PRIMARY KEY (id),
  CONSTRAINT teams_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT teams_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT teams_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT teams_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'ARCHIVED'::text]))
);
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams FORCE ROW LEVEL SECURITY;
CREATE INDEX teams_created_at_id_idx ON public.teams USING btree (created_at, id);
CREATE INDEX teams_lead_id_idx ON public.teams USING btree (lead_id);
CREATE INDEX teams_name_id_idx ON public.teams USING btree (name, id);
CREATE INDEX teams_provider_id_idx ON public.teams USING btree (provider_id);
CREATE TRIGGER teams_audit_delete AFTER DELETE ON teams REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER teams_audit_insert AFTER INSERT ON teams REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER teams_audit_update AFTER UPDATE ON teams REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER teams_guard_sa_reference BEFORE INSERT OR UPDATE ON teams FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.lead_id, new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('lead_id', 'created_by');
CREATE TRIGGER teams_set_row_version BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY teams_delete_admin ON teams FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY teams_delete_own_providers ON teams FOR DELETE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY teams_insert_admin ON teams FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY teams_insert_own_providers ON teams FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY teams_owner_all ON teams FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY teams_select_admin ON teams FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY teams_select_led_or_joined ON teams FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((id = ANY (( SELECT app_team_ids() AS app_team_ids)::uuid[])));
CREATE POLICY teams_select_own_providers ON teams FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
CREATE POLICY teams_update_admin ON teams FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY teams_update_own_providers ON teams FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (provider_id = ANY (( SELECT app_provider_ids() AS app_provider_ids)::uuid[]))));
GRANT DELETE, INSERT, SELECT, UPDATE ON teams TO unitrain_app;

CREATE TABLE training_sessions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  title text NOT NULL,
  description text,
  course_id uuid NOT NULL,
  schedule_id uuid,
  instructor_id uuid NOT NULL,
  location_id uuid NOT NULL,
  provider_id uuid,
  session_date date NOT NULL,
  start_time time without time zone NOT NULL,
  end_time time without time zone NOT NULL,
  max_capacity integer NOT NULL,
  current_enrollment integer DEFAULT 0 NOT NULL,
  self_enrollment_allowed boolean DEFAULT false NOT NULL,
  status text DEFAULT 'SCHEDULED'::text NOT NULL,
  cancelled_reason text,
  created_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  occurrence_date date,
  detached_from_schedule boolean DEFAULT false NOT NULL,
  room_id uuid,
  scheduled_during tstzrange NOT NULL,
  eligibility_override_reason text,
  eligibility_overridden_by uuid,
  waitlist_offer_hours integer,
  CONSTRAINT training_sessions_pkey PRIMARY KEY (id),
  CONSTRAINT training_sessions_cancelled_reason_check CHECK (cancelled_reason IS NULL OR status = 'CANCELLED'::text),
  CONSTRAINT training_sessions_capacity_check CHECK (current_enrollment >= 0 AND current_enrollment <= max_capacity),
  CONSTRAINT training_sessions_course_id_fkey FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE RESTRICT,
  CONSTRAINT training_sessions_created_by_fkey FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE SET NULL,
  CONSTRAINT training_sessions_eligibility_override_check CHECK ((eligibility_override_reason IS NULL) = (eligibility_overridden_by IS NULL)),
  CONSTRAINT training_sessions_instructor_id_fkey FOREIGN KEY (instructor_id) REFERENCES users(id) ON DELETE RESTRICT,
  CONSTRAINT training_sessions_instructor_overlap_excl EXCLUDE USING gist (instructor_id WITH =, scheduled_during WITH &&) WHERE (status <> 'CANCELLED'::text),
  CONSTRAINT training_sessions_location_id_fkey FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE RESTRICT,
  CONSTRAINT training_sessions_max_capacity_check CHECK (max_capacity > 0),
  CONSTRAINT training_sessions_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES authorized_providers(id) ON DELETE RESTRICT,
  CONSTRAINT training_sessions_room_fkey FOREIGN KEY (room_id, location_id) REFERENCES rooms(id, location_id) ON DELETE RESTRICT,
  CONSTRAINT training_sessions_room_overlap_excl EXCLUDE USING gist (room_id WITH =, scheduled_during WITH &&) WHERE (status <> 'CANCELLED'::text AND room_id IS NOT NULL),
  CONSTRAINT training_sessions_schedule_id_fkey FOREIGN KEY (schedule_id) REFERENCES course_schedules(id) ON DELETE SET NULL,
  CONSTRAINT training_sessions_schedule_occurrence_date_key UNIQUE (schedule_id, occurrence_date),
  CONSTRAINT training_sessions_schedule_occurrence_key UNIQUE (schedule_id, session_date, start_time),
  CONSTRAINT training_sessions_status_check CHECK (status = ANY ('{SCHEDULED,IN_PROGRESS,COMPLETED,CANCELLED}'::text[])),
  CONSTRAINT training_sessions_time_check CHECK (end_time > start_time),
  CONSTRAINT training_sessions_waitlist_offer_hours_check CHECK (waitlist_offer_hours >= 0 AND waitlist_offer_hours <= 720)
) WITH (fillfactor=50);
ALTER TABLE training_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE training_sessions FORCE ROW LEVEL SECURITY;
CREATE INDEX training_sessions_course_id_idx ON public.training_sessions USING btree (course_id);
CREATE INDEX training_sessions_created_at_id_idx ON public.training_sessions USING btree (created_at, id);
CREATE INDEX training_sessions_date_start_id_idx ON public.training_sessions USING btree (session_date, start_time, id);
CREATE INDEX training_sessions_instructor_status_idx ON public.training_sessions USING btree (instructor_id, status);
CREATE INDEX training_sessions_location_date_idx ON public.training_sessions USING btree (location_id, session_date);
CREATE INDEX training_sessions_provider_id_idx ON public.training_sessions USING btree (provider_id);
CREATE INDEX training_sessions_room_id_idx ON public.training_sessions USING btree (room_id) WHERE (room_id IS NOT NULL);
CREATE INDEX training_sessions_scheduled_date_location_idx ON public.training_sessions USING btree (session_date, location_id) WHERE (status = 'SCHEDULED'::text);
CREATE TRIGGER training_sessions_audit_delete AFTER DELETE ON training_sessions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER training_sessions_audit_insert AFTER INSERT ON training_sessions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER training_sessions_audit_update AFTER UPDATE ON training_sessions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER training_sessions_capture_delete AFTER DELETE ON training_sessions REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION training_sessions_capture_changes();
CREATE TRIGGER training_sessions_capture_insert AFTER INSERT ON training_sessions REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION training_sessions_capture_changes();
CREATE TRIGGER training_sessions_capture_update AFTER UPDATE ON training_sessions REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION training_sessions_capture_changes();
CREATE TRIGGER training_sessions_guard_eligibility_override BEFORE INSERT OR UPDATE OF eligibility_override_reason, eligibility_overridden_by ON training_sessions FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_eligibility_override();
CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE OF instructor_id ON training_sessions FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_instructor_assignment();
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE OF location_id, provider_id ON training_sessions FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_placement();
CREATE TRIGGER training_sessions_guard_sa_reference BEFORE INSERT OR UPDATE OF instructor_id, created_by ON training_sessions FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.instructor_id, new.created_by])) EXECUTE FUNCTION app_guard_sa_reference('instructor_id', 'created_by');
CREATE TRIGGER training_sessions_keep_schedule BEFORE INSERT ON training_sessions FOR EACH ROW EXECUTE FUNCTION training_sessions_keep_schedule();
CREATE TRIGGER training_sessions_keep_schedule_on_update BEFORE UPDATE ON training_sessions FOR EACH ROW WHEN (new.room_id IS NOT NULL OR new.location_id IS DISTINCT FROM old.location_id OR new.session_date IS DISTINCT FROM old.session_date OR new.start_time IS DISTINCT FROM old.start_time OR new.end_time IS DISTINCT FROM old.end_time OR new.scheduled_during IS DISTINCT FROM old.scheduled_during) EXECUTE FUNCTION training_sessions_keep_schedule();
CREATE TRIGGER training_sessions_set_row_version BEFORE UPDATE ON training_sessions FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY training_sessions_delete_admin ON training_sessions FOR DELETE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY training_sessions_insert_admin ON training_sessions FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY training_sessions_insert_own_locations ON training_sessions FOR INSERT TO unitrain_ap
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY training_sessions_owner_all ON training_sessions FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY training_sessions_select_admin ON training_sessions FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY training_sessions_select_enrolled ON training_sessions FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((id = ANY (( SELECT app_enrolled_session_ids() AS app_enrolled_session_ids)::uuid[])));
CREATE POLICY training_sessions_select_open_for_enrollment ON training_sessions FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((app_is_signed_in() AND (status = 'SCHEDULED'::text) AND self_enrollment_allowed));
CREATE POLICY training_sessions_select_own_locations ON training_sessions FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY training_sessions_select_taught ON training_sessions FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())));
CREATE POLICY training_sessions_update_admin ON training_sessions FOR UPDATE TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY training_sessions_update_own_locations ON training_sessions FOR UPDATE TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))))
  WITH CHECK (((app_role() = 'AP'::text) AND (location_id = ANY (( SELECT app_provider_location_ids() AS app_provider_location_ids)::uuid[]))));
CREATE POLICY training_sessions_update_taught ON training_sessions FOR UPDATE TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())))
  WITH CHECK (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND (instructor_id = app_user_id())));
GRANT DELETE, INSERT, SELECT, UPDATE ON training_sessions TO unitrain_app;
COMMENT ON COLUMN training_sessions.occurrence_date IS 'The day of the schedule occurrence this session stands for; NULL for one-off sessions (and for schedule sessions made before 0015, which stand for their session_date).';
COMMENT ON COLUMN training_sessions.detached_from_schedule IS 'True once the session was edited by hand: schedule edits no longer change it.';

CREATE TABLE user_activities (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  activity_type text NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid,
  metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
  occurred_at timestamp with time zone DEFAULT now() NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT user_activities_pkey PRIMARY KEY (id),
  CONSTRAINT user_activities_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE user_activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_activities FORCE ROW LEVEL SECURITY;
CREATE INDEX user_activities_occurred_type_idx ON public.user_activities USING btree (occurred_at DESC, activity_type);
CREATE INDEX user_activities_user_occurred_idx ON public.user_activities USING btree (user_id, occurred_at DESC);
CREATE TRIGGER user_activities_guard_sa_reference BEFORE INSERT OR UPDATE ON user_activities FOR EACH ROW WHEN ((current_setting('unitrain.role'::text, true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])) AND app_refers_to_sa(ARRAY[new.user_id])) EXECUTE FUNCTION app_guard_sa_reference('user_id');
CREATE POLICY user_activities_insert_admin ON user_activities FOR INSERT TO unitrain_sa, unitrain_ad
  WITH CHECK (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY user_activities_insert_self ON user_activities FOR INSERT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  WITH CHECK ((user_id = app_user_id()));
CREATE POLICY user_activities_owner_all ON user_activities FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY user_activities_select_admin ON user_activities FOR SELECT TO unitrain_sa, unitrain_ad
  USING (( SELECT app_is_admin() AS app_is_admin));
CREATE POLICY user_activities_select_self ON user_activities FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((user_id = app_user_id()));
GRANT INSERT, SELECT ON user_activities TO unitrain_app;

CREATE TABLE users (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  email_ciphertext text NOT NULL,
  email_hmac text NOT NULL,
  password_hash text,
  role text NOT NULL,
  status text DEFAULT 'ACTIVE'::text NOT NULL,
  last_login_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  version integer DEFAULT 1 NOT NULL,
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_email_hmac_key UNIQUE (email_hmac),
  CONSTRAINT users_id_role_status_key UNIQUE (id, role, status),
  CONSTRAINT users_role_check CHECK (role = ANY (ARRAY['SA'::text, 'AD'::text, 'AP'::text, 'IC'::text, 'IP'::text, 'IT'::text, 'IN'::text])),
  CONSTRAINT users_status_check CHECK (status = ANY (ARRAY['ACTIVE'::text, 'INACTIVE'::text]))
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE TRIGGER users_audit_delete AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER users_audit_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER users_audit_update AFTER UPDATE ON users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows();
CREATE TRIGGER users_capture_delete AFTER DELETE ON users REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION users_capture_changes();
CREATE TRIGGER users_capture_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION users_capture_changes();
CREATE TRIGGER users_capture_update AFTER UPDATE ON users REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT WHEN (audit_applies()) EXECUTE FUNCTION users_capture_changes();
CREATE TRIGGER users_keep_id BEFORE UPDATE OF id ON users FOR EACH ROW WHEN (new.id IS DISTINCT FROM old.id) EXECUTE FUNCTION users_refuse_id_change();
CREATE TRIGGER users_note_account_change AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION app_note_account_change();
CREATE TRIGGER users_set_row_version BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE POLICY users_delete_sa ON users FOR DELETE TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY users_insert_ad ON users FOR INSERT TO unitrain_ad
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY users_insert_sa ON users FOR INSERT TO unitrain_sa
  WITH CHECK ((app_role() = 'SA'::text));
CREATE POLICY users_owner_all ON users FOR ALL TO CURRENT_USER
  USING (true)
  WITH CHECK (true);
CREATE POLICY users_select_ad ON users FOR SELECT TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY users_select_instructed_students ON users FOR SELECT TO unitrain_ic, unitrain_ip
  USING (((app_role() = ANY (ARRAY['IC'::text, 'IP'::text])) AND app_instructor_sees_user(id, ( SELECT app_taught_session_ids() AS app_taught_session_ids), ( SELECT app_instructed_roster_ids() AS app_instructed_roster_ids))));
CREATE POLICY users_select_provider_scope ON users FOR SELECT TO unitrain_ap
  USING (((app_role() = 'AP'::text) AND app_provider_sees_user(id, ( SELECT app_provider_ids() AS app_provider_ids), ( SELECT app_provider_location_ids() AS app_provider_location_ids))));
CREATE POLICY users_select_sa ON users FOR SELECT TO unitrain_sa
  USING ((app_role() = 'SA'::text));
CREATE POLICY users_select_self ON users FOR SELECT TO unitrain_sa, unitrain_ad, unitrain_ap, unitrain_ic, unitrain_ip, unitrain_it, unitrain_in
  USING ((id = app_user_id()));
CREATE POLICY users_update_ad ON users FOR UPDATE TO unitrain_ad
  USING (((app_role() = 'AD'::text) AND (role <> 'SA'::text)))
  WITH CHECK (((app_role() = 'AD'::text) AND (role <> 'SA'::text)));
CREATE POLICY users_update_sa ON users FOR UPDATE TO unitrain_sa
  USING ((app_role() = 'SA'::text));
GRANT DELETE, INSERT, UPDATE ON users TO unitrain_app;
GRANT SELECT (id, email_ciphertext, email_hmac, role, status, last_login_at, created_at, updated_at, version) ON users TO unitrain_app;

-- Views

CREATE VIEW authorized_providers_visible WITH (security_invoker=true) AS
 SELECT id,
    name,
    description,
        CASE
            WHEN app_is_admin() OR app_role() = 'AP'::text AND (id = ANY ((( SELECT app_provider_ids() AS app_provider_ids))::uuid[])) THEN contact_email_ciphertext
            ELSE NULL::text
        END AS contact_email_ciphertext,
        CASE
            WHEN app_is_admin() OR app_role() = 'AP'::text AND (id = ANY ((( SELECT app_provider_ids() AS app_provider_ids))::uuid[])) THEN contact_phone_ciphertext
            ELSE NULL::text
        END AS contact_phone_ciphertext,
    website,
    status,
    created_at,
    updated_at,
    version
   FROM authorized_providers;
GRANT SELECT ON authorized_providers_visible TO unitrain_app;

CREATE MATERIALIZED VIEW certificate_counts_by_location_quarter AS
 SELECT location_id,
    course_id,
    date_trunc('quarter'::text, issue_date::timestamp with time zone)::date AS quarter,
    count(*) AS issued,
    count(*) FILTER (WHERE status = 'ACTIVE'::text) AS active,
    count(*) FILTER (WHERE status = 'EXPIRED'::text) AS expired,
    count(*) FILTER (WHERE status = 'REVOKED'::text) AS revoked
   FROM certificates
  GROUP BY location_id, course_id, (date_trunc('quarter'::text, issue_date::timestamp with time zone)::date);
CREATE UNIQUE INDEX certificate_counts_by_location_quarter_key ON public.certificate_counts_by_location_quarter USING btree (location_id, course_id, quarter);
GRANT SELECT ON certificate_counts_by_location_quarter TO unitrain_app;

CREATE MATERIALIZED VIEW certificate_figures_by_month AS
 SELECT month,
    location_id,
    course_id,
    provider_id,
    issued_by,
    sum(issued) AS issued,
    sum(revoked) AS revoked,
    sum(expiring) AS expiring
   FROM ( SELECT date_trunc('month'::text, certificates.issue_date::timestamp with time zone)::date AS month,
            certificates.location_id,
            certificates.course_id,
            certificates.provider_id,
            certificates.issued_by,
            1 AS issued,
            (certificates.status = 'REVOKED'::text)::integer AS revoked,
            0 AS expiring
           FROM certificates
        UNION ALL
         SELECT date_trunc('month'::text, certificates.expiry_date::timestamp with time zone)::date AS date_trunc,
            certificates.location_id,
            certificates.course_id,
            certificates.provider_id,
            certificates.issued_by,
            0,
            0,
            1
           FROM certificates
          WHERE certificates.expiry_date IS NOT NULL AND certificates.status <> 'REVOKED'::text) c
  GROUP BY month, location_id, course_id, provider_id, issued_by;
CREATE UNIQUE INDEX certificate_figures_by_month_key ON public.certificate_figures_by_month USING btree (month, location_id, course_id, provider_id, issued_by) NULLS NOT DISTINCT;
GRANT SELECT ON certificate_figures_by_month TO unitrain_app;

CREATE VIEW certificate_summaries WITH (security_invoker=true) AS
 SELECT c.id,
    c.user_id,
    c.student_profile_id,
    c.enrollment_id,
    c.roster_member_id,
    c.roster_id,
    c.session_id,
    c.course_id,
    c.location_id,
    c.provider_id,
    c.course_name,
    c.recipient_name,
    c.issued_by,
    c.template_id,
    c.batch_id,
    c.issue_date,
    c.expiry_date,
    app_certificate_status(c.status, c.expiry_date) AS status,
    c.status AS stored_status,
    c.revoked_at,
    c.revoked_reason_code,
    c.revoked_reason,
    c.suspended_at,
    c.suspended_reason,
    c.replaces_certificate_id,
    c.verification_code,
    c.snapshot,
    c.pdf_sha256,
    COALESCE(v.verification_count, 0) AS verification_count,
    v.last_verified_at,
    c.created_at,
    c.updated_at,
    c.version
   FROM certificates_visible c
     LEFT JOIN certificate_verifications v ON v.certificate_id = c.id;
GRANT SELECT ON certificate_summaries TO unitrain_app;

CREATE VIEW certificates_visible WITH (security_invoker=true) AS
 SELECT id,
    user_id,
    student_profile_id,
    enrollment_id,
    roster_member_id,
    roster_id,
    session_id,
    course_id,
    location_id,
    provider_id,
    course_name,
    recipient_name,
        CASE
            WHEN (app_role() = ANY (ARRAY['SA'::text, 'AD'::text, 'AP'::text])) OR user_id = app_user_id() THEN recipient_email_ciphertext
            ELSE NULL::text
        END AS recipient_email_ciphertext,
    issued_by,
    template_id,
    batch_id,
    issue_date,
    expiry_date,
    status,
    revoked_at,
    revoked_reason,
    verification_code,
    signature,
    certificate_url,
    created_at,
    updated_at,
    version,
    snapshot,
    pdf_sha256,
    revoked_reason_code,
    suspended_at,
    suspended_reason,
    replaces_certificate_id,
    template_version_id
   FROM certificates;
GRANT SELECT ON certificates_visible TO unitrain_app;

CREATE VIEW course_schedules_local WITH (security_invoker=true) AS
 SELECT id,
    course_id,
    instructor_id,
    location_id,
    provider_id,
    rrule,
    timezone,
    (dtstart AT TIME ZONE timezone)::date AS start_date,
    to_char((dtstart AT TIME ZONE timezone), 'HH24:MI'::text) AS start_time,
    duration_minutes,
    max_capacity,
    self_enrollment_allowed,
    (until_at AT TIME ZONE timezone)::date AS until,
    ((generated_until AT TIME ZONE timezone) - '00:00:00.000001'::interval)::date AS generated_through,
    dtstart,
    until_at,
    generated_until,
    status,
    created_by,
    created_at,
    updated_at,
    version,
    eligibility_override_reason,
    eligibility_overridden_by
   FROM course_schedules s;
GRANT SELECT ON course_schedules_local TO unitrain_app;

CREATE VIEW courses_as_seen WITH (security_invoker=true) AS
 SELECT c.id,
    shown.code,
    shown.title,
    shown.description,
    shown.duration_minutes,
    shown.certifies,
    shown.certificate_validity_months,
    c.status,
    c.published_at,
    c.published_version,
        CASE
            WHEN app_is_admin() THEN c.published_version IS NULL OR course_catalogue_fields(published.*) <> course_catalogue_fields(c.*)
            ELSE NULL::boolean
        END AS has_unpublished_changes,
    c.created_at,
    c.updated_at,
    c.version
   FROM courses c
     CROSS JOIN LATERAL course_as_published(c.id) published(id, code, title, description, duration_minutes, certifies, certificate_validity_months, status, published_at, published_version, created_by, modified_by, created_at, updated_at, version)
     CROSS JOIN LATERAL ( SELECT (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).id AS id,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).code AS code,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).title AS title,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).description AS description,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).duration_minutes AS duration_minutes,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).certifies AS certifies,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).certificate_validity_months AS certificate_validity_months,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).status AS status,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).published_at AS published_at,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).published_version AS published_version,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).created_by AS created_by,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).modified_by AS modified_by,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).created_at AS created_at,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).updated_at AS updated_at,
            (
                CASE
                    WHEN app_is_admin() THEN c.*
                    ELSE published.*
                END).version AS version) shown;
GRANT SELECT ON courses_as_seen TO unitrain_app;

CREATE MATERIALIZED VIEW enrollment_figures_by_month AS
 SELECT date_trunc('month'::text, s.session_date::timestamp with time zone)::date AS month,
    s.provider_id,
    s.location_id,
    s.course_id,
    s.instructor_id,
    count(*) FILTER (WHERE e.status = 'ENROLLED'::text) AS enrollments,
    count(*) FILTER (WHERE e.status = 'WAITLISTED'::text) AS waitlisted,
    count(*) FILTER (WHERE e.status = 'CANCELLED'::text) AS cancellations,
    count(*) FILTER (WHERE e.completion_status = 'COMPLETED'::text) AS completions,
    count(*) FILTER (WHERE e.completion_status = 'FAILED'::text) AS failures,
    count(*) FILTER (WHERE e.status = 'ENROLLED'::text AND e.attendance_status = 'ABSENT'::text) AS no_shows
   FROM session_enrollments e
     JOIN training_sessions s ON s.id = e.session_id
  GROUP BY (date_trunc('month'::text, s.session_date::timestamp with time zone)::date), s.provider_id, s.location_id, s.course_id, s.instructor_id;
CREATE UNIQUE INDEX enrollment_figures_by_month_key ON public.enrollment_figures_by_month USING btree (month, location_id, course_id, instructor_id, provider_id) NULLS NOT DISTINCT;
GRANT SELECT ON enrollment_figures_by_month TO unitrain_app;

CREATE MATERIALIZED VIEW instructor_figures_by_month AS
 SELECT date_trunc('month'::text, s.session_date::timestamp with time zone)::date AS month,
    s.instructor_id,
    s.location_id,
    count(*) FILTER (WHERE s.status <> 'CANCELLED'::text) AS sessions_scheduled,
    count(*) FILTER (WHERE s.status = 'COMPLETED'::text) AS sessions_taught,
    COALESCE(sum(r.enrolled) FILTER (WHERE s.status = 'COMPLETED'::text), 0::numeric) AS enrolled_in_taught,
    COALESCE(sum(r.attended) FILTER (WHERE s.status = 'COMPLETED'::text), 0::numeric) AS attended_in_taught,
    COALESCE(sum(r.passed), 0::numeric) AS passed,
    COALESCE(sum(r.failed), 0::numeric) AS failed,
    COALESCE(sum(r.score_sum), 0::numeric) AS score_sum,
    COALESCE(sum(r.scored), 0::numeric) AS scored
   FROM training_sessions s
     LEFT JOIN LATERAL ( SELECT count(*) FILTER (WHERE e.status = 'ENROLLED'::text) AS enrolled,
            count(*) FILTER (WHERE e.status = 'ENROLLED'::text AND (e.attendance_status = ANY (ARRAY['ATTENDED'::text, 'PARTIAL'::text]))) AS attended,
            count(*) FILTER (WHERE e.completion_status = 'COMPLETED'::text) AS passed,
            count(*) FILTER (WHERE e.completion_status = 'FAILED'::text) AS failed,
            sum(e.assessment_score) AS score_sum,
            count(e.assessment_score) AS scored
           FROM session_enrollments e
          WHERE e.session_id = s.id) r ON true
  GROUP BY (date_trunc('month'::text, s.session_date::timestamp with time zone)::date), s.instructor_id, s.location_id;
CREATE UNIQUE INDEX instructor_figures_by_month_key ON public.instructor_figures_by_month USING btree (month, instructor_id, location_id);
GRANT SELECT ON instructor_figures_by_month TO unitrain_app;

CREATE VIEW profiles_visible WITH (security_invoker=true) AS
 SELECT id,
    user_id,
    first_name,
    last_name,
    display_name,
        CASE
            WHEN app_is_admin() OR user_id = app_user_id() THEN phone_ciphertext
            ELSE NULL::text
        END AS phone_ciphertext,
        CASE
            WHEN app_is_admin() OR user_id = app_user_id() THEN email_ciphertext
            ELSE NULL::text
        END AS email_ciphertext,
        CASE
            WHEN app_role() <> 'IC'::text OR user_id = app_user_id() THEN organization
            ELSE NULL::text
        END AS organization,
        CASE
            WHEN app_role() <> ALL (ARRAY['IT'::text, 'IN'::text]) THEN department
            ELSE NULL::text
        END AS department,
        CASE
            WHEN app_role() <> ALL (ARRAY['IT'::text, 'IN'::text]) THEN supervisor_id
            ELSE NULL::uuid
        END AS supervisor_id,
    compliance_tier,
    compliance_score,
    compliance_status,
    role,
    status,
    created_at,
    updated_at,
    version
   FROM profiles;
GRANT SELECT ON profiles_visible TO unitrain_app;

CREATE VIEW roster_member_details WITH (security_invoker=true) AS
 SELECT m.id,
    m.roster_id,
    m.student_profile_id,
    m.student_id,
    p.first_name,
    p.last_name,
    p.email_ciphertext,
    p.company,
    m.enrollment_status,
    m.attendance_status,
    m.practical_score,
    m.written_score,
    m.completion_status,
    m.created_at,
    m.updated_at,
    m.version
   FROM student_roster_members m
     LEFT JOIN student_enrollment_profiles_visible p ON p.id = m.student_profile_id;
GRANT SELECT ON roster_member_details TO unitrain_app;

CREATE VIEW roster_summaries WITH (security_invoker=true) AS
 SELECT id,
    name,
    session_id,
    course_id,
    location_id,
    provider_id,
    instructor_id,
    instructor_name,
    status,
    roster_type,
    certificate_count,
    ( SELECT count(*)::integer AS count
           FROM student_roster_members m
          WHERE m.roster_id = r.id) AS member_count,
    issue_date,
    COALESCE(issue_date, 'infinity'::date) AS issue_date_key,
    created_by,
    created_at,
    updated_at,
    version
   FROM rosters r;
GRANT SELECT ON roster_summaries TO unitrain_app;

CREATE MATERIALIZED VIEW session_fill_by_location_month AS
 SELECT location_id,
    date_trunc('month'::text, session_date::timestamp with time zone)::date AS month,
    count(*) AS sessions,
    count(*) FILTER (WHERE status = 'COMPLETED'::text) AS completed_sessions,
    count(*) FILTER (WHERE status = 'CANCELLED'::text) AS cancelled_sessions,
    COALESCE(sum(current_enrollment) FILTER (WHERE status <> 'CANCELLED'::text), 0::bigint) AS enrolled_seats,
    COALESCE(sum(max_capacity) FILTER (WHERE status <> 'CANCELLED'::text), 0::bigint) AS offered_seats,
    round(avg(current_enrollment::numeric / max_capacity::numeric) FILTER (WHERE status <> 'CANCELLED'::text), 4) AS avg_fill_ratio
   FROM training_sessions
  GROUP BY location_id, (date_trunc('month'::text, session_date::timestamp with time zone)::date);
CREATE UNIQUE INDEX session_fill_by_location_month_key ON public.session_fill_by_location_month USING btree (location_id, month);
GRANT SELECT ON session_fill_by_location_month TO unitrain_app;

CREATE VIEW student_enrollment_profiles_visible WITH (security_invoker=true) AS
 SELECT id,
    first_name,
    last_name,
        CASE
            WHEN app_is_admin() THEN email_ciphertext
            ELSE NULL::text
        END AS email_ciphertext,
        CASE
            WHEN app_is_admin() THEN email_hmac
            ELSE NULL::text
        END AS email_hmac,
        CASE
            WHEN app_is_admin() THEN phone_ciphertext
            ELSE NULL::text
        END AS phone_ciphertext,
    company,
    provider_id,
    created_by,
    created_at,
    updated_at,
    version
   FROM student_enrollment_profiles;
GRANT SELECT ON student_enrollment_profiles_visible TO unitrain_app;

CREATE VIEW users_visible WITH (security_invoker=true) AS
 SELECT id,
        CASE
            WHEN app_is_admin() OR id = app_user_id() THEN email_ciphertext
            ELSE NULL::text
        END AS email_ciphertext,
        CASE
            WHEN app_is_admin() OR id = app_user_id() THEN email_hmac
            ELSE NULL::text
        END AS email_hmac,
    role,
    status,
    last_login_at,
    created_at,
    updated_at,
    version
   FROM users;
GRANT SELECT ON users_visible TO unitrain_app;

-- Functions

CREATE OR REPLACE FUNCTION public.analytics_refreshes_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id) SELECT TG_TABLE_NAME, TG_OP, r.id FROM changed_rows r;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION analytics_refreshes_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.answer_waitlist_offer(enrollment uuid, accept boolean, at timestamp with time zone)
 RETURNS TABLE(outcome text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  session uuid;
  session_status text;
  target session_enrollments;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such enrollment' USING ERRCODE = 'UT404';
  END IF;
  SELECT s.status INTO session_status FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.* INTO target FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  IF target.offer_expires_at IS NULL OR session_status <> 'SCHEDULED' THEN
    RETURN QUERY SELECT 'NO_OFFER'::text;
    RETURN;
  END IF;
  IF target.offer_expires_at <= at THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_expired', at);
    RETURN QUERY SELECT 'EXPIRED'::text;
    RETURN;
  END IF;
  IF NOT accept THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_declined', at);
    RETURN QUERY SELECT 'DECLINED'::text;
    RETURN;
  END IF;
  -- The seat is already held in current_enrollment: only the row moves.
  UPDATE session_enrollments e SET status = 'ENROLLED', waitlist_position = NULL, offer_expires_at = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.promoted');
  PERFORM app_renumber_waitlist(session);
  RETURN QUERY SELECT 'ACCEPTED'::text;
END;
$function$;
REVOKE EXECUTE ON FUNCTION answer_waitlist_offer(uuid,boolean,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION answer_waitlist_offer(uuid,boolean,timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_affiliated_provider_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_affiliated_provider_id_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_affiliated_provider_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_affiliated_provider_id() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_affiliated_provider_id_of(actor uuid)
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT provider_id FROM instructor_profiles WHERE user_id = actor
$function$;
REVOKE EXECUTE ON FUNCTION app_affiliated_provider_id_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_analytics_refreshed_at(view text)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT refreshed_at FROM analytics_refreshes WHERE view_name = view
$function$;
REVOKE EXECUTE ON FUNCTION app_analytics_refreshed_at(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_analytics_refreshed_at(text) TO unitrain_app;

CREATE OR REPLACE PROCEDURE public.app_audit(IN audited regclass)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $procedure$
DECLARE
  table_name CONSTANT text := (SELECT c.relname FROM pg_class c WHERE c.oid = audited);
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_insert', audited);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_update', audited);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_delete', audited);
END;
$procedure$;
REVOKE EXECUTE ON FUNCTION app_audit(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_audit_entry_concerns_sa(entry_table text, entry_row uuid, old_values jsonb, new_values jsonb)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT entry_table IN ('users', 'profiles') AND (
           coalesce('SA' IN (old_values ->> 'role', new_values ->> 'role'), false)
        OR (entry_table = 'users' AND EXISTS (SELECT 1 FROM users WHERE id = entry_row AND role = 'SA'))
        OR (entry_table = 'profiles' AND EXISTS (SELECT 1 FROM profiles WHERE id = entry_row AND role = 'SA')))
$function$;
REVOKE EXECUTE ON FUNCTION app_audit_entry_concerns_sa(text,uuid,jsonb,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_audit_entry_concerns_sa(text,uuid,jsonb,jsonb) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_calendar_entries(sessions uuid[], person uuid)
 RETURNS SETOF calendar_entry
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT s.id, s.title, s.status, s.session_date, s.start_time, s.end_time,
         (s.session_date + s.start_time) AT TIME ZONE l.timezone,
         (s.session_date + s.end_time) AT TIME ZONE l.timezone,
         s.max_capacity, s.current_enrollment,
         (SELECT count(*)::integer FROM session_enrollments w WHERE w.session_id = s.id AND w.status = 'WAITLISTED'),
         round(100.0 * s.current_enrollment / s.max_capacity, 1)::double precision,
         s.version, s.updated_at,
         c.id, c.code, c.title,
         s.instructor_id,
         ip.display_name,
         l.id, l.name, l.address_line1, l.address_line2, l.city, l.region, l.postal_code, l.country, l.timezone,
         CASE WHEN s.instructor_id = person THEN 'TEACHING'
              ELSE (SELECT e.status FROM session_enrollments e WHERE e.session_id = s.id AND e.student_id = person) END
    FROM unnest(sessions) AS chosen (id)
    JOIN training_sessions s ON s.id = chosen.id
    JOIN courses working ON working.id = s.course_id
   CROSS JOIN LATERAL app_course_as_published(working) AS c
    JOIN locations l ON l.id = s.location_id
    LEFT JOIN instructor_profiles ip ON ip.user_id = s.instructor_id
$function$;
REVOKE EXECUTE ON FUNCTION app_calendar_entries(uuid[],uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_certificate_status(status text, expiry_date date)
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_certificate_status(status, expiry_date, (now() AT TIME ZONE 'UTC')::date)
$function$;
REVOKE EXECUTE ON FUNCTION app_certificate_status(text,date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_certificate_status(text,date) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_certificate_status(status text, expiry_date date, as_of date)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT CASE WHEN status = 'ACTIVE' AND expiry_date < as_of THEN 'EXPIRED' ELSE status END
$function$;
REVOKE EXECUTE ON FUNCTION app_certificate_status(text,date,date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_certificate_status(text,date,date) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_course_as_published(course courses)
 RETURNS courses
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT jsonb_populate_record(course, (
    SELECT jsonb_object_agg(field.key, field.value)
      FROM course_versions v, jsonb_each(v.snapshot) AS field
     WHERE v.course_id = course.id AND v.version_number = course.published_version
       AND field.key IN (SELECT jsonb_object_keys(course_catalogue_fields(course)))))
$function$;
REVOKE EXECUTE ON FUNCTION app_course_as_published(courses) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_enrolled_session_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_enrolled_session_ids_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_enrolled_session_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_enrolled_session_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_enrolled_session_ids_of(actor uuid)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(session_id), '{}') FROM session_enrollments WHERE student_id = actor
$function$;
REVOKE EXECUTE ON FUNCTION app_enrolled_session_ids_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_enrollment_event(enrollment session_enrollments, event_type text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position, 'offer_expires_at', enrollment.offer_expires_at),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''));
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_enrollment_event(session_enrollments,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_archived_roster_members()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  rosters_touched uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    rosters_touched := ARRAY[NEW.roster_id];
  ELSIF TG_OP = 'DELETE' THEN
    rosters_touched := ARRAY[OLD.roster_id];
  ELSE
    rosters_touched := ARRAY[OLD.roster_id, NEW.roster_id];
  END IF;
  PERFORM 1 FROM rosters r WHERE r.id = ANY (rosters_touched) ORDER BY r.id FOR SHARE;
  IF EXISTS (SELECT 1 FROM rosters r WHERE r.id = ANY (rosters_touched) AND r.status = 'ARCHIVED') THEN
    RAISE EXCEPTION 'the roster is archived: its members are read-only' USING ERRCODE = 'UTTRN', TABLE = TG_TABLE_NAME;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_archived_roster_members() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_eligibility_override()
 RETURNS trigger
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.eligibility_override_reason IS NULL
     OR (app_role() IN ('SA', 'AD') AND NEW.eligibility_overridden_by IS NOT DISTINCT FROM app_user_id()) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.eligibility_override_reason, NEW.eligibility_overridden_by)
       IS NOT DISTINCT FROM (OLD.eligibility_override_reason, OLD.eligibility_overridden_by) THEN
      RETURN NEW;
    END IF;
  END IF;
  -- A schedule's sessions carry the schedule's override, whoever generates them.
  IF TG_TABLE_NAME = 'training_sessions' THEN
    IF EXISTS (SELECT 1 FROM course_schedules s
                WHERE s.id = NEW.schedule_id AND s.instructor_id = NEW.instructor_id
                  AND (s.eligibility_override_reason, s.eligibility_overridden_by)
                      IS NOT DISTINCT FROM (NEW.eligibility_override_reason, NEW.eligibility_overridden_by)) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'only an SA or AD overrides instructor eligibility, in their own name'
    USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'eligibility_override_reason';
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_eligibility_override() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_instructor_assignment()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.instructor_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.instructor_id IS DISTINCT FROM OLD.instructor_id)
     AND NOT app_may_assign_instructor(NEW.instructor_id) THEN
    RAISE EXCEPTION 'an AP assigns only instructors affiliated with its own providers'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'instructor_id';
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_instructor_assignment() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_placement()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.location_id IS NOT DISTINCT FROM OLD.location_id
     AND NEW.provider_id IS NOT DISTINCT FROM OLD.provider_id THEN
    RETURN NEW;
  END IF;
  IF NOT app_may_place(TG_TABLE_NAME, NEW.location_id, NEW.provider_id) THEN
    RAISE EXCEPTION 'a % goes only where you may create one: not at this location and provider', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'location_id';
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_placement() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_roster_write()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(n.key ORDER BY n.key) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
     WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key) AND n.key <> ALL (ARRAY['version', 'updated_at']);
  END IF;
  IF (TG_OP = 'INSERT' AND NEW.certificate_count <> 0) OR 'certificate_count' = ANY (changed) THEN
    RAISE EXCEPTION 'certificate_count counts the roster''s certificates and cannot be set'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'ARCHIVED' AND NEW.status = 'ARCHIVED' AND changed IS NOT NULL THEN
    RAISE EXCEPTION 'the roster is archived: unarchive it before changing %', array_to_string(changed, ', ')
      USING ERRCODE = 'UTTRN', TABLE = TG_TABLE_NAME;
  END IF;
  -- An unknown account passes here and fails its foreign key instead.
  IF NEW.instructor_id IS NOT NULL AND (TG_OP = 'INSERT' OR 'instructor_id' = ANY (changed))
     AND app_user_role(NEW.instructor_id) NOT IN ('IC', 'IP', 'SA', 'AD') THEN
    RAISE EXCEPTION 'the instructor of a roster must hold the role IC or IP (or SA or AD)'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_instructor_role_check';
  END IF;
  IF NEW.provider_id IS NOT NULL AND (TG_OP = 'INSERT' OR changed && ARRAY['provider_id', 'location_id'])
     AND EXISTS (SELECT 1 FROM authorized_providers p WHERE p.id = NEW.provider_id)
     AND NOT EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.provider_id = NEW.provider_id AND pl.location_id = NEW.location_id) THEN
    RAISE EXCEPTION 'the provider of a roster must serve its location'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_provider_location_check';
  END IF;
  IF NEW.session_id IS NOT NULL AND (TG_OP = 'INSERT' OR changed && ARRAY['session_id', 'course_id', 'location_id'])
     AND EXISTS (SELECT 1 FROM training_sessions s WHERE s.id = NEW.session_id
                    AND (s.course_id <> NEW.course_id OR s.location_id <> NEW.location_id)) THEN
    RAISE EXCEPTION 'a roster of a session has the session''s course and location'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_session_check';
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_roster_write() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_sa_reference()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  new_values jsonb := to_jsonb(NEW);
  old_values jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
  referring text;
BEGIN
  SELECT c.name INTO referring
    FROM unnest(TG_ARGV) AS c (name)
    JOIN users u ON u.id = (new_values ->> c.name)::uuid AND u.role = 'SA'
   WHERE old_values IS NULL OR (new_values -> c.name) IS DISTINCT FROM (old_values -> c.name)
   LIMIT 1;
  IF referring IS NOT NULL THEN
    RAISE EXCEPTION 'only an SA may point % of % at an SA account', referring, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = referring;
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_sa_reference() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_guard_self_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  changed text[];
BEGIN
  IF NOT app_is_request_role() OR app_is_admin() THEN
    RETURN NEW;
  END IF;
  SELECT array_agg(n.key ORDER BY n.key) INTO changed
    FROM jsonb_each(to_jsonb(NEW)) AS n
   WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key)
     AND n.key <> ALL (TG_ARGV || ARRAY['version', 'updated_at']);
  IF changed IS NOT NULL THEN
    RAISE EXCEPTION 'only SA or AD may change % of %', array_to_string(changed, ', '), TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.app_guard_student_enrollment_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  changed text[];
BEGIN
  IF NOT app_is_request_role() OR app_is_admin()
     OR (app_role() = 'AP' AND app_session_in_locations(OLD.session_id, app_provider_location_ids()))
     OR (app_role() IN ('IC', 'IP') AND OLD.session_id = ANY (app_taught_session_ids())) THEN
    RETURN NEW;
  END IF;
  SELECT array_agg(n.key ORDER BY n.key) INTO changed
    FROM jsonb_each(to_jsonb(NEW)) AS n
   WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key)
     AND n.key <> ALL (ARRAY['status', 'waitlist_position', 'version', 'updated_at']);
  IF changed IS NOT NULL
     OR (NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'CANCELLED')
     OR (NEW.waitlist_position IS DISTINCT FROM OLD.waitlist_position AND NEW.waitlist_position IS NOT NULL) THEN
    RAISE EXCEPTION 'a student may only cancel their own enrollment'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.app_guard_student_reference()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.student_id IS NOT DISTINCT FROM OLD.student_id THEN
    RETURN NEW;
  END IF;
  IF NOT app_may_name_student(NEW.student_id) THEN
    RAISE EXCEPTION 'you may name as % student only yourself, an active trainee, or a student you already see', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'student_id';
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_guard_student_reference() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_instructed_roster_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_instructed_roster_ids_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_instructed_roster_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_instructed_roster_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_instructed_roster_ids_of(actor uuid)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM rosters
   WHERE instructor_id = actor OR session_id = ANY (app_taught_session_ids_of(actor))
$function$;
REVOKE EXECUTE ON FUNCTION app_instructed_roster_ids_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_instructor_eligibility_gaps(instructor uuid, course uuid, day date, starts_at timestamp with time zone)
 RETURNS jsonb
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce((
    SELECT jsonb_agg(gap ORDER BY ord, gap->>'code', gap->>'course_code')
      FROM course_instructor_requirements q,
           LATERAL (
             SELECT 1 AS ord, jsonb_build_object('kind', 'TIER', 'required', q.minimum_tier, 'held', u.role) AS gap
               FROM users u
              WHERE u.id = instructor AND q.minimum_tier = 'IC' AND u.role IS DISTINCT FROM 'IC'
             UNION ALL
             SELECT 2, jsonb_build_object('kind', 'REQUIREMENT', 'id', r.id, 'code', r.code, 'name', r.name,
                                          'valid_until', CASE WHEN c.status IN ('MET', 'WAIVED') THEN c.expires_at END)
               FROM compliance_requirements r
               LEFT JOIN compliance_records c ON c.requirement_id = r.id AND c.user_id = instructor
              WHERE r.id = ANY (q.compliance_requirement_ids)
                AND compliance_record_state(c.status, c.expires_at, 0, 0, starts_at) NOT IN ('MET', 'WAIVED')
             UNION ALL
             SELECT 3, jsonb_build_object('kind', 'CERTIFICATE', 'course_id', k.id, 'course_code', k.code,
                                          'valid_until', (SELECT max(x.expiry_date) FROM certificates x
                                                           WHERE x.user_id = instructor AND x.course_id = k.id AND x.status <> 'REVOKED'))
               FROM courses k
              WHERE k.id = ANY (q.certificate_course_ids)
                AND NOT EXISTS (SELECT 1 FROM certificates x
                                 WHERE x.user_id = instructor AND x.course_id = k.id
                                   AND app_certificate_status(x.status, x.expiry_date, day) = 'ACTIVE')
           ) gaps
     WHERE q.course_id = course), '[]'::jsonb)
$function$;
REVOKE EXECUTE ON FUNCTION app_instructor_eligibility_gaps(uuid,uuid,date,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_instructor_eligibility_gaps(uuid,uuid,date,timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_instructor_sees_student_profile(profile uuid, sessions uuid[], rosters uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM session_enrollments WHERE student_profile_id = profile AND session_id = ANY (sessions))
      OR EXISTS (SELECT 1 FROM student_roster_members WHERE student_profile_id = profile AND roster_id = ANY (rosters))
$function$;
REVOKE EXECUTE ON FUNCTION app_instructor_sees_student_profile(uuid,uuid[],uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_instructor_sees_student_profile(uuid,uuid[],uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_instructor_sees_user(account uuid, sessions uuid[], rosters uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM session_enrollments WHERE student_id = account AND session_id = ANY (sessions))
      OR EXISTS (SELECT 1 FROM student_roster_members WHERE student_id = account AND roster_id = ANY (rosters)))
$function$;
REVOKE EXECUTE ON FUNCTION app_instructor_sees_user(uuid,uuid[],uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_instructor_sees_user(uuid,uuid[],uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_is_admin()
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$ SELECT coalesce(app_role() IN ('SA', 'AD'), false) $function$;

CREATE OR REPLACE FUNCTION public.app_is_request_role()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  RETURN CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[]);
END;
$function$;

CREATE OR REPLACE FUNCTION public.app_is_session_staff(session uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_session_in_locations(session, app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND session = ANY (app_taught_session_ids()))
$function$;
REVOKE EXECUTE ON FUNCTION app_is_session_staff(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_is_signed_in()
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  SELECT app_user_id() IS NOT NULL AND coalesce(app_role() IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'), false)
$function$;

CREATE OR REPLACE FUNCTION public.app_lock_student_email(provider uuid, person_email_hmac text)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT pg_advisory_xact_lock(hashtextextended('student_profile:' || coalesce(provider::text, '') || ':' || person_email_hmac, 0))
$function$;
REVOKE EXECUTE ON FUNCTION app_lock_student_email(uuid,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_may_assign_instructor(instructor uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_provider_affiliates_user(instructor, app_provider_ids()))
      OR (app_role() IN ('IC', 'IP') AND instructor = app_user_id())
$function$;
REVOKE EXECUTE ON FUNCTION app_may_assign_instructor(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_may_change_roster_members(roster uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_roster_in_locations(roster, app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND roster = ANY (app_own_roster_ids()))
$function$;
REVOKE EXECUTE ON FUNCTION app_may_change_roster_members(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_may_match_account_by_email(account_role text, account_status text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_role() = 'SA'
      OR (app_role() = 'AD' AND account_role <> 'SA')
      OR (account_status = 'ACTIVE' AND account_role IN ('IT', 'IN'))
$function$;
REVOKE EXECUTE ON FUNCTION app_may_match_account_by_email(text,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_may_name_student(account uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT account IS NULL
      OR app_is_admin()
      OR account = app_user_id()
      OR EXISTS (SELECT 1 FROM users u WHERE u.id = account AND u.status = 'ACTIVE' AND u.role IN ('IT', 'IN'))
      OR (app_role() = 'AP' AND app_provider_sees_user(account, app_provider_ids(), app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND app_instructor_sees_user(account, app_taught_session_ids(), app_instructed_roster_ids()))
$function$;
REVOKE EXECUTE ON FUNCTION app_may_name_student(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_may_place(place_table text, location uuid, provider uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND location = ANY (app_provider_location_ids())
          AND (provider IS NULL OR provider = ANY (app_provider_ids())))
      OR (place_table = 'rosters' AND app_role() IN ('IC', 'IP')
          AND (provider IS NULL OR provider = app_affiliated_provider_id())
          AND (EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.location_id = location AND pl.provider_id = app_affiliated_provider_id())
               OR NOT EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.location_id = location)))
$function$;
REVOKE EXECUTE ON FUNCTION app_may_place(text,uuid,uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_note_account_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM set_config('unitrain.accounts_changed', 'on', true);
  RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.app_own_roster_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM rosters WHERE instructor_id = app_user_id()
$function$;
REVOKE EXECUTE ON FUNCTION app_own_roster_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_own_roster_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_promote_from_waitlist(session uuid, at timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  free_seats integer;
  deadline timestamptz;
  moved session_enrollments;
  moved_count integer := 0;
BEGIN
  SELECT s.max_capacity - s.current_enrollment INTO free_seats FROM training_sessions s WHERE s.id = session;
  IF free_seats <= 0 THEN
    RETURN 0;
  END IF;
  deadline := app_waitlist_offer_deadline(session, at);
  FOR moved IN
    UPDATE session_enrollments e
       SET status = CASE WHEN deadline IS NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
           waitlist_position = CASE WHEN deadline IS NULL THEN NULL ELSE e.waitlist_position END,
           offer_expires_at = deadline
     WHERE e.id IN (SELECT w.id FROM session_enrollments w
                     WHERE w.session_id = session AND w.status = 'WAITLISTED' AND w.offer_expires_at IS NULL
                     ORDER BY w.waitlist_position LIMIT free_seats)
    RETURNING e.*
  LOOP
    moved_count := moved_count + 1;
    PERFORM app_enrollment_event(moved, CASE WHEN deadline IS NULL THEN 'enrollment.promoted' ELSE 'enrollment.offered' END);
  END LOOP;
  IF moved_count > 0 THEN
    UPDATE training_sessions SET current_enrollment = current_enrollment + moved_count WHERE id = session;
    IF deadline IS NULL THEN
      PERFORM app_renumber_waitlist(session);
    END IF;
  END IF;
  RETURN moved_count;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_promote_from_waitlist(uuid,timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_provider_affiliates_user(account uuid, providers uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers)))
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_affiliates_user(uuid,uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_affiliates_user(uuid,uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_provider_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_provider_ids_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_provider_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_provider_ids_of(actor uuid)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(provider_id), '{}') FROM provider_members WHERE user_id = actor
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_ids_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_provider_location_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_provider_location_ids_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_provider_location_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_location_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_provider_location_ids_of(actor uuid)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(DISTINCT location_id), '{}')
    FROM provider_locations WHERE provider_id = ANY (app_provider_ids_of(actor))
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_location_ids_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_provider_sees_student_profile(profile uuid, providers uuid[], locations uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM student_enrollment_profiles WHERE id = profile AND provider_id = ANY (providers))
      OR EXISTS (
           SELECT 1 FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
            WHERE e.student_profile_id = profile AND s.location_id = ANY (locations))
      OR EXISTS (
           SELECT 1 FROM student_roster_members m JOIN rosters r ON r.id = m.roster_id
            WHERE m.student_profile_id = profile AND r.location_id = ANY (locations))
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_sees_student_profile(uuid,uuid[],uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_sees_student_profile(uuid,uuid[],uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_provider_sees_user(account uuid, providers uuid[], locations uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (
           SELECT 1 FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
            WHERE e.student_id = account AND s.location_id = ANY (locations))
      OR EXISTS (
           SELECT 1 FROM student_roster_members m JOIN rosters r ON r.id = m.roster_id
            WHERE m.student_id = account AND r.location_id = ANY (locations)))
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_sees_user(uuid,uuid[],uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_sees_user(uuid,uuid[],uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_provider_team_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM teams WHERE provider_id = ANY (app_provider_ids())
$function$;
REVOKE EXECUTE ON FUNCTION app_provider_team_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_provider_team_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_published_course_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM courses WHERE status = 'PUBLISHED'
$function$;
REVOKE EXECUTE ON FUNCTION app_published_course_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_published_course_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_queue_certificate_batch()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO jobs (handler, payload, max_attempts, idempotency_key)
  VALUES ('certificates.batch-chunk', jsonb_build_object('batch_id', NEW.id), 10, 'certificate-batch:' || NEW.id || ':1');
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_queue_certificate_batch() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_recompute_compliance_scores(people uuid[], as_of timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NOT app_is_admin() THEN
    RAISE EXCEPTION 'only SA and AD recompute compliance scores' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN recompute_compliance_scores(people, as_of);
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_recompute_compliance_scores(uuid[],timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_recompute_compliance_scores(uuid[],timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_recount_roster_certificates()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  touched uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.roster_id ORDER BY n.roster_id) INTO touched
      FROM new_certificates n WHERE n.roster_id IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT o.roster_id ORDER BY o.roster_id) INTO touched
      FROM old_certificates o WHERE o.roster_id IS NOT NULL;
  ELSE
    -- Only certificates that moved between rosters or between counted and revoked.
    SELECT array_agg(DISTINCT t.roster_id ORDER BY t.roster_id) INTO touched
      FROM old_certificates o
      JOIN new_certificates n ON n.id = o.id
     CROSS JOIN LATERAL (VALUES (o.roster_id), (n.roster_id)) AS t (roster_id)
     WHERE t.roster_id IS NOT NULL
       AND (o.roster_id IS DISTINCT FROM n.roster_id OR (o.status = 'REVOKED') <> (n.status = 'REVOKED'));
  END IF;
  IF touched IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM rosters r WHERE r.id = ANY (touched) ORDER BY r.id FOR NO KEY UPDATE;
  UPDATE rosters r SET certificate_count = live.counted
    FROM (SELECT t.id,
                 (SELECT count(*)::integer FROM certificates c WHERE c.roster_id = t.id AND c.status <> 'REVOKED') AS counted
            FROM unnest(touched) AS t (id)) AS live
   WHERE r.id = live.id AND r.certificate_count <> live.counted;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_recount_roster_certificates() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_refers_to_sa(accounts uuid[])
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  RETURN EXISTS (SELECT 1 FROM users u WHERE u.id = ANY (accounts) AND u.role = 'SA');
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_refers_to_sa(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_refers_to_sa(uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_refuse_template_version_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  RAISE EXCEPTION 'a published template version is immutable' USING ERRCODE = 'UTTRN';
END;
$function$;

CREATE OR REPLACE FUNCTION public.app_renumber_waitlist(session uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  waiting record;
BEGIN
  FOR waiting IN
    SELECT e.id, e.waitlist_position AS old_position,
           row_number() OVER (ORDER BY e.waitlist_position)::integer AS new_position
      FROM session_enrollments e
     WHERE e.session_id = session AND e.status = 'WAITLISTED'
     ORDER BY e.waitlist_position
  LOOP
    IF waiting.old_position <> waiting.new_position THEN
      UPDATE session_enrollments SET waitlist_position = waiting.new_position WHERE id = waiting.id;
    END IF;
  END LOOP;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_renumber_waitlist(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_role()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ SELECT NULLIF(current_setting('unitrain.role', true), '') $function$;

CREATE OR REPLACE FUNCTION public.app_roster_in_locations(roster uuid, locations uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM rosters WHERE id = roster AND location_id = ANY (locations))
$function$;
REVOKE EXECUTE ON FUNCTION app_roster_in_locations(uuid,uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_roster_in_locations(uuid,uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_schedule_conflicts(exclude_session uuid, exclude_schedule uuid, instructor uuid, room uuid, during tstzrange)
 RETURNS TABLE(session_id uuid, resource text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT s.id, CASE WHEN s.instructor_id = instructor THEN 'instructor' ELSE 'room' END
    FROM training_sessions s
   WHERE s.status <> 'CANCELLED' AND s.scheduled_during && during
     AND (s.instructor_id = instructor OR (room IS NOT NULL AND s.room_id = room))
     AND s.id IS DISTINCT FROM exclude_session
     AND (exclude_schedule IS NULL OR s.schedule_id IS DISTINCT FROM exclude_schedule)
   ORDER BY lower(s.scheduled_during), s.id
$function$;
REVOKE EXECUTE ON FUNCTION app_schedule_conflicts(uuid,uuid,uuid,uuid,tstzrange) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_schedule_conflicts(uuid,uuid,uuid,uuid,tstzrange) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_sees_roster(roster uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM rosters WHERE id = roster) AND (
    app_is_admin()
    OR (app_role() = 'AP' AND app_roster_in_locations(roster, app_provider_location_ids()))
    OR (app_role() IN ('IC', 'IP') AND roster = ANY (app_instructed_roster_ids())))
$function$;
REVOKE EXECUTE ON FUNCTION app_sees_roster(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_sees_session(session uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_signed_in() AND EXISTS (SELECT 1 FROM training_sessions WHERE id = session) AND (
    app_is_session_staff(session)
    OR session = ANY (app_enrolled_session_ids())
    OR app_session_open_for_self_enrollment(session))
$function$;
REVOKE EXECUTE ON FUNCTION app_sees_session(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_sees_student_profile(profile uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_provider_sees_student_profile(profile, app_provider_ids(), app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND app_instructor_sees_student_profile(profile, app_taught_session_ids(), app_instructed_roster_ids()))
$function$;
REVOKE EXECUTE ON FUNCTION app_sees_student_profile(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_session_in_locations(session uuid, locations uuid[])
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (SELECT 1 FROM training_sessions WHERE id = session AND location_id = ANY (locations))
$function$;
REVOKE EXECUTE ON FUNCTION app_session_in_locations(uuid,uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_session_in_locations(uuid,uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_session_offer_hours(session uuid)
 RETURNS integer
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(s.waitlist_offer_hours, c.waitlist_offer_hours, 0)
    FROM training_sessions s LEFT JOIN courses c ON c.id = s.course_id
   WHERE s.id = session
$function$;
REVOKE EXECUTE ON FUNCTION app_session_offer_hours(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_session_open_for_self_enrollment(session uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT EXISTS (
    SELECT 1 FROM training_sessions
     WHERE id = session AND status = 'SCHEDULED' AND self_enrollment_allowed)
$function$;
REVOKE EXECUTE ON FUNCTION app_session_open_for_self_enrollment(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_session_open_for_self_enrollment(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_session_time_range(location uuid, day date, starts time without time zone, ends time without time zone)
 RETURNS tstzrange
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(
    (SELECT tstzrange((day + starts) AT TIME ZONE l.timezone, (day + ends) AT TIME ZONE l.timezone, '[)')
       FROM locations l WHERE l.id = location AND ends > starts),
    'empty'::tstzrange)
$function$;
REVOKE EXECUTE ON FUNCTION app_session_time_range(uuid,date,time without time zone,time without time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_session_time_range(uuid,date,time without time zone,time without time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_set_status_bit(list_purpose text, entry bigint, flag boolean)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  list_no integer := (entry / 131072)::integer;
  bit_no integer := (entry % 131072)::integer;
  -- PostgreSQL numbers a byte's bits from its least significant one; the specification from the left.
  pg_bit integer := (bit_no / 8) * 8 + 7 - bit_no % 8;
BEGIN
  INSERT INTO certificate_status_lists (purpose, list_number, bits)
  VALUES (list_purpose, list_no, decode(repeat('00', 16384), 'hex'))
  ON CONFLICT DO NOTHING;
  UPDATE certificate_status_lists
     SET bits = set_bit(bits, pg_bit, flag::integer), changed_at = now()
   WHERE purpose = list_purpose AND list_number = list_no AND get_bit(bits, pg_bit) <> flag::integer;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_set_status_bit(text,bigint,boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_student_overlapping_sessions(session uuid, student uuid, student_profile uuid)
 RETURNS SETOF uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF student IS NOT NULL THEN
    RETURN QUERY
    SELECT other.id
      FROM training_sessions target
      JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
      JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
     WHERE target.id = session AND e.student_id = student
     ORDER BY lower(other.scheduled_during), other.id;
  ELSE
    RETURN QUERY
    SELECT other.id
      FROM training_sessions target
      JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
      JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
     WHERE target.id = session AND e.student_profile_id = student_profile
     ORDER BY lower(other.scheduled_during), other.id;
  END IF;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_student_overlapping_sessions(uuid,uuid,uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_student_profile_for(provider uuid, person_first_name text, person_last_name text, person_email_ciphertext text, person_email_hmac text, person_company text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  profile uuid;
  email_ciphertext_kept text := person_email_ciphertext;
  email_hmac_kept text := person_email_hmac;
BEGIN
  IF person_email_hmac IS NOT NULL THEN
    PERFORM app_lock_student_email(provider, person_email_hmac);
    SELECT p.id INTO profile FROM student_enrollment_profiles p
     WHERE p.provider_id IS NOT DISTINCT FROM provider AND p.email_hmac = person_email_hmac;
    IF FOUND AND app_sees_student_profile(profile) THEN
      RETURN profile;
    ELSIF FOUND THEN
      email_ciphertext_kept := NULL;
      email_hmac_kept := NULL;
    END IF;
  END IF;
  INSERT INTO student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, company, provider_id, created_by)
  VALUES (person_first_name, person_last_name, email_ciphertext_kept, email_hmac_kept, person_company, provider, app_user_id())
  ON CONFLICT (provider_id, email_hmac) DO NOTHING
  RETURNING id INTO profile;
  IF profile IS NULL THEN
    -- Made meanwhile by a writer that does not take the lock (a plain insert of the profile's resource).
    SELECT p.id INTO profile FROM student_enrollment_profiles p
     WHERE p.provider_id = provider AND p.email_hmac = person_email_hmac;
  END IF;
  RETURN profile;
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_student_profile_for(uuid,text,text,text,text,text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_taught_session_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT app_taught_session_ids_of(app_user_id()) $function$;
REVOKE EXECUTE ON FUNCTION app_taught_session_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_taught_session_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_taught_session_ids_of(actor uuid)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM training_sessions WHERE instructor_id = actor
$function$;
REVOKE EXECUTE ON FUNCTION app_taught_session_ids_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_team_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(id), '{}') FROM (
    SELECT id FROM teams WHERE lead_id = app_user_id()
    UNION
    SELECT team_id FROM team_members WHERE user_id = app_user_id()
  ) AS mine
$function$;
REVOKE EXECUTE ON FUNCTION app_team_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_team_ids() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_user_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE
AS $function$ SELECT NULLIF(current_setting('unitrain.user_id', true), '')::uuid $function$;

CREATE OR REPLACE FUNCTION public.app_user_role(account uuid)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT role FROM users WHERE id = account
$function$;
REVOKE EXECUTE ON FUNCTION app_user_role(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_user_role(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.app_waitlist_offer_deadline(session uuid, at timestamp with time zone)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT offer.deadline FROM (
    SELECT least(at + make_interval(hours => app_session_offer_hours(s.id)), lower(s.scheduled_during)) AS deadline
      FROM training_sessions s WHERE s.id = session) offer
   WHERE app_session_offer_hours(session) > 0 AND offer.deadline > at
$function$;
REVOKE EXECUTE ON FUNCTION app_waitlist_offer_deadline(uuid,timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.app_withdraw_waitlist_offer(enrollment uuid, event_type text, at timestamp with time zone)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  withdrawn session_enrollments;
BEGIN
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL, offer_expires_at = NULL
   WHERE e.id = enrollment RETURNING e.* INTO withdrawn;
  PERFORM app_enrollment_event(withdrawn, event_type);
  UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = withdrawn.session_id;
  PERFORM app_renumber_waitlist(withdrawn.session_id);
  PERFORM app_promote_from_waitlist(withdrawn.session_id, at);
END;
$function$;
REVOKE EXECUTE ON FUNCTION app_withdraw_waitlist_offer(uuid,text,timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.append_domain_event(aggregate_type text, aggregate_id uuid, aggregate_version integer, event_type text, payload jsonb)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'public', 'pg_temp'
AS $function$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES (aggregate_type, aggregate_id, aggregate_version, event_type, coalesce(payload, '{}'::jsonb),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$function$;
REVOKE EXECUTE ON FUNCTION append_domain_event(text,uuid,integer,text,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION append_domain_event(text,uuid,integer,text,jsonb) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.audit_actor(OUT actor_id uuid, OUT actor_role text, OUT request_id text, OUT ip inet, OUT user_agent text)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
  claimed_role text := current_setting('unitrain.role', true);
  claimed_ip text := nullif(current_setting('unitrain.ip', true), '');
BEGIN
  actor_id := nullif(current_setting('unitrain.user_id', true), '')::uuid;
  -- Signed-out callers (ANON) and system work (no claims) have no role in the log.
  actor_role := CASE WHEN claimed_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') THEN claimed_role END;
  request_id := nullif(current_setting('unitrain.request_id', true), '');
  user_agent := nullif(current_setting('unitrain.user_agent', true), '');
  -- The claim comes from the request; a malformed one must not make the audited write fail.
  IF claimed_ip IS NOT NULL THEN
    BEGIN
      ip := claimed_ip::inet;
    EXCEPTION WHEN invalid_text_representation THEN
      ip := NULL;
    END;
  END IF;
END;
$function$;
REVOKE EXECUTE ON FUNCTION audit_actor() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.audit_applies()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  RETURN public.audit_switched_on()
     AND NOT (current_setting('search_path') = 'public, pg_temp, self_audited' AND current_user::text <> current_setting('role'));
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_changed_rows()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, n.id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a, new_rows n CROSS JOIN LATERAL audit_values(NULL, to_jsonb(n)) v;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, o.id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a, old_rows o CROSS JOIN LATERAL audit_values(to_jsonb(o), NULL) v;
  ELSE
    -- PostgreSQL appends a row's old and new version to the two transition tables together
    -- (AfterTriggerSaveEvent), so the n-th rows of both are one row: zipped by position, with no join
    -- whose cached plan could have been made for a one-row statement.
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, (p.new_row ->> 'id')::uuid, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a,
           unnest((SELECT array_agg(to_jsonb(r)) FROM new_rows r), (SELECT array_agg(to_jsonb(r)) FROM old_rows r)) AS p (new_row, old_row)
      CROSS JOIN LATERAL audit_values(p.old_row, p.new_row) v;
  END IF;
  RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_session_user_is_owner()
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE')
$function$;
REVOKE EXECUTE ON FUNCTION audit_session_user_is_owner() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_session_user_is_owner() TO unitrain_app;

CREATE OR REPLACE FUNCTION public.audit_switched_on()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  -- The owner's bulk load, acting as itself with unitrain.audit off, is not recorded (migration 0010);
  -- a request cannot switch it off.
  RETURN current_setting('unitrain.audit', true) IS DISTINCT FROM 'off' OR current_setting('role') <> 'none'
      OR (current_setting('is_superuser') <> 'on' AND NOT public.audit_session_user_is_owner());
END;
$function$;

CREATE OR REPLACE FUNCTION public.audit_values(old_row jsonb, new_row jsonb)
 RETURNS TABLE(old_values jsonb, new_values jsonb)
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT old_row - ARRAY['password_hash', 'refresh_token_hash'], new_row - ARRAY['password_hash', 'refresh_token_hash']
   WHERE old_row IS NULL OR new_row IS NULL
  UNION ALL
  SELECT d.old_values - ARRAY['password_hash', 'refresh_token_hash'], d.new_values - ARRAY['password_hash', 'refresh_token_hash']
    FROM (SELECT jsonb_object_agg(nv.key, old_row -> nv.key) AS old_values, jsonb_object_agg(nv.key, nv.value) AS new_values
            FROM jsonb_each(new_row) nv
           WHERE old_row ? nv.key AND nv.value IS DISTINCT FROM old_row -> nv.key) AS d
   WHERE old_row IS NOT NULL AND new_row IS NOT NULL AND d.new_values - ARRAY['updated_at', 'version'] <> '{}'::jsonb
$function$;
REVOKE EXECUTE ON FUNCTION audit_values(jsonb,jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.authorized_providers_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, r.id, NULL, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION authorized_providers_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.calendar_entries(sessions uuid[])
 RETURNS SETOF calendar_entry
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT * FROM app_calendar_entries(ARRAY(
    SELECT s.id
      FROM unnest(sessions) AS chosen (id)
      JOIN training_sessions s ON s.id = chosen.id
     WHERE app_is_admin()
        OR (app_role() = 'AP' AND s.location_id = ANY ((SELECT app_provider_location_ids())::uuid[]))
        OR (app_role() IN ('IC', 'IP') AND s.instructor_id = app_user_id())
        OR s.id = ANY ((SELECT app_enrolled_session_ids())::uuid[])
        OR (app_is_signed_in() AND s.status = 'SCHEDULED' AND s.self_enrollment_allowed)), app_user_id())
$function$;
REVOKE EXECUTE ON FUNCTION calendar_entries(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calendar_entries(uuid[]) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.calendar_feed_entries(feed_token_hash text, from_day date, to_day date)
 RETURNS SETOF calendar_entry
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  owner_id uuid;
  owner_role text;
BEGIN
  SELECT u.id, u.role INTO owner_id, owner_role
    FROM calendar_feeds f JOIN users u ON u.id = f.user_id
   WHERE f.token_hash = feed_token_hash AND u.status = 'ACTIVE';
  IF owner_id IS NULL THEN
    RAISE EXCEPTION 'no such calendar feed' USING ERRCODE = 'UT404';
  END IF;
  RETURN QUERY SELECT * FROM app_calendar_entries(ARRAY(
    SELECT s.id FROM training_sessions s
     WHERE s.session_date BETWEEN from_day AND to_day
       AND ((owner_role IN ('IC', 'IP') AND s.instructor_id = owner_id)
            OR EXISTS (SELECT 1 FROM session_enrollments e
                        WHERE e.session_id = s.id AND e.student_id = owner_id
                          AND (e.status <> 'CANCELLED' OR s.status = 'CANCELLED')))), owner_id);
END;
$function$;
REVOKE EXECUTE ON FUNCTION calendar_feed_entries(text,date,date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calendar_feed_entries(text,date,date) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.cancel_enrollment(enrollment uuid, at timestamp with time zone DEFAULT now())
 RETURNS TABLE(outcome text, promoted integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  session uuid;
  target session_enrollments;
  was_enrolled boolean;
  promoted_count integer := 0;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such enrollment' USING ERRCODE = 'UT404';
  END IF;
  -- Session first, then the enrollment row: the lock order every function here keeps.
  PERFORM 1 FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.* INTO target FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  IF target.status = 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_CANCELLED'::text, 0;
    RETURN;
  END IF;
  IF target.offer_expires_at IS NOT NULL THEN
    PERFORM app_withdraw_waitlist_offer(enrollment, 'enrollment.offer_declined', at);
    RETURN QUERY SELECT 'CANCELLED'::text, 0;
    RETURN;
  END IF;

  was_enrolled := target.status = 'ENROLLED';
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.cancelled');
  IF was_enrolled THEN
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = session;
    promoted_count := app_promote_from_waitlist(session, at);
  ELSE
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN QUERY SELECT 'CANCELLED'::text, promoted_count;
END;
$function$;
REVOKE EXECUTE ON FUNCTION cancel_enrollment(uuid,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cancel_enrollment(uuid,timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.cancel_session(session uuid, reason text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  current_status text;
  previous_status text;
  affected session_enrollments;
  affected_list jsonb := '[]'::jsonb;
  cancelled_session training_sessions;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may cancel it' USING ERRCODE = '42501';
  END IF;
  SELECT s.status INTO current_status FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF current_status NOT IN ('SCHEDULED', 'IN_PROGRESS') THEN
    -- UTTRN: 409 INVALID_TRANSITION (src/db/postgres-errors.ts).
    RAISE EXCEPTION 'the session is % and cannot be cancelled', current_status USING ERRCODE = 'UTTRN';
  END IF;

  FOR affected IN
    SELECT e.* FROM session_enrollments e
     WHERE e.session_id = session AND e.status IN ('ENROLLED', 'WAITLISTED')
     ORDER BY e.status, e.waitlist_position NULLS FIRST, e.id
       FOR UPDATE
  LOOP
    previous_status := affected.status;
    UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
     WHERE e.id = affected.id RETURNING e.* INTO affected;
    PERFORM app_enrollment_event(affected, 'enrollment.cancelled');
    affected_list := affected_list || jsonb_build_object(
      'enrollment_id', affected.id, 'student_id', affected.student_id,
      'student_profile_id', affected.student_profile_id, 'previous_status', previous_status);
  END LOOP;

  UPDATE training_sessions s SET status = 'CANCELLED', cancelled_reason = reason, current_enrollment = 0
   WHERE s.id = session RETURNING s.* INTO cancelled_session;
  PERFORM append_domain_event('session', session, cancelled_session.version, 'session.cancelled',
    jsonb_build_object('reason', reason, 'previous_status', current_status, 'affected', affected_list));
  RETURN jsonb_array_length(affected_list);
END;
$function$;
REVOKE EXECUTE ON FUNCTION cancel_session(uuid,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cancel_session(uuid,text) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.certificate_batches_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, coalesce(ro.location_id, s.location_id), coalesce(ro.provider_id, s.provider_id), NULL, r.requested_by
    FROM changed_rows r
    LEFT JOIN rosters ro ON ro.id = r.roster_id
    LEFT JOIN training_sessions s ON s.id = r.session_id;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION certificate_batches_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.certificate_source_facts(source_enrollment uuid, source_roster_member uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  f record;
  g record;
  seen boolean;
  live uuid;
  refusal text;
BEGIN
  IF num_nonnulls(source_enrollment, source_roster_member) <> 1 THEN
    RAISE EXCEPTION 'name one source: an enrollment or a roster line' USING ERRCODE = '22023';
  END IF;
  IF source_enrollment IS NOT NULL THEN
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id,
           app_sees_session(s.id) AS sees, app_is_session_staff(s.id) AS staff
      INTO f
      FROM session_enrollments e
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
     WHERE e.id = source_enrollment;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.enrollment_id = source_enrollment AND c.status <> 'REVOKED';
  ELSE
    SELECT NULL::uuid AS enrollment_id, m.id AS roster_member_id, r.id AS roster_id, r.session_id,
           m.student_id AS user_id, m.student_profile_id,
           m.completion_status = 'COMPLETED' AS completed,
           'the roster line is ' || m.completion_status AS state,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date) AS completed_on,
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), '') AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           r.instructor_name, r.location_id, r.provider_id, r.course_id,
           app_sees_roster(r.id) AS sees, app_may_change_roster_members(r.id) AS staff
      INTO f
      FROM student_roster_members m
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
     WHERE m.id = source_roster_member;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.roster_member_id = source_roster_member AND c.status <> 'REVOKED';
  END IF;
  IF NOT seen THEN
    RAISE EXCEPTION 'no such %', CASE WHEN source_enrollment IS NULL THEN 'roster line' ELSE 'enrollment' END USING ERRCODE = 'UT404';
  END IF;
  IF NOT f.staff THEN
    RAISE EXCEPTION 'only the staff of its session or roster may issue a certificate' USING ERRCODE = '42501';
  END IF;
  IF live IS NOT NULL THEN
    RETURN jsonb_build_object('live_certificate_id', live);
  END IF;

  SELECT c.code AS course_code, c.title AS course_name, c.certifies, c.certificate_validity_months, c.duration_minutes,
         l.name AS location_name, l.city AS location_city, l.country AS location_country, l.timezone, p.name AS provider_name
    INTO g
    FROM courses c
    JOIN locations l ON l.id = f.location_id
    LEFT JOIN authorized_providers p ON p.id = f.provider_id
   WHERE c.id = f.course_id;
  refusal := CASE
    WHEN NOT f.completed THEN f.state || ', not completed'
    WHEN NOT g.certifies THEN 'the course does not award certificates'
    WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
  END;
  IF refusal IS NOT NULL THEN
    RETURN jsonb_build_object('eligible', false, 'reason', refusal);
  END IF;
  RETURN jsonb_build_object(
    'eligible', true,
    'enrollment_id', f.enrollment_id, 'roster_member_id', f.roster_member_id, 'roster_id', f.roster_id, 'session_id', f.session_id,
    'user_id', f.user_id, 'student_profile_id', f.student_profile_id, 'course_id', f.course_id, 'location_id', f.location_id,
    'provider_id', f.provider_id, 'recipient_email_ciphertext', f.recipient_email_ciphertext,
    'issue_date', (now() AT TIME ZONE g.timezone)::date,
    'expiry_date', ((now() AT TIME ZONE g.timezone)::date + make_interval(months => g.certificate_validity_months))::date,
    'printed', jsonb_build_object(
      'recipient_name', f.recipient_name, 'course_name', g.course_name, 'course_code', g.course_code,
      'hours', round(g.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
      'practical_score', f.practical_score, 'written_score', f.written_score,
      'instructor_name', f.instructor_name, 'location_name', g.location_name,
      'location_place', nullif(concat_ws(', ', g.location_city, g.location_country), ''),
      'provider_name', g.provider_name));
END;
$function$;
REVOKE EXECUTE ON FUNCTION certificate_source_facts(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION certificate_source_facts(uuid,uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.certificate_template_version_for_course(course uuid)
 RETURNS SETOF certificate_template_versions
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT v.* FROM certificate_template_versions v
   WHERE (app_is_signed_in() OR current_setting('role') = 'none')
     AND v.id = coalesce(
     (SELECT tv.id FROM course_certificate_settings s
        JOIN certificate_templates t ON t.id = s.template_id
        JOIN certificate_template_versions tv ON tv.template_id = t.id AND tv.version_number = t.published_version
       WHERE s.course_id = course),
     '00000000-0000-4000-8000-0000000000c2'::uuid)
$function$;
REVOKE EXECUTE ON FUNCTION certificate_template_version_for_course(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION certificate_template_version_for_course(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.certificates_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.location_id, r.provider_id, r.issued_by, r.user_id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION certificates_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.certificates_enter_status_lists()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO certificate_status_entries (certificate_id) SELECT i.id FROM inserted i ORDER BY i.created_at, i.id;
  PERFORM app_set_status_bit(p.purpose, e.status_list_index, true)
     FROM inserted i
     JOIN certificate_status_entries e ON e.certificate_id = i.id
     JOIN (VALUES ('revocation', 'REVOKED'), ('suspension', 'SUSPENDED')) AS p (purpose, status) ON p.status = i.status;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION certificates_enter_status_lists() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.certificates_publish_status()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  entry bigint;
BEGIN
  SELECT e.status_list_index INTO entry FROM certificate_status_entries e WHERE e.certificate_id = NEW.id;
  IF (NEW.status = 'REVOKED') <> (OLD.status = 'REVOKED') THEN
    PERFORM app_set_status_bit('revocation', entry, NEW.status = 'REVOKED');
  END IF;
  IF (NEW.status = 'SUSPENDED') <> (OLD.status = 'SUSPENDED') THEN
    PERFORM app_set_status_bit('suspension', entry, NEW.status = 'SUSPENDED');
  END IF;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION certificates_publish_status() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.certificates_refuse_delete_counted()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF EXISTS (SELECT FROM old_certificates o JOIN certificate_verifications v ON v.certificate_id = o.id) THEN
    RAISE EXCEPTION 'a certificate that has been verified is not deleted'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'certificate_verifications',
            DETAIL = 'Key (id) is still referenced from table "certificate_verifications".',
            CONSTRAINT = 'certificate_verifications_certificate_id_fkey';
  END IF;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION certificates_refuse_delete_counted() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.change_capture_tables()
 RETURNS TABLE(table_name text, location_key text, provider_key text, instructor_key text, user_key text, parent text)
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  -- Each key is an expression over the changed row r and, for child rows, its parent p.
  VALUES
    ('training_sessions',           'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('course_schedules',            'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('rosters',                     'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    -- A child row carries its parent's scope: who sees the session or roster sees its students.
    ('session_enrollments',         'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'training_sessions p ON p.id = r.session_id'),
    ('student_roster_members',      'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'rosters p ON p.id = r.roster_id'),
    -- The issuer is the certificate's instructor (policy certificates_select_issuer).
    ('certificates',                'r.location_id', 'r.provider_id', 'r.issued_by',     'r.user_id', NULL),
    ('courses',                     'NULL',          'NULL',          'NULL',            'NULL', NULL),
    ('locations',                   'r.id',          'NULL',          'NULL',            'NULL', NULL),
    ('authorized_providers',        'NULL',          'r.id',          'NULL',            'NULL', NULL),
    ('provider_locations',          'r.location_id', 'r.provider_id', 'NULL',            'NULL', NULL),
    ('provider_members',            'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('student_enrollment_profiles', 'NULL',          'r.provider_id', 'NULL',            'NULL', NULL),
    ('users',                       'NULL',          'NULL',          'NULL',            'r.id', NULL),
    ('profiles',                    'NULL',          'NULL',          'NULL',            'r.user_id', NULL),
    ('instructor_profiles',         'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('compliance_records',          'NULL',          'NULL',          'NULL',            'r.user_id', NULL),
    -- Migration 0033: its trigger function joins the roster or the session (two parents), written by hand.
    ('certificate_batches',         'coalesce(ro.location_id, s.location_id)', 'coalesce(ro.provider_id, s.provider_id)', 'NULL', 'r.requested_by',
     'rosters ro ON ro.id = r.roster_id LEFT JOIN training_sessions s ON s.id = r.session_id')
$function$;
REVOKE EXECUTE ON FUNCTION change_capture_tables() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.change_log_frontier(snapshot pg_snapshot)
 RETURNS xid8
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- Nothing in progress (xmin is then also the caller's own xid, if it has one), or a standby.
  IF pg_snapshot_xmin(snapshot) = pg_snapshot_xmax(snapshot) OR pg_is_in_recovery() THEN
    RETURN pg_snapshot_xmin(snapshot);
  END IF;
  RETURN least(
    (SELECT min(x.xid) FROM pg_snapshot_xip(snapshot) AS x(xid)
      WHERE NOT EXISTS (SELECT FROM pg_stat_get_activity(NULL) a
                         WHERE a.backend_xid = xid(x.xid)
                           AND a.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
        AND NOT EXISTS (SELECT FROM pg_prepared_xacts p WHERE p.transaction = xid(x.xid) AND p.database <> current_database())),
    pg_snapshot_xmax(snapshot),
    pg_current_xact_id_if_assigned());
END
$function$;
REVOKE EXECUTE ON FUNCTION change_log_frontier(pg_snapshot) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.compliance_record_state(status text, expires_at timestamp with time zone, window_days integer, grace_days integer, as_of timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT CASE
    WHEN status IS NULL OR status = 'PENDING' THEN 'PENDING'
    WHEN status = 'EXPIRED' THEN 'OVERDUE'
    WHEN expires_at IS NULL THEN status
    WHEN as_of >= expires_at + make_interval(days => grace_days) THEN 'OVERDUE'
    WHEN as_of >= expires_at THEN 'GRACE'
    WHEN as_of >= expires_at - make_interval(days => window_days) THEN 'EXPIRING'
    ELSE status END
$function$;
REVOKE EXECUTE ON FUNCTION compliance_record_state(text,timestamp with time zone,integer,integer,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance_record_state(text,timestamp with time zone,integer,integer,timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.compliance_records_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, NULL, NULL, r.user_id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION compliance_records_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.compliance_standings(people uuid[], as_of timestamp with time zone)
 RETURNS TABLE(user_id uuid, score numeric, status text)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT t.user_id, s.score,
         CASE WHEN t.owed IS NULL OR t.held = t.owed THEN 'COMPLIANT'
              WHEN t.held = 0 THEN CASE WHEN t.lapsed THEN 'NON_COMPLIANT' ELSE 'PENDING' END
              WHEN t.lapsed OR s.score < 50 THEN 'NON_COMPLIANT'
              ELSE 'AT_RISK' END
    FROM (SELECT p.user_id,
                 sum(r.weight) AS owed,
                 coalesce(sum(r.weight) FILTER (WHERE x.state IN ('MET', 'WAIVED', 'EXPIRING', 'GRACE')), 0) AS held,
                 coalesce(bool_or(x.state = 'OVERDUE'), false) AS lapsed
            FROM profiles p
            LEFT JOIN compliance_requirements r
                   ON r.status = 'ACTIVE' AND p.role = ANY (r.applies_to_roles)
                  AND (r.tier = 'basic' OR p.compliance_tier = 'robust')
            LEFT JOIN compliance_records c ON c.user_id = p.user_id AND c.requirement_id = r.id
            LEFT JOIN LATERAL (SELECT compliance_record_state(c.status, c.expires_at, r.renewal_window_days, r.grace_days, as_of) AS state) x ON true
           WHERE p.user_id = ANY (people)
           GROUP BY p.user_id) t
   CROSS JOIN LATERAL (SELECT CASE WHEN t.owed IS NULL THEN 100.00 ELSE round(100 * t.held / t.owed, 2) END::numeric(5, 2) AS score) s
$function$;
REVOKE EXECUTE ON FUNCTION compliance_standings(uuid[],timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.course_as_published(course_id uuid)
 RETURNS courses
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT app_course_as_published(c)
    FROM courses c
   WHERE c.id = course_id
     AND (app_is_admin()
          OR (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN') AND c.status <> 'DRAFT')
          OR (app_role() = 'ANON' AND c.status = 'PUBLISHED'))
$function$;
REVOKE EXECUTE ON FUNCTION course_as_published(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION course_as_published(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.course_catalogue_fields(course courses)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  SELECT jsonb_build_object(
    'code', course.code, 'title', course.title, 'description', course.description,
    'duration_minutes', course.duration_minutes, 'certifies', course.certifies,
    'certificate_validity_months', course.certificate_validity_months)
$function$;
REVOKE EXECUTE ON FUNCTION course_catalogue_fields(courses) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION course_catalogue_fields(courses) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.course_instructor_requirements_check_references()
 RETURNS trigger
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(NEW.compliance_requirement_ids) r(id)
              WHERE NOT EXISTS (SELECT 1 FROM compliance_requirements c WHERE c.id = r.id)) THEN
    RAISE EXCEPTION 'a compliance requirement does not exist'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'course_instructor_requirements',
            CONSTRAINT = 'course_instructor_requirements_compliance_requirement_ids_fkey',
            DETAIL = 'Key (compliance_requirement_ids)=(…) is not present in table "compliance_requirements".';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(NEW.certificate_course_ids) r(id)
              WHERE NOT EXISTS (SELECT 1 FROM courses c WHERE c.id = r.id)) THEN
    RAISE EXCEPTION 'a course does not exist'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'course_instructor_requirements',
            CONSTRAINT = 'course_instructor_requirements_certificate_course_ids_fkey',
            DETAIL = 'Key (certificate_course_ids)=(…) is not present in table "courses".';
  END IF;
  RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.course_schedules_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.location_id, r.provider_id, r.instructor_id, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION course_schedules_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.courses_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, NULL, NULL, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION courses_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.create_roster_from_session(session uuid, roster_name text, kind text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  source record;
  created rosters;
  student record;
  profile uuid;
  member_count integer := 0;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may make its roster' USING ERRCODE = '42501';
  END IF;
  SELECT s.title, s.session_date, s.status, s.course_id, s.location_id, s.provider_id, s.instructor_id, c.certifies,
         nullif(trim(coalesce(p.display_name, p.first_name || ' ' || p.last_name)), '') AS instructor_name
    INTO source
    FROM training_sessions s
    JOIN courses c ON c.id = s.course_id
    LEFT JOIN profiles p ON p.user_id = s.instructor_id
   WHERE s.id = session;
  IF source.status = 'CANCELLED' THEN
    RAISE EXCEPTION 'the session is cancelled and has no students to list' USING ERRCODE = 'UTTRN';
  END IF;

  INSERT INTO rosters (name, session_id, course_id, location_id, provider_id, instructor_id, instructor_name, roster_type, created_by)
  VALUES (coalesce(roster_name, source.title || ', ' || to_char(source.session_date, 'YYYY-MM-DD')), session,
          source.course_id, source.location_id, source.provider_id, source.instructor_id, source.instructor_name,
          coalesce(kind, CASE WHEN source.certifies THEN 'CERTIFICATE' ELSE 'TRAINING' END), app_user_id())
  RETURNING * INTO created;

  FOR student IN
    SELECT e.student_id, e.student_profile_id, e.attendance_status, e.completion_status, e.practical_score, e.written_score,
           u.email_ciphertext, u.email_hmac, a.first_name, a.last_name, a.organization
      FROM session_enrollments e
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
     WHERE e.session_id = session AND e.status = 'ENROLLED'
     ORDER BY e.enrollment_date, e.id
  LOOP
    IF student.student_profile_id IS NOT NULL THEN
      profile := student.student_profile_id;
    ELSE
      profile := app_student_profile_for(source.provider_id, coalesce(student.first_name, ''), coalesce(student.last_name, ''),
                                         student.email_ciphertext, student.email_hmac, student.organization);
    END IF;
    -- The same mapping as the seed's: PARTIAL attendance counts as attended, and the roster has no
    -- "failed", so a FAILED enrollment is in progress (its scores say why).
    INSERT INTO student_roster_members (roster_id, student_profile_id, student_id, enrollment_status, attendance_status,
                                        practical_score, written_score, completion_status)
    VALUES (created.id, profile, student.student_id,
            CASE WHEN student.completion_status = 'COMPLETED' THEN 'COMPLETED' ELSE 'ENROLLED' END,
            CASE student.attendance_status WHEN 'REGISTERED' THEN 'PENDING' WHEN 'ABSENT' THEN 'ABSENT' ELSE 'ATTENDED' END,
            student.practical_score, student.written_score,
            CASE student.completion_status WHEN 'COMPLETED' THEN 'COMPLETED' WHEN 'NOT_STARTED' THEN 'NOT_STARTED'
                                           ELSE 'IN_PROGRESS' END)
    -- An account's profile may already be on the roster through an enrollment of that very profile.
    ON CONFLICT (roster_id, student_profile_id) DO NOTHING;
    IF FOUND THEN
      member_count := member_count + 1;
    END IF;
  END LOOP;

  PERFORM append_domain_event('roster', created.id, created.version, 'roster.created',
    jsonb_build_object('source', 'session', 'session_id', session, 'course_id', created.course_id,
                       'location_id', created.location_id, 'roster_type', created.roster_type, 'member_count', member_count));
  RETURN created.id;
END;
$function$;
REVOKE EXECUTE ON FUNCTION create_roster_from_session(uuid,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION create_roster_from_session(uuid,text,text) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.enroll_student(session uuid, student uuid, student_profile uuid, allow_overlap boolean DEFAULT true)
 RETURNS TABLE(outcome text, enrollment_id uuid, overlapping_session_ids uuid[])
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp', 'self_audited'
AS $function$
DECLARE
  existing session_enrollments;
  enrolled session_enrollments;
  seat training_sessions;
  seated training_sessions;
  next_position integer;
  overlapping uuid[];
  holds_another boolean;
BEGIN
  IF num_nonnulls(student, student_profile) <> 1 THEN
    RAISE EXCEPTION 'name exactly one student: an account or a student profile' USING ERRCODE = '22023';
  END IF;
  -- A signed-in administrator is staff of every session and sees any that exists: whether it exists is
  -- answered by the session lock below (its row, or 'no such session'), one statement fewer. Nothing
  -- before that lock writes, and the overlap query finds nothing for a session that does not exist.
  -- Everyone else asks the visibility and staff functions first, as before.
  IF NOT (app_is_admin() AND app_is_signed_in()) THEN
    IF NOT app_sees_session(session) THEN
      RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
    END IF;
    IF NOT (app_is_admin() OR app_is_session_staff(session)
            OR (coalesce(student = app_user_id(), false) AND app_session_open_for_self_enrollment(session))) THEN
      RAISE EXCEPTION 'you may not enroll this student in this session' USING ERRCODE = '42501';
    END IF;
  END IF;

  -- One enrollment of this student at a time, across sessions, until commit: the overlap check below
  -- then sees every seat or waitlist place a concurrent enrollment of theirs has committed (each
  -- statement of a VOLATILE function reads a new snapshot). Taken before any session lock, always.
  PERFORM pg_advisory_xact_lock(hashtextextended('enrollment-student:' || coalesce(student, student_profile)::text, 0));
  -- Only a student holding a seat or waitlist place in another session can overlap: one index probe
  -- answers a student who holds none (a first booking), instead of the overlap query's joins and sort.
  IF NOT allow_overlap THEN
    -- One query per kind of student: a condition on which of the two is given would make PostgreSQL plan
    -- the statement again for each call's values instead of keeping one plan.
    IF student IS NOT NULL THEN
      holds_another := EXISTS (SELECT 1 FROM session_enrollments e
                                WHERE e.student_id = student AND e.session_id <> session AND e.status IN ('ENROLLED', 'WAITLISTED'));
    ELSE
      holds_another := EXISTS (SELECT 1 FROM session_enrollments e
                                WHERE e.student_profile_id = student_profile AND e.session_id <> session AND e.status IN ('ENROLLED', 'WAITLISTED'));
    END IF;
    IF holds_another THEN
      overlapping := ARRAY(SELECT app_student_overlapping_sessions(session, student, student_profile));
      IF cardinality(overlapping) > 0 THEN
        RETURN QUERY SELECT 'OVERLAPPING'::text, NULL::uuid, overlapping;
        RETURN;
      END IF;
    END IF;
  END IF;

  -- The session lock: seats and waitlist numbers are counted under it.
  SELECT s.* INTO seat FROM training_sessions s WHERE s.id = session FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  -- One query per kind of student, each on its unique key.
  IF student IS NOT NULL THEN
    SELECT e.* INTO existing FROM session_enrollments e WHERE e.session_id = session AND e.student_id = student FOR UPDATE;
  ELSE
    SELECT e.* INTO existing FROM session_enrollments e WHERE e.session_id = session AND e.student_profile_id = student_profile FOR UPDATE;
  END IF;
  IF FOUND AND existing.status <> 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id, NULL::uuid[];
    RETURN;
  END IF;
  IF seat.status <> 'SCHEDULED' THEN
    RAISE EXCEPTION 'the session is % and takes no enrollments', seat.status USING ERRCODE = 'UT409';
  END IF;

  IF seat.current_enrollment < seat.max_capacity THEN
    -- The seat: still one atomic, capacity-guarded statement (the lock above makes its guard hold).
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment + 1
     WHERE s.id = session AND s.status = 'SCHEDULED' AND s.current_enrollment < s.max_capacity
    RETURNING s.* INTO seated;
  ELSE
    SELECT coalesce(max(e.waitlist_position), 0) + 1 INTO next_position
      FROM session_enrollments e WHERE e.session_id = session AND e.status = 'WAITLISTED';
  END IF;

  IF existing.id IS NOT NULL THEN
    -- A cancelled row is reused: one row per student and session.
    UPDATE session_enrollments e
       SET status = CASE WHEN seated.id IS NOT NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
           waitlist_position = next_position, enrollment_date = now(), enrolled_by = app_user_id()
     WHERE e.id = existing.id
    RETURNING e.* INTO enrolled;
  ELSE
    INSERT INTO session_enrollments (session_id, student_id, student_profile_id, status, waitlist_position, enrolled_by)
    VALUES (session, student, student_profile, CASE WHEN seated.id IS NOT NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
            next_position, app_user_id())
    RETURNING * INTO enrolled;
  END IF;

  -- The audit and change-capture rows of the seat (when taken) and of the enrollment, in that order, as
  -- the triggers of the two statements above would have written them (this function's search path tells
  -- them not to), under the same switch: audit_changed_rows' values and actor; the change capture's scope
  -- keys, a session's own and an enrollment's its session's with its student (change_capture_tables,
  -- migration 0021).
  IF audit_switched_on() THEN
    WITH changed (ord, table_name, operation, row_id, old_row, new_row, location_id, provider_id, instructor_id, user_id) AS (
      VALUES (1, 'training_sessions', 'UPDATE', seated.id, to_jsonb(seat), to_jsonb(seated),
              seated.location_id, seated.provider_id, seated.instructor_id, NULL::uuid),
             (2, 'session_enrollments', CASE WHEN existing.id IS NULL THEN 'INSERT' ELSE 'UPDATE' END, enrolled.id,
              CASE WHEN existing.id IS NOT NULL THEN to_jsonb(existing) END, to_jsonb(enrolled),
              seat.location_id, seat.provider_id, seat.instructor_id, enrolled.student_id)
    ), audited AS (
      INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
      SELECT a.actor_id, a.actor_role, c.table_name, c.operation, c.row_id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
        FROM audit_actor() a, changed c CROSS JOIN LATERAL audit_values(c.old_row, c.new_row) v
       WHERE c.row_id IS NOT NULL
       ORDER BY c.ord
    )
    INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
    SELECT c.table_name, c.operation, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id
      FROM changed c
     WHERE c.row_id IS NOT NULL
     ORDER BY c.ord;
  END IF;

  PERFORM app_enrollment_event(enrolled, CASE WHEN seated.id IS NOT NULL THEN 'enrollment.enrolled' ELSE 'enrollment.waitlisted' END);
  RETURN QUERY SELECT enrolled.status, enrolled.id, NULL::uuid[];
END;
$function$;
REVOKE EXECUTE ON FUNCTION enroll_student(uuid,uuid,uuid,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enroll_student(uuid,uuid,uuid,boolean) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.enroll_students(session uuid, students jsonb)
 RETURNS TABLE(ord integer, outcome text, enrollment_id uuid, waitlist_position integer, student_id uuid, student_profile_id uuid, duplicate_of integer, reason text, profile_created boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  target training_sessions;
  profile_provider uuid;
  may_create_profiles boolean;
  free_seats integer;
  last_position integer;
  seated integer;
BEGIN
  IF jsonb_typeof(students) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'students must be a JSON array' USING ERRCODE = '22023';
  END IF;
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may enroll students in bulk' USING ERRCODE = '42501';
  END IF;
  -- The session lock first and for the whole batch, as every function of 0012 takes it: batches and
  -- single enrollments into one session take turns, so seats and waitlist numbers are counted once.
  SELECT s.* INTO target FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF target.status <> 'SCHEDULED' THEN
    RAISE EXCEPTION 'the session is % and takes no enrollments', target.status USING ERRCODE = 'UT409';
  END IF;

  -- New students without accounts belong to a provider: the session's for administrators (and for
  -- matching by instructors); for an AP, its own provider at the session's location, the session's first.
  IF app_role() = 'AP' THEN
    SELECT pl.provider_id INTO profile_provider FROM provider_locations pl
     WHERE pl.location_id = target.location_id AND pl.provider_id = ANY (app_provider_ids())
     ORDER BY pl.provider_id IS NOT DISTINCT FROM target.provider_id DESC, pl.provider_id
     LIMIT 1;
  ELSE
    profile_provider := target.provider_id;
  END IF;
  -- The insert rules of student_enrollment_profiles: administrators, and an AP for its own providers.
  may_create_profiles := app_is_admin() OR (app_role() = 'AP' AND profile_provider IS NOT NULL);

  -- A second batch in one transaction starts afresh (ON COMMIT DROP has not dropped the first one yet).
  IF to_regclass('pg_temp.enroll_batch') IS NOT NULL THEN
    DROP TABLE pg_temp.enroll_batch;
  END IF;
  CREATE TEMPORARY TABLE enroll_batch ON COMMIT DROP AS
  SELECT r.ord, r.student_id AS given_student_id, r.email_hmac, r.email_ciphertext, r.first_name, r.last_name,
         r.company, NULL::uuid AS account_id, NULL::uuid AS profile_id, NULL::text AS reason,
         NULL::integer AS duplicate_of, NULL::uuid AS existing_id, NULL::text AS existing_status,
         NULL::text AS outcome, NULL::integer AS new_position, NULL::uuid AS enrollment_id,
         false AS profile_created
    FROM jsonb_to_recordset(students) AS r(ord integer, student_id uuid, email_hmac text, email_ciphertext text,
                                           first_name text, last_name text, company text);
  ALTER TABLE pg_temp.enroll_batch ADD PRIMARY KEY (ord);
  ANALYZE pg_temp.enroll_batch;

  -- Who each row is: an account by id, else an account by e-mail, else a profile of profile_provider
  -- by e-mail, made here when nobody has the e-mail yet and the caller may (with the names it needs).
  UPDATE pg_temp.enroll_batch b SET account_id = u.id FROM users u
   WHERE u.id = b.given_student_id AND app_may_name_student(u.id);
  UPDATE pg_temp.enroll_batch b SET reason = 'no account has this student_id'
   WHERE b.given_student_id IS NOT NULL AND b.account_id IS NULL;
  UPDATE pg_temp.enroll_batch b SET account_id = u.id FROM users u
   WHERE b.given_student_id IS NULL AND u.email_hmac = b.email_hmac AND app_may_match_account_by_email(u.role, u.status);
  -- One new profile per e-mail, with its first row's names. The lock per e-mail (in e-mail order, so
  -- two batches never wait for each other crosswise) lets a concurrent batch or roster import that
  -- makes the same profile finish first; the NOT EXISTS below then sees it, also without a provider.
  IF may_create_profiles THEN
    PERFORM app_lock_student_email(profile_provider, h.email_hmac)
       FROM (SELECT DISTINCT b.email_hmac FROM pg_temp.enroll_batch b
              WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL ORDER BY b.email_hmac) h;
  END IF;
  WITH created AS (
    INSERT INTO student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, company, provider_id, created_by)
    SELECT DISTINCT ON (b.email_hmac) b.first_name, b.last_name, b.email_ciphertext, b.email_hmac, b.company,
           profile_provider, app_user_id()
      FROM pg_temp.enroll_batch b
     WHERE may_create_profiles AND b.email_hmac IS NOT NULL AND b.account_id IS NULL
       AND b.first_name IS NOT NULL AND b.last_name IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM student_enrollment_profiles p
                        WHERE p.email_hmac = b.email_hmac AND p.provider_id IS NOT DISTINCT FROM profile_provider)
     ORDER BY b.email_hmac, b.ord
    ON CONFLICT (provider_id, email_hmac) DO NOTHING
    RETURNING email_hmac)
  UPDATE pg_temp.enroll_batch b SET profile_created = true
    FROM created c WHERE b.email_hmac = c.email_hmac AND b.account_id IS NULL;
  -- A profile the caller may not see reads as unknown (an AP sees all of its providers' profiles, so
  -- only an instructor, who makes none, meets one).
  UPDATE pg_temp.enroll_batch b SET profile_id = p.id FROM student_enrollment_profiles p
   WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL
     AND p.email_hmac = b.email_hmac AND p.provider_id IS NOT DISTINCT FROM profile_provider
     AND app_sees_student_profile(p.id);
  UPDATE pg_temp.enroll_batch b
     SET reason = CASE
           WHEN NOT may_create_profiles
             THEN 'no account or student profile has this e-mail, and only administrators and providers may create student profiles'
           ELSE 'no account or student profile has this e-mail: first_name and last_name are needed to create one' END
   WHERE b.email_hmac IS NOT NULL AND b.account_id IS NULL AND b.profile_id IS NULL;

  -- The same student twice in the batch: the later rows point at the first.
  UPDATE pg_temp.enroll_batch b SET duplicate_of = f.first_ord
    FROM (SELECT d.ord, min(d.ord) OVER (PARTITION BY d.account_id, d.profile_id) AS first_ord
            FROM pg_temp.enroll_batch d WHERE d.reason IS NULL) f
   WHERE b.ord = f.ord AND f.first_ord <> b.ord;

  -- Rows the session already has for these students (two statements: each uses its unique index).
  UPDATE pg_temp.enroll_batch b SET existing_id = e.id, existing_status = e.status FROM session_enrollments e
   WHERE e.session_id = session AND e.student_id = b.account_id AND b.reason IS NULL AND b.duplicate_of IS NULL;
  UPDATE pg_temp.enroll_batch b SET existing_id = e.id, existing_status = e.status FROM session_enrollments e
   WHERE e.session_id = session AND e.student_profile_id = b.profile_id AND b.reason IS NULL AND b.duplicate_of IS NULL;

  -- Seats to the first rows in batch order, the rest to the end of the waitlist, numbered on from it.
  free_seats := greatest(target.max_capacity - target.current_enrollment, 0);
  SELECT coalesce(max(e.waitlist_position), 0) INTO last_position
    FROM session_enrollments e WHERE e.session_id = session AND e.status = 'WAITLISTED';
  UPDATE pg_temp.enroll_batch b
     SET outcome = CASE WHEN p.place <= free_seats THEN 'ENROLLED' ELSE 'WAITLISTED' END,
         new_position = CASE WHEN p.place > free_seats THEN last_position + p.place - free_seats END,
         enrollment_id = coalesce(b.existing_id, gen_random_uuid())
    FROM (SELECT d.ord, row_number() OVER (ORDER BY d.ord)::integer AS place
            FROM pg_temp.enroll_batch d
           WHERE d.reason IS NULL AND d.duplicate_of IS NULL
             AND (d.existing_id IS NULL OR d.existing_status = 'CANCELLED')) p
   WHERE b.ord = p.ord;

  -- A cancelled row is reused, as by enroll_student: one row per student and session.
  UPDATE session_enrollments e
     SET status = b.outcome, waitlist_position = b.new_position, enrollment_date = now(), enrolled_by = app_user_id()
    FROM pg_temp.enroll_batch b
   WHERE e.id = b.existing_id AND b.outcome IS NOT NULL;
  INSERT INTO session_enrollments (id, session_id, student_id, student_profile_id, status, waitlist_position, enrolled_by)
  SELECT b.enrollment_id, session, b.account_id, b.profile_id, b.outcome, b.new_position, app_user_id()
    FROM pg_temp.enroll_batch b
   WHERE b.outcome IS NOT NULL AND b.existing_id IS NULL
   ORDER BY b.ord;

  SELECT count(*)::integer INTO seated FROM pg_temp.enroll_batch b WHERE b.outcome = 'ENROLLED';
  IF seated > 0 THEN
    -- training_sessions_capacity_check stays the last line of defence against overbooking.
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment + seated WHERE s.id = session;
  END IF;
  PERFORM app_enrollment_event(e, CASE e.status WHEN 'ENROLLED' THEN 'enrollment.enrolled' ELSE 'enrollment.waitlisted' END)
     FROM pg_temp.enroll_batch b JOIN session_enrollments e ON e.id = b.enrollment_id
    WHERE b.outcome IS NOT NULL
    ORDER BY b.ord;

  -- Rows already in the session, or repeated in the batch, answer with the enrollment they point at.
  UPDATE pg_temp.enroll_batch b SET enrollment_id = b.existing_id
   WHERE b.outcome IS NULL AND b.reason IS NULL AND b.duplicate_of IS NULL;
  UPDATE pg_temp.enroll_batch b SET enrollment_id = f.enrollment_id
    FROM pg_temp.enroll_batch f WHERE b.duplicate_of = f.ord;

  RETURN QUERY
  SELECT b.ord,
         CASE WHEN b.reason IS NOT NULL THEN 'INVALID' WHEN b.outcome IS NOT NULL THEN b.outcome ELSE 'ALREADY_ENROLLED' END,
         b.enrollment_id, b.new_position, b.account_id, b.profile_id, b.duplicate_of, b.reason,
         b.profile_created AND b.duplicate_of IS NULL
    FROM pg_temp.enroll_batch b
   ORDER BY b.ord;
END;
$function$;
REVOKE EXECUTE ON FUNCTION enroll_students(uuid,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enroll_students(uuid,jsonb) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.expire_waitlist_offers(at timestamp with time zone, batch integer)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  due record;
  expired integer := 0;
BEGIN
  FOR due IN
    SELECT e.id, e.session_id FROM session_enrollments e
     WHERE e.offer_expires_at <= at
     ORDER BY e.offer_expires_at, e.id LIMIT batch
  LOOP
    PERFORM 1 FROM training_sessions s WHERE s.id = due.session_id FOR UPDATE;
    PERFORM 1 FROM session_enrollments e WHERE e.id = due.id AND e.offer_expires_at <= at FOR UPDATE;
    IF FOUND THEN
      PERFORM app_withdraw_waitlist_offer(due.id, 'enrollment.offer_expired', at);
      expired := expired + 1;
    END IF;
  END LOOP;
  RETURN expired;
END;
$function$;
REVOKE EXECUTE ON FUNCTION expire_waitlist_offers(timestamp with time zone,integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.instructor_profiles_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, r.provider_id, NULL, r.user_id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION instructor_profiles_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.instructors_no_longer_eligible(since timestamp with time zone)
 RETURNS TABLE(session_id uuid, instructor_id uuid, course_id uuid, provider_id uuid, session_date date, starts_at timestamp with time zone, missing jsonb)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  WITH required AS MATERIALIZED (
    SELECT s.id, s.instructor_id, s.course_id, i.provider_id, s.session_date, lower(s.scheduled_during) AS starts_at
      FROM training_sessions s
      JOIN course_instructor_requirements q ON q.course_id = s.course_id
      LEFT JOIN instructor_profiles i ON i.user_id = s.instructor_id
     WHERE s.status = 'SCHEDULED' AND lower(s.scheduled_during) >= since
       AND s.eligibility_override_reason IS NULL
  ), judged AS MATERIALIZED (
    SELECT r.*, app_instructor_eligibility_gaps(r.instructor_id, r.course_id, r.session_date, r.starts_at) AS missing
      FROM required r
  )
  SELECT j.id, j.instructor_id, j.course_id, j.provider_id, j.session_date, j.starts_at, j.missing
    FROM judged j
   WHERE j.missing <> '[]'::jsonb
$function$;
REVOKE EXECUTE ON FUNCTION instructors_no_longer_eligible(timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.issue_certificates(enrollment_ids uuid[], roster_member_ids uuid[], codes text[], url_base text, template_version uuid, issuer uuid, batch uuid)
 RETURNS TABLE(enrollment_id uuid, roster_member_id uuid, outcome text, reason text, certificate_id uuid)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  tv record;
BEGIN
  SELECT v.id, v.template_id, v.name, v.version_number INTO tv FROM certificate_template_versions v WHERE v.id = template_version;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no template version %', template_version USING ERRCODE = 'UT404';
  END IF;
  RETURN QUERY
  WITH sources AS (
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id
      FROM unnest(enrollment_ids) AS t(id)
      JOIN session_enrollments e ON e.id = t.id
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
    UNION ALL
    SELECT NULL::uuid, m.id, r.id, r.session_id, m.student_id, m.student_profile_id,
           upper(m.completion_status) = 'COMPLETED',
           'the roster line is ' || m.completion_status,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date),
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), ''),
           coalesce(u.email_ciphertext, sp.email_ciphertext),
           r.instructor_name, r.location_id, r.provider_id, r.course_id
      FROM unnest(roster_member_ids) AS t(id)
      JOIN student_roster_members m ON m.id = t.id
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
  ),
  facts AS (
    SELECT f.*, row_number() OVER () AS n, c.code AS course_code, c.title AS course_name, c.duration_minutes,
           l.name AS location_name, nullif(concat_ws(', ', l.city, l.country), '') AS location_place,
           p.name AS provider_name,
           (now() AT TIME ZONE l.timezone)::date AS issue_date,
           ((now() AT TIME ZONE l.timezone)::date + make_interval(months => c.certificate_validity_months))::date AS expiry_date,
           coalesce(le.id, lr.id) AS live_id,
           CASE WHEN coalesce(le.id, lr.id) IS NOT NULL THEN NULL
                WHEN NOT f.completed THEN f.state || ', not completed'
                WHEN NOT c.certifies THEN 'the course does not award certificates'
                WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
           END AS refusal
      FROM sources f
      JOIN courses c ON c.id = f.course_id
      JOIN locations l ON l.id = f.location_id
      LEFT JOIN authorized_providers p ON p.id = f.provider_id
      LEFT JOIN certificates le ON le.enrollment_id = f.enrollment_id AND le.status <> 'REVOKED'
      LEFT JOIN certificates lr ON lr.roster_member_id = f.roster_member_id AND lr.status <> 'REVOKED'
  ),
  inserted AS (
    INSERT INTO certificates AS ins (id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
                              location_id, provider_id, course_name, recipient_name, recipient_email_ciphertext, issued_by,
                              template_id, template_version_id, batch_id, issue_date, expiry_date, verification_code, snapshot)
    SELECT gen_random_uuid(), f.user_id, f.student_profile_id, f.enrollment_id, f.roster_member_id, f.roster_id, f.session_id, f.course_id,
           f.location_id, f.provider_id, f.course_name, f.recipient_name, f.recipient_email_ciphertext, issuer,
           tv.template_id, tv.id, batch, f.issue_date, f.expiry_date, codes[f.n],
           jsonb_build_object(
             'template', jsonb_build_object('id', tv.template_id, 'name', tv.name, 'version', tv.version_number::text),
             'printed', jsonb_build_object(
               'recipient_name', f.recipient_name, 'course_name', f.course_name, 'course_code', f.course_code,
               'hours', round(f.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
               'practical_score', f.practical_score, 'written_score', f.written_score,
               'instructor_name', f.instructor_name, 'location_name', f.location_name,
               'location_place', f.location_place, 'provider_name', f.provider_name),
             'issue_date', f.issue_date, 'expiry_date', f.expiry_date,
             'verification_code', codes[f.n], 'verification_url', url_base || '/verify/' || codes[f.n], 'renderer', 3)
      FROM facts f
     WHERE f.live_id IS NULL AND f.refusal IS NULL
    ON CONFLICT DO NOTHING
    RETURNING ins.id, ins.enrollment_id, ins.roster_member_id, ins.roster_id, ins.course_id, ins.user_id, ins.expiry_date, ins.version, ins.verification_code
  ),
  events AS (
    INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
    SELECT 'certificate', i.id, i.version, 'certificate.issued',
           jsonb_build_object('enrollment_id', i.enrollment_id, 'roster_member_id', i.roster_member_id, 'roster_id', i.roster_id,
                              'course_id', i.course_id, 'user_id', i.user_id, 'expiry_date', i.expiry_date, 'batch_id', batch),
           issuer, NULLIF(current_setting('unitrain.request_id', true), '')
      FROM inserted i
  )
  -- Each source once: the inserted rows as they are, the others by what stopped them. A row the insert
  -- skipped (a concurrent issuer's certificate came first) is ALREADY_ISSUED, its id left for the caller.
  -- Hashed NOT IN, not a join with inserted: the planner estimates these sets at a row or two and joined
  -- them by nested loop, comparing every source with every inserted row.
  SELECT i.enrollment_id, i.roster_member_id, 'ISSUED', NULL::text, i.id
    FROM inserted i
  UNION ALL
  SELECT f.enrollment_id, f.roster_member_id, CASE WHEN f.refusal IS NOT NULL THEN 'NOT_ELIGIBLE' ELSE 'ALREADY_ISSUED' END, f.refusal, f.live_id
    FROM facts f
   WHERE f.live_id IS NOT NULL OR f.refusal IS NOT NULL OR codes[f.n] NOT IN (SELECT i.verification_code FROM inserted i);
END;
$function$;
REVOKE EXECUTE ON FUNCTION issue_certificates(uuid[],uuid[],text[],text,uuid,uuid,uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.live_certificate_of(source_enrollment uuid, source_roster_member uuid)
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT c.id FROM certificates c
   WHERE c.status <> 'REVOKED'
     AND (c.enrollment_id = source_enrollment OR c.roster_member_id = source_roster_member)
$function$;
REVOKE EXECUTE ON FUNCTION live_certificate_of(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION live_certificate_of(uuid,uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.locations_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.id, NULL, NULL, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION locations_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.locations_move_session_ranges()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  UPDATE training_sessions SET scheduled_during = NULL WHERE location_id = NEW.id;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION locations_move_session_ranges() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.lock_enrollment_for_cancel(enrollment uuid)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  session uuid;
  current_version integer;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.version INTO current_version FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  RETURN current_version;
END;
$function$;
REVOKE EXECUTE ON FUNCTION lock_enrollment_for_cancel(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_enrollment_for_cancel(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.lock_roster_for_member_changes(roster uuid)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  target rosters;
BEGIN
  IF NOT app_sees_roster(roster) THEN
    RAISE EXCEPTION 'no such roster' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_may_change_roster_members(roster) THEN
    RAISE EXCEPTION 'you may not change the members of this roster' USING ERRCODE = '42501';
  END IF;
  SELECT r.* INTO target FROM rosters r WHERE r.id = roster FOR SHARE;
  IF target.status = 'ARCHIVED' THEN
    RAISE EXCEPTION 'the roster is archived: its members are read-only' USING ERRCODE = 'UTTRN';
  END IF;
  RETURN target.provider_id;
END;
$function$;
REVOKE EXECUTE ON FUNCTION lock_roster_for_member_changes(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_roster_for_member_changes(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.lock_session_for_capacity(session uuid)
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT s.version FROM training_sessions s
   WHERE s.id = session AND app_sees_session(session) AND app_is_session_staff(session)
     FOR UPDATE
$function$;
REVOKE EXECUTE ON FUNCTION lock_session_for_capacity(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_session_for_capacity(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.lock_session_for_results(session uuid)
 RETURNS text
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT s.status FROM training_sessions s WHERE s.id = session AND app_sees_session(session) FOR SHARE
$function$;
REVOKE EXECUTE ON FUNCTION lock_session_for_results(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_session_for_results(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.notifications_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, user_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, r.user_id FROM changed_rows r;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION notifications_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.profiles_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, NULL, NULL, r.user_id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION profiles_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.provider_locations_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.location_id, r.provider_id, NULL, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION provider_locations_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.provider_members_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, r.provider_id, NULL, r.user_id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION provider_members_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_actor_keys(a realtime_actor)
 RETURNS uuid[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT ARRAY[a.user_id, a.affiliated_provider_id]
      || coalesce(a.provider_ids, '{}') || coalesce(a.location_ids, '{}')
      || coalesce(a.enrolled_session_ids, '{}') || coalesce(a.instructed_roster_ids, '{}')
      || coalesce(a.taught_session_ids, '{}')
$function$;
REVOKE EXECUTE ON FUNCTION realtime_actor_keys(realtime_actor) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_actor_of(account uuid)
 RETURNS realtime_actor
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT ROW(
    u.id,
    u.role,
    CASE WHEN u.role = 'AP' THEN app_provider_ids_of(u.id) END,
    CASE WHEN u.role = 'AP' THEN app_provider_location_ids_of(u.id) END,
    CASE WHEN u.role IN ('IC', 'IP') THEN app_taught_session_ids_of(u.id) END,
    app_enrolled_session_ids_of(u.id),
    CASE WHEN u.role IN ('IC', 'IP') THEN app_instructed_roster_ids_of(u.id) END,
    CASE WHEN u.role IN ('IC', 'IP', 'IT', 'IN') THEN app_affiliated_provider_id_of(u.id) END
  )::realtime_actor
    FROM users u
   WHERE u.id = account AND u.status = 'ACTIVE'
$function$;
REVOKE EXECUTE ON FUNCTION realtime_actor_of(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_change_keys(c realtime_change)
 RETURNS uuid[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT ARRAY[c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id, c.roster_id, c.session_id]
$function$;
REVOKE EXECUTE ON FUNCTION realtime_change_keys(realtime_change) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_change_reaches_any_role(c realtime_change)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT c.table_name IN ('locations', 'provider_locations', 'instructor_profiles',
                          'student_enrollment_profiles', 'users', 'profiles', 'compliance_records')
      OR coalesce(c.session_open, false)
      OR coalesce(c.course_listed, false)
$function$;
REVOKE EXECUTE ON FUNCTION realtime_change_reaches_any_role(realtime_change) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_change_visible(c realtime_change, a realtime_actor)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  SELECT a.user_id IS NOT NULL AND a.role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') AND CASE c.table_name
    WHEN 'training_sessions' THEN
         a.role IN ('SA', 'AD')                                                        -- _select_admin
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_own_locations
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)                      -- _select_taught
      OR c.row_id = ANY (a.enrolled_session_ids)                                       -- _select_enrolled
      OR coalesce(c.session_open, false)                                               -- _select_open_for_enrollment
    WHEN 'course_schedules' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)                      -- _select_instructor
    WHEN 'rosters' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.row_id = ANY (a.instructed_roster_ids))         -- _select_instructed
    WHEN 'session_enrollments' THEN
         a.role IN ('SA', 'AD')
      -- _select_provider_sessions and _select_taught: the log carries the session's location and instructor.
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND c.instructor_id = a.user_id)
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'student_roster_members' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_provider_rosters
      OR (a.role IN ('IC', 'IP') AND CASE WHEN c.roster_id IS NULL                     -- _select_instructed_rosters
            THEN c.instructor_id = a.user_id ELSE c.roster_id = ANY (a.instructed_roster_ids) END)
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'certificates' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))
      OR (a.role IN ('IC', 'IP') AND (c.instructor_id = a.user_id                     -- _select_issuer
            OR c.session_id = ANY (a.taught_session_ids)                               -- _select_taught (0053)
            OR c.roster_id = ANY (a.instructed_roster_ids)))
      OR c.user_id = a.user_id                                                         -- _select_recipient
    WHEN 'certificate_batches' THEN
         a.role IN ('SA', 'AD')                                                        -- _select_admin
      OR (a.role = 'AP' AND c.location_id = ANY (a.location_ids))                      -- _select_provider_rosters, _select_provider_sessions
      OR (a.role IN ('IC', 'IP') AND c.user_id = a.user_id)                            -- _select_requester
    WHEN 'courses' THEN
         a.role IN ('SA', 'AD')
      OR coalesce(c.course_listed, false)                                              -- _select_catalogue
    WHEN 'locations' THEN true                                                         -- _select_signed_in
    WHEN 'provider_locations' THEN true                                                -- _select_signed_in
    WHEN 'instructor_profiles' THEN true                                               -- _select_signed_in
    WHEN 'authorized_providers' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.provider_id = ANY (a.provider_ids))                      -- _select_own
      OR (a.role IN ('IC', 'IP', 'IT', 'IN') AND c.provider_id = a.affiliated_provider_id) -- _select_affiliated
    WHEN 'provider_members' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND c.provider_id = ANY (a.provider_ids))                      -- _select_own_providers
      OR c.user_id = a.user_id                                                         -- _select_self
    WHEN 'student_enrollment_profiles' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND app_provider_sees_student_profile(c.row_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP')
          AND app_instructor_sees_student_profile(c.row_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'users' THEN
         a.role = 'SA'                                                                 -- _select_sa
      OR (a.role = 'AD' AND coalesce(c.account_role <> 'SA', false))                   -- _select_ad
      OR c.row_id = a.user_id                                                          -- _select_self
      OR (a.role = 'AP' AND app_provider_sees_user(c.row_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP') AND app_instructor_sees_user(c.row_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'profiles' THEN
         a.role = 'SA'
      OR (a.role = 'AD' AND coalesce(c.account_role <> 'SA', false))
      OR c.user_id = a.user_id
      OR (a.role = 'AP' AND app_provider_sees_user(c.user_id, a.provider_ids, a.location_ids))
      OR (a.role IN ('IC', 'IP') AND app_instructor_sees_user(c.user_id, a.taught_session_ids, a.instructed_roster_ids))
    WHEN 'compliance_records' THEN
         a.role IN ('SA', 'AD')
      OR (a.role = 'AP' AND app_provider_affiliates_user(c.user_id, a.provider_ids))  -- _select_affiliated_users
      OR c.user_id = a.user_id                                                         -- _select_self
    ELSE false
  END
$function$;
REVOKE EXECUTE ON FUNCTION realtime_change_visible(realtime_change,realtime_actor) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.realtime_changes_of(seqs bigint[])
 RETURNS SETOF realtime_change
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  RETURN QUERY
  SELECT c.seq, c.table_name, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id,
         CASE WHEN c.table_name = 'training_sessions' THEN coalesce((
           SELECT s.status = 'SCHEDULED' AND s.self_enrollment_allowed FROM training_sessions s WHERE s.id = c.row_id), false) END,
         CASE WHEN c.table_name = 'courses' THEN coalesce((
           SELECT k.status <> 'DRAFT' FROM courses k WHERE k.id = c.row_id), false) END,
         CASE c.table_name
           WHEN 'users' THEN app_user_role(c.row_id)
           WHEN 'profiles' THEN (SELECT p.role FROM profiles p WHERE p.id = c.row_id)
         END,
         CASE c.table_name
           WHEN 'student_roster_members' THEN coalesce(c.parent_id, (
             SELECT m.roster_id FROM student_roster_members m WHERE m.id = c.row_id))
           WHEN 'certificates' THEN (SELECT k.roster_id FROM certificates k WHERE k.id = c.row_id)
         END,
         CASE WHEN c.table_name = 'certificates' THEN (SELECT k.session_id FROM certificates k WHERE k.id = c.row_id) END
    FROM change_log c
   WHERE c.seq = ANY (seqs);
END
$function$;
REVOKE EXECUTE ON FUNCTION realtime_changes_of(bigint[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.recompute_compliance_scores(people uuid[])
 RETURNS integer
 LANGUAGE sql
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT recompute_compliance_scores(people, now())
$function$;
REVOKE EXECUTE ON FUNCTION recompute_compliance_scores(uuid[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.recompute_compliance_scores(people uuid[], as_of timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed integer;
BEGIN
  -- Locked first, in one order: see migration 0024.
  PERFORM 1 FROM profiles WHERE profiles.user_id = ANY (people) ORDER BY profiles.user_id FOR UPDATE;
  UPDATE profiles p
     SET compliance_score = s.score, compliance_status = s.status
    FROM compliance_standings(people, as_of) s
   WHERE p.user_id = s.user_id
     AND (p.compliance_score, p.compliance_status) IS DISTINCT FROM (s.score, s.status);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END;
$function$;
REVOKE EXECUTE ON FUNCTION recompute_compliance_scores(uuid[],timestamp with time zone) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.rooms_keep_session_seats()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF EXISTS (SELECT 1 FROM training_sessions
              WHERE room_id = NEW.id AND status IN ('SCHEDULED', 'IN_PROGRESS') AND max_capacity > NEW.capacity) THEN
    RAISE EXCEPTION 'a session in the room seats more than %', NEW.capacity
      USING ERRCODE = 'check_violation', TABLE = 'rooms', CONSTRAINT = 'rooms_session_seats_check';
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION rooms_keep_session_seats() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.roster_student_profiles(roster uuid, people jsonb)
 RETURNS TABLE(ordinal integer, profile_id uuid)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  provider uuid;
BEGIN
  provider := lock_roster_for_member_changes(roster);
  RETURN QUERY
    SELECT person.place::integer,
           app_student_profile_for(provider, person.value ->> 'first_name', person.value ->> 'last_name',
                                   person.value ->> 'email_ciphertext', person.value ->> 'email_hmac', person.value ->> 'company')
      FROM jsonb_array_elements(people) WITH ORDINALITY AS person (value, place)
     ORDER BY person.place;
END;
$function$;
REVOKE EXECUTE ON FUNCTION roster_student_profiles(uuid,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roster_student_profiles(uuid,jsonb) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.rosters_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.location_id, r.provider_id, r.instructor_id, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION rosters_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.session_enrollment_as_seen(enrollment uuid)
 RETURNS SETOF session_enrollments
 LANGUAGE plpgsql
AS $function$
BEGIN
  RETURN QUERY SELECT e.* FROM public.session_enrollments e WHERE e.id = enrollment;
END;
$function$;
REVOKE EXECUTE ON FUNCTION session_enrollment_as_seen(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_enrollment_as_seen(uuid) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.session_enrollments_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, p.location_id, p.provider_id, p.instructor_id, r.student_id FROM changed_rows r LEFT JOIN training_sessions p ON p.id = r.session_id;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION session_enrollments_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.session_enrollments_drop_offer()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.offer_expires_at := NULL;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION session_enrollments_drop_offer() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.session_enrollments_keep_student()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF OLD.student_id IS NOT NULL AND NEW.student_id IS DISTINCT FROM OLD.student_id THEN
    RAISE EXCEPTION 'an enrollment keeps its student: cancel it and enroll the other student'
      USING ERRCODE = '23514', CONSTRAINT = 'session_enrollments_student_fixed', TABLE = 'session_enrollments';
  END IF;
  RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.set_row_version()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION public.set_session_capacity(session uuid, capacity integer, at timestamp with time zone DEFAULT now())
 RETURNS TABLE(promoted integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  enrolled_count integer;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may change its capacity' USING ERRCODE = '42501';
  END IF;
  SELECT s.current_enrollment INTO enrolled_count FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF capacity < enrolled_count THEN
    RAISE EXCEPTION 'capacity % is below the % seats taken or on offer', capacity, enrolled_count USING ERRCODE = 'UTCAP';
  END IF;
  UPDATE training_sessions s SET max_capacity = capacity WHERE s.id = session;
  RETURN QUERY SELECT app_promote_from_waitlist(session, at);
END;
$function$;
REVOKE EXECUTE ON FUNCTION set_session_capacity(uuid,integer,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_session_capacity(uuid,integer,timestamp with time zone) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.set_session_waitlist_offers(session uuid, hours integer)
 RETURNS TABLE(id uuid, offer_hours integer, effective_offer_hours integer)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may change how it fills freed seats' USING ERRCODE = '42501';
  END IF;
  UPDATE training_sessions s SET waitlist_offer_hours = hours WHERE s.id = session;
  RETURN QUERY SELECT session, hours, app_session_offer_hours(session);
END;
$function$;
REVOKE EXECUTE ON FUNCTION set_session_waitlist_offers(uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_session_waitlist_offers(uuid,integer) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.student_enrollment_profiles_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, r.provider_id, NULL, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION student_enrollment_profiles_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.student_roster_members_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id, parent_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, p.location_id, p.provider_id, p.instructor_id, r.student_id, r.roster_id
    FROM changed_rows r LEFT JOIN rosters p ON p.id = r.roster_id;
  RETURN NULL;
END;
$function$;
REVOKE EXECUTE ON FUNCTION student_roster_members_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.training_sessions_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, r.location_id, r.provider_id, r.instructor_id, NULL FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION training_sessions_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.training_sessions_keep_schedule()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  room_capacity integer;
BEGIN
  NEW.scheduled_during := app_session_time_range(NEW.location_id, NEW.session_date, NEW.start_time, NEW.end_time);
  IF NEW.room_id IS NOT NULL THEN
    SELECT capacity INTO room_capacity FROM rooms WHERE id = NEW.room_id;
    IF NEW.max_capacity > room_capacity THEN
      RAISE EXCEPTION 'the session seats % but its room holds %', NEW.max_capacity, room_capacity
        USING ERRCODE = 'check_violation', TABLE = 'training_sessions', CONSTRAINT = 'training_sessions_room_capacity_check';
    END IF;
  END IF;
  RETURN NEW;
END;
$function$;
REVOKE EXECUTE ON FUNCTION training_sessions_keep_schedule() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.user_activity_summary(user_id uuid, days integer)
 RETURNS TABLE(day date, table_name text, inserts bigint, updates bigint, deletes bigint, total bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT (a.occurred_at AT TIME ZONE 'UTC')::date,
         a.table_name,
         count(*) FILTER (WHERE a.operation = 'INSERT'),
         count(*) FILTER (WHERE a.operation = 'UPDATE'),
         count(*) FILTER (WHERE a.operation = 'DELETE'),
         count(*)
    FROM audit_log a
   WHERE a.actor_id = user_activity_summary.user_id
     AND a.occurred_at >= ((now() AT TIME ZONE 'UTC')::date - (user_activity_summary.days - 1))::timestamp AT TIME ZONE 'UTC'
   GROUP BY GROUPING SETS (((a.occurred_at AT TIME ZONE 'UTC')::date, a.table_name), ())
   ORDER BY 1 NULLS LAST, 2 NULLS LAST
$function$;
REVOKE EXECUTE ON FUNCTION user_activity_summary(uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_activity_summary(uuid,integer) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.users_capture_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, NULL, NULL, NULL, r.id FROM changed_rows r ;
        RETURN NULL;
      END;
      $function$;
REVOKE EXECUTE ON FUNCTION users_capture_changes() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.users_refuse_id_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  RAISE EXCEPTION 'an account keeps its id' USING ERRCODE = 'UTTRN';
END;
$function$;

CREATE OR REPLACE FUNCTION public.verify_certificate(code text, count_it boolean)
 RETURNS TABLE(id uuid, status text, printed jsonb, issue_date date, expiry_date date, revoked_at timestamp with time zone, revoked_reason_code text, revoked_reason text, suspended_at timestamp with time zone, suspended_reason text, pdf_sha256 text, replaced_by_code text, verification_count integer, last_verified_at timestamp with time zone)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
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
    -- A count is not worth a disk flush per public request: this transaction commits without waiting
    -- for its WAL to reach disk (a crash may lose the last few counts, never a certificate change, and
    -- only when the caller's transaction wrote nothing else that must be durable).
    PERFORM set_config('synchronous_commit', 'off', true);
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
$function$;
REVOKE EXECUTE ON FUNCTION verify_certificate(text,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_certificate(text,boolean) TO unitrain_app;

CREATE OR REPLACE FUNCTION public.verify_certificate_public(codes text[], as_of date)
 RETURNS TABLE(verification_code text, id uuid, verification_count integer, before_count text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
REVOKE EXECUTE ON FUNCTION verify_certificate_public(text[],date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_certificate_public(text[],date) TO unitrain_app;
