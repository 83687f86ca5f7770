DROP INDEX notifications_event_user_key;
DROP INDEX domain_events_txid_seq_idx;
DELETE FROM jobs WHERE idempotency_key = 'relay.position';
