import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cliPath } from './cli.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs: () => string;
  /** Sends the signal (unless one was already sent) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `unitrain serve` as a real process on a free port and waits until it prints its URL. */
export async function startServerProcess(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  // BENCH_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`: flags for the server's node, as
  // bench/server-process.ts takes them (a benchmark's server profiled under load).
  const nodeArgs = process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cliPath, 'serve', ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(([code]) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  return {
    child,
    url,
    logs: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      // A second signal would mean "stop now" (exit 128 + its number): send one only if none was sent.
      if (!child.killed) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}
