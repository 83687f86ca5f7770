import { writeFile } from 'node:fs/promises';
import { renderClient, servedDocument } from '../client/generate.js';

// `npm run client:generate`: writes the served OpenAPI document and the client's types into client/.
for (const [path, text] of Object.entries(await renderClient(await servedDocument()))) {
  await writeFile(new URL(`../${path}`, import.meta.url), text);
  console.log(`wrote ${path}`);
}
