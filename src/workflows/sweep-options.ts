// How a sweep workflow is named and labelled, shared by the client (`vsweep start`) and the nightly
// workflow that starts sweeps as children. Pure: no I/O, safe in the workflow bundle.
import type { SearchAttributePair } from '@temporalio/common';
import type { SweepSpec } from '../spec/schema';
import { SA_CLUSTER, SA_MODEL, SA_STAGE, SA_STATUS, SA_SWEEP_ID } from './search-attributes';

/** `<spec name>-<UTC yyyymmdd-hhmmss>-<4 chars>`: sortable, readable, unique with a random suffix. */
export function sweepIdFor(specName: string, at: Date, suffix: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${specName}-${stamp}-${suffix.slice(0, 4)}`;
}

/** Summary, details and search attributes of a sweep's workflow, for the Web UI's list and filters. */
export function sweepWorkflowLabels(sweepId: string, spec: SweepSpec, note?: string) {
  return {
    staticSummary: `Sweep ${spec.name}: ${spec.server.model} on ${spec.cluster.name}${note ? ` (${note})` : ''}`,
    staticDetails: spec.description,
    typedSearchAttributes: [
      { key: SA_SWEEP_ID, value: sweepId },
      { key: SA_STAGE, value: 'running' },
      { key: SA_STATUS, value: 'running' },
      { key: SA_MODEL, value: spec.server.model },
      { key: SA_CLUSTER, value: spec.cluster.name },
    ] as SearchAttributePair[],
  };
}
