import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { eventSubscribers } from '../job-handlers.js';
import type { Db } from '../platform/db/database.js';
import { historyProblems, migrationStatus } from '../platform/db/migrations/migrator.js';
import { embeddedDatabaseDir, openDatabase } from '../platform/db/open-database.js';
import { checkConsistency, type ConsistencyReport } from '../platform/consistency/index.js';
import { queueJobsOfPassedEvents, subscriptionsOf } from '../platform/jobs/index.js';
import { CliFailure } from './cli-failure.js';

const helpText = `
Checks, each with one statement over whole tables, in one read-only snapshot:
  enrollment-counter              current_enrollment = number of ENROLLED enrollments
  capacity                        never more enrolled than max_capacity
  waitlist-positions              WAITLISTED rows numbered 1..n per session; no position on other rows
  waitlist-while-seats-free       no waitlist while a (not cancelled) session has free seats
  cancelled-session-enrollments   a CANCELLED session has no ENROLLED or WAITLISTED enrollments
  roster-certificate-count        certificate_count = the roster's certificates that are not REVOKED
  provider-serves-location        a session's, schedule's or roster's provider serves its location
  schedule-course                 a session made from a schedule has the schedule's course
  roster-session                  a roster made from a session has its course and location
  instructor-role                 instructors of sessions, schedules and rosters are IC, IP, SA or AD
  certificate-source              a certificate agrees with the enrollment or roster line it was issued for
  analytics-freshness             every analytics view was refreshed within the last 24 hours
  certificate-status-list         each certificate's bits in the status lists say its status
  certificate-status              a certificate marked EXPIRED has an expiry date, and it has passed
  compliance-standing             a profile's compliance status agrees with its score (decision 0021)
  compliance-record-source        a compliance record made from an enrollment is its student's
  relayed-event-jobs              an event the job relay has passed has the jobs of its type's handlers
                                  (events of the last JOB_RETENTION_DAYS; older ones' jobs may be pruned)
  replica-lag                     with DATABASE_REPLICA_URL: the replica answers, and replays what the
                                  primary has written within DATABASE_REPLICA_MAX_LAG_MS (checked last)

Exit code 0 when every rule holds; 1 with one line per violation (table, row id, what is wrong,
expected and found), or a JSON document with --json. It connects as the database owner, like \`seed\`:
the embedded database in DATA_DIR (stop the server first) or DATABASE_URL; it needs none of the keys.
It changes nothing, except with --repair:

  --repair    first queues the jobs of the events the relay passed without queuing them (the relay
              could until it was fixed, decision 0016), then checks. Safe to repeat, and beside running
              workers and another repair: each job is queued once.
`;

const number = (n: number) => n.toLocaleString('en-US');

/** A diagnosis needs the schema the checks were written for: pending or edited migrations are reported instead. */
async function ensureCurrentSchema(db: Db): Promise<void> {
  const states = await migrationStatus(db);
  const problems = historyProblems(states);
  if (problems.length > 0) throw new CliFailure(problems.join('; '));
  const pending = states.filter((s) => s.state === 'pending').map((s) => s.id);
  if (pending.length > 0) throw new CliFailure(`the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run \`npx unitrain migrate up\` first`);
}

function printText(report: ConsistencyReport): void {
  const statuses = Object.entries(report.certificateStatuses).map(([status, rows]) => `${number(rows)} ${status}`).join(', ');
  const checked = Object.entries(report.checkedRows)
    .map(([table, rows]) => `${number(rows)} ${table}${table === 'certificates' && statuses !== '' ? ` (${statuses})` : ''}`)
    .join(', ');
  const took = report.durationMs < 1000 ? `${Math.round(report.durationMs)} ms` : `${(report.durationMs / 1000).toFixed(1)} s`;
  if (report.violations.length === 0) {
    console.log(`no violations: ${report.checks.length} checks over ${checked} in ${took}`);
    return;
  }
  for (const v of report.violations) console.log(`${v.check}: ${v.table} ${v.rowId}: ${v.problem} (expected ${v.expected}, found ${v.found})`);
  const failed = report.checks.filter((c) => c.violations > 0).map((c) => c.name);
  throw new CliFailure(`${number(report.violations.length)} violation(s) found by ${failed.length} of ${report.checks.length} checks (${failed.join(', ')}) over ${checked} in ${took}`);
}

interface Repair {
  events: number;
  jobs: number;
}

function printJson(report: ConsistencyReport, repair: Repair | null): void {
  const document = {
    ok: report.violations.length === 0,
    ...(repair ? { repaired: repair } : {}),
    violations: report.violations.map((v) => ({ check: v.check, table: v.table, row_id: v.rowId, problem: v.problem, expected: v.expected, found: v.found })),
    checks: report.checks.map((c) => ({ name: c.name, rule: c.rule, violations: c.violations, duration_ms: Math.round(c.durationMs) })),
    checked_rows: report.checkedRows,
    certificate_statuses: report.certificateStatuses,
    duration_ms: Math.round(report.durationMs),
  };
  console.log(JSON.stringify(document, null, 2));
  if (!document.ok) process.exitCode = 1;
}

export function registerDoctorCommand(program: Command, context: { config: () => Config }): void {
  program
    .command('doctor')
    .description('check the consistency of the data (counters, waitlists, certificates, compliance, assignments, analytics freshness) and the replica\'s lag, and name every violation')
    .option('--json', 'print a machine-readable report')
    .option('--repair', 'first queue the jobs of events the relay passed without queuing them')
    .addHelpText('after', helpText)
    .action(async (options: { json?: boolean; repair?: boolean }) => {
      const config = context.config();
      // Opening an embedded directory that does not exist would create an empty database there.
      if (config.database.engine === 'pglite' && config.database.dataDir !== null && !existsSync(embeddedDatabaseDir(config.database.dataDir))) {
        throw new CliFailure(`there is no embedded database in ${embeddedDatabaseDir(config.database.dataDir)}: start the server or seed it first`);
      }
      // No query log: the checks scan whole tables by design, and a slow-query warning per check helps nobody.
      const db = await openDatabase(config, null);
      try {
        await ensureCurrentSchema(db);
        // What the relay queues for each event type, as the handlers the workers run declare it (src/job-handlers.ts).
        const relay = { subscriptions: subscriptionsOf(eventSubscribers), jobRetentionDays: config.retention.jobDays };
        const repair = options.repair ? await queueJobsOfPassedEvents(db, relay.subscriptions, relay.jobRetentionDays) : null;
        if (repair && !options.json) console.log(`repair: ${number(repair.events)} event(s) the relay passed without jobs; queued ${number(repair.jobs)} job(s)`);
        const report = await checkConsistency(db, { relay, ...(config.database.engine === 'postgres' ? { replicaMaxLagMs: config.database.replicaMaxLagMs } : {}) });
        if (options.json) printJson(report, repair);
        else printText(report);
      } finally {
        await db.close();
      }
    });
}
