// `vsweep watch`: a table redrawn in place on a terminal; change lines (followSweep) when piped.
import type { Client } from '@temporalio/client';
import { getSweepStatus, type SweepStatus } from '../client';
import { followSweep } from './progress';

const REFRESH_MS = 1000;

/** One table of every server configuration: stage, time in stage vs timeout, phase, samples, job, host. */
export function renderStatusTable(status: SweepStatus, nowMs = Date.now()): string {
  const scale = status.progress.timeScale;
  const header = [
    'CONFIG',
    'STAGE',
    'TIME / TIMEOUT',
    'STARTUP PHASE',
    'SAMPLES',
    'DATASETS',
    'JOB',
    'HOST',
    'OUTCOME',
  ];
  const rows = status.configs.map((c) => {
    const live = c.stage !== 'done' && c.stage !== 'pending';
    const elapsedSec = live && c.stageStartedAtMs ? (nowMs - c.stageStartedAtMs) / 1000 / scale : undefined;
    const time =
      elapsedSec === undefined
        ? ''
        : `${Math.round(elapsedSec)} s${c.stageTimeoutSec ? ` / ${Math.round(c.stageTimeoutSec / scale)} s` : ''}`;
    const phase = c.activity?.stage
      ? `${String(c.activity.stage)}${c.activity.progress ? ` ${String(c.activity.progress)}` : ''}`
      : '';
    const samples =
      typeof c.activity?.samplesDone === 'number'
        ? `${c.activity.samplesDone}/${String(c.activity.samplesTotal)}`
        : '';
    const outcome = c.outcome ? `${c.outcome}${c.reason ? `: ${c.reason}` : ''}` : '';
    return [
      c.label,
      c.stage,
      time,
      phase,
      samples,
      `${c.samplesDone}/${c.samplesTotal}`,
      c.jobId ?? '',
      c.host ?? '',
      outcome.length > 60 ? `${outcome.slice(0, 59)}…` : outcome,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const title = `${status.sweepId}: ${status.status}${status.progress.resumedFrom ? ` (resumes ${status.progress.resumedFrom})` : ''}`;
  return [title, '', line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Follow a sweep until its workflow closes: a redrawn table on a TTY, change lines otherwise. */
export async function watchSweep(
  client: Client,
  sweepId: string,
  opts: { tty: boolean; write?: (s: string) => void; signal?: AbortSignal },
): Promise<void> {
  const write = opts.write ?? ((s: string) => process.stdout.write(s));
  if (!opts.tty) {
    return followSweep(
      client,
      sweepId,
      (s) => {
        write(s);
        return true;
      },
      opts.signal,
    );
  }
  let drawnLines = 0;
  while (!opts.signal?.aborted) {
    let text: string;
    let running = true;
    try {
      const status = await getSweepStatus(client, sweepId);
      running = status.status === 'RUNNING';
      text = renderStatusTable(status);
    } catch (err) {
      text = `(progress unavailable: ${(err as Error).message})\n`;
    }
    // Move up over the previous table and clear to the end of the screen, then draw the new one.
    write(`${drawnLines ? `\x1b[${drawnLines}F` : ''}\x1b[0J${text}`);
    drawnLines = text.split('\n').length - 1;
    if (!running) return;
    await new Promise((r) => setTimeout(r, REFRESH_MS));
  }
}
