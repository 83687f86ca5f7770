import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';

export type { Logger };

interface LoggedRequest {
  method: string;
  url: string;
  id: string;
}

/** JSON lines for machines; pino-pretty when a person watches a terminal. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  return pino({
    level: config.logLevel,
    serializers: {
      // Only the path: query strings can carry tokens (e.g. a stream's access token), and client
      // addresses are personal data, so neither is logged.
      req: (request: LoggedRequest) => ({ method: request.method, path: request.url.split('?')[0] }),
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.refreshToken'],
      censor: '[redacted]',
    },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}
