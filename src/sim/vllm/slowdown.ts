// A test knob for regression checks: VSWEEP_SIM_SLOWDOWN='max-model-len=8192:0.9' multiplies the decode
// rate of every simulated server whose flags match by 0.9. Rules are `;`-separated; a rule's conditions
// are `,`-separated `flag=value` pairs (`flag` alone matches a switch that is on), all of which must match.
import type { ServeConfig } from './flags';

export interface SlowdownRule {
  when: { flag: string; value?: string }[];
  decodeFactor: number;
}

export function parseSlowdown(text: string | undefined): SlowdownRule[] {
  if (!text?.trim()) return [];
  return text
    .split(';')
    .filter((r) => r.trim())
    .map((rule) => {
      const colon = rule.lastIndexOf(':');
      const factor = Number(rule.slice(colon + 1));
      if (colon < 0 || !(factor > 0)) {
        throw new Error(
          `VSWEEP_SIM_SLOWDOWN: '${rule}' is not <flag>=<value>[,...]:<factor> with a factor > 0`,
        );
      }
      const when = rule
        .slice(0, colon)
        .split(',')
        .map((cond) => {
          const [flag, value] = cond.trim().replace(/^--/, '').split('=');
          return { flag: flag!, value };
        });
      return { when, decodeFactor: factor };
    });
}

/** The product of the factors of every rule whose conditions all hold for this server (1 if none). */
export function decodeFactorFor(rules: SlowdownRule[], config: ServeConfig): number {
  const args = config.nonDefaultArgs;
  const holds = ({ flag, value }: SlowdownRule['when'][number]) => {
    // vLLM's non-default args are keyed in Python spelling (max_model_len).
    const actual = args[flag.replace(/-/g, '_')];
    if (value === undefined) return actual === true;
    if (actual === undefined) return false;
    return String(actual) === value || (Number.isFinite(Number(value)) && Number(actual) === Number(value));
  };
  return rules.filter((r) => r.when.every(holds)).reduce((f, r) => f * r.decodeFactor, 1);
}
