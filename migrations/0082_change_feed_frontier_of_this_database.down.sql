-- Decision 0083 undone: the feed's frontier is the server's xmin again (the code of the version before).
DROP FUNCTION change_log_frontier(pg_snapshot);
