-- The stream authorises every batch with realtime_changes_of (decision 0059). As a SQL function that
-- cannot be inlined (SECURITY DEFINER, SET), its query was planned again on every call; in PL/pgSQL the
-- plan is kept for the session. The open-for-enrollment and listed facts are read per change by primary
-- key: as EXISTS they were planned as a hashed scan of every open session, which a busy table of many
-- updated sessions made the slowest part of a batch. Same results: a missing row is false, as before.
CREATE OR REPLACE FUNCTION realtime_changes_of(seqs bigint[]) RETURNS SETOF realtime_change
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
$$;
