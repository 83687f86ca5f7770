import { isIn, roleGroups as roles, type Row, type RuleSpec, type Scope, tableAccess, type TableAccess } from './access-matrix.model.js';

/** Access to certification, compliance and the platform's own tables. */

const admins = (words = 'every row'): RuleSpec => ({ name: 'admin', roles: roles.admins, words });
const signedIn = (words: string): RuleSpec => ({ name: 'signed_in', roles: roles.signedIn, words });
const self = (words: string): RuleSpec => ({ name: 'self', roles: roles.signedIn, words, allows: (row, scope) => scope.isMe(row['user_id']) });

const providerRosterBatches: RuleSpec = {
  name: 'provider_rosters',
  roles: roles.ap,
  words: 'batches of rosters at own locations',
  allows: (row, scope) => scope.providerHasRoster(row['roster_id']),
};

const ownRosterBatches: RuleSpec = {
  name: 'own_rosters',
  roles: roles.instructors,
  words: 'batches they request for rosters they instruct',
  allows: (row, scope) => scope.isMe(row['requested_by']) && isIn(scope.ownRosters, row['roster_id']),
};

const certificatesAtOwnLocations: RuleSpec = {
  name: 'own_locations',
  roles: roles.ap,
  words: 'certificates issued at own locations',
  allows: (row, scope) => isIn(scope.locations, row['location_id']),
};

const issuedCertificates: RuleSpec = {
  name: 'issuer',
  roles: roles.instructors,
  words: 'certificates they issued',
  allows: (row, scope) => scope.isMe(row['issued_by']),
};

const taughtCertificates: RuleSpec = {
  name: 'taught',
  roles: roles.instructors,
  words: 'certificates of sessions they teach and rosters they instruct',
  allows: (row, scope) => isIn(scope.taughtSessions, row['session_id']) || isIn(scope.instructedRosters, row['roster_id']),
};

const providerSessionBatches: RuleSpec = {
  name: 'provider_sessions',
  roles: roles.ap,
  words: 'batches of sessions at own locations',
  allows: (row, scope) => scope.providerHasSession(row['session_id']),
};

/** Templates: global ones for everyone signed in, a provider's for its APs and affiliated instructors (migration 0032). */
const templatesAccess = {
  select: [
    admins(),
    { name: 'global', roles: roles.signedIn, words: 'global templates', allows: (row: Row) => row['provider_id'] === null },
    { name: 'own_providers', roles: roles.ap, words: 'own providers’ templates', allows: (row: Row, scope: Scope) => isIn(scope.providers, row['provider_id']) },
    { name: 'affiliated', roles: roles.affiliates, words: 'templates of the provider they are affiliated with', allows: (row: Row, scope: Scope) => row['provider_id'] !== null && row['provider_id'] === scope.affiliatedProvider },
  ] satisfies RuleSpec[],
  insert: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ templates', allows: (row: Row, scope: Scope) => isIn(scope.providers, row['provider_id']) }] satisfies RuleSpec[],
  update: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ templates', allows: (row: Row, scope: Scope) => isIn(scope.providers, row['provider_id']) }] satisfies RuleSpec[],
  delete: [admins()] satisfies RuleSpec[],
};

const templateReaders: RuleSpec[] = templatesAccess.select;
const certificateReaders: RuleSpec[] = [
      admins(),
      certificatesAtOwnLocations,
      issuedCertificates,
      taughtCertificates,
      { name: 'recipient', roles: roles.signedIn, words: 'own certificates', allows: (row, scope) => scope.isMe(row['user_id']) },
];
const batchReaders: RuleSpec[] = [
  admins(),
  providerRosterBatches,
  providerSessionBatches,
  { name: 'requester', roles: roles.instructors, words: 'batches they requested', allows: (row, scope) => scope.isMe(row['requested_by']) },
];

/** Whether a row of another table is one the actor may select (its table's rules): the policies that look through to it. */
function visibleUnder(readers: readonly RuleSpec[], row: Row | undefined, scope: Scope): boolean {
  return row !== undefined && readers.some((rule) => rule.roles.includes(scope.actor.role) && (rule.allows ?? (() => true))(row, scope));
}

export const recordsAccess: TableAccess[] = [
  tableAccess('certificate_templates', { ...templatesAccess, select: templateReaders }),
  tableAccess('certificate_template_versions', {
    select: [
      { name: 'template', roles: roles.signedIn, words: 'versions of the templates they may read', allows: (row, scope) => visibleUnder(templateReaders, scope.world.byId('certificate_templates', row['template_id']), scope) },
      { name: 'printed', roles: roles.signedIn, words: 'the versions of the certificates they may read', allows: (row, scope) => scope.world.where('certificates', 'template_version_id', row['id']).some((certificate) => visibleUnder(certificateReaders, certificate, scope)) },
    ],
    insert: [admins(), { name: 'own_providers', roles: roles.ap, words: 'versions of own providers’ templates', allows: (row, scope) => isIn(scope.providers, scope.world.byId('certificate_templates', row['template_id'])?.['provider_id']) }],
  }),

  tableAccess('certificate_batches', {
    select: batchReaders,
    insert: [admins(), providerRosterBatches, ownRosterBatches, providerSessionBatches,
      { name: 'taught_sessions', roles: roles.instructors, words: 'batches they request for sessions they teach', allows: (row, scope) => scope.isMe(row['requested_by']) && isIn(scope.taughtSessions, row['session_id']) }],
    update: [admins(), providerRosterBatches, ownRosterBatches],
  }),

  tableAccess('certificate_batch_results', {
    select: [{ name: 'batch', roles: roles.signedIn, words: 'results of the batches they may read', allows: (row, scope) => visibleUnder(batchReaders, scope.world.byId('certificate_batches', row['batch_id']), scope) }],
  }),

  tableAccess('course_certificate_settings', {
    select: [{ name: 'course', roles: roles.signedIn, words: 'settings of the courses they may read', allows: (row, scope) => scope.actor.role === 'SA' || scope.actor.role === 'AD' || scope.world.byId('courses', row['course_id'])?.['status'] !== 'DRAFT' }],
    insert: [admins()],
    update: [admins()],
  }),

  tableAccess('course_instructor_requirements', {
    select: [{ name: 'course', roles: roles.signedIn, words: 'what the courses they may read ask of instructors', allows: (row, scope) => scope.actor.role === 'SA' || scope.actor.role === 'AD' || scope.world.byId('courses', row['course_id'])?.['status'] !== 'DRAFT' }],
    insert: [admins()],
    update: [admins()],
  }),

  tableAccess('certificates', {
    select: certificateReaders,
    insert: [admins(), certificatesAtOwnLocations, issuedCertificates],
    update: [admins(), certificatesAtOwnLocations, issuedCertificates],
  }),

  tableAccess('compliance_requirements', {
    select: [signedIn('every requirement')],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  tableAccess('compliance_records', {
    select: [
      admins(),
      {
        name: 'affiliated_users',
        roles: roles.ap,
        words: 'records of members and affiliated instructors of own providers',
        allows: (row, scope) => scope.providerAffiliatesUser(row['user_id']),
      },
      self('own records'),
    ],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  // Proposed by the nightly job (the owner); SA and AD confirm or dismiss them (migration 0046).
  tableAccess('compliance_tier_changes', {
    select: [
      admins(),
      {
        name: 'affiliated_users',
        roles: roles.ap,
        words: 'proposals for members and affiliated instructors of own providers',
        allows: (row, scope) => scope.providerAffiliatesUser(row['user_id']),
      },
      self('own proposals'),
    ],
    update: [admins('to confirm or dismiss')],
  }),

  tableAccess('notifications', {
    select: [self('own notifications')],
    insert: [admins('for anyone (jobs insert as the owner)')],
    update: [self('own notifications')],
    delete: [self('own notifications')],
  }),

  tableAccess('notification_templates', {
    select: [
      admins(),
      { name: 'global', roles: roles.ap, words: 'global templates', allows: (row) => row['provider_id'] === null },
      { name: 'own_providers', roles: roles.ap, words: 'own providers’ overrides', allows: (row, scope) => isIn(scope.providers, row['provider_id']) },
    ],
    insert: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ overrides', allows: (row, scope) => isIn(scope.providers, row['provider_id']) }],
    update: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ overrides', allows: (row, scope) => isIn(scope.providers, row['provider_id']) }],
    delete: [
      { name: 'admin', roles: roles.admins, words: 'providers’ overrides (a global template is edited, never removed)', allows: (row) => row['provider_id'] !== null },
      { name: 'own_providers', roles: roles.ap, words: 'own providers’ overrides', allows: (row, scope) => isIn(scope.providers, row['provider_id']) },
    ],
  }),

  tableAccess('user_activities', {
    select: [admins(), self('own activities')],
    insert: [admins('for anyone'), self('own activities')],
  }),

  tableAccess('audit_log', {
    select: [
      { name: 'sa', roles: roles.sa, words: 'every entry' },
      {
        name: 'ad',
        roles: roles.ad,
        words: 'entries not about an SA account',
        allows: (row, scope) => !scope.auditEntryConcernsSa(row),
      },
    ],
  }),

  tableAccess('domain_events', {
    primaryKey: 'seq',
    select: [admins()],
    insert: [{ name: 'signed_in', roles: roles.signedIn, words: 'any event, in their own write (no RETURNING)' }],
  }),

  tableAccess('change_log', {
    primaryKey: 'seq',
    select: [admins()],
    insert: [{ name: 'signed_in', roles: roles.signedIn, words: 'any change, in their own write (no RETURNING)' }],
  }),

  tableAccess('jobs', {
    select: [admins()],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  // The feed itself is read by token through calendar_feed_entries (migration 0018), not by these rules.
  tableAccess('calendar_feeds', {
    unreadableColumns: ['token_hash'],
    select: [self('own feed (never its token hash)')],
    insert: [self('own feed')],
    update: [self('own feed (a new token)')],
    delete: [self('own feed (revoking it)')],
  }),
];
