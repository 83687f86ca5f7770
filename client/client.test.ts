import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createUser, testKeyring } from '../test/auth.js';
import { useListeningApp } from '../test/listening-app.js';
import { runExample } from './example.js';
import { renderClient, servedDocument } from './generate.js';

const context = useListeningApp(true);

describe('the typed client', () => {
  it('is current: regenerating it from the served document changes nothing (else run npm run client:generate)', async () => {
    const files = await renderClient(await servedDocument(context.db));
    for (const [path, text] of Object.entries(files)) {
      expect({ path, current: (await readFile(new URL(`../${path}`, import.meta.url), 'utf8')) === text }).toEqual({ path, current: true });
    }
  });

  it('runs the example against a server on a port: a typed 401, sign-in, a page of locations, a typed 409', async () => {
    const admin = await createUser(context.db, testKeyring, { role: 'SA' });
    const lines: string[] = [];
    await runExample(context.baseUrl, admin.email, admin.password, (line) => lines.push(line));
    expect(lines).toEqual([
      'signed out: 401 UNAUTHENTICATED: sign in first: this needs an access token',
      'signed in as SA',
      expect.stringMatching(/^locations: 1 in all, first page Example Hall \d+$/),
      expect.stringMatching(/^stale edit: 409 VERSION_CONFLICT: the location was changed by someone else/),
    ]);
  });
});
