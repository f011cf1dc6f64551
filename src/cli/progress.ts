// Live progress for people: one line per change of stage, startup phase or samples done, and a
// reminder line for long stages, so a terminal is never silent for minutes.
import type { Client } from '@temporalio/client';
import { getSweepStatus, type SweepStatus } from '../client';

const REMIND_EVERY_MS = 10_000;

export function formatConfigLine(
  c: SweepStatus['configs'][number],
  timeScale: number,
  nowMs = Date.now(),
): string {
  const elapsedSec = c.stageStartedAtMs ? (nowMs - c.stageStartedAtMs) / 1000 / timeScale : 0;
  const timeout = c.stageTimeoutSec ? ` / ${Math.round(c.stageTimeoutSec / timeScale)} s` : '';
  const clock = c.stage === 'done' || c.stage === 'pending' ? '' : ` ${Math.round(elapsedSec)} s${timeout}`;
  const where = [c.jobId && `job ${c.jobId}`, c.host].filter(Boolean).join(' on ');
  const phase = c.activity?.stage
    ? ` [${String(c.activity.stage)}${c.activity.progress ? `: ${String(c.activity.progress)}` : ''}]`
    : '';
  const inDataset =
    typeof c.activity?.samplesDone === 'number'
      ? ` samples ${c.activity.samplesDone}/${String(c.activity.samplesTotal)},`
      : '';
  const samples = c.samplesTotal ? `${inDataset} ${c.samplesDone}/${c.samplesTotal} datasets` : '';
  const outcome = c.outcome ? ` -> ${c.outcome}${c.reason ? `: ${c.reason}` : ''}` : '';
  return `${c.label.padEnd(8)} ${c.stage.padEnd(8)}${clock}${phase}${samples}${where ? `  (${where})` : ''}${outcome}`;
}

/** Print progress until the sweep's workflow closes (or `signal` aborts the watching, not the sweep). */
export async function followSweep(
  client: Client,
  sweepId: string,
  write = (s: string) => process.stdout.write(s),
  signal?: AbortSignal,
): Promise<void> {
  const last = new Map<string, { key: string; atMs: number }>();
  const startMs = Date.now();
  while (!signal?.aborted) {
    let status: SweepStatus;
    try {
      status = await getSweepStatus(client, sweepId);
    } catch (err) {
      write(`(progress unavailable: ${(err as Error).message})\n`);
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    for (const c of status.configs) {
      const key = [c.stage, c.activity?.stage, c.activity?.progress, c.samplesDone, c.outcome].join('|');
      const prev = last.get(c.configKey);
      if (
        !prev ||
        prev.key !== key ||
        (c.stage !== 'done' && c.stage !== 'pending' && Date.now() - prev.atMs > REMIND_EVERY_MS)
      ) {
        last.set(c.configKey, { key, atMs: Date.now() });
        const clock = new Date(Date.now() - startMs).toISOString().slice(14, 19);
        write(`[${clock}] ${formatConfigLine(c, status.progress.timeScale)}\n`);
      }
    }
    if (status.status !== 'RUNNING') return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
