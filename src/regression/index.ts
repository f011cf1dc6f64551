// Regression checks against stored baselines, and the chat message that reports them.
export { compareToBaseline } from './compare';
export type { CompareOptions, Comparison, Direction, TestName, Verdict } from './compare';
export { regressionSummary, baselinesFromStore, METRICS } from './summary';
export type {
  BaselineRun,
  BaselineSource,
  MetricName,
  RegressionSummary,
  RowCheck,
  RowKey,
  RowVerdict,
  SummaryOptions,
} from './summary';
export { slackPayload, escapeMrkdwn } from './slack';
export type { SlackBlock, SlackPayload } from './slack';
export { postWebhook, WebhookFailed } from './webhook';
export type { WebhookOptions } from './webhook';
