DROP INDEX change_log_scope_changes_idx;
DROP FUNCTION realtime_change_reaches_any_role(realtime_change);
DROP FUNCTION realtime_change_keys(realtime_change);
DROP FUNCTION realtime_actor_keys(realtime_actor);
