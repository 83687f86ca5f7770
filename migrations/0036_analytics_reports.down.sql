DO $$
DECLARE
  captured text;
  event text;
BEGIN
  FOREACH captured IN ARRAY ARRAY['notifications', 'analytics_refreshes'] LOOP
    FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
      EXECUTE format('DROP TRIGGER %I ON %I', captured || '_capture_' || event, captured);
    END LOOP;
  END LOOP;
END
$$;
DROP FUNCTION analytics_refreshes_capture_changes();
DROP FUNCTION notifications_capture_changes();
DROP TABLE job_schedules;
DROP FUNCTION app_analytics_refreshed_at(text);
DROP TABLE analytics_refreshes;
DROP MATERIALIZED VIEW certificate_figures_by_month;
DROP MATERIALIZED VIEW instructor_figures_by_month;
DROP MATERIALIZED VIEW enrollment_figures_by_month;
