-- Analytics: dashboard aggregates that would be too costly to compute per request.
-- Created WITH DATA (instant on an empty database) because REFRESH ... CONCURRENTLY refuses an
-- unpopulated view; each has a unique index, which CONCURRENTLY also requires.

-- Seat fill per location and calendar month; cancelled sessions count but offer no seats.
CREATE MATERIALIZED VIEW session_fill_by_location_month AS
SELECT
  location_id,
  date_trunc('month', session_date)::date AS month,
  count(*) AS sessions,
  count(*) FILTER (WHERE status = 'COMPLETED') AS completed_sessions,
  count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled_sessions,
  coalesce(sum(current_enrollment) FILTER (WHERE status <> 'CANCELLED'), 0) AS enrolled_seats,
  coalesce(sum(max_capacity) FILTER (WHERE status <> 'CANCELLED'), 0) AS offered_seats,
  round(avg(current_enrollment::numeric / max_capacity) FILTER (WHERE status <> 'CANCELLED'), 4)
    AS avg_fill_ratio
FROM training_sessions
GROUP BY location_id, date_trunc('month', session_date)::date
WITH DATA;
CREATE UNIQUE INDEX session_fill_by_location_month_key ON session_fill_by_location_month (location_id, month);

-- Certificates by location, course and quarter of issue, split by current status.
CREATE MATERIALIZED VIEW certificate_counts_by_location_quarter AS
SELECT
  location_id,
  course_id,
  date_trunc('quarter', issue_date)::date AS quarter,
  count(*) AS issued,
  count(*) FILTER (WHERE status = 'ACTIVE') AS active,
  count(*) FILTER (WHERE status = 'EXPIRED') AS expired,
  count(*) FILTER (WHERE status = 'REVOKED') AS revoked
FROM certificates
GROUP BY location_id, course_id, date_trunc('quarter', issue_date)::date
WITH DATA;
CREATE UNIQUE INDEX certificate_counts_by_location_quarter_key
  ON certificate_counts_by_location_quarter (location_id, course_id, quarter);
