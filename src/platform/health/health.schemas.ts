import Type from 'typebox';

const Check = Type.Object({
  ok: Type.Boolean(),
  round_trip_ms: Type.Optional(Type.Number({ description: 'time for the check to answer' })),
  message: Type.Optional(Type.String()),
});

export const HealthResponse = Type.Object({
  status: Type.Literal('OK'),
  uptime_seconds: Type.Number(),
}, { title: 'Health' });

export const ReadyResponse = Type.Object({
  status: Type.Enum(['READY', 'UNAVAILABLE']),
  checks: Type.Object({ database: Check, migrations: Check, redis: Type.Optional(Check) }),
}, { title: 'Readiness' });
