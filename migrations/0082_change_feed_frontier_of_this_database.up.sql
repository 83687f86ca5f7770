-- Decision 0083: the change feed's frontier leaves out the transactions of other databases.
--
-- The feed calls a change settled when its transaction id is below the frontier, and the frontier was
-- pg_snapshot_xmin(pg_current_snapshot()): the oldest transaction still open anywhere on the server.
-- A transaction of another database (another application on a shared server, a long migration
-- elsewhere) held every delivery here until it ended, though it cannot write this database's
-- change_log. The frontier is now the oldest transaction of the snapshot that may be this database's.
--
-- An xid of the snapshot's in-progress list is left out only when, read after the snapshot was taken
-- (the snapshot is the caller's statement's, passed in), it is still held by a backend connected to
-- another database, or is a transaction prepared in another database. A backend never changes database,
-- and neither can write here (COMMIT PREPARED runs only in the prepared transaction's own database).
-- Everything else is kept: an xid that ended meanwhile (it may have been ours), a backend whose xid the
-- caller may not see (NULL without pg_read_all_stats), a backend of no database. change_log.txid is
-- always a top-level xid (pg_current_xact_id), and top-level xids are in the snapshot's list however
-- many subtransactions overflowed, so the list is the whole answer. The caller's own xid is not in that
-- list and is kept too. On a standby the list is empty (the primary's xids are in the sub-xid list),
-- so there the frontier stays xmin.
--
-- SECURITY DEFINER, owned by the schema's owner: pg_stat_activity shows another role's backend_xid only to
-- a role with pg_read_all_stats (or a superuser). Without it the frontier is xmin, as before, except for
-- the owner's own backends in other databases. It returns one xid and nothing of what it read.
-- VOLATILE: it reads the server's activity; a caller runs it once per statement (a materialized CTE), so
-- that the rows it reads and the frontier it answers agree. PL/pgSQL, not SQL: its plans are kept per session.
CREATE FUNCTION change_log_frontier(snapshot pg_snapshot) RETURNS xid8
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;

REVOKE EXECUTE ON FUNCTION change_log_frontier(pg_snapshot) FROM PUBLIC;
