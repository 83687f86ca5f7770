-- Failed sign-ins, counted per account and per client address so that guessing passwords slows
-- down (see src/modules/auth/login-throttle.ts). Both keys are HMAC blind indexes (of the e-mail
-- as typed, of the address), so the table holds no e-mail or address in the clear, and an unknown
-- e-mail is counted exactly like a known one.
-- Only the sign-in code writes it, as the owner, before anyone is known: the application role has
-- no privilege on it, and row-level security leaves it to the owner alone.
-- A counter, not a domain row: no version, no audit.
CREATE TABLE login_failures (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  scope          text NOT NULL,
  key            text NOT NULL,
  failures       integer NOT NULL,
  last_failed_at timestamptz NOT NULL,
  -- No sign-in is accepted for this key before then (null: not locked).
  locked_until   timestamptz,
  -- After this the failures are forgotten: the count starts again, and the row may be pruned.
  forget_after   timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT login_failures_scope_key_key UNIQUE (scope, key),
  CONSTRAINT login_failures_scope_check CHECK (scope IN ('ACCOUNT', 'ADDRESS')),
  CONSTRAINT login_failures_failures_check CHECK (failures >= 1)
);
CREATE INDEX login_failures_forget_after_idx ON login_failures (forget_after);

ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY login_failures_owner_all ON login_failures TO CURRENT_USER USING (true) WITH CHECK (true);
