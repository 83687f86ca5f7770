import { type Command, Option } from 'commander';
import type { Config } from '../config.js';
import { roles } from '../platform/db/actor.js';
import type { Db } from '../platform/db/database.js';
import { historyProblems, migrateUp, migrationStatus } from '../platform/db/migrations/migrator.js';
import { openDatabase } from '../platform/db/open-database.js';
import { AppError } from '../errors.js';
import { createAccount, type NewAccount } from '../domains/users/index.js';
import { createFieldCipher } from '../platform/security/field-cipher.js';
import { loadKeyring } from '../platform/security/keyring.js';
import { maximumPasswordLength, minimumPasswordLength } from '../platform/security/passwords.js';
import type { Logger } from '../platform/shared/logger.js';
import { CliFailure } from './cli-failure.js';

interface CreateOptions {
  role: NewAccount['role'];
  email: string;
  passwordStdin?: boolean;
  firstName?: string;
  lastName?: string;
}

/** The whole of standard input, without the one line ending `echo` or a here-string adds. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The embedded database belongs to this process and is brought up to date; a server database is only checked. */
async function ensureSchema(db: Db): Promise<void> {
  if (db.engine === 'pglite') {
    await migrateUp(db);
    return;
  }
  const states = await migrationStatus(db);
  const problems = historyProblems(states);
  if (problems.length > 0) throw new CliFailure(problems.join('; '));
  const pending = states.filter((s) => s.state === 'pending').map((s) => s.id);
  if (pending.length > 0) throw new CliFailure(`the database has pending migration(s) (${pending.join(', ')}): run \`npx unitrain migrate up\` first`);
}

function checkInput(options: CreateOptions, password: string): void {
  if (!/^[^@\s]+@[^@\s]+$/.test(options.email)) throw new CliFailure(`--email must be an e-mail address`);
  if (password.length < minimumPasswordLength) throw new CliFailure(`the password on standard input must be at least ${minimumPasswordLength} characters long`);
  if (password.length > maximumPasswordLength) throw new CliFailure(`the password on standard input must be at most ${maximumPasswordLength} characters long`);
}

export function registerUserCommand(program: Command, context: { config: () => Config; logger: () => Logger }): void {
  const user = program.command('user').description('manage accounts from the command line (as the database owner)');
  user
    .command('create')
    .description('create an account of any role and print its id')
    .addOption(new Option('--role <role>', 'the account role').choices([...roles]).makeOptionMandatory())
    .requiredOption('--email <email>', 'the e-mail address the account signs in with')
    .option('--password-stdin', 'read the password from standard input (at least 12 characters)')
    .option('--first-name <name>', 'first name on the profile (default: the part of the e-mail before @)')
    .option('--last-name <name>', 'last name on the profile (default: the role)')
    .addHelpText('after', '\nExample:\n  printf %s "$PASSWORD" | npx unitrain user create --role SA --email admin@example.org --password-stdin\n')
    .action(async (options: CreateOptions) => {
      if (!options.passwordStdin) throw new CliFailure('give the password on standard input with --password-stdin (it never goes on the command line)');
      const password = await readPassword();
      checkInput(options, password);
      const config = context.config();
      const cipher = createFieldCipher(await loadKeyring(config));
      // No query log: stdout carries only the new id, for scripts.
      const db = await openDatabase(config, null);
      try {
        await ensureSchema(db);
        const id = await createAccount(
          { db, cipher },
          {
            role: options.role,
            email: options.email,
            password,
            firstName: options.firstName ?? (options.email.split('@')[0] as string),
            lastName: options.lastName ?? options.role,
          },
        );
        console.log(id);
      } catch (error) {
        if (error instanceof AppError) throw new CliFailure(error.message);
        throw error;
      } finally {
        await db.close();
      }
    });
}
