// Fault-injection bench: every fault kind injected several times into a two-experiment sweep on the real
// stack; prints a table, then (last line) one JSON object with the totals.
import {
  FAULT_KINDS,
  runInjection,
  startFaultStack,
  tabulate,
  type FaultKind,
  type InjectionOutcome,
} from '../test/faults/harness';

const ROUNDS = Number(process.env.VSWEEP_FAULT_ROUNDS ?? 3);

async function main(): Promise<void> {
  const stack = await startFaultStack();
  const outcomes: (InjectionOutcome | { kind: FaultKind; error: string })[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of FAULT_KINDS) {
        const startedMs = Date.now();
        try {
          const outcome = await runInjection(stack, kind);
          outcomes.push(outcome);
          const verdict = outcome.survived ? 'survived' : `NOT survived: ${outcome.problems.join('; ')}`;
          console.error(
            `[${round}/${ROUNDS}] ${kind} at ${outcome.hitAt}: ${verdict} (${Date.now() - startedMs} ms)`,
          );
        } catch (err) {
          outcomes.push({ kind, error: String(err) });
          console.error(`[${round}/${ROUNDS}] ${kind}: sweep did not close: ${String(err)}`);
          if (!stack.worker) await stack.startWorker().catch(() => undefined);
        }
      }
    }
  } finally {
    await stack.close();
  }
  const rows = tabulate(outcomes);
  const header = [
    'fault',
    'injections',
    'sweeps completed',
    'survived',
    'orphan jobs',
    'duplicate submissions',
    'lost samples',
    'double-measured samples',
  ];
  const table = [
    header,
    ...rows.map((r) =>
      [
        r.kind,
        r.injections,
        r.sweepsCompleted,
        r.survived,
        r.orphanJobs,
        r.duplicateSubmissions,
        r.lostSamples,
        r.doubleMeasuredSamples,
      ].map(String),
    ),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table)
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
  const sum = (key: 'orphanJobs' | 'duplicateSubmissions' | 'lostSamples' | 'doubleMeasuredSamples') =>
    rows.reduce((n, r) => n + r[key], 0);
  console.log(
    JSON.stringify({
      injected: outcomes.length,
      survived: rows.reduce((n, r) => n + r.survived, 0),
      orphanJobs: sum('orphanJobs'),
      duplicateSubmissions: sum('duplicateSubmissions'),
      lostSamples: sum('lostSamples'),
      doubleMeasuredSamples: sum('doubleMeasuredSamples'),
    }),
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
