-- Identity: accounts, people, partner providers, places, instructors and teams.

CREATE TABLE users (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- E-mail is stored encrypted; login looks the account up by the HMAC blind index.
  email_ciphertext text NOT NULL,
  email_hmac       text NOT NULL,
  -- Null until the account sets a password (invited, not yet activated).
  password_hash    text,
  role             text NOT NULL,
  status           text NOT NULL DEFAULT 'ACTIVE',
  last_login_at    timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          integer NOT NULL DEFAULT 1,
  CONSTRAINT users_email_hmac_key UNIQUE (email_hmac),
  -- Target of profiles' composite foreign key, which keeps profiles' copies of role and status equal.
  CONSTRAINT users_id_role_status_key UNIQUE (id, role, status),
  CONSTRAINT users_role_check CHECK (role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN')),
  CONSTRAINT users_status_check CHECK (status IN ('ACTIVE', 'INACTIVE'))
);
CREATE TRIGGER users_set_row_version BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE profiles (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL,
  first_name        text NOT NULL,
  last_name         text NOT NULL,
  display_name      text,
  phone_ciphertext  text,
  email_ciphertext  text,
  organization      text,
  department        text,
  supervisor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  compliance_tier   text NOT NULL DEFAULT 'basic',
  compliance_score  numeric(5, 2) NOT NULL DEFAULT 0,
  compliance_status text NOT NULL DEFAULT 'PENDING',
  -- Copies of users.role/status so the compliance dashboards filter on one index; the composite
  -- foreign key (ON UPDATE CASCADE) makes it impossible for the copies to drift.
  role              text NOT NULL,
  status            text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 1,
  CONSTRAINT profiles_user_id_key UNIQUE (user_id),
  CONSTRAINT profiles_user_fkey FOREIGN KEY (user_id, role, status)
    REFERENCES users (id, role, status) ON UPDATE CASCADE ON DELETE CASCADE,
  CONSTRAINT profiles_supervisor_check CHECK (supervisor_id IS DISTINCT FROM user_id),
  CONSTRAINT profiles_compliance_tier_check CHECK (compliance_tier IN ('basic', 'robust')),
  CONSTRAINT profiles_compliance_score_check CHECK (compliance_score BETWEEN 0 AND 100),
  CONSTRAINT profiles_compliance_status_check
    CHECK (compliance_status IN ('COMPLIANT', 'AT_RISK', 'NON_COMPLIANT', 'PENDING'))
);
CREATE INDEX profiles_compliance_idx ON profiles (compliance_tier, role, compliance_status);
CREATE INDEX profiles_supervisor_id_idx ON profiles (supervisor_id);
CREATE TRIGGER profiles_set_row_version BEFORE UPDATE ON profiles
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE auth_sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Every refresh token rotated from one login shares a family; reuse of a spent token revokes it.
  family_id          uuid NOT NULL,
  -- Only a hash: a leaked table cannot be replayed as tokens.
  refresh_token_hash text NOT NULL,
  expires_at         timestamptz NOT NULL,
  revoked_at         timestamptz,
  replaced_by        uuid REFERENCES auth_sessions (id) ON DELETE SET NULL,
  user_agent         text,
  ip                 inet,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  CONSTRAINT auth_sessions_refresh_token_hash_key UNIQUE (refresh_token_hash),
  -- A token is replaced only by rotation, which also revokes it.
  CONSTRAINT auth_sessions_replaced_check CHECK (replaced_by IS NULL OR revoked_at IS NOT NULL)
);
CREATE INDEX auth_sessions_user_id_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_family_id_idx ON auth_sessions (family_id);
CREATE INDEX auth_sessions_replaced_by_idx ON auth_sessions (replaced_by);
CREATE TRIGGER auth_sessions_set_row_version BEFORE UPDATE ON auth_sessions
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE authorized_providers (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                     text NOT NULL,
  description              text,
  contact_email_ciphertext text,
  contact_phone_ciphertext text,
  website                  text,
  status                   text NOT NULL DEFAULT 'ACTIVE',
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  version                  integer NOT NULL DEFAULT 1,
  CONSTRAINT authorized_providers_name_key UNIQUE (name),
  CONSTRAINT authorized_providers_status_check CHECK (status IN ('ACTIVE', 'SUSPENDED', 'INACTIVE'))
);
CREATE TRIGGER authorized_providers_set_row_version BEFORE UPDATE ON authorized_providers
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE provider_members (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id uuid NOT NULL REFERENCES authorized_providers (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  member_role text NOT NULL DEFAULT 'STAFF',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     integer NOT NULL DEFAULT 1,
  CONSTRAINT provider_members_provider_user_key UNIQUE (provider_id, user_id),
  CONSTRAINT provider_members_member_role_check CHECK (member_role IN ('ADMIN', 'STAFF', 'INSTRUCTOR'))
);
-- "Which providers is this user in" is the core of every AP scope check.
CREATE INDEX provider_members_user_id_idx ON provider_members (user_id);
CREATE TRIGGER provider_members_set_row_version BEFORE UPDATE ON provider_members
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE locations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  address_line1 text,
  address_line2 text,
  city          text,
  region        text,
  postal_code   text,
  country       text,
  -- Session dates and times are local to the location; this says which zone they are in.
  timezone      text NOT NULL DEFAULT 'UTC',
  status        text NOT NULL DEFAULT 'ACTIVE',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  version       integer NOT NULL DEFAULT 1,
  CONSTRAINT locations_country_check CHECK (country ~ '^[A-Z]{2}$'),
  CONSTRAINT locations_status_check CHECK (status IN ('ACTIVE', 'INACTIVE'))
);
CREATE TRIGGER locations_set_row_version BEFORE UPDATE ON locations
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

-- Link rows: inserted and deleted, never updated, so no version.
CREATE TABLE provider_locations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id uuid NOT NULL REFERENCES authorized_providers (id) ON DELETE CASCADE,
  location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT provider_locations_provider_location_key UNIQUE (provider_id, location_id)
);
CREATE INDEX provider_locations_location_id_idx ON provider_locations (location_id);

CREATE TABLE instructor_profiles (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  display_name         text NOT NULL,
  bio                  text,
  specialties          text[] NOT NULL DEFAULT '{}',
  certification_level  text NOT NULL DEFAULT 'NEW',
  certification_status text NOT NULL DEFAULT 'PENDING',
  -- Affiliation only: the instructor outlives a provider that is removed.
  provider_id          uuid REFERENCES authorized_providers (id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              integer NOT NULL DEFAULT 1,
  CONSTRAINT instructor_profiles_user_id_key UNIQUE (user_id),
  CONSTRAINT instructor_profiles_certification_level_check
    CHECK (certification_level IN ('NEW', 'TRAINEE', 'PROVISIONAL', 'CERTIFIED')),
  CONSTRAINT instructor_profiles_certification_status_check
    CHECK (certification_status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'))
);
CREATE INDEX instructor_profiles_provider_id_idx ON instructor_profiles (provider_id);
CREATE TRIGGER instructor_profiles_set_row_version BEFORE UPDATE ON instructor_profiles
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE teams (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  description text,
  provider_id uuid REFERENCES authorized_providers (id) ON DELETE RESTRICT,
  lead_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  status      text NOT NULL DEFAULT 'ACTIVE',
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     integer NOT NULL DEFAULT 1,
  CONSTRAINT teams_status_check CHECK (status IN ('ACTIVE', 'ARCHIVED'))
);
CREATE INDEX teams_provider_id_idx ON teams (provider_id);
CREATE INDEX teams_lead_id_idx ON teams (lead_id);
CREATE TRIGGER teams_set_row_version BEFORE UPDATE ON teams
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE team_members (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_members_team_user_key UNIQUE (team_id, user_id)
);
CREATE INDEX team_members_user_id_idx ON team_members (user_id);
