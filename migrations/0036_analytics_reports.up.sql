-- Reports (issue 15 item 2, decision 0037): analytics materialised views refreshed CONCURRENTLY by a
-- scheduled job, when each was last refreshed, and the last slot each schedule was enqueued for.
--
-- The views hold figures per month and per key (provider, location, course, instructor, issuer), so a
-- report can be scoped to what a role may see by a WHERE on those keys: materialised views have no
-- row-level security, so the report query does the scoping (src/modules/reports/reports.repository.ts).
-- Each view has a unique index over its whole key, NULLS NOT DISTINCT because provider_id and issued_by
-- may be null: REFRESH ... CONCURRENTLY needs such an index.

-- Enrollments, completions, failures and no-shows by month of the session and its keys.
CREATE MATERIALIZED VIEW enrollment_figures_by_month AS
SELECT
  date_trunc('month', s.session_date)::date AS month,
  s.provider_id,
  s.location_id,
  s.course_id,
  s.instructor_id,
  count(*) FILTER (WHERE e.status = 'ENROLLED') AS enrollments,
  count(*) FILTER (WHERE e.status = 'WAITLISTED') AS waitlisted,
  count(*) FILTER (WHERE e.status = 'CANCELLED') AS cancellations,
  count(*) FILTER (WHERE e.completion_status = 'COMPLETED') AS completions,
  count(*) FILTER (WHERE e.completion_status = 'FAILED') AS failures,
  count(*) FILTER (WHERE e.status = 'ENROLLED' AND e.attendance_status = 'ABSENT') AS no_shows
FROM session_enrollments e
JOIN training_sessions s ON s.id = e.session_id
GROUP BY 1, 2, 3, 4, 5
WITH DATA;
CREATE UNIQUE INDEX enrollment_figures_by_month_key
  ON enrollment_figures_by_month (month, location_id, course_id, instructor_id, provider_id) NULLS NOT DISTINCT;

-- What an instructor taught, by month and location: sessions, attendance, results and scores. Sums,
-- not rates, so that a report over several months or locations can add them up before dividing.
CREATE MATERIALIZED VIEW instructor_figures_by_month AS
SELECT
  date_trunc('month', s.session_date)::date AS month,
  s.instructor_id,
  s.location_id,
  count(*) FILTER (WHERE s.status <> 'CANCELLED') AS sessions_scheduled,
  count(*) FILTER (WHERE s.status = 'COMPLETED') AS sessions_taught,
  coalesce(sum(r.enrolled) FILTER (WHERE s.status = 'COMPLETED'), 0) AS enrolled_in_taught,
  coalesce(sum(r.attended) FILTER (WHERE s.status = 'COMPLETED'), 0) AS attended_in_taught,
  coalesce(sum(r.passed), 0) AS passed,
  coalesce(sum(r.failed), 0) AS failed,
  coalesce(sum(r.score_sum), 0) AS score_sum,
  coalesce(sum(r.scored), 0) AS scored
FROM training_sessions s
LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE e.status = 'ENROLLED') AS enrolled,
         count(*) FILTER (WHERE e.status = 'ENROLLED' AND e.attendance_status IN ('ATTENDED', 'PARTIAL')) AS attended,
         count(*) FILTER (WHERE e.completion_status = 'COMPLETED') AS passed,
         count(*) FILTER (WHERE e.completion_status = 'FAILED') AS failed,
         sum(e.assessment_score) AS score_sum,
         count(e.assessment_score) AS scored
    FROM session_enrollments e WHERE e.session_id = s.id
) r ON true
GROUP BY 1, 2, 3
WITH DATA;
CREATE UNIQUE INDEX instructor_figures_by_month_key ON instructor_figures_by_month (month, instructor_id, location_id);

-- Certificates issued (and since revoked) by month of issue, and live certificates by month of expiry.
CREATE MATERIALIZED VIEW certificate_figures_by_month AS
SELECT month, location_id, course_id, provider_id, issued_by,
       sum(issued) AS issued, sum(revoked) AS revoked, sum(expiring) AS expiring
FROM (
  SELECT date_trunc('month', issue_date)::date AS month, location_id, course_id, provider_id, issued_by,
         1 AS issued, (status = 'REVOKED')::int AS revoked, 0 AS expiring
    FROM certificates
  UNION ALL
  SELECT date_trunc('month', expiry_date)::date, location_id, course_id, provider_id, issued_by, 0, 0, 1
    FROM certificates WHERE expiry_date IS NOT NULL AND status <> 'REVOKED'
) c
GROUP BY 1, 2, 3, 4, 5
WITH DATA;
CREATE UNIQUE INDEX certificate_figures_by_month_key
  ON certificate_figures_by_month (month, location_id, course_id, provider_id, issued_by) NULLS NOT DISTINCT;

-- The report queries run as the application role and scope rows themselves (see above).
GRANT SELECT ON enrollment_figures_by_month, instructor_figures_by_month, certificate_figures_by_month TO unitrain_app;

-- When each analytics view was last refreshed (every report answer says so). The owner's alone: the
-- application reads it through app_analytics_refreshed_at(). A uuid id because its changes are captured
-- (below): a refresh then invalidates cached reports on every process like any other committed change.
CREATE TABLE analytics_refreshes (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  view_name    text NOT NULL,
  refreshed_at timestamptz NOT NULL,
  duration_ms  integer NOT NULL DEFAULT 0,
  CONSTRAINT analytics_refreshes_view_name_key UNIQUE (view_name),
  CONSTRAINT analytics_refreshes_duration_check CHECK (duration_ms >= 0)
);
ALTER TABLE analytics_refreshes ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_refreshes FORCE ROW LEVEL SECURITY;
CREATE POLICY analytics_refreshes_owner_all ON analytics_refreshes TO CURRENT_USER USING (true) WITH CHECK (true);
-- The views were populated just now (WITH DATA, here and in migration 0007).
INSERT INTO analytics_refreshes (view_name, refreshed_at) VALUES
  ('session_fill_by_location_month', now()), ('certificate_counts_by_location_quarter', now()),
  ('enrollment_figures_by_month', now()), ('instructor_figures_by_month', now()),
  ('certificate_figures_by_month', now());

CREATE FUNCTION app_analytics_refreshed_at(view text) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT refreshed_at FROM analytics_refreshes WHERE view_name = view
$$;
REVOKE EXECUTE ON FUNCTION app_analytics_refreshed_at(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_analytics_refreshed_at(text) TO unitrain_app;

-- The last slot each cron schedule of the workers was enqueued for (src/modules/jobs/schedules.ts).
-- A worker that was down finds its missed slots here; the job of a slot has a unique idempotency key,
-- so workers racing for one slot queue it once. The owner's alone, like login_failures.
CREATE TABLE job_schedules (
  name       text PRIMARY KEY,
  last_slot  timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE job_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY job_schedules_owner_all ON job_schedules TO CURRENT_USER USING (true) WITH CHECK (true);

-- Change capture for what cached answers read beyond migration 0021's tables: a user's unread
-- notifications (the dashboard) and view refreshes (reports). The realtime stream has no topic for
-- either, so no subscriber is sent these rows; the cache's invalidation reads them (decision 0038).
CREATE FUNCTION notifications_capture_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id, user_id)
  SELECT TG_TABLE_NAME, TG_OP, r.id, r.user_id FROM changed_rows r;
  RETURN NULL;
END;
$$;
CREATE FUNCTION analytics_refreshes_capture_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO change_log (table_name, operation, row_id) SELECT TG_TABLE_NAME, TG_OP, r.id FROM changed_rows r;
  RETURN NULL;
END;
$$;
REVOKE EXECUTE ON FUNCTION notifications_capture_changes(), analytics_refreshes_capture_changes() FROM PUBLIC;

DO $$
DECLARE
  captured text;
  event text;
BEGIN
  FOREACH captured IN ARRAY ARRAY['notifications', 'analytics_refreshes'] LOOP
    FOREACH event IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
      -- The WHEN clause of migration 0021: a bulk load by the owner with unitrain.audit = 'off' is not captured.
      EXECUTE format(
        'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed_rows FOR EACH STATEMENT '
        'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
        'OR current_setting(''role'') <> ''none'' '
        'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
        'EXECUTE FUNCTION %I()',
        captured || '_capture_' || lower(event), event, captured,
        CASE event WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END,
        captured || '_capture_changes');
    END LOOP;
  END LOOP;
END
$$;
