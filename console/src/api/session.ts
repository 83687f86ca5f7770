import { createUnitrainClient, type Schemas, type UnitrainClient } from '../../../client/index.ts';

export type Role = Schemas['User']['role'];
export interface SignedInUser {
  id: string;
  role: Role;
  email: string;
}

/**
 * The signed-in session: the access token lives in memory only; the refresh token in localStorage, so a
 * reload (or a shared link opened later) signs in again silently. Refresh tokens work once: two tabs
 * refreshing together would present the same token twice and the server would end the whole sign-in as a
 * theft, so refreshes are serialised across tabs with the Web Locks API and each re-reads the stored token.
 */
const refreshKey = 'unitrain.refresh_token';
const userKey = 'unitrain.user';

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

export function currentUser(): SignedInUser | null {
  const stored = localStorage.getItem(userKey);
  return stored && localStorage.getItem(refreshKey) ? (JSON.parse(stored) as SignedInUser) : null;
}

export function accessTokenNow(): string | null {
  return accessToken;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}

function store(pair: Schemas['TokenPair']): void {
  accessToken = pair.access_token;
  localStorage.setItem(refreshKey, pair.refresh_token);
  localStorage.setItem(userKey, JSON.stringify(pair.user));
}

export function forget(): void {
  accessToken = null;
  localStorage.removeItem(refreshKey);
  localStorage.removeItem(userKey);
  notify();
}

/** Fetch without the retry below (sign-in, refresh, sign-out must not refresh themselves). */
const plain = createUnitrainClient(location.origin, () => accessToken);

export async function signIn(email: string, password: string) {
  const answer = await plain.POST('/v1/auth/login', { body: { email, password } });
  if (answer.data) {
    store(answer.data);
    notify();
  }
  return answer;
}

export async function signOut(): Promise<void> {
  const refresh_token = localStorage.getItem(refreshKey) ?? undefined;
  if (accessToken) await plain.POST('/v1/auth/logout', { body: refresh_token ? { refresh_token } : {} }).catch(() => undefined);
  forget();
}

/** Trades the stored refresh token for a new pair; false (and signed out) when the server refuses it. */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= withRefreshLock(async () => {
    const token = localStorage.getItem(refreshKey);
    if (!token) return false;
    const answer = await plain.POST('/v1/auth/refresh', { body: { refresh_token: token } });
    if (answer.data) {
      store(answer.data);
      return true;
    }
    // Another tab may have refreshed while this one waited for the lock: its token is the current one.
    if (localStorage.getItem(refreshKey) !== token) return refreshTokens();
    if (answer.response.status === 401) forget();
    return false;
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function withRefreshLock<T>(work: () => Promise<T>): Promise<T> {
  if (!('locks' in navigator)) return work();
  return navigator.locks.request('unitrain.refresh', work);
}

/** A 401 on a signed-in request: refresh once, then send the same request again with the new token. */
async function fetchRefreshingOnce(request: Request): Promise<Response> {
  const retry = request.clone();
  const response = await fetch(request);
  if (response.status !== 401 || !localStorage.getItem(refreshKey)) return response;
  if (!(await refreshTokens())) return response;
  retry.headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(retry);
}

export const api: UnitrainClient = createUnitrainClient(location.origin, () => accessToken, { fetch: fetchRefreshingOnce });

/** For the few requests and answers the client does not type (PDF downloads, CSV uploads): the same token and refresh. */
export function authorisedFetch(path: string, init?: RequestInit): Promise<Response> {
  const request = new Request(new URL(path, location.origin), init);
  if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
  return fetchRefreshingOnce(request);
}
