-- Accounts people expect (issue 11, item 11): invitations by e-mail and password reset by e-mail.
-- docs/decisions/0026-invitations-and-password-reset.md says why it looks like this.

-- An administrator's invitation of one e-mail address to one role (and, for an AP, one provider). The
-- status is what happened to it; EXPIRED is not stored but read from expires_at, so no job has to move
-- it. mail_generation counts the mails asked for: a resend moves it, and only a token made for the
-- current generation opens the invitation, so the old link dies at once.
CREATE TABLE invitations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email_ciphertext text NOT NULL,
  email_hmac       text NOT NULL,
  role             text NOT NULL,
  provider_id      uuid REFERENCES authorized_providers (id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'PENDING',
  expires_at       timestamptz NOT NULL,
  mail_generation  integer NOT NULL DEFAULT 1,
  -- When the mail of the current generation was handed to the mail server or the outbox (null: not yet).
  mailed_at        timestamptz,
  invited_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  accepted_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  accepted_at      timestamptz,
  revoked_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  CONSTRAINT invitations_role_check CHECK (role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN')),
  CONSTRAINT invitations_status_check CHECK (status IN ('PENDING', 'ACCEPTED', 'REVOKED')),
  -- An AP account belongs to a provider (provider_members); nobody else is invited into one.
  CONSTRAINT invitations_provider_check CHECK ((role = 'AP') = (provider_id IS NOT NULL)),
  CONSTRAINT invitations_accepted_check CHECK ((status = 'ACCEPTED') = (accepted_at IS NOT NULL)),
  CONSTRAINT invitations_revoked_check CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL)),
  CONSTRAINT invitations_mail_generation_check CHECK (mail_generation >= 1)
);
-- One open invitation per address: a second one is a resend.
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (email_hmac) WHERE status = 'PENDING';
-- The admin list: newest first.
CREATE INDEX invitations_created_at_idx ON invitations (created_at DESC, id DESC);
CREATE INDEX invitations_provider_id_idx ON invitations (provider_id);
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by);
CREATE INDEX invitations_accepted_user_id_idx ON invitations (accepted_user_id);
CREATE INDEX invitations_revoked_by_idx ON invitations (revoked_by);
CREATE TRIGGER invitations_set_row_version BEFORE UPDATE ON invitations
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
-- Audited like the accounts it makes (0010): who invited whom, who resent or revoked. It holds no secret.
CREATE TRIGGER invitations_audit AFTER INSERT OR UPDATE OR DELETE ON invitations FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off'
        OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();

-- No invitation points at an SA account unless an SA puts it there (the guard of migration 0028).
CREATE TRIGGER invitations_guard_sa_reference BEFORE INSERT OR UPDATE ON invitations FOR EACH ROW
  WHEN (app_role() IN ('AD', 'AP', 'IC', 'IP', 'IT', 'IN'))
  EXECUTE FUNCTION app_guard_sa_reference('invited_by', 'accepted_user_id', 'revoked_by');

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_owner_all ON invitations TO CURRENT_USER USING (true) WITH CHECK (true);
-- Rows are never deleted: a revoked or accepted invitation is history.
GRANT SELECT, INSERT, UPDATE ON invitations TO unitrain_app;
CREATE POLICY invitations_select_sa ON invitations FOR SELECT TO unitrain_app USING (app_role() = 'SA');
CREATE POLICY invitations_select_ad ON invitations FOR SELECT TO unitrain_app USING (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY invitations_insert_sa ON invitations FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'SA');
CREATE POLICY invitations_insert_ad ON invitations FOR INSERT TO unitrain_app WITH CHECK (app_role() = 'AD' AND role <> 'SA');
CREATE POLICY invitations_update_sa ON invitations FOR UPDATE TO unitrain_app USING (app_role() = 'SA');
-- WITH CHECK too: AD can never turn an invitation into one for an SA.
CREATE POLICY invitations_update_ad ON invitations FOR UPDATE TO unitrain_app
  USING (app_role() = 'AD' AND role <> 'SA') WITH CHECK (app_role() = 'AD' AND role <> 'SA');

-- One-use tokens mailed as links: an invitation's (for one mail generation) or a password reset's.
-- Only the SHA-256 of the token is stored. Like login_failures (0011), the table belongs to the owner
-- alone: the signed-out flows that read it and the mail jobs that write it run as the owner, and the
-- application role has no privilege on it at all. A token row, not a domain fact: no version, no audit
-- (the invitation and the password change it leads to are audited). Its user_id needs no SA-reference
-- guard (0028): like auth_sessions, only the owner writes it.
CREATE TABLE account_tokens (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  purpose         text NOT NULL,
  invitation_id   uuid REFERENCES invitations (id) ON DELETE CASCADE,
  mail_generation integer,
  user_id         uuid REFERENCES users (id) ON DELETE CASCADE,
  token_hash      text NOT NULL,
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz,
  -- Replaced by a newer token of the same invitation or account, or ended by a password reset.
  revoked_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT account_tokens_token_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT account_tokens_purpose_check CHECK (
    (purpose = 'INVITATION' AND invitation_id IS NOT NULL AND mail_generation IS NOT NULL AND user_id IS NULL)
    OR (purpose = 'PASSWORD_RESET' AND user_id IS NOT NULL AND invitation_id IS NULL AND mail_generation IS NULL))
);
CREATE INDEX account_tokens_invitation_id_idx ON account_tokens (invitation_id);
CREATE INDEX account_tokens_user_id_idx ON account_tokens (user_id);

ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY account_tokens_owner_all ON account_tokens TO CURRENT_USER USING (true) WITH CHECK (true);
