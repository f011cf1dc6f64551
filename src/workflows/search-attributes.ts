// Custom search attributes: let the Temporal UI filter by sweep, experiment, stage and status.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_SWEEP_ID = defineSearchAttributeKey('VsweepSweepId', SearchAttributeType.KEYWORD);
export const SA_EXPERIMENT = defineSearchAttributeKey('VsweepExperiment', SearchAttributeType.KEYWORD);
export const SA_STAGE = defineSearchAttributeKey('VsweepStage', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('VsweepStatus', SearchAttributeType.KEYWORD);
export const SA_MODEL = defineSearchAttributeKey('VsweepModel', SearchAttributeType.KEYWORD);
export const SA_CLUSTER = defineSearchAttributeKey('VsweepCluster', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SA_SWEEP_ID, SA_EXPERIMENT, SA_STAGE, SA_STATUS, SA_MODEL, SA_CLUSTER];

/** `--search-attribute` arguments for `temporal server start-dev`. */
export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
