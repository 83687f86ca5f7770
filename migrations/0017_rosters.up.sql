-- Rosters (issue 4, item 6): rosters made from a session's enrollments, members that always point at a
-- student profile, members read-only while their roster is archived, and a certificate count that is
-- always true. Definitions and reasons: docs/decisions/0012-rosters.md.
--
-- rosters.certificate_count = the number of certificates with roster_id = that roster and
-- status <> 'REVOKED'. Statement triggers on certificates keep it; nobody else may write it.

-- ---------------------------------------------------------------------------------------------------
-- Lists: the sort keys of GET /v1/rosters, and the members of one roster in order.
-- ---------------------------------------------------------------------------------------------------
CREATE INDEX rosters_created_at_idx ON rosters (created_at, id);
CREATE INDEX rosters_name_idx ON rosters (name, id);
-- A roster without an issue date sorts after every dated one (keyset paging needs a value that is never null).
CREATE INDEX rosters_issue_date_key_idx ON rosters ((coalesce(issue_date, 'infinity'::date)), id);
CREATE INDEX student_roster_members_roster_created_at_idx ON student_roster_members (roster_id, created_at, id);

-- What the API shows of a roster: the row, how many members it has, and its issue-date sort key.
-- security_invoker: the caller's policies decide the rosters and the members counted.
CREATE VIEW roster_summaries WITH (security_invoker = true) AS
SELECT r.id, r.name, r.session_id, r.course_id, r.location_id, r.provider_id, r.instructor_id, r.instructor_name,
       r.status, r.roster_type, r.certificate_count,
       (SELECT count(*)::integer FROM student_roster_members m WHERE m.roster_id = r.id) AS member_count,
       r.issue_date, coalesce(r.issue_date, 'infinity'::date) AS issue_date_key,
       r.created_by, r.created_at, r.updated_at, r.version
  FROM rosters r;

-- A roster line with the person it names. The profile comes through its _visible view, so its e-mail
-- shows only to those the matrix lets see it, and the names only to those who may see the profile.
CREATE VIEW roster_member_details WITH (security_invoker = true) AS
SELECT m.id, m.roster_id, m.student_profile_id, m.student_id, p.first_name, p.last_name, p.email_ciphertext, p.company,
       m.enrollment_status, m.attendance_status, m.practical_score, m.written_score, m.completion_status,
       m.created_at, m.updated_at, m.version
  FROM student_roster_members m
  LEFT JOIN student_enrollment_profiles_visible p ON p.id = m.student_profile_id;

GRANT SELECT ON roster_summaries, roster_member_details TO unitrain_app;

-- ---------------------------------------------------------------------------------------------------
-- The certificate count. Statement triggers with transition tables: a batch issue of a thousand
-- certificates recounts its roster once, not a thousand times.
-- Lock first, count after: the count is a new statement, so under READ COMMITTED it sees every
-- certificate of a transaction that held the roster lock before us; a transaction still to come
-- takes the lock after us and recounts. Recounting (rather than adding deltas) also leaves a count
-- that is already right untouched, so a bulk load that writes true counts changes no roster.
-- NO KEY UPDATE, not UPDATE: inserting a certificate takes KEY SHARE on its roster (the foreign key),
-- which UPDATE would conflict with, deadlocking two issuers of one roster.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app_recount_roster_certificates() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  touched uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.roster_id ORDER BY n.roster_id) INTO touched
      FROM new_certificates n WHERE n.roster_id IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT o.roster_id ORDER BY o.roster_id) INTO touched
      FROM old_certificates o WHERE o.roster_id IS NOT NULL;
  ELSE
    -- Only certificates that moved between rosters or between counted and revoked.
    SELECT array_agg(DISTINCT t.roster_id ORDER BY t.roster_id) INTO touched
      FROM old_certificates o
      JOIN new_certificates n ON n.id = o.id
     CROSS JOIN LATERAL (VALUES (o.roster_id), (n.roster_id)) AS t (roster_id)
     WHERE t.roster_id IS NOT NULL
       AND (o.roster_id IS DISTINCT FROM n.roster_id OR (o.status = 'REVOKED') <> (n.status = 'REVOKED'));
  END IF;
  IF touched IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM rosters r WHERE r.id = ANY (touched) ORDER BY r.id FOR NO KEY UPDATE;
  UPDATE rosters r SET certificate_count = live.counted
    FROM (SELECT t.id,
                 (SELECT count(*)::integer FROM certificates c WHERE c.roster_id = t.id AND c.status <> 'REVOKED') AS counted
            FROM unnest(touched) AS t (id)) AS live
   WHERE r.id = live.id AND r.certificate_count <> live.counted;
  RETURN NULL;
END;
$$;

CREATE TRIGGER certificates_recount_rosters_on_insert AFTER INSERT ON certificates
  REFERENCING NEW TABLE AS new_certificates
  FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();
-- Every UPDATE, not UPDATE OF roster_id, status: a trigger with a column list cannot have transition
-- tables. The function picks out the rows whose roster or revocation changed.
CREATE TRIGGER certificates_recount_rosters_on_update AFTER UPDATE ON certificates
  REFERENCING OLD TABLE AS old_certificates NEW TABLE AS new_certificates
  FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();
CREATE TRIGGER certificates_recount_rosters_on_delete AFTER DELETE ON certificates
  REFERENCING OLD TABLE AS old_certificates
  FOR EACH STATEMENT EXECUTE FUNCTION app_recount_roster_certificates();

-- ---------------------------------------------------------------------------------------------------
-- Guards for the application role (the owner, and the SECURITY DEFINER functions below, are the system).
-- UTTRN: the row's state does not allow the change (mapped to 409 INVALID_TRANSITION).
-- ---------------------------------------------------------------------------------------------------

-- What the application may not do to a roster, and the consistency `unitrain doctor` checks, refused
-- as the write happens: the count belongs to the triggers above; an archived roster changes only by
-- being unarchived; its instructor teaches (IC, IP) or administers (SA, AD); its provider serves its
-- location; a roster of a session has the session's course and location. SECURITY DEFINER: the
-- checks read accounts and sessions the caller may not see.
CREATE FUNCTION app_guard_roster_write() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  changed text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT array_agg(n.key ORDER BY n.key) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
     WHERE n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key) AND n.key <> ALL (ARRAY['version', 'updated_at']);
  END IF;
  IF (TG_OP = 'INSERT' AND NEW.certificate_count <> 0) OR 'certificate_count' = ANY (changed) THEN
    RAISE EXCEPTION 'certificate_count counts the roster''s certificates and cannot be set'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'ARCHIVED' AND NEW.status = 'ARCHIVED' AND changed IS NOT NULL THEN
    RAISE EXCEPTION 'the roster is archived: unarchive it before changing %', array_to_string(changed, ', ')
      USING ERRCODE = 'UTTRN', TABLE = TG_TABLE_NAME;
  END IF;
  -- An unknown account passes here and fails its foreign key instead.
  IF NEW.instructor_id IS NOT NULL AND (TG_OP = 'INSERT' OR 'instructor_id' = ANY (changed))
     AND app_user_role(NEW.instructor_id) NOT IN ('IC', 'IP', 'SA', 'AD') THEN
    RAISE EXCEPTION 'the instructor of a roster must hold the role IC or IP (or SA or AD)'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_instructor_role_check';
  END IF;
  IF NEW.provider_id IS NOT NULL AND (TG_OP = 'INSERT' OR changed && ARRAY['provider_id', 'location_id'])
     AND EXISTS (SELECT 1 FROM authorized_providers p WHERE p.id = NEW.provider_id)
     AND NOT EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.provider_id = NEW.provider_id AND pl.location_id = NEW.location_id) THEN
    RAISE EXCEPTION 'the provider of a roster must serve its location'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_provider_location_check';
  END IF;
  IF NEW.session_id IS NOT NULL AND (TG_OP = 'INSERT' OR changed && ARRAY['session_id', 'course_id', 'location_id'])
     AND EXISTS (SELECT 1 FROM training_sessions s WHERE s.id = NEW.session_id
                    AND (s.course_id <> NEW.course_id OR s.location_id <> NEW.location_id)) THEN
    RAISE EXCEPTION 'a roster of a session has the session''s course and location'
      USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'rosters_session_check';
  END IF;
  RETURN NEW;
END;
$$;

-- WHEN sees the caller as current_user (inside the function it is the owner).
CREATE TRIGGER rosters_guard_write BEFORE INSERT OR UPDATE ON rosters
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_roster_write();

-- The members of an archived roster are read-only. The roster is read FOR SHARE, which archiving (an
-- UPDATE) waits for and which waits for archiving: no member change commits after an archive it missed.
-- SECURITY DEFINER so the lock does not depend on the caller's policies.
CREATE FUNCTION app_guard_archived_roster_members() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rosters_touched uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    rosters_touched := ARRAY[NEW.roster_id];
  ELSIF TG_OP = 'DELETE' THEN
    rosters_touched := ARRAY[OLD.roster_id];
  ELSE
    rosters_touched := ARRAY[OLD.roster_id, NEW.roster_id];
  END IF;
  PERFORM 1 FROM rosters r WHERE r.id = ANY (rosters_touched) ORDER BY r.id FOR SHARE;
  IF EXISTS (SELECT 1 FROM rosters r WHERE r.id = ANY (rosters_touched) AND r.status = 'ARCHIVED') THEN
    RAISE EXCEPTION 'the roster is archived: its members are read-only' USING ERRCODE = 'UTTRN', TABLE = TG_TABLE_NAME;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER student_roster_members_guard_archived BEFORE INSERT OR UPDATE OR DELETE ON student_roster_members
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_archived_roster_members();

-- ---------------------------------------------------------------------------------------------------
-- Member workflows. An IC or IP may put students on their own roster, but may not create student
-- profiles (matrix: admins and the AP of the profile's provider); every roster line needs one. These
-- functions check the caller against the roster's rules first, then act as the owner.
-- ---------------------------------------------------------------------------------------------------

-- Whether the roster exists and the caller may see it (rosters select rules): 404 otherwise.
CREATE FUNCTION app_sees_roster(roster uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM rosters WHERE id = roster) AND (
    app_is_admin()
    OR (app_role() = 'AP' AND app_roster_in_locations(roster, app_provider_location_ids()))
    OR (app_role() IN ('IC', 'IP') AND roster = ANY (app_instructed_roster_ids())))
$$;

-- Whether the caller may add, change and remove the roster's members (student_roster_members write rules).
CREATE FUNCTION app_may_change_roster_members(roster uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_roster_in_locations(roster, app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND roster = ANY (app_own_roster_ids()))
$$;

-- The profile of a person at a provider, made if missing. With an e-mail, (provider, e-mail) names one
-- profile: the unique key guards a provider, the lock of app_lock_student_email (0016, also taken by
-- enroll_students) also guards "no provider" (where the key's nulls are distinct). Without an e-mail
-- nothing identifies the person: a new profile. A profile the caller may not see reads as unknown
-- (decision 0011, "E-mail lookups"): the key leaves it the e-mail, so the person gets a new profile
-- without one, with the names given, and the caller learns nothing of the other.
CREATE FUNCTION app_student_profile_for(
  provider uuid, person_first_name text, person_last_name text, person_email_ciphertext text, person_email_hmac text,
  person_company text
) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  profile uuid;
  email_ciphertext_kept text := person_email_ciphertext;
  email_hmac_kept text := person_email_hmac;
BEGIN
  IF person_email_hmac IS NOT NULL THEN
    PERFORM app_lock_student_email(provider, person_email_hmac);
    SELECT p.id INTO profile FROM student_enrollment_profiles p
     WHERE p.provider_id IS NOT DISTINCT FROM provider AND p.email_hmac = person_email_hmac;
    IF FOUND AND app_sees_student_profile(profile) THEN
      RETURN profile;
    ELSIF FOUND THEN
      email_ciphertext_kept := NULL;
      email_hmac_kept := NULL;
    END IF;
  END IF;
  INSERT INTO student_enrollment_profiles (first_name, last_name, email_ciphertext, email_hmac, company, provider_id, created_by)
  VALUES (person_first_name, person_last_name, email_ciphertext_kept, email_hmac_kept, person_company, provider, app_user_id())
  ON CONFLICT (provider_id, email_hmac) DO NOTHING
  RETURNING id INTO profile;
  IF profile IS NULL THEN
    -- Made meanwhile by a writer that does not take the lock (a plain insert of the profile's resource).
    SELECT p.id INTO profile FROM student_enrollment_profiles p
     WHERE p.provider_id = provider AND p.email_hmac = person_email_hmac;
  END IF;
  RETURN profile;
END;
$$;

-- Opens a change of a roster's members: 404 if the caller does not see the roster, 403 if they may not
-- change its members, 409 if it is archived. Holds the roster FOR SHARE to the end of the transaction
-- (as the member guard does). Returns the roster's provider, the provider of profiles made for it.
CREATE FUNCTION lock_roster_for_member_changes(roster uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  target rosters;
BEGIN
  IF NOT app_sees_roster(roster) THEN
    RAISE EXCEPTION 'no such roster' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_may_change_roster_members(roster) THEN
    RAISE EXCEPTION 'you may not change the members of this roster' USING ERRCODE = '42501';
  END IF;
  SELECT r.* INTO target FROM rosters r WHERE r.id = roster FOR SHARE;
  IF target.status = 'ARCHIVED' THEN
    RAISE EXCEPTION 'the roster is archived: its members are read-only' USING ERRCODE = 'UTTRN';
  END IF;
  RETURN target.provider_id;
END;
$$;

-- The profiles of people to be put on a roster, found or made, in the order given. people: a JSON array
-- of {first_name, last_name, email_ciphertext, email_hmac, company}, the e-mail sealed by the caller.
CREATE FUNCTION roster_student_profiles(roster uuid, people jsonb)
RETURNS TABLE (ordinal integer, profile_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  provider uuid;
BEGIN
  provider := lock_roster_for_member_changes(roster);
  RETURN QUERY
    SELECT person.place::integer,
           app_student_profile_for(provider, person.value ->> 'first_name', person.value ->> 'last_name',
                                   person.value ->> 'email_ciphertext', person.value ->> 'email_hmac', person.value ->> 'company')
      FROM jsonb_array_elements(people) WITH ORDINALITY AS person (value, place)
     ORDER BY person.place;
END;
$$;

-- A roster of a session (its staff only): the session's course, location, provider and instructor, and
-- one member per ENROLLED enrollment, with the enrollment's attendance, scores and completion in the
-- roster's vocabulary. A student with an account gets (or keeps) a profile at the session's provider,
-- made from their account's profile and e-mail. Returns the new roster's id.
CREATE FUNCTION create_roster_from_session(session uuid, roster_name text, kind text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  source record;
  created rosters;
  student record;
  profile uuid;
  member_count integer := 0;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may make its roster' USING ERRCODE = '42501';
  END IF;
  SELECT s.title, s.session_date, s.status, s.course_id, s.location_id, s.provider_id, s.instructor_id, c.certifies,
         nullif(trim(coalesce(p.display_name, p.first_name || ' ' || p.last_name)), '') AS instructor_name
    INTO source
    FROM training_sessions s
    JOIN courses c ON c.id = s.course_id
    LEFT JOIN profiles p ON p.user_id = s.instructor_id
   WHERE s.id = session;
  IF source.status = 'CANCELLED' THEN
    RAISE EXCEPTION 'the session is cancelled and has no students to list' USING ERRCODE = 'UTTRN';
  END IF;

  INSERT INTO rosters (name, session_id, course_id, location_id, provider_id, instructor_id, instructor_name, roster_type, created_by)
  VALUES (coalesce(roster_name, source.title || ', ' || to_char(source.session_date, 'YYYY-MM-DD')), session,
          source.course_id, source.location_id, source.provider_id, source.instructor_id, source.instructor_name,
          coalesce(kind, CASE WHEN source.certifies THEN 'CERTIFICATE' ELSE 'TRAINING' END), app_user_id())
  RETURNING * INTO created;

  FOR student IN
    SELECT e.student_id, e.student_profile_id, e.attendance_status, e.completion_status, e.practical_score, e.written_score,
           u.email_ciphertext, u.email_hmac, a.first_name, a.last_name, a.organization
      FROM session_enrollments e
      LEFT JOIN users u ON u.id = e.student_id
      LEFT JOIN profiles a ON a.user_id = e.student_id
     WHERE e.session_id = session AND e.status = 'ENROLLED'
     ORDER BY e.enrollment_date, e.id
  LOOP
    IF student.student_profile_id IS NOT NULL THEN
      profile := student.student_profile_id;
    ELSE
      profile := app_student_profile_for(source.provider_id, coalesce(student.first_name, ''), coalesce(student.last_name, ''),
                                         student.email_ciphertext, student.email_hmac, student.organization);
    END IF;
    -- The same mapping as the seed's: PARTIAL attendance counts as attended, and the roster has no
    -- "failed", so a FAILED enrollment is in progress (its scores say why).
    INSERT INTO student_roster_members (roster_id, student_profile_id, student_id, enrollment_status, attendance_status,
                                        practical_score, written_score, completion_status)
    VALUES (created.id, profile, student.student_id,
            CASE WHEN student.completion_status = 'COMPLETED' THEN 'completed' ELSE 'enrolled' END,
            CASE student.attendance_status WHEN 'REGISTERED' THEN 'pending' WHEN 'ABSENT' THEN 'absent' ELSE 'attended' END,
            student.practical_score, student.written_score,
            CASE student.completion_status WHEN 'COMPLETED' THEN 'completed' WHEN 'NOT_STARTED' THEN 'not_started'
                                           ELSE 'in_progress' END)
    -- An account's profile may already be on the roster through an enrollment of that very profile.
    ON CONFLICT (roster_id, student_profile_id) DO NOTHING;
    IF FOUND THEN
      member_count := member_count + 1;
    END IF;
  END LOOP;

  PERFORM append_domain_event('roster', created.id, created.version, 'roster.created',
    jsonb_build_object('source', 'session', 'session_id', session, 'course_id', created.course_id,
                       'location_id', created.location_id, 'roster_type', created.roster_type, 'member_count', member_count));
  RETURN created.id;
END;
$$;

-- Functions are executable by PUBLIC by default; the helpers act as the owner without checks.
REVOKE EXECUTE ON FUNCTION
  app_recount_roster_certificates(), app_guard_roster_write(), app_guard_archived_roster_members(),
  app_sees_roster(uuid), app_may_change_roster_members(uuid),
  app_student_profile_for(uuid, text, text, text, text, text),
  lock_roster_for_member_changes(uuid), roster_student_profiles(uuid, jsonb), create_roster_from_session(uuid, text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  lock_roster_for_member_changes(uuid), roster_student_profiles(uuid, jsonb), create_roster_from_session(uuid, text, text)
TO unitrain_app;
