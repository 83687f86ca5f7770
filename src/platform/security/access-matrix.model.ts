import type { ActorRole } from '../db/actor.js';

/**
 * The vocabulary of the access matrix: tables, operations, rules as data, and the world the rules
 * are evaluated over (every row of every domain table, as the owner reads them). The rules
 * themselves are in access-matrix.<area>.ts; access-matrix.ts puts them together.
 */

export type Row = Record<string, unknown>;

export const operations = ['select', 'insert', 'update', 'delete'] as const;
export type Operation = (typeof operations)[number];

/** Every role the matrix speaks of, signed out (ANON) last. */
export const matrixRoles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN', 'ANON'] as const satisfies readonly ActorRole[];

/** Every table of migrations 0002–0006, then those added later, in migration order: each has row-level security. */
/** Parents before the tables that refer to them (tests delete in reverse order and insert in this one). */
export const domainTables = [
  'users', 'profiles', 'auth_sessions', 'authorized_providers', 'provider_members', 'locations', 'rooms',
  'provider_locations', 'instructor_profiles', 'teams', 'team_members',
  'courses', 'course_versions', 'course_schedules', 'training_sessions', 'student_enrollment_profiles',
  'session_enrollments', 'rosters', 'student_roster_members',
  'certificate_templates', 'certificate_template_versions', 'course_certificate_settings', 'certificate_batches', 'certificates',
  'certificate_batch_results',
  'compliance_requirements', 'compliance_records', 'compliance_tier_changes',
  'audit_log', 'domain_events', 'change_log', 'jobs', 'notifications', 'notification_templates', 'user_activities',
  'calendar_feeds',
  'invitations',
  'course_instructor_requirements',
] as const;
export type DomainTable = (typeof domainTables)[number];

/** All rows of all domain tables. */
export type Snapshot = Record<DomainTable, readonly Row[]>;

/** The part of an actor the matrix depends on. */
export interface MatrixActor {
  userId: string | null;
  role: ActorRole;
}

export type RowPredicate = (row: Row, scope: Scope) => boolean;

export interface RowRule {
  /** `<table>.<operation>.<name>`, e.g. `users.select.ad`. */
  id: string;
  /** The PostgreSQL policy that implements it: the id with underscores, e.g. `users_select_ad`. */
  policy: string;
  roles: readonly ActorRole[];
  words: string;
  allows: RowPredicate;
  /** True when the rule has no condition: every row of the table. */
  everyRow: boolean;
}

export interface TableAccess {
  table: DomainTable;
  primaryKey: string;
  rules: Record<Operation, readonly RowRule[]>;
  /** Columns the application role has no privilege to read at all (secrets). */
  unreadableColumns: readonly string[];
}

export interface HiddenFieldRule {
  id: string;
  table: DomainTable;
  columns: readonly string[];
  /** Who sees the columns; everyone else reads null. */
  words: string;
  visible: RowPredicate;
}

export const roleGroups = {
  sa: ['SA'],
  ad: ['AD'],
  admins: ['SA', 'AD'],
  ap: ['AP'],
  instructors: ['IC', 'IP'],
  affiliates: ['IC', 'IP', 'IT', 'IN'],
  nonAdmins: ['AP', 'IC', 'IP', 'IT', 'IN'],
  signedIn: ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'],
  anon: ['ANON'],
} as const satisfies Record<string, readonly ActorRole[]>;

export interface RuleSpec {
  name: string;
  roles: readonly ActorRole[];
  words: string;
  /** Omitted: every row. */
  allows?: RowPredicate;
}

export function tableAccess(
  table: DomainTable,
  spec: Partial<Record<Operation, RuleSpec[]>> & { primaryKey?: string; unreadableColumns?: string[] },
): TableAccess {
  const rulesOf = (operation: Operation): RowRule[] =>
    (spec[operation] ?? []).map((rule) => ({
      id: `${table}.${operation}.${rule.name}`,
      policy: `${table}_${operation}_${rule.name}`,
      roles: rule.roles,
      words: rule.words,
      allows: rule.allows ?? (() => true),
      everyRow: rule.allows === undefined,
    }));
  return {
    table,
    primaryKey: spec.primaryKey ?? 'id',
    rules: { select: rulesOf('select'), insert: rulesOf('insert'), update: rulesOf('update'), delete: rulesOf('delete') },
    unreadableColumns: spec.unreadableColumns ?? [],
  };
}

/** Whether `value` is one of the ids in `ids`: columns are read as unknown. */
export function isIn(ids: ReadonlySet<string>, value: unknown): boolean {
  return typeof value === 'string' && ids.has(value);
}

/** The snapshot with lookups, indexed on first use. */
export class World {
  private readonly indexes = new Map<string, Map<unknown, Row[]>>();

  constructor(readonly snapshot: Snapshot) {}

  rows(table: DomainTable): readonly Row[] {
    return this.snapshot[table];
  }

  where(table: DomainTable, column: string, value: unknown): readonly Row[] {
    const key = `${table}.${column}`;
    let index = this.indexes.get(key);
    if (!index) {
      index = new Map();
      for (const row of this.snapshot[table]) {
        const rows = index.get(row[column]) ?? [];
        rows.push(row);
        index.set(row[column], rows);
      }
      this.indexes.set(key, index);
    }
    return value === null || value === undefined ? [] : (index.get(value) ?? []);
  }

  byId(table: DomainTable, id: unknown): Row | undefined {
    return this.where(table, 'id', id)[0];
  }

  /** The world before `row` was inserted: an INSERT's checks see the table without the new row. */
  without(table: DomainTable, row: Row): World {
    return new World({ ...this.snapshot, [table]: this.snapshot[table].filter((other) => other !== row) });
  }
}

const idsOf = (rows: readonly Row[], column = 'id') =>
  new Set(rows.map((row) => row[column]).filter((value): value is string => typeof value === 'string'));

/**
 * What one actor's rules refer to, computed from the world the way the SQL helper functions
 * (app_provider_ids() and friends in migration 0009) compute it from the tables.
 */
export class Scope {
  private cache = new Map<string, unknown>();

  constructor(
    readonly world: World,
    readonly actor: MatrixActor,
  ) {}

  private memo<T>(key: string, compute: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, compute());
    return this.cache.get(key) as T;
  }

  isMe(value: unknown): boolean {
    return this.actor.userId !== null && value === this.actor.userId;
  }

  /** Own providers: provider_members of the actor. */
  get providers(): ReadonlySet<string> {
    return this.memo('providers', () => idsOf(this.world.where('provider_members', 'user_id', this.actor.userId), 'provider_id'));
  }

  /** Own locations: provider_locations of the own providers. */
  get locations(): ReadonlySet<string> {
    return this.memo('locations', () =>
      idsOf([...this.providers].flatMap((provider) => this.world.where('provider_locations', 'provider_id', provider)), 'location_id'),
    );
  }

  /** Sessions whose instructor is the actor. */
  get taughtSessions(): ReadonlySet<string> {
    return this.memo('taughtSessions', () => idsOf(this.world.where('training_sessions', 'instructor_id', this.actor.userId)));
  }

  /** Sessions with an enrollment row of the actor, whatever its status. */
  get enrolledSessions(): ReadonlySet<string> {
    return this.memo('enrolledSessions', () => idsOf(this.world.where('session_enrollments', 'student_id', this.actor.userId), 'session_id'));
  }

  /** Teams the actor leads or belongs to. */
  get teams(): ReadonlySet<string> {
    return this.memo('teams', () => {
      const led = idsOf(this.world.where('teams', 'lead_id', this.actor.userId));
      const joined = idsOf(this.world.where('team_members', 'user_id', this.actor.userId), 'team_id');
      return new Set([...led, ...joined]);
    });
  }

  /** Teams of the own providers. */
  get providerTeams(): ReadonlySet<string> {
    return this.memo('providerTeams', () => idsOf(this.world.rows('teams').filter((team) => isIn(this.providers, team['provider_id']))));
  }

  /** Rosters the actor instructs, or that belong to a session the actor teaches. */
  get instructedRosters(): ReadonlySet<string> {
    return this.memo('instructedRosters', () =>
      idsOf(this.world.rows('rosters').filter((roster) => this.isMe(roster['instructor_id']) || isIn(this.taughtSessions, roster['session_id']))),
    );
  }

  /** Rosters whose instructor is the actor. */
  get ownRosters(): ReadonlySet<string> {
    return this.memo('ownRosters', () => idsOf(this.world.where('rosters', 'instructor_id', this.actor.userId)));
  }

  /** The provider the actor is affiliated with as an instructor (instructor_profiles.provider_id). */
  get affiliatedProvider(): string | null {
    const provider = this.world.where('instructor_profiles', 'user_id', this.actor.userId)[0]?.['provider_id'];
    return typeof provider === 'string' ? provider : null;
  }

  get publishedCourses(): ReadonlySet<string> {
    return this.memo('publishedCourses', () => idsOf(this.world.where('courses', 'status', 'PUBLISHED')));
  }

  userRole(userId: unknown): unknown {
    return this.world.byId('users', userId)?.['role'];
  }

  /** An ACTIVE account of a trainee (IT, IN). */
  isActiveTrainee(userId: unknown): boolean {
    const user = this.world.byId('users', userId);
    return user?.['status'] === 'ACTIVE' && (user['role'] === 'IT' || user['role'] === 'IN');
  }

  /** Whether `provider` serves `location` (provider_locations). */
  locationServedBy(location: unknown, provider: unknown): boolean {
    return provider !== null && this.world.where('provider_locations', 'location_id', location).some((link) => link['provider_id'] === provider);
  }

  /** Whether no provider serves `location`: whatever is held there, only administrators see by place. */
  locationServedByNobody(location: unknown): boolean {
    return this.world.where('provider_locations', 'location_id', location).length === 0;
  }

  providerHasSession(sessionId: unknown): boolean {
    return isIn(this.locations, this.world.byId('training_sessions', sessionId)?.['location_id']);
  }

  providerHasRoster(rosterId: unknown): boolean {
    return isIn(this.locations, this.world.byId('rosters', rosterId)?.['location_id']);
  }

  sessionOpenForSelfEnrollment(sessionId: unknown): boolean {
    const session = this.world.byId('training_sessions', sessionId);
    return session?.['status'] === 'SCHEDULED' && session['self_enrollment_allowed'] === true;
  }

  /** Members and affiliated instructors of the own providers; never an SA account (decision 0023). */
  providerAffiliatesUser(userId: unknown): boolean {
    return (
      this.userRole(userId) !== 'SA' &&
      (this.world.where('provider_members', 'user_id', userId).some((member) => isIn(this.providers, member['provider_id'])) ||
      this.world.where('instructor_profiles', 'user_id', userId).some((profile) => isIn(this.providers, profile['provider_id'])))
    );
  }

  /** Affiliated people, and students enrolled in sessions or listed on rosters at own locations; never an SA account. */
  providerSeesUser(userId: unknown): boolean {
    return (
      this.userRole(userId) !== 'SA' &&
      (this.providerAffiliatesUser(userId) ||
        this.world.where('session_enrollments', 'student_id', userId).some((enrollment) => this.providerHasSession(enrollment['session_id'])) ||
        this.world.where('student_roster_members', 'student_id', userId).some((member) => this.providerHasRoster(member['roster_id'])))
    );
  }

  providerSeesStudentProfile(profileId: unknown): boolean {
    return (
      isIn(this.providers, this.world.byId('student_enrollment_profiles', profileId)?.['provider_id']) ||
      this.world.where('session_enrollments', 'student_profile_id', profileId).some((enrollment) => this.providerHasSession(enrollment['session_id'])) ||
      this.world.where('student_roster_members', 'student_profile_id', profileId).some((member) => this.providerHasRoster(member['roster_id']))
    );
  }

  /** Students of the sessions and rosters the actor instructs; never an SA account. */
  instructorSeesUser(userId: unknown): boolean {
    return (
      this.userRole(userId) !== 'SA' &&
      (this.world.where('session_enrollments', 'student_id', userId).some((enrollment) => isIn(this.taughtSessions, enrollment['session_id'])) ||
        this.world.where('student_roster_members', 'student_id', userId).some((member) => isIn(this.instructedRosters, member['roster_id'])))
    );
  }

  instructorSeesStudentProfile(profileId: unknown): boolean {
    return (
      this.world.where('session_enrollments', 'student_profile_id', profileId).some((enrollment) => isIn(this.taughtSessions, enrollment['session_id'])) ||
      this.world.where('student_roster_members', 'student_profile_id', profileId).some((member) => isIn(this.instructedRosters, member['roster_id']))
    );
  }

  /** An audit entry about an SA account: its values carry role SA, or the account is an SA now. */
  auditEntryConcernsSa(entry: Row): boolean {
    const table = entry['table_name'];
    if (table !== 'users' && table !== 'profiles') return false;
    const roleIn = (values: unknown) => (values as Row | null)?.['role'];
    if (roleIn(entry['old_values']) === 'SA' || roleIn(entry['new_values']) === 'SA') return true;
    return this.world.byId(table, entry['row_id'])?.['role'] === 'SA';
  }
}
