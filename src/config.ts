import { join } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { Cron } from 'croner';
import { decodeSingleKey, type Keyring, parseCredentialSigningKeys, parseEncryptionKeys } from './platform/security/keyring.js';

const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' });

// `description` says what a valid value looks like: it completes the error line "expected ...".
const EnvSchema = Type.Object({
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'a host name or IP address' }),
  // Behind a proxy or TLS terminator the address clients use differs from HOST:PORT; links printed use this.
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$', description: 'an http:// or https:// base URL, e.g. https://training.example.org' })),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'an integer from 0 to 65535' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'a directory path' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'a postgres:// or postgresql:// URL' })),
  DATABASE_REPLICA_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'a postgres:// or postgresql:// URL' }),
  ),
  // Reads go to the primary while the replica's data is older than this (decision 0046). At most the
  // lifetime of the read-after cookie (60 s), so that a client whose cookie expired reads its write anyway.
  DATABASE_REPLICA_MAX_LAG_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 5_000, description: 'milliseconds from 0 to 60000' }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'an integer from 1 to 1000' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL' })),
  LOG_LEVEL: LogLevel,
  LOG_FORMAT: Type.Enum(['json', 'pretty', 'auto'], { default: 'auto' }),
  // Only a server database needs this: the embedded one always migrates at start.
  MIGRATE_ON_START: Type.Boolean({ default: false, description: 'true or false' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: 'milliseconds from 100 to 600000' }),
  SLOW_QUERY_MS: Type.Integer({ minimum: 0, default: 200, description: 'a non-negative number of milliseconds' }),
  ENCRYPTION_KEYS: Type.Optional(Type.String({ description: 'id:base64key[,id:base64key…], each key 32 bytes; the last encrypts' })),
  BLIND_INDEX_KEY: Type.Optional(Type.String({ description: '32 bytes, base64-encoded' })),
  TOKEN_SIGNING_KEY: Type.Optional(Type.String({ description: '32 bytes, base64-encoded' })),
  CREDENTIAL_SIGNING_KEYS: Type.Optional(Type.String({ description: 'id:base64seed[,id:base64seed…], each an Ed25519 seed of 32 bytes; the last signs' })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 900, description: 'seconds from 60 to 86400' }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'days from 1 to 365' }),
  RATE_LIMIT_PUBLIC_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100, description: 'requests from 1 to 1000000' }),
  INITIAL_ADMIN_EMAIL: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320, default: 'admin@unitrain.local', description: 'an e-mail address' }),
  // `serve` runs a job dispatcher beside the HTTP server unless this is false (then run `unitrain worker`).
  WORKER_IN_PROCESS: Type.Boolean({ default: true, description: 'true or false' }),
  WORKER_POLL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 250, description: 'milliseconds from 10 to 60000' }),
  // At least 30 s: an SMTP server that does not answer fails a job's attempt within 20 s (mail-transport.ts).
  JOB_LEASE_MS: Type.Integer({ minimum: 30_000, maximum: 3_600_000, default: 60_000, description: 'milliseconds from 30000 to 3600000' }),
  MAIL_FROM: Type.String({ pattern: '^[^\\r\\n]*@[^\\r\\n]*$', maxLength: 320, default: 'Unitrain <no-reply@unitrain.local>', description: 'a From address, e.g. Unitrain <no-reply@example.org>' }),
  // Without it, e-mails are written as .eml files under DATA_DIR/outbox.
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://', description: 'an smtp:// or smtps:// URL' })),
  CHANGE_LOG_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 8_760, default: 168, description: 'hours from 1 to 8760' }),
  JOB_RETENTION_DAYS: Type.Integer({ minimum: 1, maximum: 3_650, default: 14, description: 'days from 1 to 3650' }),
  PRUNE_INTERVAL_MS: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 3_600_000, description: 'milliseconds from 1000 to 86400000' }),
  STREAM_HEARTBEAT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'milliseconds from 100 to 300000' }),
  STREAM_BUFFER_BYTES: Type.Integer({ minimum: 1_024, maximum: 268_435_456, default: 1_048_576, description: 'bytes from 1024 to 268435456' }),
  FEED_POLL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000, description: 'milliseconds from 10 to 60000' }),
  // Cron expressions (croner: five fields, or six with seconds first) read in SCHEDULE_TIMEZONE.
  ANALYTICS_REFRESH_CRON: Type.String({ minLength: 1, default: '*/15 * * * *', description: 'a cron expression, e.g. */15 * * * *' }),
  CERTIFICATE_EXPIRY_CRON: Type.String({ minLength: 1, default: '0 1 * * *', description: 'a cron expression, e.g. 0 1 * * *' }),
  COMPLIANCE_RECOMPUTE_CRON: Type.String({ minLength: 1, default: '30 1 * * *', description: 'a cron expression, e.g. 30 1 * * *' }),
  COMPLIANCE_REMINDER_CRON: Type.String({ minLength: 1, default: '0 8 * * *', description: 'a cron expression, e.g. 0 8 * * *' }),
  INSTRUCTOR_ELIGIBILITY_CRON: Type.String({ minLength: 1, default: '30 1 * * *', description: 'a cron expression, e.g. 30 1 * * *' }),
  WAITLIST_OFFER_EXPIRY_CRON: Type.String({ minLength: 1, default: '* * * * *', description: 'a cron expression, e.g. * * * * *' }),
  SESSION_REMINDER_CRON: Type.String({ minLength: 1, default: '0 * * * *', description: 'a cron expression, e.g. 0 * * * *' }),
  SCHEDULE_TIMEZONE: Type.String({ minLength: 1, default: 'UTC', description: 'an IANA time zone, e.g. Europe/London' }),
  // In-process cache entries (the first layer; Redis is the second when REDIS_URL is set).
  CACHE_L1_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 10_000, description: 'entries from 1 to 10000000' }),
  CACHE_TTL_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 300, description: 'seconds from 0 (no caching) to 86400' }),
});

// Service URLs may carry passwords; PUBLIC_URL is printed in every link, so it is no secret.
const secretVariables = /^(?!PUBLIC_URL$).*(URL$|KEY|KEYS$)/;

type Env = Static<typeof EnvSchema>;

export type LogLevel = Static<typeof LogLevel>;

export interface Config {
  readonly host: string;
  readonly port: number;
  /** The base of every link the server prints (feeds, certificates, e-mails); null: as the request reached us. */
  readonly publicUrl: string | null;
  readonly dataDir: string;
  readonly database:
    | { readonly engine: 'pglite'; readonly dataDir: string | null }
    | {
        readonly engine: 'postgres';
        readonly url: string;
        /** A streaming replica the read-only endpoints read from (decision 0046). */
        readonly replicaUrl: string | null;
        /** A replica whose data is older than this is not read from. */
        readonly replicaMaxLagMs: number;
        readonly poolMax: number;
      };
  readonly redisUrl: string | null;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly migrateOnStart: boolean;
  readonly shutdownTimeoutMs: number;
  readonly slowQueryMs: number;
  /** Null when not given: the embedded mode then generates its own into DATA_DIR (see security/keyring.ts). */
  readonly keys: Keyring | null;
  readonly auth: AuthSettings;
  /** The first start of a database without a system administrator creates one with this e-mail. */
  readonly initialAdminEmail: string;
  readonly worker: WorkerSettings;
  readonly mail: MailSettings;
  readonly retention: RetentionSettings;
  readonly stream: StreamSettings;
  readonly schedules: ScheduleSettings;
  readonly cache: CacheSettings;
}

export interface ScheduleSettings {
  /** When the analytics views are refreshed (a cron expression). */
  readonly analyticsRefreshCron: string;
  /** When certificates past their expiry day are marked EXPIRED (a cron expression). */
  readonly certificateExpiryCron: string;
  /** When every compliance score is recomputed and lapses propose tier changes (a cron expression). */
  readonly complianceRecomputeCron: string;
  /** When compliance renewal reminders due are sent (a cron expression). */
  readonly complianceReminderCron: string;
  /** When instructors who no longer meet what their sessions' courses ask are told, with their provider's APs (a cron expression). */
  readonly instructorEligibilityCron: string;
  /** When waitlist offers past their deadline are withdrawn and passed on (a cron expression). */
  readonly waitlistOfferExpiryCron: string;
  /** When the reminders of tomorrow's sessions are made due (a cron expression; each is sent once). */
  readonly sessionReminderCron: string;
  /** The time zone every schedule's expression is read in. */
  readonly timezone: string;
}

export interface CacheSettings {
  readonly l1MaxEntries: number;
  /** How long an entry lives at most; invalidation by committed changes usually ends it sooner. 0: no caching. */
  readonly ttlSeconds: number;
}

export interface WorkerSettings {
  /** Whether `serve` also runs a job dispatcher. */
  readonly inProcess: boolean;
  /** How long an idle dispatcher waits before it looks for work again. */
  readonly pollMs: number;
  /** How long a claimed job is its worker's; then another worker takes it over (its worker is taken for dead). */
  readonly leaseMs: number;
}

export interface MailSettings {
  readonly from: string;
  /** Without an SMTP URL, mail is written here as .eml files (DATA_DIR/outbox). */
  readonly outboxDir: string;
  readonly smtpUrl: string | null;
}

export interface RetentionSettings {
  /** change_log rows older than this are pruned; a stream resuming from before them gets `reset`. */
  readonly changeLogHours: number;
  /** SUCCEEDED jobs older than this are pruned (DEAD ones stay until an administrator retries them). */
  readonly jobDays: number;
  readonly pruneIntervalMs: number;
}

export interface StreamSettings {
  /** How often an idle SSE stream gets a heartbeat, so that proxies keep it open. */
  readonly heartbeatMs: number;
  /** A subscriber whose unsent output grows past this is disconnected (it resumes with Last-Event-ID). */
  readonly bufferBytes: number;
  /** How often the change feed looks at change_log when nothing woke it. */
  readonly feedPollMs: number;
}

export interface AuthSettings {
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlDays: number;
  /** Per client address and route, on the routes open to signed-out callers. */
  readonly publicRateLimitPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeProblem(name: string, value: string | undefined): string {
  const schema = EnvSchema.properties[name as keyof Env] as { description?: string; enum?: string[] };
  const expected = schema.enum ? `one of ${schema.enum.join(', ')}` : (schema.description ?? 'a valid value');
  // URLs may carry passwords, and keys are secrets: never echo them.
  const shown = secretVariables.test(name) ? 'the value given' : JSON.stringify(value);
  return `${name}: ${shown} is not valid; expected ${expected}`;
}

const keyVariables = ['ENCRYPTION_KEYS', 'BLIND_INDEX_KEY', 'TOKEN_SIGNING_KEY', 'CREDENTIAL_SIGNING_KEYS'] as const;

function parseKeys(env: Env, problems: string[]): Keyring | null {
  const missing = keyVariables.filter((name) => env[name] === undefined);
  if (missing.length === keyVariables.length) return null;
  if (missing.length > 0) {
    for (const name of missing) problems.push(`${name}: missing; ${keyVariables.join(', ')} are set together`);
    return null;
  }
  const attempt = <T>(name: string, parse: () => T): T | null => {
    try {
      return parse();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return null;
    }
  };
  const encryptionKeys = attempt('ENCRYPTION_KEYS', () => parseEncryptionKeys(env.ENCRYPTION_KEYS as string));
  const blindIndexKey = attempt('BLIND_INDEX_KEY', () => decodeSingleKey(env.BLIND_INDEX_KEY as string, 'the key'));
  const tokenSigningKey = attempt('TOKEN_SIGNING_KEY', () => decodeSingleKey(env.TOKEN_SIGNING_KEY as string, 'the key'));
  const credentialSigningKeys = attempt('CREDENTIAL_SIGNING_KEYS', () => parseCredentialSigningKeys(env.CREDENTIAL_SIGNING_KEYS as string));
  return encryptionKeys && blindIndexKey && tokenSigningKey && credentialSigningKeys
    ? { encryptionKeys, blindIndexKey, tokenSigningKey, credentialSigningKeys }
    : null;
}

/** Reads every setting from the environment once; lists every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, isTerminal = process.stdout.isTTY === true): Config {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = Value.Default(EnvSchema, Value.Convert(EnvSchema, { ...raw })) as Env;
  const invalid = new Set([...Value.Errors(EnvSchema, parsed)].map((error) => error.instancePath.split('/')[1] ?? ''));
  const problems = [...invalid].map((name) => describeProblem(name, raw[name]));
  const keys = parseKeys(parsed, problems);
  // The embedded database has no replica: a replica URL without DATABASE_URL is a mistake, not a no-op.
  if (parsed.DATABASE_REPLICA_URL !== undefined && parsed.DATABASE_URL === undefined && !invalid.has('DATABASE_REPLICA_URL')) {
    problems.push('DATABASE_REPLICA_URL: needs DATABASE_URL (the primary it replicates); the embedded database has no replica');
  }
  for (const name of ['ANALYTICS_REFRESH_CRON', 'CERTIFICATE_EXPIRY_CRON', 'COMPLIANCE_RECOMPUTE_CRON', 'COMPLIANCE_REMINDER_CRON', 'INSTRUCTOR_ELIGIBILITY_CRON', 'WAITLIST_OFFER_EXPIRY_CRON', 'SESSION_REMINDER_CRON'] as const) {
    if (invalid.has(name) || invalid.has('SCHEDULE_TIMEZONE')) continue;
    try {
      new Cron(parsed[name], { timezone: parsed.SCHEDULE_TIMEZONE, paused: true }).nextRun();
    } catch (error) {
      problems.push(`${name} or SCHEDULE_TIMEZONE: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = {
    host: parsed.HOST,
    port: parsed.PORT,
    publicUrl: parsed.PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    dataDir: parsed.DATA_DIR,
    database: parsed.DATABASE_URL
      ? {
          engine: 'postgres',
          url: parsed.DATABASE_URL,
          replicaUrl: parsed.DATABASE_REPLICA_URL ?? null,
          replicaMaxLagMs: parsed.DATABASE_REPLICA_MAX_LAG_MS,
          poolMax: parsed.DATABASE_POOL_MAX,
        }
      : { engine: 'pglite', dataDir: parsed.DATA_DIR },
    redisUrl: parsed.REDIS_URL ?? null,
    logLevel: parsed.LOG_LEVEL,
    logFormat: parsed.LOG_FORMAT === 'auto' ? (isTerminal ? 'pretty' : 'json') : parsed.LOG_FORMAT,
    migrateOnStart: parsed.MIGRATE_ON_START,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    slowQueryMs: parsed.SLOW_QUERY_MS,
    keys,
    auth: {
      accessTokenTtlSeconds: parsed.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: parsed.REFRESH_TOKEN_TTL_DAYS,
      publicRateLimitPerMinute: parsed.RATE_LIMIT_PUBLIC_PER_MINUTE,
    },
    initialAdminEmail: parsed.INITIAL_ADMIN_EMAIL,
    worker: { inProcess: parsed.WORKER_IN_PROCESS, pollMs: parsed.WORKER_POLL_MS, leaseMs: parsed.JOB_LEASE_MS },
    mail: { from: parsed.MAIL_FROM, outboxDir: join(parsed.DATA_DIR, 'outbox'), smtpUrl: parsed.SMTP_URL ?? null },
    retention: {
      changeLogHours: parsed.CHANGE_LOG_RETENTION_HOURS,
      jobDays: parsed.JOB_RETENTION_DAYS,
      pruneIntervalMs: parsed.PRUNE_INTERVAL_MS,
    },
    stream: { heartbeatMs: parsed.STREAM_HEARTBEAT_MS, bufferBytes: parsed.STREAM_BUFFER_BYTES, feedPollMs: parsed.FEED_POLL_MS },
    schedules: {
      analyticsRefreshCron: parsed.ANALYTICS_REFRESH_CRON,
      certificateExpiryCron: parsed.CERTIFICATE_EXPIRY_CRON,
      complianceRecomputeCron: parsed.COMPLIANCE_RECOMPUTE_CRON,
      complianceReminderCron: parsed.COMPLIANCE_REMINDER_CRON,
      instructorEligibilityCron: parsed.INSTRUCTOR_ELIGIBILITY_CRON,
      waitlistOfferExpiryCron: parsed.WAITLIST_OFFER_EXPIRY_CRON,
      sessionReminderCron: parsed.SESSION_REMINDER_CRON,
      timezone: parsed.SCHEDULE_TIMEZONE,
    },
    cache: { l1MaxEntries: parsed.CACHE_L1_MAX_ENTRIES, ttlSeconds: parsed.CACHE_TTL_SECONDS },
  };
  return Object.freeze(config);
}
