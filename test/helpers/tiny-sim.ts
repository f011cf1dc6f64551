// The simulated vLLM in-process on a free loopback port, with a tiny model and a 256-token context.
import { startSimVllm, type SimVllmHandle, type SimVllmOptions } from '../../src/sim/vllm/server';

export function startTinySim(flag: string, options: Omit<SimVllmOptions, 'argv'>): Promise<SimVllmHandle> {
  return startSimVllm({
    argv: ['tiny/model', '--host', '127.0.0.1', '--port', '0', '--max-model-len', '256', flag],
    ...options,
  });
}
