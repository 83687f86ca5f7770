-- Foundation: the application role and the trigger function shared by every mutable table.

-- Roles are cluster-global and several databases (tests, templates) share one cluster, possibly
-- migrating at the same moment: create the role only if missing and tolerate losing that race.
-- NOLOGIN: nobody connects as unitrain_app; write transactions SET LOCAL ROLE to it so that
-- row-level security (NOBYPASSRLS) applies to the application even though it connects as the owner.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'unitrain_app') THEN
    BEGIN
      CREATE ROLE unitrain_app NOLOGIN NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  -- The owner must be able to SET ROLE unitrain_app. A superuser always can; a non-superuser owner
  -- is granted it here. PostgreSQL 16 split membership: a CREATEROLE creator holds ADMIN without SET,
  -- so ask for SET there ('SET' is unknown before 16, where MEMBER implies it).
  IF NOT pg_has_role(current_user, 'unitrain_app',
      CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
    EXECUTE format('GRANT unitrain_app TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO unitrain_app;

-- Optimistic locking: the version moves on every update, whoever writes, so a client's stale
-- version (If-Match) can never match again; the application never sets version itself.
CREATE FUNCTION set_row_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
