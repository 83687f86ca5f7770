import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

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
  };
  const output = destination ?? (config.logFormat === 'pretty' || isatty(1) ? terminalLines(config.logFormat) : undefined);
  return output ? pino(options, output) : pino(options);
}

/**
 * Lines written to stdout as they are logged, in this thread, as Node writes to a terminal; pretty ones are
 * made here rather than in pino-pretty's worker thread, which stops taking lines at a failed write and then
 * holds the exit 10 s while pino waits for it.
 */
function terminalLines(format: LogSettings['logFormat']): DestinationStream {
  const prettify = format === 'pretty' ? prettyLines() : (line: string) => line;
  const stdout = pino.destination({ dest: 1, sync: true });
  let terminalOpen = true;
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    // EIO: the terminal was closed; what is logged after that has nowhere to go (pino itself drops lines after EPIPE).
    if (error.code !== 'EIO') throw error;
    terminalOpen = false;
  });
  return { write: (line: string) => void (terminalOpen && stdout.write(prettify(line))) };
}

/** pino-pretty, loaded only for a pretty log: a JSON one never needs it. */
function prettyLines(): (line: string) => string {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return prettyFactory({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}
