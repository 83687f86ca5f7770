import Type, { type Static, type TSchema } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const sessionFields = {
  id: Uuid,
  title: Type.String(),
  session_date: Type.String({ format: 'date' }),
  start_time: Type.String({ description: 'HH:MM:SS, wall-clock time at the location' }),
  status: Type.String({ enum: ['SCHEDULED', 'IN_PROGRESS'] }),
  location_id: Uuid,
  instructor_id: Uuid,
  max_capacity: Type.Integer(),
  current_enrollment: Type.Integer(),
  fill_percent: Type.Number({ description: 'current_enrollment / max_capacity × 100, one decimal' }),
  waitlisted: Type.Integer({ description: 'waitlisted places you can see (a student sees only their own)' }),
};

export const DashboardSession = Type.Object(sessionFields, { title: 'DashboardSession' });

export const AttentionSession = Type.Object({
  ...sessionFields,
  reasons: Type.Array(Type.String({ enum: ['UNDER_FILLED', 'INSTRUCTOR_NOT_ELIGIBLE'] }), {
    description: 'UNDER_FILLED: scheduled, starting within 48 hours, under half its seats taken; INSTRUCTOR_NOT_ELIGIBLE: the instructor has no active certification, or no longer meets what the course asks on the day (tier, requirements, certificates) and no SA or AD overrode it',
  }),
}, { title: 'AttentionSession' });

export const MonthFigures = Type.Object({
  month: Type.String({ pattern: '^\\d{4}-\\d{2}$' }),
  enrollments: Type.Integer({ description: 'enrollments made in the month (any status)' }),
  completions: Type.Integer({ description: 'enrollments completed (passed) in the month' }),
  failures: Type.Integer({ description: 'enrollments failed in the month' }),
  no_shows: Type.Integer({ description: 'enrolled places marked absent, in sessions of the month' }),
  pass_rate: Nullable(Type.Number({ description: 'completions / (completions + failures); null when neither' })),
}, { title: 'MonthFigures' });

export const DashboardSchema = Type.Object({
  role: Type.String({ enum: ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] }),
  generated_at: Type.String({ format: 'date-time', description: 'when these figures were read (a cached answer keeps its time)' }),
  upcoming: Type.Object({ total: Count, sessions: Type.Array(DashboardSession, { description: 'the next 14 days, soonest first, at most 50' }) }),
  attention: Type.Object({ total: Count, sessions: Type.Array(AttentionSession, { description: 'upcoming sessions with a reason to act, at most 50' }) }),
  activity: Type.Object({ this_month: MonthFigures, last_month: MonthFigures }),
  certificates: Type.Object({
    issued_this_month: Count,
    issued_last_month: Count,
    expiring_30_days: Count,
    expiring_60_days: Count,
    expiring_90_days: Count,
  }),
  compliance: Type.Object({
    compliant: Count,
    expiring: Type.Integer({ minimum: 0, description: 'met, lapsing within 30 days' }),
    overdue: Type.Integer({ minimum: 0, description: 'expired, or met and past its expiry' }),
    pending: Count,
  }),
  notifications: Type.Object({ unread: Count }),
}, {
  title: 'Dashboard',
  description: 'Your role’s slice: SA and AD everything; AP its providers’ locations; IC and IP the sessions they teach and their students; IT and IN their own places',
});
export type DashboardSchema = Static<typeof DashboardSchema>;
