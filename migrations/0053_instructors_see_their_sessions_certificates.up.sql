-- Instructors (IC, IP) see the certificates of the sessions they teach and of the rosters they instruct
-- (or whose session they teach), not only those they issued themselves (issue 13, item 7: staff see
-- those of their sessions and rosters). Changing them stays with the issuer, the location's AP and
-- administrators.
CREATE POLICY certificates_select_taught ON certificates FOR SELECT TO unitrain_app
  USING (app_role() IN ('IC', 'IP')
         AND (session_id = ANY ((SELECT app_taught_session_ids())::uuid[])
              OR roster_id = ANY ((SELECT app_instructed_roster_ids())::uuid[])));
