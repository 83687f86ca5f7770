import Type from 'typebox';

const Check = Type.Object({
  ok: Type.Boolean(),
  roundTripMs: Type.Optional(Type.Number({ description: 'time for the check to answer' })),
  message: Type.Optional(Type.String()),
});

export const HealthResponse = Type.Object({
  status: Type.Literal('ok'),
  uptimeSeconds: Type.Number(),
});

export const ReadyResponse = Type.Object({
  status: Type.Enum(['ready', 'unavailable']),
  checks: Type.Object({ database: Check, migrations: Check, redis: Type.Optional(Check) }),
});
