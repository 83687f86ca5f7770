import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliTarget, createCliTarget } from '../test/cli.js';
import { startServerProcess } from '../test/server-process.js';
import { startServeInTerminal, type TerminalSession } from '../test/terminal-process.js';
import { until } from '../test/until.js';

// Real processes in a real pseudo-terminal (`script`), on this run's engine: `unitrain serve` logs in
// colour there, as under `npm start`, and its terminal can hang up while it stops.
let target: CliTarget;
let session: TerminalSession | null = null;

beforeEach(async () => {
  target = await createCliTarget('terminal');
});

afterEach(async () => {
  session?.kill();
  session = null;
  await target.remove();
});

// Generous: a deadline for an exit that will come, never a measure of how fast it came.
const exitDeadlineMs = 60_000;

async function servedInTerminal(): Promise<TerminalSession> {
  session = startServeInTerminal(target.env);
  const started = session;
  await until(() => started.screen().includes('Unitrain is listening at'), 'the server to listen', { timeoutMs: 120_000 });
  expect(started.screen()).toMatch(/INFO: Unitrain is listening at/);
  return started;
}

/** The server's exit status once every process in the terminal has exited. */
async function exitStatus(started: TerminalSession): Promise<number | null | 'still running'> {
  const deadline = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), exitDeadlineMs).unref());
  return Promise.race([started.exited, deadline]);
}

/** The database was closed as it should be: a new server starts on it and is ready. */
async function expectRestartWorks(): Promise<void> {
  const restarted = await startServerProcess(target.env);
  try {
    expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
  } finally {
    expect(await restarted.stop()).toBe(0);
  }
}

describe('the server in a terminal', () => {
  it('stops on Ctrl-C, writes its last lines to the terminal and exits 0', async () => {
    const started = await servedInTerminal();
    started.pressCtrlC();
    expect(await exitStatus(started)).toBe(0);
    expect(started.remaining()).toEqual([]);
    expect(started.screen()).toMatch(/shutting down: finishing requests in flight \{"signal":"SIGINT"\}[\s\S]*INFO: stopped/);
    await expectRestartWorks();
  });

  it('stops on SIGTERM sent to it alone and exits 0', async () => {
    const started = await servedInTerminal();
    process.kill(started.serverPid(), 'SIGTERM');
    expect(await exitStatus(started)).toBe(0);
    expect(started.remaining()).toEqual([]);
    expect(started.screen()).toContain('INFO: stopped');
    await expectRestartWorks();
  });

  it('stops when its terminal is closed (SIGHUP, then a terminal that is gone) and exits 0', async () => {
    const started = await servedInTerminal();
    started.closeTerminal();
    expect(await exitStatus(started)).toBe(0);
    expect(started.remaining()).toEqual([]);
    await expectRestartWorks();
  });

  it("stops when npm's shell and the server get SIGTERM together and the terminal goes with npm, and exits 0", async () => {
    const started = await servedInTerminal();
    // As `pkill -TERM` of both under `npm start`: npm exits with its shell, the terminal with npm, and the
    // server, stopping, gets SIGHUP too.
    // Both looked up first: once the shell is gone, the server may stop (SIGHUP) before it could be found.
    const [shell, server] = [started.owningShellPid(), started.serverPid()];
    process.kill(shell, 'SIGTERM');
    process.kill(server, 'SIGTERM');
    expect(await exitStatus(started)).toBe(0);
    expect(started.remaining()).toEqual([]);
    await expectRestartWorks();
  });
});
