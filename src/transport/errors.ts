// Transport failures live with every other failure in src/lib/errors.ts; re-exported for local imports.
export { TransportAuthFailed } from '../lib/errors';
