// Build valid specs for tests from the shipped examples, with overrides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/lib/paths';
import { validateSpec } from '../../src/spec/load';
import type { SweepSpec } from '../../src/spec/schema';

export const EXAMPLES = join(projectRoot(), 'examples');

/** The raw (unvalidated) YAML of an example, for tests that break it on purpose. */
export function rawExample(name = 'sim-glm46.yaml'): Record<string, unknown> {
  return parse(readFileSync(join(EXAMPLES, name), 'utf8')) as Record<string, unknown>;
}

export function exampleSpec(
  name = 'sim-glm46.yaml',
  edit: (raw: Record<string, unknown>) => void = () => {},
): SweepSpec {
  const raw = rawExample(name);
  edit(raw);
  return validateSpec(raw, EXAMPLES, name);
}
