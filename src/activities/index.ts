/**
 * Every activity of the service. Activities do all the I/O (PostgreSQL, marketplaces, document
 * store); workflows only decide. Each is idempotent: keys come from the message's business identity.
 */
import { cancellablePool } from '../db/cancellable';
import { currentCancellation } from '../marketplaces/call-wait';
import { documentActivities } from './documents';
import type { ActivityDeps } from './activity-deps';
import { listingActivities } from './listings';
import { recordActivities } from './records';
import { echo } from './smoke-check';
import { syncActivities } from './sync';
import { tokenActivities } from './tokens';

export type { ActivityDeps } from './activity-deps';
export { echo } from './smoke-check';

/**
 * The activities over `deps`, their PostgreSQL work cancelled on the server when the activity
 * running it is cancelled (src/db/cancellable.ts); their marketplace calls abort likewise (http.ts).
 */
export function createActivities(serviceDeps: ActivityDeps) {
  const deps = { ...serviceDeps, pool: cancellablePool(serviceDeps.pool, currentCancellation) };
  return {
    echo,
    ...tokenActivities(deps),
    ...listingActivities(deps),
    ...syncActivities(deps),
    ...documentActivities(deps),
    ...recordActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
