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
         CASE WHEN c.table_name = 'student_roster_members' THEN (
           SELECT m.roster_id FROM student_roster_members m WHERE m.id = c.row_id) END
    FROM change_log c
   WHERE c.seq = ANY (seqs)
$$;

CREATE OR REPLACE FUNCTION student_roster_members_capture_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, p.location_id, p.provider_id, p.instructor_id, r.student_id
    FROM changed_rows r LEFT JOIN rosters p ON p.id = r.roster_id;
  RETURN NULL;
END;
$$;

ALTER TABLE change_log DROP COLUMN parent_id;
