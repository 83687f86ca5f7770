/** `npm run bench -- <name>`: runs one benchmark (or all of them without a name). */
const benchmarks: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  'query-path': () => import('./query-path.bench.js'),
  'http-health': () => import('./http-health.bench.js'),
  'enrollment-throughput': () => import('./enrollment-throughput.bench.js'),
  'change-capture': () => import('./change-capture.bench.js'),
  'stream-latency': () => import('./stream-latency.bench.js'),
  'job-throughput': () => import('./job-throughput.bench.js'),
  'certificate-pdf': () => import('./certificate-pdf.bench.js'),
  'certificate-verify': () => import('./certificate-verify.bench.js'),
  'authenticated-read': () => import('./authenticated-read.bench.js'),
  dashboard: () => import('./dashboard.bench.js'),
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(benchmarks).join(', ')}`);
  process.exit(1);
}
for (const name of requested.length > 0 ? requested : Object.keys(benchmarks)) {
  await (await (benchmarks[name] as () => Promise<{ run: () => Promise<void> }>)()).run();
}
