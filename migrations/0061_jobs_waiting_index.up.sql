-- Decision 0058: the claim reads the waiting jobs that are due in queue order (run_after, id) and stops at
-- its batch, instead of reading and sorting every waiting job each time.
CREATE INDEX jobs_waiting_run_after_idx ON jobs (run_after, id) WHERE status IN ('PENDING', 'FAILED');
