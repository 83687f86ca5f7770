import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { Logger } from './logger.js';

// SIGHUP: the terminal was closed. Never a fault signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL): a JavaScript
// listener can not run for one, and having one makes libuv's handler return to the faulting instruction,
// so that a native crash spins at full CPU instead of ending the process.
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof stopSignals)[number];

/** What stopped the process: a signal (exit 0 once stopped), or an error nothing caught (exit 1). */
type StopReason = { signal: StopSignal } | { error: unknown };

/**
 * Runs `stop` once, on SIGINT, SIGTERM, SIGHUP or an uncaught error, then exits: after a signal with the code
 * `stop` resolves to (0 when none: a server that stopped did its work; a seed it interrupted did not), 1 after an
 * error or when `stop` overruns `deadlineMs`; it logs why (`stoppingMessage` with the signal, or the error).
 * A second SIGINT or SIGTERM exits at once with 128 + its number, as a shell reports a process the signal
 * ended. SIGHUP, a closed terminal, never hurries a stop:
 * it comes along with the others (npm, exiting once `pkill` ended its shell, leaves the server a SIGHUP).
 */
export function stopOnSignal(logger: Logger, settings: { deadlineMs: number; stoppingMessage: string }, stop: () => Promise<number | void>): void {
  const { deadlineMs, stoppingMessage } = settings;
  const terminalStdio = [0, 1, 2].filter((fd) => isatty(fd));
  let hungUp = false;
  let stopRequests = 0;
  let stopping = false;

  const exit = (code: number): never => {
    releaseClosedTerminal(terminalStdio, hungUp);
    return process.exit(code);
  };

  const begin = (reason: StopReason): void => {
    stopping = true;
    if ('error' in reason) logger.error({ err: reason.error }, 'stopping after an unexpected error');
    else logger.info({ signal: reason.signal }, stoppingMessage);
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown overran its deadline: exiting without finishing it');
      exit(1);
    }, deadlineMs);
    stop().then(
      (code) => exit('error' in reason ? 1 : (code ?? 0)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };

  const onSignal = (signal: StopSignal): void => {
    if (signal === 'SIGHUP') hungUp = true;
    else stopRequests += 1;
    if (!stopping) begin({ signal });
    else if (stopRequests > 1 && signal !== 'SIGHUP') {
      logger.error({ signal }, `second ${signal}: exiting without finishing the shutdown`);
      exit(128 + constants.signals[signal]);
    }
  };
  const onError = (error: unknown): void => {
    if (!stopping) begin({ error });
    else {
      logger.error({ err: error }, 'another error while stopping: exiting without finishing the shutdown');
      exit(1);
    }
  };
  for (const signal of stopSignals) process.on(signal, onSignal);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}

/**
 * As it exits, Node restores the settings of each standard descriptor that was a terminal when it started.
 * Node 20 aborts when that fails, as it does (EIO) once the terminal has hung up: a closed window, or the
 * shell or `npm` that owned it exiting first; the abort's stack dump then faults in the half torn-down
 * process. Node skips a descriptor that no longer names the file it found at start, so one whose terminal
 * has gone (SIGHUP came, or it no longer answers as a terminal) is pointed at /dev/null first.
 */
function releaseClosedTerminal(terminalStdio: number[], hungUp: boolean): void {
  for (const fd of terminalStdio) {
    if (!hungUp && isatty(fd)) continue;
    closeSync(fd);
    // open() takes the lowest free descriptor, the one just closed; should another thread take it first,
    // the descriptor still no longer names the terminal, which is all Node checks.
    openSync('/dev/null', fd === 0 ? 'r' : 'w');
  }
}
