import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../src/app.js';
import { bearer, buildTestApp } from './auth.js';
import { createMigratedDatabase } from './database.js';
import type { TestApp } from './test-app.js';

export interface HttpAnswer {
  status: number;
  json: Record<string, unknown>;
}

export interface ListeningApp extends TestApp {
  baseUrl: string;
  /** A real HTTP request to the listening server, as the holder of `token`. */
  call(method: string, path: string, token: string, body?: object): Promise<HttpAnswer>;
}

/**
 * Like `useTestApp`, but listening on a port, for requests that must really be in flight together
 * (inject runs them one by one). Does nothing when `enabled` is false (e.g. on PGlite's one connection).
 */
export function useListeningApp(enabled: boolean, overrides: Partial<AppDeps> = {}): ListeningApp {
  const context = {
    async call(method: string, path: string, token: string, body?: object): Promise<HttpAnswer> {
      const response = await fetch(`${context.baseUrl}${path}`, {
        method,
        headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
  } as ListeningApp;
  beforeAll(async () => {
    if (!enabled) return;
    context.database = await createMigratedDatabase();
    context.db = context.database.db;
    context.app = await buildTestApp(context.db, overrides);
    context.baseUrl = await context.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    if (!enabled) return;
    await context.app?.close();
    await context.database?.drop();
  });
  return context;
}
