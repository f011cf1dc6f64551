// Bench child: the simulated vLLM in its own process (so its emission loop never waits on the client),
// recording every chunk's send time. IPC: ready -> {url, clockOffsetMs}; 'emissions' -> records.
import { startSimVllm } from '../../src/sim/vllm/server';
import { epochToMonotonicOffsetMs } from './child';

async function main() {
  const [timeScale, seed, maxNumSeqs] = process.argv.slice(2).map(Number);
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
  });
  process.on('message', (message) => {
    if (message === 'emissions') {
      process.send?.(sim.emissions.splice(0));
    }
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ url: sim.url, clockOffsetMs: epochToMonotonicOffsetMs() });
}

void main();
