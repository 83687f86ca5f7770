DROP INDEX jobs_waiting_run_after_idx;
CREATE INDEX jobs_waiting_run_after_idx ON jobs (run_after, id) WHERE status IN ('PENDING', 'FAILED');
ALTER TABLE jobs DROP COLUMN queued_seq;
