-- Back to the SQL function of migration 0054.
CREATE OR REPLACE FUNCTION realtime_changes_of(seqs bigint[]) RETURNS SETOF realtime_change
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.seq, c.table_name, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id,
         CASE WHEN c.table_name = 'training_sessions' THEN EXISTS (
           SELECT 1 FROM training_sessions s WHERE s.id = c.row_id AND s.status = 'SCHEDULED' AND s.self_enrollment_allowed) END,
         CASE WHEN c.table_name = 'courses' THEN EXISTS (
           SELECT 1 FROM courses k WHERE k.id = c.row_id AND k.status <> 'DRAFT') END,
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
   WHERE c.seq = ANY (seqs)
$$;
