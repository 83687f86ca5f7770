import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface Measurement {
  name: string;
  /** Operations per second. */
  rate: number;
  /** The bare-engine measurement this one is compared with, measured in the same run. */
  baseline?: string;
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

/** Prints the table with ratios against the baselines, and writes bench/results/<name>-<time>.json. */
export async function report(benchmark: string, context: Record<string, unknown>, measurements: Measurement[]): Promise<void> {
  const byName = new Map(measurements.map((m) => [m.name, m]));
  const rows = measurements.map((m) => {
    const baseline = m.baseline ? byName.get(m.baseline) : undefined;
    // Three significant figures below 100: a statement that takes seconds is not 0 per second.
    return { measurement: m.name, 'ops/s': m.rate >= 100 ? Math.round(m.rate) : Number(m.rate.toPrecision(3)), 'vs bare engine': baseline ? `${(m.rate / baseline.rate).toFixed(2)}x of ${baseline.name}` : 'baseline' };
  });
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
  console.log(`\n${benchmark} — ${JSON.stringify(context)} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  console.table(rows);
  await mkdir(resultsDir, { recursive: true });
  const file = `${resultsDir}${benchmark}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify({ benchmark, context, machine, results: rows }, null, 2)}\n`);
  console.log(`written to ${file}`);
}

/** Runs `operation` for `durationMs` after a warm-up, one at a time, and returns operations per second. */
export async function measureSerial(operation: () => Promise<unknown>, durationMs = 3_000): Promise<number> {
  for (let i = 0; i < 200; i += 1) await operation();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    await operation();
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}
