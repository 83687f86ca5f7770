import { isIn, roleGroups as roles, tableAccess, type RuleSpec, type TableAccess } from './access-matrix.model.js';

/** Access to accounts, people, providers, places, instructors and teams. */

const admins = (words = 'every row'): RuleSpec => ({ name: 'admin', roles: roles.admins, words });
const notSa = (row: Record<string, unknown>) => row['role'] !== 'SA';

/** users and profiles share their read rules: a profile is visible with its account. */
const accountReaders = (idColumn: 'id' | 'user_id', what: 'account' | 'profile'): RuleSpec[] => [
  { name: 'sa', roles: roles.sa, words: `every ${what}` },
  { name: 'ad', roles: roles.ad, words: `${what}s that are not SA`, allows: notSa },
  { name: 'self', roles: roles.signedIn, words: `own ${what}`, allows: (row, scope) => scope.isMe(row[idColumn]) },
  {
    name: 'provider_scope',
    roles: roles.ap,
    words: `${what}s of members and affiliated instructors of own providers, and of students enrolled in sessions or listed on rosters at own locations`,
    allows: (row, scope) => scope.providerSeesUser(row[idColumn]),
  },
  {
    name: 'instructed_students',
    roles: roles.instructors,
    words: `${what}s of students enrolled in taught sessions or listed on rosters they instruct`,
    allows: (row, scope) => scope.instructorSeesUser(row[idColumn]),
  },
];

const accountWriters = (what: string): RuleSpec[] => [
  { name: 'sa', roles: roles.sa, words: `every ${what}` },
  { name: 'ad', roles: roles.ad, words: `${what}s that are not (and do not become) SA`, allows: notSa },
];

const ownProviders = (column: string, words = 'own providers'): RuleSpec => ({
  name: 'own_providers',
  roles: roles.ap,
  words,
  allows: (row, scope) => isIn(scope.providers, row[column]),
});

/** An AP manages the AP accounts of its own providers, nobody else. */
const apMemberships: RuleSpec = {
  name: 'own_providers',
  roles: roles.ap,
  words: 'AP accounts in own providers',
  allows: (row, scope) => isIn(scope.providers, row['provider_id']) && scope.userRole(row['user_id']) === 'AP',
};

export const identityAccess: TableAccess[] = [
  tableAccess('users', {
    unreadableColumns: ['password_hash'],
    select: accountReaders('id', 'account'),
    insert: accountWriters('account'),
    update: accountWriters('account'),
    delete: [{ name: 'sa', roles: roles.sa, words: 'every account' }],
  }),

  tableAccess('profiles', {
    select: accountReaders('user_id', 'profile'),
    insert: accountWriters('profile'),
    update: [
      ...accountWriters('profile'),
      {
        name: 'self',
        roles: roles.signedIn,
        words: 'own profile: names, display name, phone, e-mail, organisation only',
        allows: (row, scope) => scope.isMe(row['user_id']),
      },
    ],
    delete: accountWriters('profile'),
  }),

  tableAccess('auth_sessions', {
    unreadableColumns: ['refresh_token_hash'],
    select: [
      { name: 'sa', roles: roles.sa, words: 'every session' },
      { name: 'ad', roles: roles.ad, words: 'sessions of accounts that are not SA', allows: (row, scope) => scope.userRole(row['user_id']) !== 'SA' },
      { name: 'self', roles: roles.signedIn, words: 'own sessions', allows: (row, scope) => scope.isMe(row['user_id']) },
    ],
  }),

  tableAccess('authorized_providers', {
    select: [
      admins(),
      { name: 'own', roles: roles.ap, words: 'own providers', allows: (row, scope) => isIn(scope.providers, row['id']) },
      {
        name: 'affiliated',
        roles: roles.affiliates,
        words: 'the provider they are affiliated with',
        allows: (row, scope) => scope.affiliatedProvider !== null && row['id'] === scope.affiliatedProvider,
      },
    ],
    insert: [admins()],
    update: [admins(), { name: 'own', roles: roles.ap, words: 'own providers', allows: (row, scope) => isIn(scope.providers, row['id']) }],
    delete: [admins()],
  }),

  tableAccess('provider_members', {
    select: [
      admins(),
      ownProviders('provider_id', 'memberships of own providers'),
      { name: 'self', roles: roles.signedIn, words: 'own memberships', allows: (row, scope) => scope.isMe(row['user_id']) },
    ],
    insert: [admins(), apMemberships],
    update: [admins(), apMemberships],
    delete: [admins(), apMemberships],
  }),

  tableAccess('locations', {
    select: [{ name: 'signed_in', roles: roles.signedIn, words: 'every location' }],
    insert: [admins()],
    update: [admins(), { name: 'own', roles: roles.ap, words: 'own locations', allows: (row, scope) => isIn(scope.locations, row['id']) }],
    delete: [admins()],
  }),

  tableAccess('rooms', {
    select: [{ name: 'signed_in', roles: roles.signedIn, words: 'every room' }],
    insert: [admins(), { name: 'own', roles: roles.ap, words: 'rooms of own locations', allows: (row, scope) => isIn(scope.locations, row['location_id']) }],
    update: [admins(), { name: 'own', roles: roles.ap, words: 'rooms of own locations', allows: (row, scope) => isIn(scope.locations, row['location_id']) }],
    delete: [admins(), { name: 'own', roles: roles.ap, words: 'rooms of own locations', allows: (row, scope) => isIn(scope.locations, row['location_id']) }],
  }),

  tableAccess('provider_locations', {
    select: [{ name: 'signed_in', roles: roles.signedIn, words: 'every link' }],
    insert: [admins()],
    update: [admins()],
    delete: [admins()],
  }),

  tableAccess('instructor_profiles', {
    select: [{ name: 'signed_in', roles: roles.signedIn, words: 'every profile (the public professional profile)' }],
    insert: [admins()],
    update: [
      admins(),
      {
        name: 'affiliated',
        roles: roles.ap,
        words: 'instructors affiliated with own providers: display name, bio, specialties only',
        allows: (row, scope) => isIn(scope.providers, row['provider_id']),
      },
      {
        name: 'self',
        roles: roles.signedIn,
        words: 'own profile: display name, bio, specialties only',
        allows: (row, scope) => scope.isMe(row['user_id']),
      },
    ],
    delete: [admins()],
  }),

  tableAccess('teams', {
    select: [
      admins(),
      ownProviders('provider_id', 'teams of own providers'),
      { name: 'led_or_joined', roles: roles.signedIn, words: 'teams they lead or belong to', allows: (row, scope) => isIn(scope.teams, row['id']) },
    ],
    insert: [admins(), ownProviders('provider_id', 'teams of own providers')],
    update: [admins(), ownProviders('provider_id', 'teams of own providers')],
    delete: [admins(), ownProviders('provider_id', 'teams of own providers')],
  }),

  tableAccess('team_members', {
    select: [
      admins(),
      { name: 'own_providers', roles: roles.ap, words: 'members of own providers’ teams', allows: (row, scope) => isIn(scope.providerTeams, row['team_id']) },
      {
        name: 'led_or_joined',
        roles: roles.signedIn,
        words: 'members of teams they lead or belong to',
        allows: (row, scope) => isIn(scope.teams, row['team_id']),
      },
    ],
    insert: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ teams', allows: (row, scope) => isIn(scope.providerTeams, row['team_id']) }],
    delete: [admins(), { name: 'own_providers', roles: roles.ap, words: 'own providers’ teams', allows: (row, scope) => isIn(scope.providerTeams, row['team_id']) }],
  }),
];
