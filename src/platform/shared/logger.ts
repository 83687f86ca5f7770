import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

interface LoggedRequest {
  method: string;
  url: string;
  id: string;
}

// Paths that carry a credential as a segment: a calendar feed URL is its own password.
const secretPathSegments = /^(\/v1\/calendar\/feeds\/)[^/]+/;

/** The path of a request as it may be logged: no query string, no secret segment. */
export function loggedPath(url: string): string {
  return (url.split('?')[0] ?? '').replace(secretPathSegments, '$1[redacted]');
}

/** What a logger is made of (Config has both): shared/ imports no module and not the config either. */
export interface LogSettings {
  logLevel: pino.LevelWithSilent;
  logFormat: 'json' | 'pretty';
}

/** JSON lines for machines; pino-pretty when a person watches a terminal. */
export function createLogger(config: LogSettings, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    serializers: {
      // Only the path: query strings can carry tokens (e.g. a stream's access token), and client
      // addresses are personal data, so neither is logged.
      req: (request: LoggedRequest) => ({ method: request.method, path: loggedPath(request.url) }),
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.new_password', '*.current_password', '*.token', '*.refreshToken'],
      censor: '[redacted]',
    },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
