-- Retention (decision 0019): change_log rows and succeeded jobs are pruned on a schedule.

-- How far change_log has been pruned: every row at or before this (txid, seq) in delivery order is
-- gone, so a stream that resumes from before it must be told to reset. Kept like the relay position
-- (migration 0020): one jobs row of the 'system' queue, never claimed (SUCCEEDED), listed or pruned,
-- so the schema needs no table of its own. The payload stays empty until the first prune.
INSERT INTO jobs (queue, handler, status, payload, idempotency_key, finished_at)
VALUES ('system', 'change_log.pruned_through', 'SUCCEEDED', '{}', 'change_log.pruned_through', now());

-- Delivery order: the change feed reads WHERE (txid, seq) > (...) ORDER BY txid, seq, and the prune
-- deletes the prefix up to its horizon in the same order.
CREATE INDEX change_log_txid_seq_idx ON change_log (txid, seq);

-- The job prune's scan: succeeded jobs by age, without reading the waiting and dead ones.
CREATE INDEX jobs_succeeded_finished_at_idx ON jobs (finished_at) WHERE status = 'SUCCEEDED';
