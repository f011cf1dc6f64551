// The results store's public face.
export { openStore, deriveStatus, ownRows } from './store';
export type { ResultsStore } from './store';
export type * from './types';
export { runMetrics, percentile, mean } from './metrics';
export type { RunMetrics, StoredSample } from './metrics';
