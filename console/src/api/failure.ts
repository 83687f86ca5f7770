import type { ApiError } from '../../../client/index.ts';

/**
 * An API refusal carried through TanStack Query: the error shape of the API, its status, and the field
 * it names (`body.max_capacity` → `max_capacity`) so a form can put the message beside that field.
 */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: ApiError['error']['code'] | 'NETWORK';
  readonly field: string | null;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: ApiError | undefined) {
    super(body?.error.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error.code ?? 'NETWORK';
    this.details = (body?.error.details ?? {}) as Record<string, unknown>;
    const field = typeof this.details['field'] === 'string' ? this.details['field'] : null;
    this.field = field ? field.replace(/^(body|querystring|params|headers)\./, '') : null;
  }

  get isVersionConflict(): boolean {
    return this.code === 'VERSION_CONFLICT';
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a client answer, or an ApiFailure thrown for TanStack Query to hold. */
export async function dataOf<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiFailure(0, undefined);
  }
  if (answer.error !== undefined || !answer.response.ok) throw new ApiFailure(answer.response.status, answer.error as ApiError | undefined);
  return answer.data as T;
}

/** The message beside a form field: the failure's, when it names that field. */
export function fieldError(failure: unknown, field: string): string | undefined {
  if (!(failure instanceof ApiFailure) || failure.field !== field) return undefined;
  // Beside the field its path says nothing: "body.title must NOT have…" → "must NOT have…".
  const path = String(failure.details['field']);
  return failure.message.startsWith(`${path} `) ? failure.message.slice(path.length + 1) : failure.message;
}
