import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

/** The named schemas of the API (`Schemas['Location']`, `Schemas['Error409']`, …). */
export type Schemas = components['schemas'];
/** The one error shape, whatever the status; `Schemas['Error409']` narrows `error.code` to a 409's codes. */
export type ApiError = Schemas[Extract<keyof Schemas, `Error${number}`>];
export type ErrorCode = ApiError['error']['code'];
export type { components, operations, paths };

export type UnitrainClient = Client<paths>;

/**
 * A typed client of the Unitrain API (openapi-fetch over the generated types). `accessToken` is asked
 * for on every request, so a client can sign in, refresh or sign out without being made again.
 */
export function createUnitrainClient(baseUrl: string, accessToken: () => string | null = () => null, options: Omit<ClientOptions, 'baseUrl'> = {}): UnitrainClient {
  const client = createClient<paths>({ ...options, baseUrl });
  client.use({
    onRequest({ request }) {
      const token = accessToken();
      if (token !== null && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });
  return client;
}
