-- Platform: audit trail, event outbox, realtime change feed, job queue, notifications, activity feed.
-- The three logs (audit_log, domain_events, change_log) are append-only and numbered by a sequence.
-- Their actor and scope columns carry no foreign keys on purpose: a log row is never rewritten
-- (no SET NULL) and never stands in the way of deleting what it describes (no RESTRICT).

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor_id    uuid,
  -- Null for system work (jobs, migrations) that acts without a signed-in user.
  actor_role  text,
  table_name  text NOT NULL,
  operation   text NOT NULL,
  row_id      uuid NOT NULL,
  old_values  jsonb,
  new_values  jsonb,
  request_id  text,
  ip          inet,
  user_agent  text,
  CONSTRAINT audit_log_actor_role_check CHECK (actor_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN')),
  CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL)
  )
);
CREATE INDEX audit_log_table_row_idx ON audit_log (table_name, row_id);
CREATE INDEX audit_log_actor_occurred_idx ON audit_log (actor_id, occurred_at);

-- The outbox and event store: appended in the writing transaction, relayed to jobs after commit.
CREATE TABLE domain_events (
  seq               bigserial PRIMARY KEY,
  -- Sequence order is not commit order: a relay tailing by seq must only take rows whose
  -- transaction is older than its snapshot's xmin, or it can skip a late committer.
  txid              xid8 NOT NULL DEFAULT pg_current_xact_id(),
  aggregate_type    text NOT NULL,
  aggregate_id      uuid NOT NULL,
  aggregate_version integer,
  event_type        text NOT NULL,
  payload           jsonb NOT NULL DEFAULT '{}',
  actor_id          uuid,
  request_id        text,
  occurred_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT domain_events_payload_check CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX domain_events_aggregate_idx ON domain_events (aggregate_type, aggregate_id, seq);
CREATE INDEX domain_events_event_type_idx ON domain_events (event_type, seq);

-- The realtime feed: one row per changed row, written by triggers, tailed by each node's dispatcher.
-- The scope keys are copied from the row so a change can be authorised without reading it again.
CREATE TABLE change_log (
  seq           bigserial PRIMARY KEY,
  -- See domain_events.txid: delivery waits until every earlier transaction has finished.
  txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  table_name    text NOT NULL,
  operation     text NOT NULL,
  row_id        uuid NOT NULL,
  location_id   uuid,
  provider_id   uuid,
  instructor_id uuid,
  user_id       uuid,
  changed_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT change_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE'))
);
-- Resuming a stream (Last-Event-ID) and pruning old rows go by time.
CREATE INDEX change_log_changed_at_idx ON change_log (changed_at);

CREATE TABLE jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  queue           text NOT NULL DEFAULT 'default',
  handler         text NOT NULL,
  -- The domain event this job reacts to, if any.
  event_seq       bigint REFERENCES domain_events (seq) ON DELETE SET NULL,
  payload         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'PENDING',
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 5,
  run_after       timestamptz NOT NULL DEFAULT now(),
  -- A lease, not a lock held by a connection: a crashed worker's job is taken again after locked_until.
  locked_by       text,
  locked_until    timestamptz,
  last_error      text,
  -- Handlers run at least once; the key (e.g. handler + event seq) keeps a relay retry from queueing twice.
  idempotency_key text,
  finished_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 1,
  CONSTRAINT jobs_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT jobs_status_check CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD')),
  CONSTRAINT jobs_max_attempts_check CHECK (max_attempts >= 1),
  CONSTRAINT jobs_attempts_check CHECK (attempts BETWEEN 0 AND max_attempts),
  CONSTRAINT jobs_lease_check CHECK (status <> 'RUNNING' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);
CREATE INDEX jobs_status_run_after_idx ON jobs (status, run_after);
CREATE INDEX jobs_running_locked_until_idx ON jobs (locked_until) WHERE status = 'RUNNING';
CREATE INDEX jobs_event_seq_idx ON jobs (event_seq);
CREATE TRIGGER jobs_set_row_version BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION set_row_version();

CREATE TABLE notifications (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL,
  title      text NOT NULL,
  body       text,
  data       jsonb NOT NULL DEFAULT '{}',
  read_at    timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Serves a user's unread list: WHERE user_id = $1 AND read_at IS NULL ORDER BY created_at DESC.
CREATE INDEX notifications_user_read_idx ON notifications (user_id, read_at, created_at);

CREATE TABLE user_activities (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  activity_type text NOT NULL,
  entity_type   text NOT NULL,
  entity_id     uuid,
  metadata      jsonb NOT NULL DEFAULT '{}',
  occurred_at   timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_activities_occurred_type_idx ON user_activities (occurred_at DESC, activity_type);
CREATE INDEX user_activities_user_occurred_idx ON user_activities (user_id, occurred_at DESC);
