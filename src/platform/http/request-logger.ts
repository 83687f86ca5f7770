import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Write = (...args: unknown[]) => void;

/**
 * A request's logger, made when it first writes a line at an enabled level (decision 0067). Fastify
 * makes a child logger for every request (pino's `child`: its bindings serialised, about 1.5 % of
 * `GET /v1/me`'s CPU) and writes "incoming request" and "request completed" to it, which a server
 * logging at `warn` drops: most requests never need it. A line it writes is the child's, with the same
 * bindings (the request id), as before.
 */
class RequestLogger {
  #child: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #made(): Logger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (this.#child === null && !this.parent.isLevelEnabled(level)) return;
    (this.#made()[level] as Write)(...args);
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.#made().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#made().child(bindings, options) as unknown as FastifyBaseLogger;
  }
}

/** Fastify's `childLoggerFactory`: each request's logger, made only when written to at an enabled level. */
export function requestLoggerOf(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(parent as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
