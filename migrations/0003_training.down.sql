DROP TABLE student_roster_members;
DROP TABLE rosters;
DROP TABLE session_enrollments;
DROP TABLE student_enrollment_profiles;
DROP TABLE training_sessions;
DROP TABLE course_schedules;
-- The cycle between courses and course_versions is broken before either table goes.
ALTER TABLE courses DROP CONSTRAINT courses_published_version_fkey;
DROP TABLE course_versions;
DROP TABLE courses;
