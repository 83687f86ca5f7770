import { writeFile } from 'node:fs/promises';
import { accessMatrixDocPath, renderAccessMatrixDoc } from '../src/platform/security/access-matrix.doc.js';

// `npm run docs:matrix`: regenerates docs/access-matrix.md from the matrix data.
const target = new URL(`../${accessMatrixDocPath}`, import.meta.url);
await writeFile(target, renderAccessMatrixDoc());
console.log(`wrote ${accessMatrixDocPath}`);
