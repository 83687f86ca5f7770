import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { accessMatrixDocPath, renderAccessMatrixDoc } from './access-matrix.doc.js';
import { accessMatrix, matrixRoles, operations } from './access-matrix.js';

// No database: the committed document must be what the data generates.

describe('docs/access-matrix.md', () => {
  it('is exactly what the matrix data generates (run `npm run docs:matrix` after changing the matrix)', async () => {
    const committed = await readFile(new URL(`../../../${accessMatrixDocPath}`, import.meta.url), 'utf8');
    expect(committed).toBe(renderAccessMatrixDoc());
  });

  it('has a row for every role in every table, and names every rule', () => {
    const doc = renderAccessMatrixDoc();
    for (const access of accessMatrix) {
      const section = doc.slice(doc.indexOf(`### ${access.table}\n`));
      for (const role of matrixRoles) expect(section).toMatch(new RegExp(`^\\| ${role} \\|`, 'm'));
      for (const operation of operations) for (const rule of access.rules[operation]) expect(doc).toContain(`\`${rule.id}\``);
    }
  });
});
