-- Course publishing (issue 4, item 1; decision 0009). Editing a published course changes only its
-- working copy (the courses row); what everyone but the administrators sees is the snapshot that
-- the last publication stored in course_versions, until the course is published again.

-- The catalogue fields of a course: what a publication stores as its snapshot, and what the working
-- copy is compared with to tell whether it has changed since.
CREATE FUNCTION course_catalogue_fields(course courses) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'code', course.code, 'title', course.title, 'description', course.description,
    'duration_minutes', course.duration_minutes, 'certifies', course.certifies,
    'certificate_validity_months', course.certificate_validity_months)
$$;

-- The course as last published: its catalogue fields from the snapshot its published_version names
-- (only those fields; one the snapshot lacks, or a course never published, keeps the row's value).
-- Decides no visibility, so the application may not call it (a caller could hand it any row): only
-- functions that read the row themselves and have decided who sees it (course_as_published below, the
-- calendar of 0018). SECURITY INVOKER: those run it as the owner.
CREATE FUNCTION app_course_as_published(course courses) RETURNS courses
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT jsonb_populate_record(course, (
    SELECT jsonb_object_agg(field.key, field.value)
      FROM course_versions v, jsonb_each(v.snapshot) AS field
     WHERE v.course_id = course.id AND v.version_number = course.published_version
       AND field.key IN (SELECT jsonb_object_keys(course_catalogue_fields(course)))))
$$;

-- The course `course_id` as last published, if the caller may see the course (by the rules of the
-- courses select policies, 0009: administrators every course, the other signed-in roles any but a
-- DRAFT, the signed-out the PUBLISHED ones); no row otherwise. For any query that shows a course to
-- someone other than an administrator (courses_as_seen, sessions naming their course).
-- SECURITY DEFINER because non-administrators see ARCHIVED courses (courses_select_catalogue) but not
-- their versions (course_versions_select_published), and must still see what was published, never
-- the working copy. It takes the id and reads the row itself: a row handed in could name any course.
CREATE FUNCTION course_as_published(course_id uuid) RETURNS courses
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_course_as_published(c)
    FROM courses c
   WHERE c.id = course_id
     AND (app_is_admin()
          OR (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN') AND c.status <> 'DRAFT')
          OR (app_role() = 'ANON' AND c.status = 'PUBLISHED'))
$$;

REVOKE EXECUTE ON FUNCTION course_catalogue_fields(courses), app_course_as_published(courses),
  course_as_published(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION course_catalogue_fields(courses), course_as_published(uuid) TO unitrain_app;

-- Courses as the caller sees them. security_invoker: the policies of courses decide which rows
-- exist. Administrators get the working copy and whether publishing would change the catalogue;
-- everyone else gets the catalogue fields as last published, and a null has_unpublished_changes.
-- course_as_published sits in FROM so that it runs once per row, not once per column.
CREATE VIEW courses_as_seen WITH (security_invoker = true) AS
SELECT c.id, shown.code, shown.title, shown.description, shown.duration_minutes, shown.certifies,
       shown.certificate_validity_months, c.status, c.published_at, c.published_version,
       CASE WHEN app_is_admin()
            THEN c.published_version IS NULL OR course_catalogue_fields(published) <> course_catalogue_fields(c) END
         AS has_unpublished_changes,
       c.created_at, c.updated_at, c.version
  FROM courses c
 CROSS JOIN LATERAL course_as_published(c.id) AS published
 CROSS JOIN LATERAL (SELECT (CASE WHEN app_is_admin() THEN c ELSE published END).*) AS shown;

GRANT SELECT ON courses_as_seen TO unitrain_app;
