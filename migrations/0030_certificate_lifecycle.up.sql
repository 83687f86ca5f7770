-- Certificates (issue 13): issuing from a completed enrollment or roster line, the frozen snapshot a
-- certificate prints, suspension, revocation with a reason code, reissue, public verification and its
-- counts. Definitions and reasons: docs/decisions/0030-certificates.md.

-- SUSPENDED: withdrawn for now (it may be reinstated); it stays the live certificate of its source,
-- and counts on its roster (certificate_count counts every status but REVOKED).
ALTER TABLE certificates DROP CONSTRAINT certificates_status_check;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check
  CHECK (status IN ('ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'));

ALTER TABLE certificates
  -- What the certificate prints, frozen at issue (names, course, scores, dates, instructor, location,
  -- provider, verification URL, template version): renaming a course or a person changes no certificate.
  -- Null only on rows made before this migration (the seed's), whose printed facts are the columns.
  ADD COLUMN snapshot jsonb,
  -- SHA-256 (lower-case hex) of the PDF rendered from the snapshot: a PDF is the issued one iff it hashes to this.
  ADD COLUMN pdf_sha256 text,
  ADD COLUMN revoked_reason_code text,
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN suspended_reason text,
  -- A reissue names the certificate it replaces (which is REVOKED with reason SUPERSEDED).
  ADD COLUMN replaces_certificate_id uuid REFERENCES certificates (id) ON DELETE RESTRICT,
  ADD CONSTRAINT certificates_snapshot_check CHECK (snapshot IS NULL OR jsonb_typeof(snapshot) = 'object'),
  ADD CONSTRAINT certificates_pdf_sha256_check CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
  -- Rows revoked before this migration have a reason without a code.
  ADD CONSTRAINT certificates_revoked_reason_code_check CHECK (revoked_reason_code IS NULL OR (
    revoked_reason_code IN ('ISSUED_IN_ERROR', 'SUPERSEDED', 'MISCONDUCT', 'FRAUD', 'HOLDER_REQUEST', 'OTHER')
    AND status = 'REVOKED')),
  ADD CONSTRAINT certificates_suspension_check CHECK (
    (status = 'SUSPENDED' AND suspended_at IS NOT NULL AND suspended_reason IS NOT NULL)
    OR (status <> 'SUSPENDED' AND suspended_at IS NULL AND suspended_reason IS NULL)),
  ADD CONSTRAINT certificates_replaces_check CHECK (replaces_certificate_id <> id);
-- One reissue per certificate: a second would leave two certificates replacing one.
CREATE UNIQUE INDEX certificates_replaces_certificate_id_key ON certificates (replaces_certificate_id);
-- Lists sort by issue (created_at, id) and filter by expiry.
CREATE INDEX certificates_created_at_idx ON certificates (created_at, id);
CREATE INDEX certificates_expiry_date_idx ON certificates (expiry_date, id);

-- The view that hides the recipient's e-mail, with the new columns (appended, as CREATE OR REPLACE needs).
CREATE OR REPLACE VIEW certificates_visible WITH (security_invoker = true) AS
SELECT id, user_id, student_profile_id, enrollment_id, roster_member_id, roster_id, session_id, course_id,
       location_id, provider_id, course_name, recipient_name,
       CASE WHEN app_role() IN ('SA', 'AD', 'AP') OR user_id = app_user_id()
            THEN recipient_email_ciphertext END AS recipient_email_ciphertext,
       issued_by, template_id, batch_id, issue_date, expiry_date, status, revoked_at, revoked_reason,
       verification_code, signature, certificate_url, created_at, updated_at, version,
       snapshot, pdf_sha256, revoked_reason_code, suspended_at, suspended_reason, replaces_certificate_id
  FROM certificates;

-- ---------------------------------------------------------------------------------------------------
-- Verification counts. Kept apart from certificates on purpose: a verification is not a change of the
-- certificate (no audit row, no stream event, no version), and public traffic must not contend with
-- the certificate row's writers. Written only by verify_certificate below; read by who sees the certificate.
-- ---------------------------------------------------------------------------------------------------
CREATE TABLE certificate_verifications (
  certificate_id     uuid PRIMARY KEY REFERENCES certificates (id) ON DELETE RESTRICT,
  verification_count integer NOT NULL,
  last_verified_at   timestamptz NOT NULL,
  CONSTRAINT certificate_verifications_count_check CHECK (verification_count > 0)
);
ALTER TABLE certificate_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY certificate_verifications_owner_all ON certificate_verifications TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON certificate_verifications TO unitrain_app;
-- The certificate's own policies decide (the subquery runs as the caller).
CREATE POLICY certificate_verifications_select_visible ON certificate_verifications FOR SELECT TO unitrain_app
  USING (EXISTS (SELECT 1 FROM certificates c WHERE c.id = certificate_id));

-- A certificate's status as of today: an ACTIVE one past its expiry date (the last day it is valid, in
-- UTC) is EXPIRED whether or not the expiry job has come by yet. A suspended one stays SUSPENDED.
CREATE FUNCTION app_certificate_status(status text, expiry_date date) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN status = 'ACTIVE' AND expiry_date < (now() AT TIME ZONE 'UTC')::date THEN 'EXPIRED' ELSE status END
$$;

-- What the API shows of a certificate: the visible row with its status as of today and its verification
-- count. security_invoker: the caller's policies decide.
CREATE VIEW certificate_summaries WITH (security_invoker = true) AS
SELECT c.id, c.user_id, c.student_profile_id, c.enrollment_id, c.roster_member_id, c.roster_id, c.session_id, c.course_id,
       c.location_id, c.provider_id, c.course_name, c.recipient_name, c.issued_by, c.template_id, c.batch_id,
       c.issue_date, c.expiry_date, app_certificate_status(c.status, c.expiry_date) AS status, c.status AS stored_status,
       c.revoked_at, c.revoked_reason_code, c.revoked_reason, c.suspended_at, c.suspended_reason,
       c.replaces_certificate_id, c.verification_code, c.snapshot, c.pdf_sha256,
       coalesce(v.verification_count, 0) AS verification_count, v.last_verified_at,
       c.created_at, c.updated_at, c.version
  FROM certificates_visible c
  LEFT JOIN certificate_verifications v ON v.certificate_id = c.id;
GRANT SELECT ON certificate_summaries TO unitrain_app;

-- ---------------------------------------------------------------------------------------------------
-- Issuing. certificate_source_facts checks the caller against the source (404 when they may not see it,
-- 403 when they are not its staff), and returns the live certificate if there is one, else whether the
-- source is eligible and the facts a certificate of it prints. The application then renders the PDF
-- from those facts and inserts the certificate as the caller (the insert policies apply); the partial
-- unique indexes on the source make a second concurrent insert a no-op.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION certificate_source_facts(source_enrollment uuid, source_roster_member uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  f record;
  g record;
  seen boolean;
  live uuid;
  refusal text;
BEGIN
  IF num_nonnulls(source_enrollment, source_roster_member) <> 1 THEN
    RAISE EXCEPTION 'name one source: an enrollment or a roster line' USING ERRCODE = '22023';
  END IF;
  IF source_enrollment IS NOT NULL THEN
    SELECT e.id AS enrollment_id, NULL::uuid AS roster_member_id, NULL::uuid AS roster_id, s.id AS session_id,
           e.student_id AS user_id, e.student_profile_id,
           e.status = 'ENROLLED' AND e.completion_status = 'COMPLETED' AS completed,
           'the enrollment is ' || e.status || ' and ' || e.completion_status AS state,
           (e.completed_at AT TIME ZONE l.timezone)::date AS completed_on,
           e.practical_score, e.written_score,
           coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), nullif(trim(sp.first_name || ' ' || sp.last_name), '')) AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           nullif(trim(coalesce(ip.display_name, ip.first_name || ' ' || ip.last_name)), '') AS instructor_name,
           s.location_id, s.provider_id, s.course_id,
           app_sees_session(s.id) AS sees, app_is_session_staff(s.id) AS staff
      INTO f
      FROM session_enrollments e
      JOIN training_sessions s ON s.id = e.session_id
      JOIN locations l ON l.id = s.location_id
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = e.student_profile_id
      LEFT JOIN profiles ip ON ip.user_id = s.instructor_id
     WHERE e.id = source_enrollment;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.enrollment_id = source_enrollment AND c.status <> 'REVOKED';
  ELSE
    SELECT NULL::uuid AS enrollment_id, m.id AS roster_member_id, r.id AS roster_id, r.session_id,
           m.student_id AS user_id, m.student_profile_id,
           m.completion_status = 'completed' AS completed,
           'the roster line is ' || m.completion_status AS state,
           coalesce(r.issue_date, (now() AT TIME ZONE l.timezone)::date) AS completed_on,
           m.practical_score, m.written_score,
           nullif(trim(sp.first_name || ' ' || sp.last_name), '') AS recipient_name,
           coalesce(u.email_ciphertext, sp.email_ciphertext) AS recipient_email_ciphertext,
           r.instructor_name, r.location_id, r.provider_id, r.course_id,
           app_sees_roster(r.id) AS sees, app_may_change_roster_members(r.id) AS staff
      INTO f
      FROM student_roster_members m
      JOIN rosters r ON r.id = m.roster_id
      JOIN locations l ON l.id = r.location_id
      LEFT JOIN users u ON u.id = m.student_id
      LEFT JOIN student_enrollment_profiles sp ON sp.id = m.student_profile_id
     WHERE m.id = source_roster_member;
    seen := FOUND AND f.sees;
    SELECT c.id INTO live FROM certificates c WHERE c.roster_member_id = source_roster_member AND c.status <> 'REVOKED';
  END IF;
  IF NOT seen THEN
    RAISE EXCEPTION 'no such %', CASE WHEN source_enrollment IS NULL THEN 'roster line' ELSE 'enrollment' END USING ERRCODE = 'UT404';
  END IF;
  IF NOT f.staff THEN
    RAISE EXCEPTION 'only the staff of its session or roster may issue a certificate' USING ERRCODE = '42501';
  END IF;
  IF live IS NOT NULL THEN
    RETURN jsonb_build_object('live_certificate_id', live);
  END IF;

  SELECT c.code AS course_code, c.title AS course_name, c.certifies, c.certificate_validity_months, c.duration_minutes,
         l.name AS location_name, l.city AS location_city, l.country AS location_country, l.timezone, p.name AS provider_name
    INTO g
    FROM courses c
    JOIN locations l ON l.id = f.location_id
    LEFT JOIN authorized_providers p ON p.id = f.provider_id
   WHERE c.id = f.course_id;
  refusal := CASE
    WHEN NOT f.completed THEN f.state || ', not completed'
    WHEN NOT g.certifies THEN 'the course does not award certificates'
    WHEN f.recipient_name IS NULL THEN 'the student has no name to print'
  END;
  IF refusal IS NOT NULL THEN
    RETURN jsonb_build_object('eligible', false, 'reason', refusal);
  END IF;
  RETURN jsonb_build_object(
    'eligible', true,
    'enrollment_id', f.enrollment_id, 'roster_member_id', f.roster_member_id, 'roster_id', f.roster_id, 'session_id', f.session_id,
    'user_id', f.user_id, 'student_profile_id', f.student_profile_id, 'course_id', f.course_id, 'location_id', f.location_id,
    'provider_id', f.provider_id, 'recipient_email_ciphertext', f.recipient_email_ciphertext,
    'issue_date', (now() AT TIME ZONE g.timezone)::date,
    'expiry_date', ((now() AT TIME ZONE g.timezone)::date + make_interval(months => g.certificate_validity_months))::date,
    'printed', jsonb_build_object(
      'recipient_name', f.recipient_name, 'course_name', g.course_name, 'course_code', g.course_code,
      'hours', round(g.duration_minutes / 60.0, 1), 'completed_on', f.completed_on,
      'practical_score', f.practical_score, 'written_score', f.written_score,
      'instructor_name', f.instructor_name, 'location_name', g.location_name,
      'location_place', nullif(concat_ws(', ', g.location_city, g.location_country), ''),
      'provider_name', g.provider_name));
END;
$$;

-- The live certificate of a source whatever the caller may see: a losing concurrent issuer learns the
-- winner's id (certificate_source_facts already checked the caller against the source).
CREATE FUNCTION live_certificate_of(source_enrollment uuid, source_roster_member uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.id FROM certificates c
   WHERE c.status <> 'REVOKED'
     AND (c.enrollment_id = source_enrollment OR c.roster_member_id = source_roster_member)
$$;

-- ---------------------------------------------------------------------------------------------------
-- Public verification: one certificate by its code, for anyone, counted. Returns what a verifier may
-- learn (the printed facts, status, dates, reason), never the recipient's e-mail or the source rows.
-- EXPIRED is computed here too, so a late expiry job never shows an expired certificate as valid.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION verify_certificate(code text, count_it boolean)
RETURNS TABLE (id uuid, status text, printed jsonb, issue_date date, expiry_date date, revoked_at timestamptz,
               revoked_reason_code text, revoked_reason text, suspended_at timestamptz, suspended_reason text,
               pdf_sha256 text, replaced_by_code text, verification_count integer, last_verified_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  found certificates;
  counted certificate_verifications;
BEGIN
  SELECT c.* INTO found FROM certificates c WHERE c.verification_code = code;
  IF found.id IS NULL THEN
    RETURN;
  END IF;
  IF count_it THEN
    INSERT INTO certificate_verifications AS v (certificate_id, verification_count, last_verified_at)
    VALUES (found.id, 1, now())
    ON CONFLICT (certificate_id) DO UPDATE SET verification_count = v.verification_count + 1, last_verified_at = now()
    RETURNING v.* INTO counted;
  ELSE
    SELECT v.* INTO counted FROM certificate_verifications v WHERE v.certificate_id = found.id;
  END IF;
  RETURN QUERY SELECT found.id,
    app_certificate_status(found.status, found.expiry_date),
    coalesce(found.snapshot -> 'printed', jsonb_build_object('recipient_name', found.recipient_name, 'course_name', found.course_name)),
    found.issue_date, found.expiry_date, found.revoked_at, found.revoked_reason_code, found.revoked_reason,
    found.suspended_at, found.suspended_reason, found.pdf_sha256,
    (SELECT r.verification_code FROM certificates r WHERE r.replaces_certificate_id = found.id),
    coalesce(counted.verification_count, 0), counted.last_verified_at;
END;
$$;

REVOKE EXECUTE ON FUNCTION app_certificate_status(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_certificate_status(text, date) TO unitrain_app;
REVOKE EXECUTE ON FUNCTION certificate_source_facts(uuid, uuid), live_certificate_of(uuid, uuid), verify_certificate(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION certificate_source_facts(uuid, uuid), live_certificate_of(uuid, uuid), verify_certificate(text, boolean) TO unitrain_app;
