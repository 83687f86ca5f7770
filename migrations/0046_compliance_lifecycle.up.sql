-- 0046: compliance over time (issue 16, item 5; decision 0045). Requirements say when renewal opens
-- (a window of N days before expiry), how long a lapse is forgiven (a grace period, then OVERDUE), when
-- to remind (days before expiry) and whether a lapse proposes a lower tier. A waiver carries its reason
-- and may expire. Reminders sent are kept under a unique key so each goes out once; proposed tier
-- changes wait for an administrator.

ALTER TABLE compliance_requirements
  ADD COLUMN renewal_window_days   integer NOT NULL DEFAULT 90,
  ADD COLUMN grace_days            integer NOT NULL DEFAULT 0,
  ADD COLUMN reminder_offsets_days integer[] NOT NULL DEFAULT '{90,60,30,7}',
  -- An IC who lets this lapse past its grace period is proposed for IP (an administrator confirms).
  ADD COLUMN demotes_on_lapse      boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT compliance_requirements_window_check CHECK (renewal_window_days BETWEEN 0 AND 3660),
  ADD CONSTRAINT compliance_requirements_grace_check CHECK (grace_days BETWEEN 0 AND 3660),
  -- array_position finds a null; 1..3660 days, at most twelve of them.
  ADD CONSTRAINT compliance_requirements_reminder_offsets_check
    CHECK (array_position(reminder_offsets_days, NULL) IS NULL AND 0 < ALL (reminder_offsets_days)
           AND 3660 >= ALL (reminder_offsets_days) AND cardinality(reminder_offsets_days) <= 12);

ALTER TABLE compliance_records ADD COLUMN waiver_reason text;

-- Where one record stands at `as_of`: PENDING (nothing held), MET or WAIVED (held, renewal not open
-- yet), EXPIRING (held, inside the renewal window), GRACE (expired, inside the grace period: still
-- counted as held), OVERDUE (expired past grace, or stored EXPIRED). One definition for the score, the
-- matrix, the records API, the reminders and the tier proposals.
CREATE FUNCTION compliance_record_state(status text, expires_at timestamptz, window_days integer, grace_days integer, as_of timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
  SELECT CASE
    WHEN status IS NULL OR status = 'PENDING' THEN 'PENDING'
    WHEN status = 'EXPIRED' THEN 'OVERDUE'
    WHEN expires_at IS NULL THEN status
    WHEN as_of >= expires_at + make_interval(days => grace_days) THEN 'OVERDUE'
    WHEN as_of >= expires_at THEN 'GRACE'
    WHEN as_of >= expires_at - make_interval(days => window_days) THEN 'EXPIRING'
    ELSE status END
$$;

-- Decision 0021's rule with the record states above: held = MET, WAIVED, EXPIRING or GRACE; lapsed =
-- OVERDUE. With no grace and no waiver expiry this is the rule of migration 0024 unchanged; a waiver
-- that has run out (and its grace) now lapses like a fulfilment.
CREATE OR REPLACE FUNCTION compliance_standings(people uuid[], as_of timestamptz)
RETURNS TABLE (user_id uuid, score numeric(5, 2), status text)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT t.user_id, s.score,
         CASE WHEN t.owed IS NULL OR t.held = t.owed THEN 'COMPLIANT'
              WHEN t.held = 0 THEN CASE WHEN t.lapsed THEN 'NON_COMPLIANT' ELSE 'PENDING' END
              WHEN t.lapsed OR s.score < 50 THEN 'NON_COMPLIANT'
              ELSE 'AT_RISK' END
    FROM (SELECT p.user_id,
                 sum(r.weight) AS owed,
                 coalesce(sum(r.weight) FILTER (WHERE x.state IN ('MET', 'WAIVED', 'EXPIRING', 'GRACE')), 0) AS held,
                 coalesce(bool_or(x.state = 'OVERDUE'), false) AS lapsed
            FROM profiles p
            LEFT JOIN compliance_requirements r
                   ON r.status = 'ACTIVE' AND p.role = ANY (r.applies_to_roles)
                  AND (r.tier = 'basic' OR p.compliance_tier = 'robust')
            LEFT JOIN compliance_records c ON c.user_id = p.user_id AND c.requirement_id = r.id
            LEFT JOIN LATERAL (SELECT compliance_record_state(c.status, c.expires_at, r.renewal_window_days, r.grace_days, as_of) AS state) x ON true
           WHERE p.user_id = ANY (people)
           GROUP BY p.user_id) t
   CROSS JOIN LATERAL (SELECT CASE WHEN t.owed IS NULL THEN 100.00 ELSE round(100 * t.held / t.owed, 2) END::numeric(5, 2) AS score) s
$$;

-- The recompute as of a given time (the nightly job passes its clock, so tests can move it); the
-- one-argument form of 0024 stays for the completion handler and means as of now().
CREATE FUNCTION recompute_compliance_scores(people uuid[], as_of timestamptz) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
  changed integer;
BEGIN
  -- Locked first, in one order: see migration 0024.
  PERFORM 1 FROM profiles WHERE profiles.user_id = ANY (people) ORDER BY profiles.user_id FOR UPDATE;
  UPDATE profiles p
     SET compliance_score = s.score, compliance_status = s.status
    FROM compliance_standings(people, as_of) s
   WHERE p.user_id = s.user_id
     AND (p.compliance_score, p.compliance_status) IS DISTINCT FROM (s.score, s.status);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END;
$$;
CREATE OR REPLACE FUNCTION recompute_compliance_scores(people uuid[]) RETURNS integer
LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
  SELECT recompute_compliance_scores(people, now())
$$;
REVOKE EXECUTE ON FUNCTION compliance_record_state(text, timestamptz, integer, integer, timestamptz),
  recompute_compliance_scores(uuid[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION compliance_record_state(text, timestamptz, integer, integer, timestamptz) TO unitrain_app;

-- The administrators' path to the recompute (decision 0021 left it to "a guarded SECURITY DEFINER
-- wrapper"): an SA or AD who changed records or requirements recomputes the people concerned in the
-- same transaction; anyone else is refused. The profiles are written as the owner, so row-level
-- security does not silently skip any; the audit trail still names the administrator.
CREATE FUNCTION app_recompute_compliance_scores(people uuid[], as_of timestamptz) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT app_is_admin() THEN
    RAISE EXCEPTION 'only SA and AD recompute compliance scores' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN recompute_compliance_scores(people, as_of);
END;
$$;
REVOKE EXECUTE ON FUNCTION app_recompute_compliance_scores(uuid[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_recompute_compliance_scores(uuid[], timestamptz) TO unitrain_app;

-- One row per reminder sent: the key (record, the expiry it was about, days before) makes a second
-- worker's insert, a retried job or a late run after downtime a no-op, so each goes out once. A renewed
-- record has a new expiry and so a fresh set of reminders. The owner's alone (the reminder job), like
-- job_schedules; people read the reminders in their notifications (data.reminder_id names the row).
CREATE TABLE compliance_reminders (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  record_id       uuid NOT NULL REFERENCES compliance_records (id) ON DELETE CASCADE,
  expires_at      timestamptz NOT NULL,
  offset_days     integer NOT NULL,
  sent_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT compliance_reminders_record_expiry_offset_key UNIQUE (record_id, expires_at, offset_days),
  CONSTRAINT compliance_reminders_offset_check CHECK (offset_days > 0)
);
ALTER TABLE compliance_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY compliance_reminders_owner_all ON compliance_reminders TO CURRENT_USER USING (true) WITH CHECK (true);

-- A tier change a lapse proposed (IC → IP), waiting for an SA or AD to confirm or dismiss it. At most
-- one open proposal per person; confirming changes users.role in the same transaction.
CREATE TABLE compliance_tier_changes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  from_role       text NOT NULL,
  to_role         text NOT NULL,
  -- The owed requirements whose lapse proposed it.
  requirement_ids uuid[] NOT NULL,
  status          text NOT NULL DEFAULT 'PROPOSED',
  decided_at      timestamptz,
  decision_note   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 1,
  CONSTRAINT compliance_tier_changes_roles_check CHECK (from_role IN ('IC', 'IP') AND to_role IN ('IC', 'IP') AND from_role <> to_role),
  CONSTRAINT compliance_tier_changes_requirements_check CHECK (cardinality(requirement_ids) > 0),
  CONSTRAINT compliance_tier_changes_status_check CHECK (status IN ('PROPOSED', 'CONFIRMED', 'DISMISSED')),
  CONSTRAINT compliance_tier_changes_decision_check CHECK ((status = 'PROPOSED') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX compliance_tier_changes_open_key ON compliance_tier_changes (user_id) WHERE status = 'PROPOSED';
CREATE INDEX compliance_tier_changes_user_id_idx ON compliance_tier_changes (user_id);
CREATE TRIGGER compliance_tier_changes_set_row_version BEFORE UPDATE ON compliance_tier_changes
  FOR EACH ROW EXECUTE FUNCTION set_row_version();
CREATE TRIGGER compliance_tier_changes_audit AFTER INSERT OR UPDATE OR DELETE ON compliance_tier_changes FOR EACH ROW
  WHEN (current_setting('unitrain.audit', true) IS DISTINCT FROM 'off'
        OR current_setting('role') <> 'none'
        OR (current_setting('is_superuser') <> 'on' AND NOT audit_session_user_is_owner()))
  EXECUTE FUNCTION audit_row_change();
CREATE TRIGGER compliance_tier_changes_guard_sa_reference BEFORE INSERT OR UPDATE ON compliance_tier_changes FOR EACH ROW
  WHEN (app_role() IN ('AD', 'AP', 'IC', 'IP', 'IT', 'IN'))
  EXECUTE FUNCTION app_guard_sa_reference('user_id');

-- Like compliance_records: SA and AD all; an AP those of people affiliated with its providers; everyone
-- their own. Proposals are made by the nightly job (the owner); only SA and AD decide them.
ALTER TABLE compliance_tier_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_tier_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY compliance_tier_changes_owner_all ON compliance_tier_changes TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON compliance_tier_changes TO unitrain_app;
CREATE POLICY compliance_tier_changes_select_admin ON compliance_tier_changes FOR SELECT TO unitrain_app USING (app_is_admin());
CREATE POLICY compliance_tier_changes_select_affiliated_users ON compliance_tier_changes FOR SELECT TO unitrain_app
  USING (app_role() = 'AP' AND app_provider_affiliates_user(user_id, (SELECT app_provider_ids())));
CREATE POLICY compliance_tier_changes_select_self ON compliance_tier_changes FOR SELECT TO unitrain_app USING (user_id = app_user_id());
CREATE POLICY compliance_tier_changes_update_admin ON compliance_tier_changes FOR UPDATE TO unitrain_app USING (app_is_admin());
