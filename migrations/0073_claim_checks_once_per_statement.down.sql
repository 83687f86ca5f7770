-- The claim-only policies call their function per row again; provider_members' index on user_id alone again.
CREATE INDEX provider_members_user_id_idx ON provider_members (user_id);
DROP INDEX provider_members_user_id_created_at_provider_id_idx;

DO $$
DECLARE
  p record;
  once constant text := '^\( SELECT (app_is_admin|app_is_signed_in)\(\) AS \1\)$';
BEGIN
  FOR p IN
    SELECT tablename, policyname, qual, with_check FROM pg_policies
     WHERE schemaname = 'public' AND (qual ~ once OR with_check ~ once)
  LOOP
    IF p.qual ~ once THEN
      EXECUTE format('ALTER POLICY %I ON %I USING (%s())', p.policyname, p.tablename, substring(p.qual FROM once));
    END IF;
    IF p.with_check ~ once THEN
      EXECUTE format('ALTER POLICY %I ON %I WITH CHECK (%s())', p.policyname, p.tablename, substring(p.with_check FROM once));
    END IF;
  END LOOP;
END $$;
