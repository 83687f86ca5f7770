#!/usr/bin/env node
// Runs the server compiled to dist/, compiling it first when src/ changed since the last build (decision 0050).
import { ensureServerBuilt } from './server-build.js';

let entry = new URL('../dist/cli.js', import.meta.url);
try {
  await ensureServerBuilt();
} catch (error) {
  // A read-only installation whose dist/ is stale, say: the sources still run, through tsx.
  console.error(`warning: could not compile the server (${error instanceof Error ? error.message : String(error)}); running its TypeScript sources through tsx`);
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/cli.ts', import.meta.url);
}
await import(entry.href);
