import { isIn, roleGroups as roles, tableAccess, type RuleSpec, type TableAccess } from './access-matrix.model.js';

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

export const recordsAccess: TableAccess[] = [
  tableAccess('certificate_templates', {
    select: [signedIn('every template')],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  tableAccess('certificate_batches', {
    select: [
      admins(),
      providerRosterBatches,
      { name: 'requester', roles: roles.instructors, words: 'batches they requested', allows: (row, scope) => scope.isMe(row['requested_by']) },
    ],
    insert: [admins(), providerRosterBatches, ownRosterBatches],
    update: [admins(), providerRosterBatches, ownRosterBatches],
  }),

  tableAccess('certificates', {
    select: [
      admins(),
      certificatesAtOwnLocations,
      issuedCertificates,
      { name: 'recipient', roles: roles.signedIn, words: 'own certificates', allows: (row, scope) => scope.isMe(row['user_id']) },
    ],
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

  tableAccess('notifications', {
    select: [self('own notifications')],
    insert: [admins('for anyone (jobs insert as the owner)')],
    update: [self('own notifications')],
    delete: [self('own notifications')],
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
