-- Issue 17, goal 2 (decision 0073).
-- 1. A policy that tests only the claims (`app_is_admin()`, `app_is_signed_in()`: who the actor is, not
--    which row this is) tests them once per statement: wrapped in a sub-select, the planner makes it an
--    InitPlan and a one-time filter, where the bare call read and parsed the settings again for every row
--    (and for every row a list's count scanned). Same answer: the functions are STABLE, so the claims
--    cannot change within a statement. Policies that compare a row with the claims stay as they are.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT tablename, policyname, qual, with_check FROM pg_policies
     WHERE schemaname = 'public'
       AND (qual IN ('app_is_admin()', 'app_is_signed_in()') OR with_check IN ('app_is_admin()', 'app_is_signed_in()'))
  LOOP
    IF p.qual IN ('app_is_admin()', 'app_is_signed_in()') THEN
      EXECUTE format('ALTER POLICY %I ON %I USING ((SELECT %s))', p.policyname, p.tablename, p.qual);
    END IF;
    IF p.with_check IN ('app_is_admin()', 'app_is_signed_in()') THEN
      EXECUTE format('ALTER POLICY %I ON %I WITH CHECK ((SELECT %s))', p.policyname, p.tablename, p.with_check);
    END IF;
  END LOOP;
END $$;

-- 2. A user's providers in their order straight from one index (`provider_ids` of every user read: an
--    index-only scan instead of a bitmap scan and a sort). It leads with user_id, so it serves every
--    lookup the index it replaces served.
CREATE INDEX provider_members_user_id_created_at_provider_id_idx ON provider_members (user_id, created_at, provider_id);
DROP INDEX provider_members_user_id_idx;
