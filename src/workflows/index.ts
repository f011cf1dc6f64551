// The workflows the worker registers. Deterministic code only: no I/O, no Node built-ins.
export { sweepWorkflow, sweepProgressQuery, sweepInputQuery, configWorkflowId } from './sweep';
export { serverConfigWorkflow, configProgressQuery, jobNameFor } from './server-config';
export { janitorWorkflow } from './janitor';
export { nightlyWorkflow } from './nightly';
