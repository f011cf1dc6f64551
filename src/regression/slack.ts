// A Slack incoming-webhook message (also accepted by Mattermost and Rocket.Chat) from a regression summary.
import { METRICS, type MetricName, type RegressionSummary, type RowCheck } from './summary';

export interface SlackPayload {
  /** Shown in notifications and by clients that cannot draw blocks. */
  text: string;
  blocks: SlackBlock[];
}
export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] }
  | { type: 'divider' };

/** Slack rejects messages over 50 blocks and sections over 3000 characters. */
const MAX_ROW_BLOCKS = 40;
const MAX_SECTION_CHARS = 2900;

const ICON: Record<RowCheck['verdict'], string> = {
  regression: ':red_circle:',
  failed: ':x:',
  improvement: ':large_green_circle:',
  'no-change': ':white_circle:',
  'insufficient-data': ':grey_question:',
};

export function slackPayload(summary: RegressionSummary): SlackPayload {
  const c = summary.counts;
  const text =
    `vsweep ${summary.specName} (${summary.sweepId}): ${c.regression} regression(s), ${c.failed} failed, ` +
    `${c.improvement} improvement(s), ${c['no-change']} unchanged, ${c['insufficient-data']} without baseline`;
  // Only rows someone should look at get a block; unchanged rows are counted in the headline.
  const flagged = summary.rows.filter(
    (r) => r.verdict === 'regression' || r.verdict === 'failed' || r.verdict === 'improvement',
  );
  const order = ['regression', 'failed', 'improvement'];
  flagged.sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict));
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`vsweep: ${summary.specName}`, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } },
  ];
  if (flagged.length) blocks.push({ type: 'divider' });
  for (const row of flagged.slice(0, MAX_ROW_BLOCKS)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(rowText(row), MAX_SECTION_CHARS) },
    });
  }
  if (flagged.length > MAX_ROW_BLOCKS) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `…and ${flagged.length - MAX_ROW_BLOCKS} more rows; see the report.` },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`model ${summary.model}`) }],
  });
  return { text, blocks };
}

function rowText(row: RowCheck): string {
  const title = `${ICON[row.verdict]} *${escapeMrkdwn(`${row.experimentId} / ${row.dataset}`)}* — ${escapeMrkdwn(row.config)}`;
  if (row.verdict === 'failed') return `${title}\nfailed: ${escapeMrkdwn(row.reason ?? 'unknown reason')}`;
  const lines = (Object.keys(METRICS) as MetricName[])
    .map((name) => ({ name, m: row.metrics![name] }))
    .filter(({ m }) => m.verdict === 'regression' || m.verdict === 'improvement')
    .map(
      ({ name, m }) =>
        `• ${METRICS[name].label}: ${fmt(m.baselineMean)} → ${fmt(m.currentMean)} ` +
        `(${m.changePct > 0 ? '+' : ''}${m.changePct.toFixed(1)}%, p=${m.pValue.toPrecision(2)}, ${m.baselineRuns} baseline runs)`,
    );
  return [title, ...lines].join('\n');
}

/** Slack's mrkdwn treats &, < and > as markup; everything else may stay as it is. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);
}
