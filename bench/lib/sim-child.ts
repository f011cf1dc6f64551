// Bench child: the simulated vLLM in its own process (so its emission loop never waits on the client),
// recording every chunk's send time. IPC: ready -> {url, clockOffsetMs}; 'emissions' -> records;
// {kind: 'emissions'} -> {emissions, diag} where diag covers the window since the previous ask.
import { performance } from 'node:perf_hooks';
import { EngineDriver } from '../../src/sim/vllm/driver';
import { startSimVllm } from '../../src/sim/vllm/server';
import { epochToMonotonicOffsetMs } from './child';
import { LoopWatch, type LoopDiag } from './diag';

export interface SimDiag extends LoopDiag {
  /** Driver wake-ups that emitted at least one token. */
  emitRuns: number;
  /** How late such a wake-up ran after its first token was due, ms. */
  runLateP99Ms: number;
  runLateMaxMs: number;
  /** From a wake-up to the end of its socket writes (incl. writes deferred to nextTick), ms. */
  burstP99Ms: number;
  burstMaxMs: number;
  /** Most tokens emitted by one wake-up. */
  maxTokensPerRun: number;
}

interface RunSample {
  lateMs: number;
  burstMs: number;
  tokens: number;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Wraps the driver's wake-up to time it (bench diagnostics only; the driver stays untouched). */
function instrumentDriver(samples: RunSample[]): void {
  const proto = EngineDriver.prototype as unknown as {
    run(this: EngineDriver): void;
  };
  const original = proto.run;
  proto.run = function run(this: EngineDriver) {
    const t0 = performance.now();
    const step = (this as unknown as { stepMs: number }).stepMs;
    const raw = this.scheduler.nextDueMs();
    const due = raw !== undefined && step > 0 ? Math.ceil(raw / step) * step : raw;
    const before = this.scheduler.totals?.generationTokens;
    original.call(this);
    const tokens = (this.scheduler.totals?.generationTokens ?? 0) - (before ?? 0);
    if (tokens === 0 || due === undefined) return;
    // http's res.write corks and uncorks on nextTick: this tick runs after those uncorks.
    process.nextTick(() => samples.push({ lateMs: t0 - due, burstMs: performance.now() - t0, tokens }));
  };
}

async function main() {
  const [timeScale, seed, maxNumSeqs, lockstep] = process.argv.slice(2).map(Number);
  const samples: RunSample[] = [];
  instrumentDriver(samples);
  const sim = await startSimVllm({
    argv: [
      'tiny/model',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--max-model-len',
      '1024',
      '--max-num-seqs',
      String(maxNumSeqs),
    ],
    timeScale,
    seed,
    recordEmissions: true,
    lockstepDecode: lockstep === 1,
  });
  const watch = new LoopWatch();
  watch.start();
  process.on('message', (message) => {
    if (message === 'emissions') {
      process.send?.(sim.emissions.splice(0));
    } else if (typeof message === 'object' && message !== null && 'kind' in message) {
      const kind = (message as { kind: string }).kind;
      if (kind === 'reset') {
        sim.emissions.splice(0);
        samples.splice(0);
        watch.start();
        process.send?.('ok');
      } else if (kind === 'emissions') {
        const loop = watch.stop();
        const runs = samples.splice(0);
        const diag: SimDiag = {
          ...loop,
          emitRuns: runs.length,
          runLateP99Ms: pct(
            runs.map((r) => r.lateMs),
            99,
          ),
          runLateMaxMs: runs.reduce((a, r) => Math.max(a, r.lateMs), 0),
          burstP99Ms: pct(
            runs.map((r) => r.burstMs),
            99,
          ),
          burstMaxMs: runs.reduce((a, r) => Math.max(a, r.burstMs), 0),
          maxTokensPerRun: runs.reduce((a, r) => Math.max(a, r.tokens), 0),
        };
        watch.start();
        process.send?.({ emissions: sim.emissions.splice(0), diag });
      }
    }
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ url: sim.url, clockOffsetMs: epochToMonotonicOffsetMs() });
}

void main();
