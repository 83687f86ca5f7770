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

try {
  await (await createProgram(context, process.argv)).parseAsync(process.argv);
} catch (error) {
  const { lines, expected } = failureLines(error);
  if (expected) for (const line of lines) console.error(line);
  else console.error(error);
  process.exitCode = 1;
}
