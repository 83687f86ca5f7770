import { fileURLToPath } from 'node:url';

/**
 * A path inside the repository (or the installed package): migrations/, console/dist, package.json.
 * Resolved from this module, which is one directory below the root both as a source (src/) and compiled:
 * the build bundles the server into files directly under dist/ (decision 0050).
 */
export function repositoryPath(relativePath: string): string {
  return fileURLToPath(new URL(`../${relativePath}`, import.meta.url));
}
