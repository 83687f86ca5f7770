import { failureLines, createProgram } from './cli/program.js';
import { type Config, loadConfig } from './config.js';
import { createLogger, type Logger } from './platform/shared/logger.js';

// Config is read once, lazily, so `unitrain --help` works even with a broken environment.
let config: Config | undefined;
let logger: Logger | undefined;
const context = {
  config: () => (config ??= loadConfig()),
  logger: () => (logger ??= createLogger(context.config())),
};

// The reader of stdout went away (`unitrain migrate status | head -1`): what is left to print is dropped,
// silently, as Unix tools say nothing then. The command still runs to its end and closes its database: a
// migration or a seed is not cut off half-way because a pager closed.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

try {
  await (await createProgram(context, process.argv)).parseAsync(process.argv);
} catch (error) {
  const { lines, expected } = failureLines(error);
  if (expected) for (const line of lines) console.error(line);
  else console.error(error);
  process.exitCode = 1;
}
