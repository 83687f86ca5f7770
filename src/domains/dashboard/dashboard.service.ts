import type { Db } from '../../platform/db/database.js';
import type { SignedInActor } from '../../platform/http/authenticate.js';
import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import { type Dashboard, dashboardTables, readDashboard } from './dashboard.repository.js';

export interface DashboardDeps {
  db: Db;
  cache: TwoLayerCache;
  now: () => Date;
}

/**
 * The caller's dashboard, cached per account and role (the answer depends on both, and on the unread
 * notifications of the account). The clock is part of the answer, so the key holds its UTC day and hour:
 * "the next 14 days" and "48 hours before start" move on without waiting for a change.
 */
export function getDashboard(deps: DashboardDeps, actor: SignedInActor): Promise<Dashboard> {
  const now = deps.now();
  const key = `dashboard:${actor.userId}:${actor.role}:${now.toISOString().slice(0, 13)}`;
  return deps.cache.getOrLoad(key, dashboardTables, (after) => deps.db.reader.withActor(actor, (tx) => readDashboard(tx, now), after));
}
