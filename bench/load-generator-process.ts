import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const generatorPath = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/** What `load-generator.js` counted: answers (2xx or not), connection errors, the rate, its own CPU in ms. */
export interface GeneratedLoad {
  requests: number;
  non2xx: number;
  errors: number;
  rate: number;
  generatorCpuMs: number;
}

/**
 * `seconds` of GETs to `url` from `connections` keep-alive connections, by the load generator in a process
 * of its own (decision 0110): the load is made outside the process that measures, as pgbench makes its own.
 * Every answer must be a 2xx.
 */
export async function generateLoad(url: string, options: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<GeneratedLoad> {
  const child = spawn(process.execPath, [generatorPath], {
    env: { URL: url, CONNECTIONS: String(options.connections), SECONDS: String(options.seconds), HEADERS: JSON.stringify(options.headers ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exitCode = await new Promise<number | null>((resolve, reject) => child.on('exit', resolve).on('error', reject));
  if (exitCode !== 0) throw new Error(`the load generator for ${url} exited with ${exitCode}`);
  const result = JSON.parse(output) as GeneratedLoad;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} answers not 2xx, ${result.errors} errors`);
  return result;
}
