import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cliPath } from './cli.js';

/**
 * `unitrain serve` in a real pseudo-terminal, as `npm start` runs it in a terminal window. `script`
 * (util-linux) plays the terminal emulator. In it, a shell owns the terminal as a person's does (it
 * survives Ctrl-C, dies when the terminal hangs up); it runs a recorder shell that runs the server and
 * writes the server's exit status to a pipe of the test's, which stays open until the last process that
 * inherited it (the recorder, the shells, the server) has exited.
 */
export interface TerminalSession {
  /** What the terminal has shown so far, without colour codes. */
  screen(): string;
  /** Resolves when every process started in the terminal has exited, with the server's exit status. */
  exited: Promise<number | null>;
  pressCtrlC(): void;
  /** Kills the emulator: its terminal hangs up, so the shell that owns it gets SIGHUP and exits. */
  closeTerminal(): void;
  /** The shell that owns the terminal: killing it ends the session, as npm's exit ends `npm start`'s. */
  owningShellPid(): number;
  serverPid(): number;
  /** The processes started in the terminal that are still running (none, once `exited` resolved). */
  remaining(): number[];
  /** Kills whatever still runs (after a failed test). */
  kill(): void;
}

const markerVariable = 'UNITRAIN_TERMINAL_SESSION';
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

interface SessionProcess {
  pid: number;
  ppid: number;
  command: string[];
}

/** The live processes whose environment carries `marker` (zombies have an empty environment). */
function processesOf(marker: string): SessionProcess[] {
  const found: SessionProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`${markerVariable}=${marker}`)) continue;
      // The state and ppid follow the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      found.push({ pid: Number(entry), ppid, command: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') });
    } catch {
      // It exited while being read.
    }
  }
  return found;
}

export function startServeInTerminal(env: Record<string, string>, args: string[] = []): TerminalSession {
  const marker = randomUUID();
  const recorder = `trap : HUP INT; "$@"; echo "exit $?" >&3`;
  const server = [process.execPath, cliPath, 'serve', ...args];
  const owningShell = `trap : INT; sh -c ${quote(recorder)} recorder ${server.map(quote).join(' ')}; :`;
  const emulator = spawn('script', ['--quiet', '--flush', '--command', owningShell, '/dev/null'], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', SHELL: '/bin/sh', TERM: 'xterm', PORT: '0', ...env, [markerVariable]: marker },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  emulator.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  emulator.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let status = '';
  const statusPipe = emulator.stdio[3] as NodeJS.ReadableStream;
  statusPipe.on('data', (chunk: Buffer) => (status += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    statusPipe.on('close', () => {
      const match = /^exit (\d+)$/m.exec(status);
      resolve(match ? Number(match[1]) : null);
    });
  });
  const only = (what: string, matches: (p: SessionProcess) => boolean): number => {
    const found = processesOf(marker).filter(matches);
    if (found.length !== 1) throw new Error(`expected one ${what} in the terminal, found ${found.length}`);
    return (found[0] as SessionProcess).pid;
  };
  return {
    // eslint-disable-next-line no-control-regex -- colour codes are control sequences
    screen: () => output.replace(/\x1b\[[0-9;]*m/g, ''),
    exited,
    pressCtrlC: () => emulator.stdin.write('\x03'),
    closeTerminal: () => emulator.kill('SIGKILL'),
    owningShellPid: () => only('owning shell', (p) => p.ppid === emulator.pid),
    serverPid: () => only('server', (p) => p.command[0] === process.execPath && p.command.includes(cliPath)),
    remaining: () => processesOf(marker).map((p) => p.pid),
    kill() {
      emulator.kill('SIGKILL');
      for (const { pid } of processesOf(marker)) process.kill(pid, 'SIGKILL');
    },
  };
}
