-- Every column a list may be sorted on gets an index (column, id), the order keyset paging reads in,
-- so a page costs the same on the first and the thousandth page (issue 4, item 10). Filters on status
-- words are combined with an indexed scope column (session, location) and need none of their own.
CREATE INDEX training_sessions_created_at_id_idx ON training_sessions (created_at, id);
CREATE INDEX course_schedules_created_at_id_idx ON course_schedules (created_at, id);
CREATE INDEX course_schedules_dtstart_id_idx ON course_schedules (dtstart, id);
CREATE INDEX courses_title_id_idx ON courses (title, id);
CREATE INDEX courses_created_at_id_idx ON courses (created_at, id);
CREATE INDEX locations_name_id_idx ON locations (name, id);
CREATE INDEX locations_created_at_id_idx ON locations (created_at, id);
CREATE INDEX authorized_providers_name_id_idx ON authorized_providers (name, id);
CREATE INDEX authorized_providers_created_at_id_idx ON authorized_providers (created_at, id);
CREATE INDEX teams_name_id_idx ON teams (name, id);
CREATE INDEX teams_created_at_id_idx ON teams (created_at, id);
CREATE INDEX instructor_profiles_display_name_id_idx ON instructor_profiles (display_name, id);
CREATE INDEX instructor_profiles_created_at_id_idx ON instructor_profiles (created_at, id);
CREATE INDEX provider_locations_created_at_id_idx ON provider_locations (created_at, id);
CREATE INDEX provider_members_created_at_id_idx ON provider_members (created_at, id);
CREATE INDEX team_members_created_at_id_idx ON team_members (created_at, id);
