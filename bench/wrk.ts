import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What wrk counted: answers, the rate, its own CPU in ms. */
export interface GeneratedLoad {
  requests: number;
  rate: number;
  generatorCpuMs: number;
}

// wrk's summary as one JSON line; os.clock() is the CPU time of the whole wrk process (its threads included).
const summaryScript = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%d,"micros":%d,"non2xx":%d,"errors":%d,"cpuMs":%.3f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout, os.clock() * 1000))
end
`;

/**
 * `seconds` of GETs to `url` from `connections` keep-alive connections, made by wrk (one thread), a load
 * generator in C in a process of its own, as pgbench is the database anchor's (decision 0110). Every answer
 * must be below 400 (wrk does not count a 3xx apart) and no socket may fail.
 */
export async function generateLoad(url: string, options: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<GeneratedLoad> {
  const script = join(tmpdir(), `unitrain-wrk-${process.pid}-${Date.now()}.lua`);
  await writeFile(script, summaryScript);
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  try {
    const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '-s', script, ...headers, url]);
    const summary = /^\{"requests".*\}$/m.exec(stdout)?.[0];
    if (summary === undefined) throw new Error(`wrk printed no summary: ${stdout}`);
    const { requests, micros, non2xx, errors, cpuMs } = JSON.parse(summary) as { requests: number; micros: number; non2xx: number; errors: number; cpuMs: number };
    if (non2xx > 0 || errors > 0) throw new Error(`${url}: ${non2xx} answers of 400 or more, ${errors} socket errors or timeouts`);
    return { requests, rate: Math.round(requests / (micros / 1e6)), generatorCpuMs: cpuMs };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error('this benchmark loads the server with wrk, which is not on the PATH: install it (Debian: apt-get install wrk)');
    throw error;
  } finally {
    await rm(script, { force: true });
  }
}
