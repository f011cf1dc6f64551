// Where things live: the project root (found from this file), its git-ignored tool and state folders.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

let root: string | undefined;

export function projectRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vsweep') {
      return (root = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find vsweep's package.json above ${__dirname}`);
    dir = parent;
  }
}

/** State (Temporal database, simulator, results) lives here unless VSWEEP_HOME says otherwise. */
export function stateDir(): string {
  return resolve(process.env.VSWEEP_HOME ?? join(projectRoot(), '.vsweep'));
}

export const TEMPORAL_CLI_VERSION = '1.5.1';

export function temporalBinary(): string {
  return process.env.TEMPORAL_CLI_PATH ?? join(projectRoot(), '.tools', 'bin', 'temporal');
}
