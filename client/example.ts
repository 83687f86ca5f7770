import { type ApiError, createUnitrainClient } from './index.js';

/**
 * The typed client at work: sign in, list locations, meet a 401 and a 409 as typed errors.
 * Run against a server: `npx tsx client/example.ts http://127.0.0.1:3000 admin@example.com 'password'`.
 */
export async function runExample(baseUrl: string, email: string, password: string, print: (line: string) => void = console.log): Promise<void> {
  let accessToken: string | null = null;
  const api = createUnitrainClient(baseUrl, () => accessToken);

  // A 401 before signing in: `error` is typed as the API's error, its code one of the enum.
  const signedOut = await api.GET('/v1/locations');
  if (signedOut.error) print(`signed out: ${signedOut.response.status} ${describe(signedOut.error)}`);

  const signIn = await api.POST('/v1/auth/login', { body: { email, password } });
  if (signIn.error) throw new Error(`sign-in failed: ${describe(signIn.error)}`);
  accessToken = signIn.data.access_token;
  print(`signed in as ${signIn.data.user.role}`);

  const created = await api.POST('/v1/locations', { body: { name: `Example Hall ${Date.now()}`, timezone: 'Europe/London' } });
  if (created.error) throw new Error(`could not create a location: ${describe(created.error)}`);
  const page = await api.GET('/v1/locations', { params: { query: { sort: 'name', limit: 5 } } });
  if (page.error) throw new Error(describe(page.error));
  print(`locations: ${page.data.total} in all, first page ${page.data.items.map((location) => location.name).join(', ')}`);

  // Two edits from the same version: the second is a 409 whose details carry the current row.
  const { id, version } = created.data;
  await api.PATCH('/v1/locations/{id}', { params: { path: { id } }, body: { city: 'Leith', version } });
  const stale = await api.PATCH('/v1/locations/{id}', { params: { path: { id } }, body: { city: 'Perth', version } });
  if (stale.error?.error.code === 'VERSION_CONFLICT') print(`stale edit: ${stale.response.status} ${describe(stale.error)}`);
}

function describe(error: ApiError): string {
  return `${error.error.code}: ${error.error.message}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseUrl = 'http://127.0.0.1:3000', email = '', password = ''] = process.argv.slice(2);
  await runExample(baseUrl, email, password);
}
