DROP VIEW courses_as_seen;
DROP FUNCTION course_as_published(uuid);
DROP FUNCTION app_course_as_published(courses);
DROP FUNCTION course_catalogue_fields(courses);
