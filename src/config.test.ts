import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

// Pure parsing of an environment object; the process-level behaviour (exit 1, one line each) is in server.test.ts.
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env, false);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration', () => {
  it('defaults to the embedded database in ./data on 127.0.0.1:3000', () => {
    const config = loadConfig({}, false);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, database: { engine: 'pglite', dataDir: './data' }, logFormat: 'json', keys: null });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes PUBLIC_URL as the base of printed links, without a trailing slash, and refuses anything but an http(s) base', () => {
    expect(loadConfig({}, false).publicUrl).toBeNull();
    expect(loadConfig({ PUBLIC_URL: 'https://training.example.org/unitrain/' }, false).publicUrl).toBe('https://training.example.org/unitrain');
    for (const bad of ['training.example.org', 'ftp://example.org', 'https://example.org/?q=1', 'https://exa mple.org']) {
      expect(problemsOf({ PUBLIC_URL: bad })).toEqual([`PUBLIC_URL: ${JSON.stringify(bad)} is not valid; expected an http:// or https:// base URL, e.g. https://training.example.org`]);
    }
  });

  it('uses PostgreSQL, a replica and Redis when their URLs are given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@db/unitrain',
      DATABASE_REPLICA_URL: 'postgresql://app@replica/unitrain',
      REDIS_URL: 'redis://cache:6379',
      DATABASE_POOL_MAX: '25',
    });
    expect(config.database).toEqual({
      engine: 'postgres', url: 'postgres://app@db/unitrain', replicaUrl: 'postgresql://app@replica/unitrain', replicaMaxLagMs: 5_000, poolMax: 25,
    });
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  it('validates the replica: a postgres URL, beside DATABASE_URL, with a bounded lag', () => {
    const primary = { DATABASE_URL: 'postgres://app@db/unitrain' };
    expect(loadConfig({ ...primary, DATABASE_REPLICA_URL: 'postgres://app@replica/unitrain', DATABASE_REPLICA_MAX_LAG_MS: '250' }).database)
      .toMatchObject({ replicaMaxLagMs: 250 });
    expect(problemsOf({ ...primary, DATABASE_REPLICA_URL: 'mysql://app:secret@replica' })).toEqual([
      'DATABASE_REPLICA_URL: the value given is not valid; expected a postgres:// or postgresql:// URL',
    ]);
    expect(problemsOf({ DATABASE_REPLICA_URL: 'postgres://app@replica/unitrain' })).toEqual([
      'DATABASE_REPLICA_URL: needs DATABASE_URL (the primary it replicates); the embedded database has no replica',
    ]);
    expect(problemsOf({ ...primary, DATABASE_REPLICA_MAX_LAG_MS: '-1' })).toEqual([
      'DATABASE_REPLICA_MAX_LAG_MS: "-1" is not valid; expected milliseconds from 0 to 60000',
    ]);
  });

  it('converts numbers and booleans, and pretty-prints logs only on a terminal when LOG_FORMAT is auto', () => {
    expect(loadConfig({ PORT: '8080', MIGRATE_ON_START: 'true' }, true)).toMatchObject({ port: 8080, migrateOnStart: true, logFormat: 'pretty' });
    expect(loadConfig({ LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
  });

  it('lists every invalid variable at once, one line each, naming it and what is expected', () => {
    expect(problemsOf({ PORT: '-1', SHUTDOWN_TIMEOUT_MS: 'soon', LOG_FORMAT: 'xml' })).toEqual([
      'PORT: "-1" is not valid; expected an integer from 0 to 65535',
      'LOG_FORMAT: "xml" is not valid; expected one of json, pretty, auto',
      'SHUTDOWN_TIMEOUT_MS: "soon" is not valid; expected milliseconds from 100 to 600000',
    ]);
  });

  it('parses keys given together, refuses one without the others, and never echoes a secret', () => {
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({ ENCRYPTION_KEYS: `k1:${key}`, BLIND_INDEX_KEY: key, TOKEN_SIGNING_KEY: key, CREDENTIAL_SIGNING_KEYS: `c1:${key},c2:${key}` });
    expect(config.keys?.encryptionKeys.map((k) => k.id)).toEqual(['k1']);
    expect(config.keys?.tokenSigningKey.equals(Buffer.from(key, 'base64'))).toBe(true);
    expect(config.keys?.credentialSigningKeys.map((k) => k.id)).toEqual(['c1', 'c2']);
    const together = 'ENCRYPTION_KEYS, BLIND_INDEX_KEY, TOKEN_SIGNING_KEY, CREDENTIAL_SIGNING_KEYS are set together';
    expect(problemsOf({ ENCRYPTION_KEYS: `k1:${key}` })).toEqual([
      `BLIND_INDEX_KEY: missing; ${together}`,
      `TOKEN_SIGNING_KEY: missing; ${together}`,
      `CREDENTIAL_SIGNING_KEYS: missing; ${together}`,
    ]);
    const short = randomBytes(8).toString('base64');
    const problems = problemsOf({ ENCRYPTION_KEYS: `k1:${short}`, BLIND_INDEX_KEY: short, TOKEN_SIGNING_KEY: short, CREDENTIAL_SIGNING_KEYS: `c1:${short}` });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).not.toContain(short);
    expect(problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db' })[0]).not.toContain('hunter2');
  });

  it('reads the token lifetimes, the public rate limit and the first administrator e-mail, with defaults', () => {
    expect(loadConfig({}, false)).toMatchObject({
      auth: { accessTokenTtlSeconds: 900, refreshTokenTtlDays: 30, publicRateLimitPerMinute: 100 },
      initialAdminEmail: 'admin@unitrain.local',
    });
    const config = loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '120', REFRESH_TOKEN_TTL_DAYS: '7', RATE_LIMIT_PUBLIC_PER_MINUTE: '5', INITIAL_ADMIN_EMAIL: 'root@example.org' });
    expect(config).toMatchObject({ auth: { accessTokenTtlSeconds: 120, refreshTokenTtlDays: 7, publicRateLimitPerMinute: 5 }, initialAdminEmail: 'root@example.org' });
    expect(problemsOf({ ACCESS_TOKEN_TTL_SECONDS: '5', INITIAL_ADMIN_EMAIL: 'nobody' })).toEqual([
      'ACCESS_TOKEN_TTL_SECONDS: "5" is not valid; expected seconds from 60 to 86400',
      'INITIAL_ADMIN_EMAIL: "nobody" is not valid; expected an e-mail address',
    ]);
  });

  it('runs a job dispatcher in process by default, polling every 250 ms, and mails into DATA_DIR/outbox', () => {
    expect(loadConfig({}, false)).toMatchObject({
      worker: { inProcess: true, pollMs: 250, leaseMs: 60_000 },
      mail: { from: 'Unitrain <no-reply@unitrain.local>', outboxDir: join('data', 'outbox') },
    });
    expect(loadConfig({ JOB_LEASE_MS: '300000' }, false).worker.leaseMs).toBe(300_000);
    expect(problemsOf({ JOB_LEASE_MS: '5000' })).toEqual(['JOB_LEASE_MS: "5000" is not valid; expected milliseconds from 30000 to 3600000']);
    const config = loadConfig({ WORKER_IN_PROCESS: 'false', WORKER_POLL_MS: '50', MAIL_FROM: 'Training <t@example.org>', DATA_DIR: '/srv/unitrain' }, false);
    expect(config).toMatchObject({ worker: { inProcess: false, pollMs: 50 }, mail: { from: 'Training <t@example.org>', outboxDir: '/srv/unitrain/outbox' } });
    expect(problemsOf({ WORKER_IN_PROCESS: 'sometimes', WORKER_POLL_MS: '0', MAIL_FROM: 'nobody' })).toEqual([
      'WORKER_IN_PROCESS: "sometimes" is not valid; expected true or false',
      'WORKER_POLL_MS: "0" is not valid; expected milliseconds from 10 to 60000',
      'MAIL_FROM: "nobody" is not valid; expected a From address, e.g. Unitrain <no-reply@example.org>',
    ]);
  });
  it('prunes the change log after a week and finished jobs after 14 days, and bounds each stream at 1 MiB', () => {
    expect(loadConfig({}, false)).toMatchObject({
      mail: { smtpUrl: null },
      retention: { changeLogHours: 168, jobDays: 14, pruneIntervalMs: 3_600_000 },
      stream: { heartbeatMs: 15_000, bufferBytes: 1_048_576, feedPollMs: 1_000 },
    });
    const config = loadConfig(
      { SMTP_URL: 'smtp://mail.example.org:587', CHANGE_LOG_RETENTION_HOURS: '2', JOB_RETENTION_DAYS: '1', STREAM_HEARTBEAT_MS: '500', STREAM_BUFFER_BYTES: '4096' },
      false,
    );
    expect(config).toMatchObject({ mail: { smtpUrl: 'smtp://mail.example.org:587' }, retention: { changeLogHours: 2, jobDays: 1 }, stream: { heartbeatMs: 500, bufferBytes: 4096 } });
    expect(problemsOf({ SMTP_URL: 'http://mail', CHANGE_LOG_RETENTION_HOURS: '0', STREAM_BUFFER_BYTES: '10' })).toEqual([
      'SMTP_URL: the value given is not valid; expected an smtp:// or smtps:// URL',
      'CHANGE_LOG_RETENTION_HOURS: "0" is not valid; expected hours from 1 to 8760',
      'STREAM_BUFFER_BYTES: "10" is not valid; expected bytes from 1024 to 268435456',
    ]);
  });
});
