-- Jobs run in the order they were queued. The claim ordered by (run_after, id), and id is a random uuid:
-- jobs queued within the same clock tick (a millisecond on the embedded engine) ran in random order.
-- A sequence number taken at insert breaks those ties, and the claim returns its batch in that order.
ALTER TABLE jobs ADD COLUMN queued_seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX jobs_waiting_run_after_idx;
CREATE INDEX jobs_waiting_run_after_idx ON jobs (run_after, queued_seq) WHERE status IN ('PENDING', 'FAILED');
