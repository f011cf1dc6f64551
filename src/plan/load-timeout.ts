// How long a model server may take to start: one named policy, pure, unit-tested.
import type { Flags, LoadTimeoutSpec } from '../spec/schema';
import { isOn } from './plan';

export interface LoadTimeout {
  /** Total seconds from the job starting to the server answering /health. */
  totalSec: number;
  /** The part of it for loading weights (the seed: 155 s with expert parallelism, 310 s without). */
  loadSec: number;
  /** The part of it for torch.compile and CUDA graph capture (0 in eager mode). */
  compileSec: number;
  /** One line for people: why this timeout. */
  explanation: string;
}

/**
 * Adaptive: base load time x margin, x2 without expert parallelism (every GPU loads every expert),
 * plus the compile budget unless --enforce-eager (torch.compile of a MoE model takes 20+ minutes).
 * Fixed: one number, as the seed's hand-run experiments used (and why 1B and 2B died).
 */
export function loadTimeoutPolicy(policy: LoadTimeoutSpec, flags: Flags): LoadTimeout {
  const expertParallel = isOn(flags, 'enable-expert-parallel');
  const eager = isOn(flags, 'enforce-eager');
  if (policy.policy === 'fixed') {
    return {
      totalSec: policy.fixedSec,
      loadSec: policy.fixedSec,
      compileSec: 0,
      explanation: `fixed ${policy.fixedSec} s`,
    };
  }
  const loadSec = policy.baseLoadSec * (expertParallel ? 1 : 2) * policy.margin;
  const compileSec = eager ? 0 : policy.compileBudgetSec;
  const parts = [
    `load ${policy.baseLoadSec} s${expertParallel ? '' : ' x2 (EP off)'} x${policy.margin} margin`,
    eager ? 'eager (no compile)' : `+ compile budget ${policy.compileBudgetSec} s`,
  ];
  return { totalSec: loadSec + compileSec, loadSec, compileSec, explanation: parts.join(', ') };
}
