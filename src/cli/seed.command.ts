import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/database.js';
import { historyProblems, migrateUp, migrationStatus } from '../platform/db/migrations/migrator.js';
import { openDatabase } from '../platform/db/open-database.js';
import { AppError } from '../errors.js';
import { seedDatabase, SeedInterrupted, type SeedProgress, type SeedReport, type SeedSize, seedSizeNames, type SeedTable } from '../seed/index.js';
import { createFieldCipher } from '../platform/security/field-cipher.js';
import { loadKeyring } from '../platform/security/keyring.js';
import type { Logger } from '../platform/shared/logger.js';
import { stopOnSignal } from '../platform/shared/stop-on-signal.js';
import { CliFailure } from './cli-failure.js';

interface SeedCommandOptions {
  size: string;
  seed: string;
  today?: string;
}

const helpText = `
Sizes:
  small   a demo: 2 providers, 5 locations, 60 users, 12 courses, 400 sessions, about 4,000 enrollments (seconds)
  large   a benchmark: about 50,000 sessions and 1,000,000 enrollments (minutes)

Determinism: the same --seed and --today give the same rows, ids included, on the embedded database
and on PostgreSQL alike. Only the encrypted columns (e-mail and phone ciphertexts) differ between runs,
because AES-GCM draws a random IV for every value; their HMAC blind indexes are equal under the same keys.
Without --today, the anchor is today's date (UTC), so runs on different days differ.

The database must be empty (the administrator the first start creates aside): the seed refuses one that
already holds data. The embedded database is
migrated first, as \`serve\` does; a server database must be migrated beforehand (\`unitrain migrate up\`).
Everything is loaded in one transaction: an interrupted seed leaves nothing behind. Seeded rows are
nobody's action, so they are not audited (the seed switches the audit trigger off for its transaction,
which only the database owner can do).
`;

function parseOptions(options: SeedCommandOptions): { size: SeedSize; seed: number; today: string } {
  if (!(seedSizeNames as string[]).includes(options.size)) {
    throw new CliFailure(`--size must be one of ${seedSizeNames.join(', ')}, got "${options.size}"`);
  }
  if (!/^\d+$/.test(options.seed) || !Number.isSafeInteger(Number(options.seed))) {
    throw new CliFailure(`--seed must be a non-negative whole number, got "${options.seed}"`);
  }
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
  const parsed = match ? new Date(`${today}T00:00:00Z`) : null;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== today) {
    throw new CliFailure(`--today must be a date written YYYY-MM-DD, got "${today}"`);
  }
  return { size: options.size as SeedSize, seed: Number(options.seed), today };
}

/** The embedded database belongs to this process and is brought up to date; a server database is only checked. */
async function ensureSchema(db: Db): Promise<void> {
  if (db.engine === 'pglite') {
    const run = await migrateUp(db);
    if (run.planned.length > 0) console.log(`applied ${run.planned.length} migration(s) to the embedded database`);
    return;
  }
  const states = await migrationStatus(db);
  const problems = historyProblems(states);
  if (problems.length > 0) throw new CliFailure(problems.join('; '));
  const pending = states.filter((s) => s.state === 'pending').map((s) => s.id);
  if (pending.length > 0) {
    throw new CliFailure(`the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run \`npx unitrain migrate up\` first`);
  }
}

const number = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Bars on a terminal; on anything else, a line per table and, for long tables, one every few seconds. */
function progressPrinter(terminal: boolean): { onProgress: (p: SeedProgress) => void; stop: () => void } {
  if (terminal) {
    const bars = new cliProgress.MultiBar(
      {
        stream: process.stdout, clearOnComplete: false, hideCursor: true, autopadding: true, barsize: 20,
        format: '{table} {bar} {percentage}% | {rows} rows | {duration_formatted}',
      },
      cliProgress.Presets.shades_classic,
    );
    const byTable = new Map<SeedTable, cliProgress.SingleBar>();
    return {
      onProgress(p) {
        if (p.kind === 'step') {
          bars.log(`${p.step}…\n`);
          return;
        }
        if (p.kind === 'table-done') {
          const bar = byTable.get(p.table);
          bar?.update(bar.getTotal(), { rows: number(p.rows) });
          bar?.stop();
          return;
        }
        let bar = byTable.get(p.table);
        if (!bar) {
          bar = bars.create(Math.max(1, p.total), 0, { table: p.table.padEnd(28), rows: '0' });
          byTable.set(p.table, bar);
        }
        bar.update(p.done, { rows: number(p.rows) });
      },
      stop: () => bars.stop(),
    };
  }
  let lastLine = performance.now();
  return {
    onProgress(p) {
      if (p.kind === 'step') console.log(`${p.step}…`);
      else if (p.kind === 'table-done') {
        console.log(`seeded ${p.table}: ${number(p.rows)} rows in ${seconds(p.ms)}`);
        lastLine = performance.now();
      } else if (performance.now() - lastLine > 5_000 && p.total > 0) {
        console.log(`  ${p.table}: ${Math.floor((p.done / p.total) * 100)}% (${number(p.rows)} rows)`);
        lastLine = performance.now();
      }
    },
    stop: () => undefined,
  };
}

function printReport(report: SeedReport, options: { size: SeedSize; seed: number; today: string }): void {
  const width = Math.max(...report.counts.map((c) => c.table.length), 'total'.length) + 2;
  console.log('');
  console.log(`${'table'.padEnd(width)}${'rows'.padStart(12)}`);
  for (const { table, rows } of report.counts) console.log(`${table.padEnd(width)}${number(rows).padStart(12)}`);
  console.log(`${'total'.padEnd(width)}${number(report.totalRows).padStart(12)}`);
  console.log(`seeded ${options.size} data (seed ${options.seed}, today ${options.today}) in ${seconds(report.elapsedMs)}`);
}

export function registerSeedCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  program
    .command('seed')
    .description('fill an empty database with realistic, deterministic demo or benchmark data')
    .option('--size <size>', `how much data: ${seedSizeNames.join(' or ')}`, 'small')
    .option('--seed <n>', 'seed of the generator: the same seed gives the same data', '1')
    .option('--today <YYYY-MM-DD>', "the day the data is centred on (default: today's date, UTC)")
    .addHelpText('after', helpText)
    .action(async (raw: SeedCommandOptions) => {
      const options = parseOptions(raw);
      const config = context.config();
      const cipher = createFieldCipher(await loadKeyring(config));
      // No query log: every bulk statement is "slow" by design, and a warning per batch helps nobody.
      const db = await openDatabase(config, null);
      const printer = progressPrinter(process.stdout.isTTY === true);
      const stop = new AbortController();
      // Prints its own line when a signal interrupted it: the process then exits from stopOnSignal, which waits for it.
      const seed = async (): Promise<'seeded' | 'interrupted'> => {
        try {
          await ensureSchema(db);
          const report = await seedDatabase(db, cipher, options, printer.onProgress, stop.signal);
          printer.stop();
          printReport(report, options);
          return 'seeded';
        } catch (error) {
          printer.stop();
          if (error instanceof SeedInterrupted) {
            console.error(`error: ${error.message}`);
            return 'interrupted';
          }
          if (error instanceof AppError) throw new CliFailure(error.message);
          throw error;
        } finally {
          await db.close();
        }
      };
      const seeding = seed();
      // Ctrl-C, SIGTERM or a closed terminal (SIGHUP) stops the load after the statement in hand: the one
      // transaction rolls back and the database closes before the process exits 1 (a second Ctrl-C or SIGTERM
      // exits at once, as serve and worker do).
      stopOnSignal(context.logger(), { deadlineMs: config.shutdownTimeoutMs, stoppingMessage: 'stopping the seed: its transaction rolls back' }, async () => {
        stop.abort();
        return (await seeding) === 'interrupted' ? 1 : 0;
      });
      await seeding;
    });
}
