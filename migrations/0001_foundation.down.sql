DROP FUNCTION set_row_version();

-- The role itself stays: it is cluster-global and other databases on the cluster may still use it.
REVOKE USAGE ON SCHEMA public FROM unitrain_app;
