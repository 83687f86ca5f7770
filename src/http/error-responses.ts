import Type from 'typebox';

/** The one error shape (see error-handler.ts), for route schemas to declare the failures a route can answer with. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Object({ field: Type.Optional(Type.String()) }, { additionalProperties: true })),
    }),
  },
  { description: 'what went wrong, with a stable code and, where it applies, the offending field' },
);

/** `{ 400: ErrorResponse, 401: ErrorResponse, … }` for a route's `response` schema. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse])) as Record<S, typeof ErrorResponse>;
}
