-- Jobs: where the relay stands in the event log, and one notification per event and person.

-- The relay turns domain_events into jobs in (txid, seq) order and takes only transactions older than
-- its snapshot's xmin, a set that can no longer grow (decision 0015). Its position (the last event
-- taken) is kept in one jobs row that is never claimed (status SUCCEEDED), so that relays of several
-- processes serialise on it with FOR UPDATE and the schema needs no table of its own.
INSERT INTO jobs (queue, handler, status, payload, idempotency_key, finished_at)
VALUES ('system', 'relay.position', 'SUCCEEDED', '{"txid": "0", "seq": 0}', 'relay.position', now());

-- The relay's scan: events after its position, in transaction order.
CREATE INDEX domain_events_txid_seq_idx ON domain_events (txid, seq);

-- A notification made by a job carries the event's seq in data; a retried job then finds it made.
CREATE UNIQUE INDEX notifications_event_user_key ON notifications (((data ->> 'event_seq')::bigint), user_id);
