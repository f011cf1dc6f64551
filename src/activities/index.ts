// The activities the worker registers, built from their dependencies (no module mocks in tests).
import type { ActivityDeps } from './deps';
import { withFailureMapping } from './failures';
import { jobActivities } from './job';
import { reapActivities } from './reap';
import { replayActivities } from './replay';
import { resultsActivities } from './results';
import { serverActivities } from './server';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...jobActivities(deps),
    ...serverActivities(deps),
    ...replayActivities(deps),
    ...reapActivities(deps),
    ...resultsActivities(deps),
  });
}
