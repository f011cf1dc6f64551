// Build qsub's argv from a submit request, validating every word PBS would parse a second time.
//
// Two parsers read what we send: the login shell (handled by shJoin quoting) and PBS itself, which splits
// `-l` and `-v` on commas and treats quotes and backslashes in `-v` specially (qsub.c comma_token). So
// names are restricted, and any -v value outside a conservative character set travels base64-encoded as
// `<NAME>_B64=<base64 of UTF-8 value>`; the job script decodes it (see b64DecodeLines).
import { JobSubmitRejected } from '../../lib/errors';

export interface QsubRequest {
  /** Any text; sanitised to a portable PBS name (see sanitizeJobName). */
  name: string;
  queue?: string;
  /** The chunk request after `select=`, e.g. `1:ncpus=64:ngpus=8:mem=500gb`. */
  select: string;
  /** `HH:MM:SS` text, or a number of seconds. */
  walltime: string | number;
  vars?: Readonly<Record<string, string>>;
  /** `-o` path (stdout and, with `-j oe`, stderr) on the login node's filesystem. */
  outputPath?: string;
}

export interface QsubArgs {
  /** qsub's arguments without the command itself and without a script (the script goes on stdin). */
  args: string[];
  /** The `-N` value actually used: findByName needs this, not the requested name. */
  jobName: string;
  /** Variables that were sent as `<NAME>_B64`. */
  encodedVars: string[];
}

const MAX_JOB_NAME_CHARS = 15; // Torque and old PBS limit; Nextflow uses it too
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BARE_VALUE = /^[A-Za-z0-9_./:@%+=-]*$/;
const SELECT = /^[A-Za-z0-9_.:=+-]+$/; // no commas: -l splits on them
const QUEUE = /^[A-Za-z0-9_.@-]+$/;

function reject(message: string): never {
  throw new JobSubmitRejected(`invalid qsub request: ${message}`, { stage: 'submit' });
}

/** A job name that every PBS flavour accepts: `[A-Za-z][A-Za-z0-9_.-]*`, at most 15 characters. */
export function sanitizeJobName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z]+/, '');
  if (cleaned === '') reject(`job name ${JSON.stringify(name)} has no letter to start a PBS name with`);
  return cleaned.slice(0, MAX_JOB_NAME_CHARS);
}

/** `[[HH:]MM:]SS` text or seconds -> `HH:MM:SS` (hours may exceed 99). */
export function formatWalltime(walltime: string | number): string {
  let totalSec: number;
  if (typeof walltime === 'number') {
    totalSec = walltime;
  } else {
    if (!/^\d+(:\d{1,2}){0,2}$/.test(walltime))
      reject(`walltime ${JSON.stringify(walltime)} is not [[HH:]MM:]SS`);
    totalSec = walltime.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  }
  if (!Number.isInteger(totalSec) || totalSec <= 0)
    reject(`walltime ${walltime} must be a positive whole number of seconds`);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(totalSec / 3600))}:${pad(Math.floor(totalSec / 60) % 60)}:${pad(totalSec % 60)}`;
}

/** The `-v` word, plus which variables had to be base64-encoded. */
export function encodeQsubVars(vars: Readonly<Record<string, string>>): {
  word: string;
  encodedVars: string[];
} {
  const entries: string[] = [];
  const encodedVars: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!VAR_NAME.test(name)) reject(`variable name ${JSON.stringify(name)} must match ${VAR_NAME.source}`);
    if (BARE_VALUE.test(value)) {
      entries.push(`${name}=${value}`);
    } else {
      if (Object.hasOwn(vars, `${name}_B64`)) reject(`variables ${name} and ${name}_B64 clash`);
      entries.push(`${name}_B64=${Buffer.from(value, 'utf8').toString('base64')}`);
      encodedVars.push(name);
    }
  }
  return { word: entries.join(','), encodedVars };
}

/** Bash lines for the job script that restore each encoded variable (`export NAME=...`). */
export function b64DecodeLines(encodedVars: readonly string[]): string {
  return encodedVars
    .map((name) => `export ${name}="$(printf '%s' "$${name}_B64" | base64 -d)"; unset ${name}_B64\n`)
    .join('');
}

export function buildQsubArgs(request: QsubRequest): QsubArgs {
  const jobName = sanitizeJobName(request.name);
  const args = ['-N', jobName];
  if (request.queue !== undefined) {
    if (!QUEUE.test(request.queue))
      reject(`queue ${JSON.stringify(request.queue)} must match ${QUEUE.source}`);
    args.push('-q', request.queue);
  }
  if (!SELECT.test(request.select))
    reject(`select ${JSON.stringify(request.select)} must match ${SELECT.source}`);
  args.push(
    '-l',
    `select=${request.select}`,
    '-l',
    `walltime=${formatWalltime(request.walltime)}`,
    '-j',
    'oe',
  );
  if (request.outputPath !== undefined) {
    // A newline or comma would be re-split by PBS; a leading dash would read as an option.
    if (!/^[^\n\r,-][^\n\r,]*$/.test(request.outputPath)) {
      reject(
        `output path ${JSON.stringify(request.outputPath)} is empty or has a newline, comma or leading dash`,
      );
    }
    args.push('-o', request.outputPath);
  }
  let encodedVars: string[] = [];
  if (request.vars && Object.keys(request.vars).length > 0) {
    const encoded = encodeQsubVars(request.vars);
    args.push('-v', encoded.word);
    encodedVars = encoded.encodedVars;
  }
  return { args, jobName, encodedVars };
}
