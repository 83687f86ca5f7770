/**
 * Where the matrix departs from, or adds to, what issue 3 and the design asked for, and why.
 * Rendered into the "Decisions" section of docs/access-matrix.md.
 */
export const accessMatrixDecisions: readonly string[] = [
  'UPDATE and DELETE reach only rows the actor can also select, because PostgreSQL applies the SELECT policies to any UPDATE or DELETE that reads a column (every real one does); the matrix states it once instead of repeating it in every rule.',
  'AP may not update `provider_locations` (the issue listed "AP U own locations" for it too), because link rows are never updated, only added and removed, and an AP rewriting them could attach its provider to any location and so widen its own scope.',
  'Students on rosters count as students: an AP sees accounts and student profiles listed on rosters at its locations, and an IC/IP those on rosters they instruct (or of sessions they teach), besides enrolled ones, because certificates are issued from rosters and the issue gives the IC/IP this scope for student profiles already.',
  'A team lead sees the members of the team they lead, not only teams they belong to, because a lead who is not a member would otherwise see a team without its members.',
  'IC/IP may insert and update certificate batches only for rosters they instruct and with `requested_by` = themselves, because they see only batches they requested; anything else they could create but never see again.',
  'Provider contact fields are hidden from IT and IN as well as IC and IP, because trainees have less access than certified instructors, and a contact address may be a person’s own.',
  'An IC sees the `organization` of their own profile (the rule hides it on other people’s profiles), because they may edit it themselves.',
  'Hidden-field conditions name who sees a field, not who does not: a role added later, or a missing role claim, reads null until a rule says otherwise.',
  'AD may not read audit entries about an SA account: entries on `users` or `profiles` whose values carry role SA (inserts, deletes, role changes), or whose account is an SA now. An update of an SA account that was later deleted carries no role and reads as not about an SA; the entry holds only the changed columns, none of them secret.',
  'A student’s own update of an enrollment may only cancel it (clearing a waitlist position, which the CHECK requires); re-enrolling a cancelled row is refused, because enrolling changes the session’s capacity counter, which the student may not update: enrollment changes that move `current_enrollment` belong in the enrollment service’s SECURITY DEFINER function.',
  '`domain_events` and `change_log` rows are inserted without RETURNING, because the writer (any signed-in role) may not read them back; only SA and AD (and the owner’s relay and dispatcher) read them.',
  'AP edits of an affiliated instructor’s profile are limited to the same columns as the instructor’s own (display name, bio, specialties), because certification and affiliation are for SA and AD only.',
  'The matrix tests delete in one statement per table and actor rather than row by row, because policies filter a DELETE’s rows silently and a missing privilege fails the statement for every row alike; inserts stay row by row, since one failed WITH CHECK fails the whole statement.',
  '`users_visible` has no `password_hash` column at all (the application role has no privilege to read it), rather than a null one.',
  'Workflows that find a person by e-mail as the owner (batch enrollment, roster imports) match, for anyone but SA and AD, only ACTIVE trainee accounts (IT, IN) and student profiles the caller may see; any other address reads as unknown (a new profile where the caller may make one, else an invalid row), because otherwise an IC, IP or AP could probe whether an address has an account, staff included, and then see that person (decision 0011).',
];
