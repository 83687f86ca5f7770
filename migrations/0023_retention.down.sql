DROP INDEX jobs_succeeded_finished_at_idx;
DROP INDEX change_log_txid_seq_idx;
DELETE FROM jobs WHERE idempotency_key = 'change_log.pruned_through';
